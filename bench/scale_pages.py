"""The pages `bench/scale.py` times, found from the database and the site's own URLs and admin.

`page_list()` picks sample cases, determinations and users from the database (built by
`bench/scale_data.py`) and returns every staff, search, reviewer, QA and admin page to request,
the operations dashboard and each report (page and CSV) over the last twelve months.
Queues and lists get a deep page too, read from the first page's pager ("Page 1 of N", the
admin's `?p=` links, or the "Next" links followed). Admin changelists get their search, one
choice of each filter, their sort orders (every column for cases, one for the others) and
their last page, read from the changelist's own links.

`time_pages()` requests each page with Django's test Client through the whole middleware
stack (sessions, CSRF, login-required, messages), in this process, with the settings as they
are (bench/scale.py turns DEBUG off): warm-ups first, then timed requests; then one more
request with the queries captured.
"""

from __future__ import annotations

import gc
import html
import math
import re
import statistics
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

WARM_UPS = 2


@dataclass
class Page:
    name: str
    user: str  # a key of users()
    url: str | list[str]  # several: requests go round them (e.g. different cases of one kind)

    def urls(self) -> list[str]:
        return self.url if isinstance(self.url, list) else [self.url]


def users() -> dict[str, Any]:
    """The user each page is requested as: intake staff, clinical QA, the administrator, a reviewer."""
    from django.contrib.auth import get_user_model
    from django.db.models import Count, Q

    from bench.scale_data import STAFF
    from reviewers.models import Reviewer

    user_model = get_user_model()
    found = {role: user_model.objects.get(username=username) for username, role, _first, _last, _su in STAFF}
    busiest = (
        Reviewer.objects.annotate(
            held=Count("assignments", filter=Q(assignments__active=True, assignments__status="accepted"))
        )
        .order_by("-held", "pk")
        .first()
    )
    return {
        "intake": found["Intake staff"],
        "qa": found["Clinical QA"],
        "admin": found["Administrator"],
        "reviewer": busiest.user if busiest is not None else None,
    }


