"""The reviewer's split view through the Django test client: the Records pane of the case page,
the reviewer-only document bytes the viewer fetches, the page's query budget, and the
"Returned by QA" row of the reviewer's queue.

Bad inputs tried: another reviewer, a reviewer whose assignment ended (declined) and QA-less
staff-less users asking for the document bytes (404, no byte of the PDF, a "refused" access-log
row); a document id that does not exist (404); a QA comment holding markup (shown as text) and
one longer than the queue shows (cut, with the link to the case).
"""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

from cases.models import AccessAction, AccessLogEntry, CaseStatus
from determinations.record_viewer import viewer_assets
from determinations.services.review import qa_return, submit_determination
from reviewers.models import AssignmentStatus
from tests.determinations.review_support import case_for_review, qa_user, seed_item_inputs
from tests.determinations.split_view_support import RECORDS, add_records
from tests.factories import make_seed_reviewer
from tests.second_factor import SECOND_FACTOR_QUERIES

pytestmark = pytest.mark.django_db


@pytest.fixture
def reviewer():
    return make_seed_reviewer()


def test_case_page_lists_the_records_with_page_counts_beside_the_form(client, reviewer):
    case, _ = case_for_review(reviewer=reviewer)
    documents = add_records(case)
    client.force_login(reviewer.user)
    response = client.get(reverse("review:case_file", args=[case.pk]))
    assert response.status_code == 200
    body = response.content.decode()
    # The Records pane comes first, then the decision pane with the form.
    assert body.index('id="pane-records"') < body.index('id="pane-decision"') < body.index("Submit to QA")
    assert "3 documents, 6 pages" in body
    for document, (_kind, title, pages) in zip(documents, RECORDS, strict=True):
        url = reverse("documents:document", kwargs={"document_id": document.pk})
        assert f'href="{url}"' in body
        assert title in body
        assert f'data-record-pages="{pages}"' in body
        assert f'<span class="record-pages">{pages} page{"s" if pages > 1 else ""}</span>' in body
    # Listed once: the facts in the decision pane no longer repeat the documents.
    assert body.count(f'href="{reverse("documents:document", kwargs={"document_id": documents[0].pk})}"') == 1
    # The shortcuts are announced where the viewer is; the script is a module from static files.
    assert "next document" in body and "<kbd>]</kbd>" in body
    assert '<script type="module" src="/static/js/review-split-view.js">' in body


def test_case_page_without_documents_says_so(client, reviewer):
    case, _ = case_for_review(reviewer=reviewer)
    client.force_login(reviewer.user)
    body = client.get(reverse("review:case_file", args=[case.pk])).content.decode()
    assert "No documents on file." in body
    assert 'id="record-viewer"' not in body


def test_the_viewer_is_served_from_the_projects_static_files():
    assets = viewer_assets()
    for url in (assets.library, assets.worker, assets.component, assets.stylesheet):
        assert url.startswith("/static/vendor/pdfjs/"), url
        assert finders.find(url.removeprefix("/static/")) is not None, url
    import json

    files = json.loads(assets.data_files_json)
    assert set(files) == {"cMapUrl", "standardFontDataUrl", "wasmUrl"}
    assert files["wasmUrl"]["openjpeg.wasm"] == "/static/vendor/pdfjs/wasm/openjpeg.wasm"
    assert "Adobe-Japan1-UCS2.bcmap" in files["cMapUrl"]
    assert "FoxitSymbol.pfb" in files["standardFontDataUrl"]
    # Licences are not data; PDF.js's JavaScript engine for scripted PDFs is not shipped at all.
    assert not any(name.startswith("LICENSE") for names in files.values() for name in names)
    assert not any("quickjs" in name for name in files["wasmUrl"])
    assert finders.find("vendor/pdfjs/LICENSE") is not None


def test_the_case_page_costs_the_same_queries_for_1_and_12_documents(
    client, reviewer, django_assert_max_num_queries
):
    case, _ = case_for_review(reviewer=reviewer)
    add_records(case, RECORDS[:1])
    client.force_login(reviewer.user)
    url = reverse("review:case_file", args=[case.pk])
    # Measured: 17 queries (assignment, case with parties, items, documents and events,
    # determination, library panels, guideline catalog, the access-log row) plus the second factor.
    budget = 17 + SECOND_FACTOR_QUERIES
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.content.decode().count('class="record-link"') == 1
    more = [(kind, f"{title} ({n})", pages) for n in range(4) for kind, title, pages in RECORDS][:11]
    add_records(case, more)
    with django_assert_max_num_queries(budget):
        response = client.get(url)
    assert response.content.decode().count('class="record-link"') == 12


def _views(user, action) -> int:
    return AccessLogEntry.objects.filter(user=user, action=action).count()


