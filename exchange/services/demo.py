"""Demo data: one user per role, physician reviewers, and cases in different states.

Idempotent: users and reviewers are looked up by username / reviewer number and only
created when missing; a case whose number exists is skipped. Cases go through the real
import service (`exchange.services.intake.import_case`), so they are exactly what an import
of the same files would write.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, User
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.html import escape

from cases.errors import IntakeError
from cases.models import Case, DocumentKind
from core import clock
from imr_site import roles

DEMO_PASSWORD = "imr-demo-2026"  # noqa: S105 (a published demo password, printed by demo_logins)
DEMO_DATA_DIR = Path(__file__).resolve().parent.parent / "demo_data"


@dataclass(frozen=True)
class DemoUser:
    username: str
    role: str
    first_name: str
    last_name: str
    superuser: bool = False
    what_to_try: str = ""


@dataclass(frozen=True)
class DemoReviewer:
    username: str
    reviewer_number: str
    first_name: str
    last_name: str
    licenses: tuple[str, ...]
    certifications: tuple[str, ...]
    in_practice_since: date
    weekly_hours: Decimal
    affiliations: tuple[tuple[str, str], ...] = ()


DEMO_USERS = [
    DemoUser(
        "intake",
        roles.INTAKE_STAFF,
        "Carmen",
        "Ruiz",
        what_to_try="case queues, the admin console (cases, documents, uploads), workflow steps",
    ),
    DemoUser("qa", roles.CLINICAL_QA, "Nora", "Bishop", what_to_try="the clinical QA queue"),
    DemoUser(
        "reviewer",
        roles.REVIEWER,
        "Helen",
        "Park",
        what_to_try="reviewer R10001: one case offered, one in review",
    ),
    DemoUser(
        "admin",
        roles.ADMINISTRATOR,
        "Alex",
        "Morgan",
        superuser=True,
        what_to_try="everything, including the access log in the admin console",
    ),
]

DEMO_REVIEWERS = [
    # The seed letter's reviewer: licensed in GA, CA and TX; Preventive then Occupational Medicine.
    DemoReviewer(
        "reviewer",
        "R10001",
        "Helen",
        "Park",
        licenses=("GA", "CA", "TX"),
        certifications=("Preventive Medicine", "Occupational Medicine"),
        in_practice_since=date(2000, 7, 1),
        weekly_hours=Decimal("40.0"),
        affiliations=(("Harbor Occupational Health Group", "provider"),),
    ),
    DemoReviewer(
        "reviewer2",
        "R10002",
        "Victor",
        "Huang",
        licenses=("CA",),
        certifications=("Orthopaedic Surgery",),
        in_practice_since=date(2004, 9, 1),
        weekly_hours=Decimal("36.0"),
        affiliations=(("Bay Area Orthopedic Group", "provider"), ("Sierra Mutual Insurance", "insurer")),
    ),
    DemoReviewer(
        "reviewer3",
        "R10003",
        "Grace",
        "Adeyemi",
        licenses=("CA", "NV"),
        certifications=("Physical Medicine and Rehabilitation",),
        in_practice_since=date(2008, 1, 15),
        weekly_hours=Decimal("32.0"),
    ),
    DemoReviewer(
        "reviewer4",
        "R10004",
        "Thomas",
        "Reilly",
        licenses=("CA", "AZ"),
        certifications=("Anesthesiology", "Pain Medicine"),
        in_practice_since=date(2002, 6, 1),
        weekly_hours=Decimal("30.0"),
        affiliations=(("Golden State UR", "ur_organization"),),
    ),
    DemoReviewer(
        "reviewer5",
        "R10005",
        "Miriam",
        "Shah",
        licenses=("CA", "OR"),
        certifications=("Psychiatry",),
        in_practice_since=date(2006, 8, 1),
        weekly_hours=Decimal("28.0"),
    ),
]

# A few documents for cases a reviewer works on, so the document viewer has something to open.
DEMO_DOCUMENTS = {
    "CM26-0100105": [
        (DocumentKind.IMR_APPLICATION, "Application for Independent Medical Review (DWC Form IMR)"),
        (DocumentKind.UR_DECISION, "Golden State UR: utilization review decision 9/28/2026"),
        (DocumentKind.MEDICAL_RECORD, "Dr. Alan Treating: progress notes 5/2026-9/2026"),
    ],
    "CM26-0100106": [
        (DocumentKind.UR_DECISION, "Pacific Utilization Review Services: UR decision 9/22/2026"),
        (DocumentKind.MEDICAL_RECORD, "Dr. Rosa Delgado: occupational medicine notes 11/2025-9/2026"),
    ],
}


@dataclass
class SeedReport:
    created_users: list[str] = field(default_factory=list)
    created_reviewers: list[str] = field(default_factory=list)
    imported_cases: list[str] = field(default_factory=list)
    skipped_cases: list[str] = field(default_factory=list)
    documents: int = 0


def _ensure_user(
    *, spec_username: str, role: str, first: str, last: str, superuser: bool, report: SeedReport
):
    user_model = get_user_model()
    user, created = user_model.objects.get_or_create(
        username=spec_username,
        defaults={
            "first_name": first,
            "last_name": last,
            "email": f"{spec_username}@imro.example.org",
            "is_staff": role in roles.ADMIN_CONSOLE_ROLES,
            "is_superuser": superuser,
        },
    )
    if created or not user.check_password(DEMO_PASSWORD):
        user.set_password(DEMO_PASSWORD)
        user.save(update_fields=["password"])
    if created:
        report.created_users.append(spec_username)
    group = Group.objects.get(name=role)
    if not user.groups.filter(pk=group.pk).exists():
        user.groups.add(group)
    return user


def _ensure_reviewer(*, spec: DemoReviewer, report: SeedReport) -> None:
    from reviewers.models import Affiliation, BoardCertification, License, Reviewer

    user = _ensure_user(
        spec_username=spec.username,
        role=roles.REVIEWER,
        first=spec.first_name,
        last=spec.last_name,
        superuser=False,
        report=report,
    )
    today = clock.today()
    reviewer, created = Reviewer.objects.get_or_create(
        reviewer_number=spec.reviewer_number,
        defaults={
            "user": user,
            "in_practice_since": spec.in_practice_since,
            "weekly_practice_hours": spec.weekly_hours,
            "hours_attested_on": today - timedelta(days=21),
            "max_open_cases": 10,
        },
    )
    if not created:
        return
    report.created_reviewers.append(spec.reviewer_number)
    for position, state in enumerate(spec.licenses, start=1):
        License.objects.create(
            reviewer=reviewer,
            position=position,
            state=state,
            number=f"{state}-{spec.reviewer_number[1:]}{position}",
            expires_on=today + timedelta(days=730),
        )
    for position, specialty in enumerate(spec.certifications, start=1):
        BoardCertification.objects.create(
            reviewer=reviewer, position=position, specialty=specialty, board=f"American Board of {specialty}"
        )
    for name, kind in spec.affiliations:
        Affiliation.objects.create(reviewer=reviewer, name=name, kind=kind)


def demo_case_payloads(*, data_dir: Path = DEMO_DATA_DIR) -> list[tuple[str, dict]]:
    """(file name, payload) for every case in the demo folder, seed case first."""
    files = sorted(data_dir.glob("*.json"), key=lambda p: (p.name != "seed-case.json", p.name))
    payloads: list[tuple[str, dict]] = []
    for path in files:
        loaded = json.loads(path.read_text(encoding="utf-8"))
        for payload in loaded if isinstance(loaded, list) else [loaded]:
            payloads.append((path.name, payload))
    return payloads


def _demo_pdf(*, case: Case, title: str) -> bytes:
    from weasyprint import HTML

    html = (
        "<html><head><style>@page{size:letter;margin:2cm} body{font-family:'DejaVu Sans',sans-serif;"
        "font-size:11pt}</style></head><body>"
        f"<h1 style='font-size:16pt'>{escape(title)}</h1>"
        f"<p>Case {escape(case.case_number)} — demonstration document; all names are fictional.</p>"
        "<p>This page stands in for the record a party sent to the IMRO.</p></body></html>"
    )
    return HTML(string=html, base_url=str(DEMO_DATA_DIR)).write_pdf()


def _add_demo_documents(*, case: Case, by: User, report: SeedReport) -> None:
    from cases.services.documents import add_document

    for kind, title in DEMO_DOCUMENTS.get(case.case_number, []):
        if case.documents.filter(title=title).exists():
            continue
        upload = ContentFile(_demo_pdf(case=case, title=title), name="demo.pdf")
        add_document(
            case=case, uploaded_file=upload, kind=kind, title=title, received_on=case.received_on, by=by
        )
        report.documents += 1


def seed_demo_data(*, data_dir: Path = DEMO_DATA_DIR) -> SeedReport:
    """Create what is missing of the demo data; raises IntakeError if a demo case is refused."""
    from exchange.services.intake import import_case

    report = SeedReport()
    with transaction.atomic():
        roles.ensure_role_groups()
        users = {
            spec.username: _ensure_user(
                spec_username=spec.username,
                role=spec.role,
                first=spec.first_name,
                last=spec.last_name,
                superuser=spec.superuser,
                report=report,
            )
            for spec in DEMO_USERS
        }
        # Reviewers first: the cases' history refers to them by reviewer number.
        for spec in DEMO_REVIEWERS:
            _ensure_reviewer(spec=spec, report=report)

    admin_user = users["admin"]
    for name, payload in demo_case_payloads(data_dir=data_dir):
        number = payload.get("case_number")
        if number and Case.objects.filter(case_number=number).exists():
            report.skipped_cases.append(number)
            continue
        try:
            with transaction.atomic():
                case = import_case(payload=payload, by=admin_user)
                _add_demo_documents(case=case, by=users["intake"], report=report)
        except IntakeError as error:
            raise IntakeError(
                errors=[
                    (f"{name} ({number})" + (f": {path}" if path else ""), msg) for path, msg in error.errors
                ]
            ) from error
        report.imported_cases.append(case.case_number)
    return report