def _case_ids(status: str, count: int = 10) -> list[int]:
    from cases.models import Case

    ids = list(Case.objects.filter(status=status).order_by("pk").values_list("pk", flat=True)[: count * 50])
    return ids[:: max(1, len(ids) // count)][:count]


def page_list(*, client_for: Any, discover: bool = True) -> list[Page]:
    """Every page to time. `client_for(user_key)` gives a logged-in Client (used to read pagers).

    Without `discover`, no page is requested here: no deep pages, and of the admin only each
    changelist and its search.
    """
    from django.contrib import admin
    from django.urls import reverse

    from cases.models import Case, CaseStatus, Party, PartyRole
    from determinations.models import Determination, DeterminationStatus
    from reviewers.models import Assignment

    who = users()
    pages: list[Page] = [Page("home (intake)", "intake", "/")]

    # The staff queues: every status and all open cases, first page and the last. Each URL
    # names its sort: without one the queue restores the user's saved sort and filters (a
    # redirect), which the variants below change.
    queue_url = reverse("cases:queues")
    queues = [("all open", f"{queue_url}?sort=deadline")] + [
        (status, f"{queue_url}?status={status}&sort=deadline") for status in CaseStatus.values
    ]
    for label, url in queues:
        pages.append(Page(f"queue {label}", "intake", url))
        deep = _deep_page(client_for("intake"), url) if discover else None
        if deep:
            pages.append(Page(f"queue {label} {deep[0]}", "intake", deep[1]))

    # The queues' other sorts and the filters (issue 16): all open, a large state and a small
    # open one; each sort's first and deep page, each filter alone and with a sort.
    from cases.models import ItemCategory, Priority
    from cases.selectors import QUEUE_SORTS

    busy_reviewer = getattr(getattr(who["reviewer"], "reviewer", None), "reviewer_number", "")
    variants = [f"sort={sort}" for sort in QUEUE_SORTS if sort != "deadline"] + [
        f"sort=deadline&priority={Priority.EXPEDITED}",
        f"sort=deadline&category={ItemCategory.SURGERY}",
        f"sort=in_state&category={ItemCategory.ACUPUNCTURE}&priority={Priority.STANDARD}",
        "sort=-received&overdue=1",
        f"sort=deadline&reviewer={busy_reviewer}",
    ]
    for label, status in (
        ("all open", ""),
        (CaseStatus.CLOSED, CaseStatus.CLOSED),
        (CaseStatus.IN_REVIEW, CaseStatus.IN_REVIEW),
    ):
        for variant in variants:
            url = f"{queue_url}?status={status}&{variant}" if status else f"{queue_url}?{variant}"
            pages.append(Page(f"queue {label} {variant}", "intake", url))
            if variant.startswith("sort=") and "&" not in variant:
                deep = _deep_page(client_for("intake"), url) if discover else None
                if deep:
                    pages.append(Page(f"queue {label} {variant} {deep[0]}", "intake", deep[1]))

    # The case page, for cases at three points of the workflow (rotating over ten of each).
    for status in (CaseStatus.AWAITING_RECORDS, CaseStatus.IN_REVIEW, CaseStatus.CLOSED):
        ids = _case_ids(status)
        if ids:
            pages.append(
                Page(f"case page ({status})", "intake", [reverse("cases:case", args=[pk]) for pk in ids])
            )

    # Staff search: by case number (straight to the case), claim number, employee name.
    sample = Case.objects.filter(pk__in=_case_ids(CaseStatus.CLOSED, 1)).first()
    if sample is not None:
        search = reverse("cases:search")
        parties = {p.role: p for p in Party.objects.filter(case=sample)}
        employee = parties[PartyRole.EMPLOYEE]
        claim = parties[PartyRole.CLAIMS_ADMINISTRATOR].claim_number
        for label, query in [
            ("case number", sample.case_number),
            ("case number part", sample.case_number[-5:]),
            ("claim number", claim),
            ("employee name", employee.name),
            ("employee last name", employee.last_name),
            ("employee name part", employee.last_name[:4].lower()),
        ]:
            pages.append(Page(f"search {label}", "intake", f"{search}?{urlencode({'q': query})}"))
        # The most common surname of the database (a "Smith"): the most matches a name search has.
        from django.db.models import Count

        common = (
            Party.objects.filter(role=PartyRole.EMPLOYEE)
            .values("last_name")
            .annotate(n=Count("pk"))
            .order_by("-n", "last_name")
            .values_list("last_name", flat=True)
            .first()
        )
        for label, query in [("common last name", common), ("common last name part", (common or "")[:4])]:
            pages.append(Page(f"search {label}", "intake", f"{search}?{urlencode({'q': query})}"))

    # Reviewers, candidates, letters to post, deliveries of a case.
    pages.append(Page("reviewers list", "admin", reverse("reviewers:reviewer_list")))
    ready = _case_ids(CaseStatus.READY_FOR_ASSIGNMENT, 5)
    if ready:
        pages.append(
            Page(
                "candidates",
                "admin",
                [reverse("reviewers:case_candidates", args=[pk]) for pk in ready],
            )
        )
    pages.append(Page("letters to post", "intake", reverse("letters:to_post")))
    closed = list(
        Case.objects.filter(pk__in=_case_ids(CaseStatus.CLOSED, 5)).values_list("case_number", flat=True)
    )
    if closed:
        pages.append(
            Page("case deliveries", "intake", [reverse("letters:case_deliveries", args=[n]) for n in closed])
        )

    # The operations dashboard and every report over its default period (the last twelve
    # months, the longest a report covers), on the page and as CSV (reports app, issue 17).
    from reports.selectors import KINDS

    pages.append(Page("dashboard", "intake", reverse("reports:dashboard")))
    for kind in KINDS:
        pages.append(Page(f"report {kind}", "intake", reverse("reports:report", args=[kind])))
        pages.append(Page(f"report {kind} csv", "intake", reverse("reports:report_csv", args=[kind])))

    # Clinical QA and the reviewer.
    pages.append(Page("QA queue", "qa", reverse("review:qa_queue")))
    deep = _deep_page(client_for("qa"), reverse("review:qa_queue")) if discover else None
    if deep:
        pages.append(Page(f"QA queue {deep[0]}", "qa", deep[1]))
    submitted = list(
        Determination.objects.filter(status=DeterminationStatus.SUBMITTED, case__status=CaseStatus.QA_REVIEW)
        .order_by("pk")
        .values_list("pk", flat=True)[:5]
    )
    if submitted:
        pages.append(
            Page("QA page", "qa", [reverse("review:qa_determination", args=[pk]) for pk in submitted])
        )
    if who["reviewer"] is not None:
        pages.append(Page("reviewer home", "reviewer", reverse("review:reviewer_home")))
        held = list(
            Assignment.objects.filter(reviewer__user=who["reviewer"], active=True)
            .order_by("pk")
            .values_list("case_id", flat=True)[:5]
        )
        if held:
            pages.append(
                Page(
                    "reviewer case file", "reviewer", [reverse("review:case_file", args=[pk]) for pk in held]
                )
            )

    # The admin: index, then every changelist with its search, filters, sorts and last page.
    pages.append(Page("admin index", "admin", reverse("admin:index")))
    search_terms = {"case number": sample.case_number if sample is not None else "CM26-0000001"}
    if sample is not None:
        search_terms["claim number"] = claim
        search_terms["employee name"] = employee.name
    for model, model_admin in sorted(
        admin.site._registry.items(), key=lambda item: (item[0]._meta.app_label, item[0]._meta.model_name)
    ):
        opts = model._meta
        if opts.app_label in ("auth",):
            continue
        name = f"admin {opts.model_name}"
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        pages.append(Page(name, "admin", url))
        body = _get(client_for("admin"), url) if discover else ""
        if model_admin.search_fields:
            terms = search_terms if model is Case else {"case number": search_terms["case number"]}
            for label, term in terms.items():
                pages.append(Page(f"{name} search {label}", "admin", f"{url}?{urlencode({'q': term})}"))
        for key, query in _filter_links(body):
            pages.append(Page(f"{name} filter {key}", "admin", f"{url}{query}"))
        sorts = _sort_links(body)
        for label, query in sorts if model is Case else sorts[1:2]:
            pages.append(Page(f"{name} sort {label}", "admin", f"{url}{query}"))
        last = _admin_last_page(body)
        if last:
            pages.append(Page(f"{name} page {last}", "admin", f"{url}?p={last}"))
    return pages


def _get(client: Any, url: str) -> str:
    response = client.get(url, secure=True)
    return response.content.decode("utf-8", "replace") if response.status_code == 200 else ""


def _deep_page(client: Any, url: str) -> tuple[str, str] | None:
    """(label, url) of the last page of a paged list, or the 6th when only "Next" links exist."""
    body = _get(client, url)
    found = re.search(r"Page\s+\d+\s+of\s+(\d+)", body)
    joiner = "&" if "?" in url else "?"
    if found:
        last = int(found.group(1))
        return (f"page {last}", f"{url}{joiner}page={last}") if last > 1 else None
    target = url
    for hop in range(5):
        link = re.search(r'<a[^>]+href="([^"]+)"[^>]*>\s*Next', body)
        if not link:
            return (f"page {hop + 1}", target) if hop else None
        query = html.unescape(link.group(1))
        target = query if query.startswith("/") else url.split("?")[0] + query
        body = _get(client, target)
    return ("page 6", target)


def _filter_links(body: str) -> list[tuple[str, str]]:
    """The first choice of each filter in the changelist's filter panel: (parameter, "?query")."""
    panel = re.search(r'<(?:nav|div)[^>]+id="changelist-filter".*?</(?:nav|div)>\s*</div>', body, re.S)
    if not panel:
        panel = re.search(r'id="changelist-filter".*', body, re.S)
    if not panel:
        return []
    chosen: dict[str, str] = {}
    for href in re.findall(r'href="(\?[^"]+)"', panel.group(0)):
        query = html.unescape(href)
        params = parse_qsl(query[1:], keep_blank_values=True)
        if len(params) != 1:
            continue
        key = params[0][0]
        if key not in chosen and key not in ("o", "p", "q", "_facets"):
            chosen[key] = query
    return list(chosen.items())


def _sort_links(body: str) -> list[tuple[str, str]]:
    """Each sortable column, sorted by it alone: (column, "?o=N")."""
    found = []
    for header in re.findall(r"<th[^>]*>.*?</th>", body, re.S):
        column = re.search(r'class="sortable column-([\w-]+)', header)
        link = re.search(r'<div class="text"><a href="\?o=-?(\d+)', header)
        if column and link:
            found.append((column.group(1), f"?o={link.group(1)}"))
    return found


def _admin_last_page(body: str) -> int | None:
    numbers = [int(n) for n in re.findall(r'href="\?(?:[^"]*&amp;)?p=(\d+)"', body)]
    return max(numbers) if numbers else None


def count_rows(body: str) -> int:
    """Rows shown: the table rows of the page's <tbody> sections, else its `data-case` blocks."""
    rows = sum(len(re.findall(r"<tr[\s>]", tbody)) for tbody in re.findall(r"<tbody.*?</tbody>", body, re.S))
    return rows or len(re.findall(r"<(?:li|div|article)[^>]* data-case=", body))


_BACKEND: dict[str, int | None] = {}


def _cpu_ns() -> int | None:
    """CPU nanoseconds used so far by this process and by its PostgreSQL backend (Linux
    /proc/<pid>/schedstat: the server runs on this machine), or None where that cannot be read.
    The test Client keeps the connection open between requests, so the backend is the same."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    if _BACKEND.get("conn") != id(connection.connection):
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            _BACKEND["pid"] = cursor.fetchone()[0]
        _BACKEND["conn"] = id(connection.connection)
    try:
        with open(f"/proc/{_BACKEND['pid']}/schedstat", encoding="ascii") as stat:
            backend = int(stat.read().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return time.process_time_ns() + backend


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def time_pages(
    *,
    requests: int = 20,
    warm_ups: int = WARM_UPS,
    only: str | None = None,
    discover: bool = True,
    max_seconds: float | None = None,
    echo: bool = True,
) -> dict[str, dict]:
    """{page name: median_ms, p95_ms, queries, rows, status} for every page of `page_list`."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # Logged in as a real user is with DEBUG off: the password and the second factor, with the
    # user's own TOTP device (made once), so every page is timed with its device read.
    from tests.second_factor import SecondFactorClient

    who = users()
    clients: dict[str, Client] = {}

    def client_for(key: str) -> Client:
        if key not in clients:
            client = SecondFactorClient()
            client.force_login(who[key])
            clients[key] = client
        return clients[key]

    results: dict[str, dict] = {}
    pages = page_list(client_for=client_for, discover=discover)
    # As imr_site/wsgi.py does once the site is loaded: what is loaded so far stays out of the
    # garbage collector's full collections.
    gc.freeze()
    for page in pages:
        if only and not re.search(only, page.name):
            continue
        client = client_for(page.user)
        urls = page.urls()
        for n in range(warm_ups):
            client.get(urls[n % len(urls)], secure=True)
        times: list[float] = []
        cpu: list[float] = []
        page_started = time.perf_counter()
        for n in range(requests):
            cpu_started = _cpu_ns()
            started = time.perf_counter()
            client.get(urls[n % len(urls)], secure=True)
            times.append((time.perf_counter() - started) * 1000)
            cpu_used = _cpu_ns()
            if cpu_started is not None and cpu_used is not None:
                cpu.append((cpu_used - cpu_started) / 1e6)
            # A page taking seconds at baseline: stop at the time budget, with at least 3 samples.
            if max_seconds and n >= 2 and time.perf_counter() - page_started > max_seconds:
                break
        with CaptureQueriesContext(connection) as captured:
            response = client.get(urls[0], secure=True)
        body = response.content.decode("utf-8", "replace") if hasattr(response, "content") else ""
        figures = {
            "median_ms": round(statistics.median(times), 1) if times else 0.0,
            "p95_ms": round(p95(times), 1) if times else 0.0,
            # CPU milliseconds of the request: this process and its PostgreSQL backend (same
            # machine). Other load slows the wall clock, much less the CPU a request needs.
            "cpu_median_ms": round(statistics.median(cpu), 1) if cpu else None,
            "cpu_p95_ms": round(p95(cpu), 1) if cpu else None,
            "queries": len(captured.captured_queries),
            "rows": count_rows(body),
            "status": response.status_code,
            "requests": len(times),
            "url": urls[0],
        }
        results[page.name] = figures
        if echo:
            print(
                f"  {page.name}: {figures['median_ms']} ms median, {figures['p95_ms']} ms p95, "
                f"CPU {figures['cpu_median_ms']} / {figures['cpu_p95_ms']} ms, "
                f"{figures['queries']} queries, {figures['rows']} rows, {figures['status']}",
                flush=True,
            )
    return results