def test_document_bytes_are_the_assigned_reviewers_only(client, reviewer):
    case, _ = case_for_review(reviewer=reviewer)
    document = add_records(case, RECORDS[:1])[0]
    url = reverse("documents:document", kwargs={"document_id": document.pk})

    client.force_login(reviewer.user)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Security-Policy"] == "sandbox"  # opened in a tab: a sandbox
    assert response["Cache-Control"] == "private, no-store"
    entry = AccessLogEntry.objects.get(user=reviewer.user, action=AccessAction.VIEW_DOCUMENT)
    assert entry.case_id == case.pk and entry.object_repr.startswith(f"document {document.pk}:")

    # Another reviewer, and one whose assignment on the case ended, get the 404 of a document that
    # does not exist: no byte of the PDF, and a "refused" row in the access log.
    declined_case, _ = case_for_review(
        reviewer=make_seed_reviewer(),
        status=CaseStatus.READY_FOR_ASSIGNMENT,
        assignment_status=AssignmentStatus.DECLINED,
        active=False,
    )
    declined_reviewer = declined_case.assignments.get().reviewer
    declined_document = add_records(declined_case, RECORDS[1:2])[0]
    for user, target in (
        (make_seed_reviewer().user, url),
        (declined_reviewer.user, reverse("documents:document", kwargs={"document_id": declined_document.pk})),
    ):
        client.force_login(user)
        response = client.get(target)
        assert response.status_code == 404
        assert b"%PDF" not in response.content
        assert _views(user, AccessAction.VIEW_DOCUMENT) == 0
        assert _views(user, AccessAction.REFUSED) == 1
    missing = reverse("documents:document", kwargs={"document_id": document.pk + 1000})
    client.force_login(reviewer.user)
    assert client.get(missing).status_code == 404


def _returned(reviewer, comment: str):
    case, _ = case_for_review(reviewer=reviewer)
    determination = submit_determination(
        case_id=case.pk, by=reviewer.user, summary="Summary", items=seed_item_inputs(case)
    )
    qa_return(determination_id=determination.pk, by=qa_user(), comment=comment)
    return case


def _row(body: str, case) -> str:
    start = body.index(f'data-case="{case.case_number}"')
    return body[start : body.index("</li>", start)]


def test_reviewer_home_shows_returned_by_qa_with_the_comment(client, reviewer):
    returned = _returned(reviewer, "Cite the page numbers of the MTUS guideline.\nItem 2: <b>why</b>?")
    in_review, _ = case_for_review(reviewer=reviewer)
    long_comment = "Rewrite the rationale of item 1. " * 20  # 660 characters
    long = _returned(reviewer, long_comment)
    client.force_login(reviewer.user)
    body = client.get(reverse("review:reviewer_home")).content.decode()

    row = _row(body, returned)
    assert "Returned by QA" in row and "In review" not in row
    assert "Cite the page numbers of the MTUS guideline." in row
    assert "&lt;b&gt;why&lt;/b&gt;" in row and "<b>why</b>" not in row  # markup shown as text
    assert f'href="{reverse("review:case_file", args=[returned.pk])}#qa-comment"' in row
    assert f"Revise case {returned.case_number}" in row

    other = _row(body, in_review)
    assert "In review" in other and "Returned by QA" not in other and "QA's comment" not in other

    cut = _row(body, long)
    assert long_comment[:200] in cut and long_comment.strip() not in cut and "…" in cut

    # Submitted again, the case is with QA: no longer "Returned by QA" in the to-do list.
    submit_determination(
        case_id=returned.pk, by=reviewer.user, summary="Summary", items=seed_item_inputs(returned)
    )
    body = client.get(reverse("review:reviewer_home")).content.decode()
    assert f'data-case="{returned.case_number}"' not in body
    assert "Submitted, with clinical QA" in body and returned.case_number in body
    assert body.count("Returned by QA") == 1  # the long one only


def test_reviewer_home_costs_the_same_queries_with_returned_cases(
    client, reviewer, django_assert_max_num_queries
):
    _returned(reviewer, "First comment.")
    client.force_login(reviewer.user)
    # The same budget as the queue without returned cases (test_review_views): the comment comes
    # with the rows, in their one query.
    budget = 9 + SECOND_FACTOR_QUERIES
    with django_assert_max_num_queries(budget):
        body = client.get(reverse("review:reviewer_home")).content.decode()
    assert body.count("Returned by QA") == 1
    for n in range(5):
        _returned(reviewer, f"Comment {n}.")
    with django_assert_max_num_queries(budget):
        body = client.get(reverse("review:reviewer_home")).content.decode()
    assert body.count("Returned by QA") == 6
