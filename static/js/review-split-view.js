/* The reviewer's case page: the case's records beside the decision form.
 *
 * - Records: clicking a document in the list shows it in the viewer (PDF.js, vendored under
 *   static/vendor/pdfjs) instead of opening a new tab; "]" or "j" shows the next document,
 *   "[" or "k" the previous one (never while typing in a field). Without JavaScript the links
 *   open each PDF in a new tab.
 * - The PDF is read with fetch() from the document's own URL (same origin, with the session):
 *   the server checks that the reviewer holds the case and logs each document viewed, exactly
 *   as when the PDF is opened in a tab. One GET per document shown (no range requests).
 * - Narrower than 992 px the two panes become two tabs, "Records" and "Decision".
 *
 * Loaded as a module from static files: the Content-Security-Policy allows no inline script and
 * no eval (PDF.js runs with isEvalSupported: false).
 */

const WIDE = window.matchMedia("(min-width: 992px)");

function isTyping(target) {
  if (!(target instanceof Element)) return false;
  return Boolean(target.closest("input, textarea, select, [contenteditable]:not([contenteditable='false'])"));
}

/* ---- Tabs on narrow screens (the WAI-ARIA tabs pattern) ---- */

function setUpTabs(view) {
  const tablist = view.querySelector("#split-tabs");
  const tabs = Array.from(tablist.querySelectorAll("[role='tab']"));
  const panes = tabs.map((tab) => document.getElementById(tab.getAttribute("aria-controls")));
  let selected = 0;
  // After saving, or with an error in the form, the page opens on the decision.
  if (window.location.hash === "#determination" || view.querySelector("#pane-decision .is-invalid")) {
    selected = 1;
  }

  function render() {
    const narrow = !WIDE.matches;
    tablist.hidden = !narrow;
    tabs.forEach((tab, index) => {
      const on = index === selected;
      tab.classList.toggle("active", on);
      tab.setAttribute("aria-selected", on ? "true" : "false");
      tab.tabIndex = on ? 0 : -1;
      const pane = panes[index];
      if (narrow) {
        pane.setAttribute("role", "tabpanel");
        pane.setAttribute("aria-labelledby", tab.id);
        pane.hidden = !on;
      } else {
        pane.removeAttribute("role");
        pane.hidden = false;
      }
    });
    if (narrow) {
      panes[1].removeAttribute("aria-label");
    } else {
      panes[1].setAttribute("aria-label", "Decision");
      panes[1].removeAttribute("aria-labelledby");
      panes[0].setAttribute("aria-labelledby", "records-h");
    }
    view.dispatchEvent(new CustomEvent("split-view:shown"));
  }

  function select(index, focus) {
    selected = index;
    render();
    if (focus) tabs[index].focus();
  }

  tabs.forEach((tab, index) => {
    tab.addEventListener("click", () => select(index, false));
    tab.addEventListener("keydown", (event) => {
      const moves = { ArrowRight: 1, ArrowLeft: -1 };
      if (event.key in moves) {
        event.preventDefault();
        select((index + moves[event.key] + tabs.length) % tabs.length, true);
      } else if (event.key === "Home" || event.key === "End") {
        event.preventDefault();
        select(event.key === "Home" ? 0 : tabs.length - 1, true);
      }
    });
  });
  WIDE.addEventListener("change", render);
  render();
  return {
    showRecords() {
      if (!WIDE.matches && selected !== 0) select(0, false);
    },
  };
}

/* ---- The viewer ---- */

function dataFileFactory(files) {
  /* PDF.js asks for its data files (character maps, standard fonts, image decoders) by name
   * under a folder URL; production keeps only hashed static names, so each file's own URL
   * comes from the page (determinations/record_viewer.py). */
  return class StaticDataFiles {
    async fetch({ kind, filename }) {
      const url = files[kind] && files[kind][filename];
      if (!url) throw new Error(`No vendored PDF.js file ${kind}/${filename}`);
      const response = await fetch(url, { credentials: "same-origin" });
      if (!response.ok) throw new Error(`${url}: ${response.status}`);
      return new Uint8Array(await response.arrayBuffer());
    }
  };
}

