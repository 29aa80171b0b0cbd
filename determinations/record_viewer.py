"""What the reviewer's record viewer (static/js/record-viewer.js, PDF.js) needs from the server:
the static URLs of the vendored PDF.js and of the data files it loads by name.

PDF.js asks for its data files (fonts a PDF names without embedding them, character maps,
image decoders) as a folder URL plus a file name. Production keeps only the hashed static
names (`WHITENOISE_KEEP_ONLY_HASHED_FILES`), so a folder URL would find nothing: the page hands
the viewer each file's own static URL instead, and the viewer looks the name up.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache

from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage

PDFJS_DIR = "vendor/pdfjs/"
# The folders PDF.js reads by name, keyed by the option that would name their URL.
DATA_FOLDERS = {
    "cMapUrl": "cmaps/",
    "standardFontDataUrl": "standard_fonts/",
    "wasmUrl": "wasm/",
}
# Their licences lie beside them and are not data.
DATA_SUFFIXES = (".bcmap", ".pfb", ".ttf", ".wasm", ".js")


@dataclass(frozen=True)
class ViewerAssets:
    library: str  # pdf.min.mjs
    worker: str  # pdf.worker.min.mjs
    component: str  # web/pdf_viewer.mjs (PDFViewer)
    stylesheet: str  # web/pdf_viewer.css
    data_files_json: str  # {"cMapUrl": {"Adobe-Japan1-UCS2.bcmap": "/static/…"}, …}


def _data_file_names() -> dict[str, list[str]]:
    """The vendored data files, by PDF.js option, as the static finders see them."""
    found: dict[str, list[str]] = {kind: [] for kind in DATA_FOLDERS}
    for finder in finders.get_finders():
        for path, _storage in finder.list([]):
            path = path.replace("\\", "/")
            for kind, folder in DATA_FOLDERS.items():
                prefix = PDFJS_DIR + folder
                name = path[len(prefix) :]
                if path.startswith(prefix) and "/" not in name and name.endswith(DATA_SUFFIXES):
                    found[kind].append(name)
    return {kind: sorted(set(names)) for kind, names in found.items()}


@cache
def viewer_assets() -> ViewerAssets:
    """Computed once per process: the static files do not change while it runs."""
    data_files = {
        kind: {name: staticfiles_storage.url(PDFJS_DIR + DATA_FOLDERS[kind] + name) for name in names}
        for kind, names in _data_file_names().items()
    }
    return ViewerAssets(
        library=staticfiles_storage.url(PDFJS_DIR + "build/pdf.min.mjs"),
        worker=staticfiles_storage.url(PDFJS_DIR + "build/pdf.worker.min.mjs"),
        component=staticfiles_storage.url(PDFJS_DIR + "web/pdf_viewer.mjs"),
        stylesheet=staticfiles_storage.url(PDFJS_DIR + "web/pdf_viewer.css"),
        data_files_json=json.dumps(data_files, separators=(",", ":")),
    )