async function setUpViewer(root, tabs) {
  const links = Array.from(document.querySelectorAll("#record-list [data-record-index]"));
  const el = (id) => document.getElementById(id);
  const status = el("record-status");
  const current = el("record-current");
  const pageLabel = el("record-page");
  const openLink = el("record-open");
  const container = el("record-container");
  let index = -1;
  let loadingTask = null;
  let pdf = null;
  let generation = 0;

  el("record-nojs").hidden = true;
  el("record-toolbar").hidden = false;
  el("record-frame").hidden = false;
  current.hidden = false;
  status.textContent = "Loading the viewer…";

  let pdfjsLib;
  let viewerLib;
  try {
    pdfjsLib = await import(root.dataset.pdfjsLibrary);
    // The viewer component reads the library from globalThis.pdfjsLib, set by the import above.
    viewerLib = await import(root.dataset.pdfjsComponent);
  } catch (error) {
    status.textContent = "The viewer could not be loaded; open each document from the list (a new tab).";
    el("record-frame").hidden = true;
    root.dataset.state = "failed";
    return;
  }
  pdfjsLib.GlobalWorkerOptions.workerSrc = root.dataset.pdfjsWorker;
  const BinaryDataFactory = dataFileFactory(JSON.parse(root.dataset.pdfjsDataFiles || "{}"));

  const eventBus = new viewerLib.EventBus();
  const linkService = new viewerLib.PDFLinkService({
    eventBus,
    externalLinkTarget: viewerLib.LinkTarget.BLANK,
    externalLinkRel: "noopener noreferrer nofollow",
  });
  const viewer = new viewerLib.PDFViewer({
    container,
    viewer: el("record-pages"),
    eventBus,
    linkService,
    textLayerMode: 1,
    annotationEditorMode: pdfjsLib.AnnotationEditorType.DISABLE,
    removePageBorders: false,
  });
  linkService.setViewer(viewer);

  eventBus.on("pagesinit", () => {
    viewer.currentScaleValue = "page-width";
  });
  eventBus.on("pagechanging", ({ pageNumber }) => {
    pageLabel.textContent = `Page ${pageNumber} of ${viewer.pagesCount}`;
  });
  eventBus.on("pagerendered", ({ pageNumber }) => {
    if (pageNumber === 1) root.dataset.rendered = String(index);
  });
  eventBus.on("textlayerrendered", ({ pageNumber }) => {
    if (pageNumber === 1) root.dataset.textLayer = String(index);
  });

  function zoom(factor) {
    viewer.currentScale = Math.min(4, Math.max(0.25, viewer.currentScale * factor));
  }
  el("record-zoom-in").addEventListener("click", () => zoom(1.2));
  el("record-zoom-out").addEventListener("click", () => zoom(1 / 1.2));
  el("record-fit").addEventListener("click", () => {
    viewer.currentScaleValue = "page-width";
  });

  async function show(next) {
    if (next < 0 || next >= links.length || next === index) return;
    index = next;
    const mine = ++generation;
    const link = links[index];
    const title = link.dataset.recordTitle;
    const pages = Number(link.dataset.recordPages);
    links.forEach((other, i) => other.setAttribute("aria-current", i === index ? "true" : "false"));
    link.scrollIntoView({ block: "nearest" });
    el("record-prev").disabled = index === 0;
    el("record-next").disabled = index === links.length - 1;
    openLink.href = link.href;
    const position = `Document ${index + 1} of ${links.length}`;
    current.textContent = `${position}: ${title}`;
    pageLabel.textContent = "";
    status.textContent = `Loading ${position}…`;
    delete root.dataset.rendered;
    delete root.dataset.textLayer;
    root.dataset.state = "loading";

    // The document shown (or still loading) goes, with its worker: one document in memory at a time.
    pdf = null;
    viewer.setDocument(null);
    linkService.setDocument(null);
    if (loadingTask) loadingTask.destroy();

    loadingTask = pdfjsLib.getDocument({
      url: link.href,
      withCredentials: false, // same origin: the session cookie goes along
      disableRange: true, // one GET per document viewed, one access-log row
      isEvalSupported: false,
      enableXfa: false,
      BinaryDataFactory,
      useWorkerFetch: false,
    });
    try {
      const loaded = await loadingTask.promise;
      if (mine !== generation) return; // a later choice destroyed this one's task
      pdf = loaded;
      viewer.setDocument(pdf);
      linkService.setDocument(pdf, null);
      root.dataset.state = "shown";
      root.dataset.shown = String(index);
      status.textContent = `${position}: ${title}, ${pdf.numPages} page${pdf.numPages === 1 ? "" : "s"}.`;
      if (pdf.numPages !== pages) {
        status.textContent += ` (listed with ${pages}.)`;
      }
    } catch (error) {
      if (mine !== generation) return;
      root.dataset.state = "error";
      // 404: the document is gone or the case is no longer this reviewer's (the server's answer).
      const why = error && error.status === 404
        ? "it was not found, or the case is no longer assigned to you"
        : "it could not be read";
      status.textContent = `${position} could not be shown: ${why}. Try "Open in a new tab", or reload the page.`;
    }
  }

  links.forEach((link) => {
    link.addEventListener("click", (event) => {
      if (event.button !== 0 || event.ctrlKey || event.metaKey || event.shiftKey || event.altKey) return;
      event.preventDefault();
      show(Number(link.dataset.recordIndex));
    });
  });
  el("record-prev").addEventListener("click", () => show(index - 1));
  el("record-next").addEventListener("click", () => show(index + 1));

  document.addEventListener("keydown", (event) => {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey || event.isComposing) return;
    if (isTyping(event.target)) return;
    const step = { "]": 1, j: 1, "[": -1, k: -1 }[event.key];
    if (!step) return;
    event.preventDefault();
    tabs.showRecords();
    show(Math.min(links.length - 1, Math.max(0, index + step)));
  });

  // A viewer laid out while hidden (the Records tab behind the Decision tab) fits its width again.
  root.closest(".split-view").addEventListener("split-view:shown", () => {
    if (pdf && container.clientWidth > 0) viewer.currentScaleValue = viewer.currentScaleValue || "page-width";
  });

  show(0);
}

const view = document.getElementById("split-view");
if (view) {
  const tabs = setUpTabs(view);
  const root = document.getElementById("record-viewer");
  if (root) setUpViewer(root, tabs);
}
