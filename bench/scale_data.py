"""A fast bulk builder of realistic IMR data: cases in every workflow state, at any volume.

Used by `bench/scale.py` (200,000 cases in minutes) and by its test (a few hundred cases in
the pytest database). Each case starts as an `imr-case/1` payload (the format
`import_cases` reads), is checked by the app's own validator (`exchange.validation`), and
becomes a Case row through the import's own steps (`exchange.services.intake`: the row, the
history's dates, `refresh_deadlines`), so its dates and deadlines are the app's. What a live
system adds after intake is built the way the services make it: assignments by the import's
rule, the reviewer's determination (draft, submitted, approved, issued) by the review
workflow's statuses, the issued letter with one delivery per recipient
(`determinations.services.letters.delivery_for` over `letter_recipients`' rule), document
rows and access-log rows. Rows are written with PostgreSQL COPY in chunks of a few thousand
cases, with ids drawn from the tables' own sequences, one transaction per chunk.

Documents' and letters' rows name files that are not written (no page timed here opens one).
"""

from __future__ import annotations

import hashlib
import json
import random
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

# Status of the case at the end of its history, and its share of the cases (percent).
STATE_MIX: list[tuple[str, float]] = [
    ("received", 1.5),
    ("eligibility_review", 2.5),
    ("awaiting_records", 4.5),
    ("ready_for_assignment", 2.5),
    ("assigned", 1.5),
    ("in_review", 4.0),
    ("qa_review", 2.0),
    ("determination_issued", 8.0),
    ("closed", 47.0),
    ("ineligible", 13.0),
    ("withdrawn", 7.0),
    ("terminated", 6.0),
]
MAIN_PATH = [
    "eligibility_review",
    "awaiting_records",
    "ready_for_assignment",
    "assigned",
    "in_review",
    "qa_review",
    "determination_issued",
    "closed",
]
# Days from the previous step into each state: (low, high).
STEP_DAYS = {
    "eligibility_review": (0, 3),
    "awaiting_records": (1, 5),
    "ready_for_assignment": (2, 15),
    "assigned": (0, 2),
    "in_review": (0, 2),
    "qa_review": (3, 20),
    "determination_issued": (1, 4),
    "closed": (35, 45),
    "ineligible": (1, 5),
    "withdrawn": (1, 10),
    "terminated": (1, 10),
}
HELD = ("assigned", "in_review", "qa_review")
FINAL = ("closed", "ineligible", "withdrawn", "terminated")

FIRST_NAMES = [
    "Maria",
    "Jose",
    "Juan",
    "Luis",
    "Carlos",
    "Ana",
    "Rosa",
    "Jesus",
    "Miguel",
    "Antonio",
    "Francisco",
    "Manuel",
    "David",
    "Daniel",
    "James",
    "Robert",
    "Michael",
    "William",
    "Richard",
    "Joseph",
    "Thomas",
    "Charles",
    "Linda",
    "Patricia",
    "Jennifer",
    "Elizabeth",
    "Barbara",
    "Susan",
    "Jessica",
    "Sarah",
    "Karen",
    "Nancy",
    "Lisa",
    "Betty",
    "Sandra",
    "Ashley",
    "Kimberly",
    "Donna",
    "Emily",
    "Michelle",
    "Mei",
    "Wei",
    "Li",
    "Hui",
    "Jin",
    "Minh",
    "Thanh",
    "Nguyen",
    "Hoang",
    "Anh",
    "Priya",
    "Raj",
    "Amit",
    "Sunita",
    "Deepak",
    "Olga",
    "Ivan",
    "Fatima",
    "Omar",
    "Ahmed",
    "Leila",
    "Yusuf",
    "Grace",
    "Helen",
    "Victor",
    "Nora",
    "Carmen",
    "Alex",
    "Guadalupe",
    "Alejandro",
    "Ricardo",
    "Veronica",
]
LAST_NAMES = [
    "Garcia",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Perez",
    "Sanchez",
    "Ramirez",
    "Torres",
    "Flores",
    "Rivera",
    "Gomez",
    "Diaz",
    "Reyes",
    "Morales",
    "Cruz",
    "Ortiz",
    "Gutierrez",
    "Chavez",
    "Ramos",
    "Ruiz",
    "Alvarez",
    "Mendoza",
    "Castillo",
    "Jimenez",
    "Moreno",
    "Romero",
    "Herrera",
    "Medina",
    "Aguilar",
    "Vargas",
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Miller",
    "Davis",
    "Wilson",
    "Anderson",
    "Taylor",
    "Thomas",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Thompson",
    "White",
    "Harris",
    "Clark",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Nguyen",
    "Tran",
    "Pham",
    "Le",
    "Huynh",
    "Vo",
    "Kim",
    "Park",
    "Chen",
    "Wang",
    "Liu",
    "Zhang",
    "Huang",
    "Wu",
    "Patel",
    "Shah",
    "Singh",
    "Kumar",
    "Khan",
    "Ali",
    "Cohen",
    "Murphy",
    "Kelly",
    "Sullivan",
    "Bishop",
    "Morgan",
]
CITIES = [
    ("Fresno", "93721"),
    ("Los Angeles", "90012"),
    ("San Diego", "92101"),
    ("Sacramento", "95814"),
    ("Oakland", "94612"),
    ("San Jose", "95113"),
    ("Bakersfield", "93301"),
    ("Riverside", "92501"),
    ("Stockton", "95202"),
    ("Modesto", "95354"),
]
STREETS = ["Main St", "Oak Ave", "Elm St", "Mission Blvd", "Valley Rd", "Sierra Way", "Harbor Dr"]
BODY_PARTS = [
    "lumbar spine",
    "cervical spine",
    "right knee",
    "left knee",
    "right shoulder",
    "left shoulder",
    "right wrist",
    "back",
    "neck",
    "right hip",
    "left ankle",
    "psyche",
]
DIAGNOSES = [
    "lumbar radiculopathy",
    "chronic pain",
    "cervical strain",
    "knee internal derangement",
    "rotator cuff tear",
    "carpal tunnel syndrome",
    "depression",
    "lumbar disc displacement",
    "myofascial pain",
    "post-laminectomy syndrome",
]
# (description, category, procedure code, body part, formulary drug)
ITEMS = [
    ("Physical Therapy 2x8 for the Lumbar Spine", "physical_medicine", "97110", "lumbar spine", False),
    ("TPI 20553 X6 in the Right Lumbar Paraspinals", "injections", "20553", "lumbar paraspinals", False),
    ("Norco 10/325 mg #120", "pharmaceuticals", "", "", False),
    ("Ibuprofen 800 mg #90", "pharmaceuticals", "", "", True),
    ("Omeprazole 20 mg #60", "pharmaceuticals", "", "", True),
    ("MRI of the Lumbar Spine without contrast", "diagnostics", "72148", "lumbar spine", False),
    ("Right knee arthroscopy", "surgery", "29881", "right knee", False),
    ("Lumbar fusion L4-5", "surgery", "22612", "lumbar spine", False),
    ("Cognitive behavioral therapy x6", "behavioral_health", "90837", "", False),
    ("Chiropractic 2x4", "chiropractic", "98941", "lumbar spine", False),
    ("Acupuncture x6", "acupuncture", "97810", "cervical spine", False),
    ("Functional restoration program", "programs", "97799", "", False),
    ("Lumbar brace", "dme", "L0650", "lumbar spine", False),
    ("Home health aide 4 hours a day", "home_health", "", "", False),
    ("Follow-up visit with pain management", "evaluation_management", "99214", "", False),
]
GUIDELINES = [
    "MTUS Chronic Pain Treatment Guidelines Physical Medicine Page(s): 98-99 of 127",
    "MTUS Chronic Pain Treatment Guidelines Trigger point injections Page(s): 122 of 127",
    "MTUS Chronic Pain Treatment Guidelines Opioids Page(s): 74-96",
    "ACOEM Low Back Complaints, Chapter 12",
    "ODG Knee and Leg, Arthroscopic surgery",
]
EMPLOYERS = [f"Employer {i} Packing Co." for i in range(400)]
INSURERS = [f"Claims Services {i}, Inc." for i in range(40)]
LAW_FIRMS = [f"Firm {i} & Partners LLP" for i in range(120)]
UR_ORGS = [f"UR Organization {i} LLC" for i in range(20)]
SPECIALTIES = [
    "Pain Medicine",
    "Orthopaedic Surgery",
    "Physical Medicine and Rehabilitation",
    "Occupational Medicine",
    "Family Medicine",
    "Chiropractic",
]
SUMMARY = (
    "This {age}-year-old worker sustained an industrial injury on {injury} to the {part}. "
    "Treatment has included medications, physical therapy and injections. Utilization Review "
    "modified or denied the requests, which were submitted to Independent Medical Review."
)
RATIONALE = "Medical necessity is {verdict} for this request per the cited guideline."


def _valid_npis(rng: random.Random, count: int) -> list[str]:
    from exchange.validation import is_valid_npi

    found: list[str] = []
    while len(found) < count:
        candidate = str(rng.randint(10**9, 2 * 10**9 - 1))
        if is_valid_npi(candidate):
            found.append(candidate)
    return found


def _start_of(day: date, hour: int = 9, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=UTC)


# ---------------------------------------------------------------- people


@dataclass
class ReviewerInfo:
    id: int
    user_id: int
    number: str
    states: list[str]
    certifications: list[str]
    assignable: bool
    capacity: int
    held: int = 0


@dataclass
class People:
    intake_id: int
    qa_id: int
    admin_id: int
    reviewers: list[ReviewerInfo]
    by_number: dict[str, ReviewerInfo] = field(default_factory=dict)
    _round: int = 0

    def __post_init__(self) -> None:
        self.by_number = {r.number: r for r in self.reviewers}
        self.assignable = [r for r in self.reviewers if r.assignable]

    def pick(self, rng: random.Random, *, held: bool) -> ReviewerInfo:
        """A reviewer for an assignment: one with room for a case held now, anyone for the past."""
        if not held:
            return rng.choice(self.reviewers)
        pool = self.assignable or self.reviewers
        for _ in range(len(pool)):
            reviewer = pool[self._round % len(pool)]
            self._round += 1
            if reviewer.held < reviewer.capacity:
                reviewer.held += 1
                return reviewer
        reviewer = min(pool, key=lambda r: r.held)  # every one is full: the least loaded
        reviewer.held += 1
        return reviewer


STAFF = [
    ("scale-intake", "Intake staff", "Carmen", "Ruiz", False),
    ("scale-qa", "Clinical QA", "Nora", "Bishop", False),
    ("scale-admin", "Administrator", "Alex", "Morgan", True),
]


def ensure_people(*, reviewers: int, rng: random.Random) -> People:
    """Staff users (intake, QA, administrator) and `reviewers` reviewers, made once per database.

    Reviewers are made by `bench/assignment.py`'s `make_reviewers` (licenses, board
    certifications, affiliations) and put in the Reviewer role.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from imr_site import roles
    from reviewers.eligibility import MIN_WEEKLY_HOURS
    from reviewers.models import Reviewer, ReviewerStatus

    user_model = get_user_model()
    roles.ensure_role_groups()
    ids = {}
    for username, role, first, last, superuser in STAFF:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@imro.example.org",
                "is_staff": role in roles.ADMIN_CONSOLE_ROLES,
                "is_superuser": superuser,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
        ids[role] = user.pk
    have = Reviewer.objects.filter(user__username__startswith="bench-r").count()
    if have < reviewers:
        from bench.assignment import make_reviewers

        make_reviewers(count=reviewers - have, start=have, rng=rng)
        group = Group.objects.get(name=roles.REVIEWER)
        through = user_model.groups.through
        members = set(through.objects.filter(group=group).values_list("user_id", flat=True))
        through.objects.bulk_create(
            [
                through(user_id=user_id, group_id=group.pk)
                for user_id in Reviewer.objects.values_list("user_id", flat=True)
                if user_id not in members
            ],
            batch_size=5000,
        )
    infos = []
    for reviewer in Reviewer.objects.prefetch_related("licenses", "certifications").order_by("pk"):
        states: list[str] = []
        for license_ in reviewer.licenses.all():
            if license_.active and license_.state not in states:
                states.append(license_.state)
        infos.append(
            ReviewerInfo(
                id=reviewer.pk,
                user_id=reviewer.user_id,
                number=reviewer.reviewer_number,
                states=states or ["CA"],
                certifications=[c.specialty for c in reviewer.certifications.all()]
                or ["Occupational Medicine"],
                assignable=reviewer.status == ReviewerStatus.ACTIVE
                and reviewer.weekly_practice_hours >= MIN_WEEKLY_HOURS,
                capacity=reviewer.max_open_cases,
                held=reviewer.open_cases,
            )
        )
    return People(
        intake_id=ids["Intake staff"],
        qa_id=ids["Clinical QA"],
        admin_id=ids["Administrator"],
        reviewers=infos,
    )


# ---------------------------------------------------------------- payloads


class Numbers:
    """Case numbers CMyy-nnnnnnn, one sequence per year received, from `first`."""

    def __init__(self, first: int = 1) -> None:
        self.first = first
        self.next: dict[int, int] = {}

    def take(self, received_on: date) -> str:
        year = received_on.year % 100
        sequence = self.next.get(year, self.first)
        self.next[year] = sequence + 1
        return f"CM{year:02d}-{sequence:07d}"


@dataclass
class Plan:
    """One case to build: the `imr-case/1` payload and what happened after intake."""

    payload: dict[str, Any]
    status: str
    # For in_review / qa_review: the reviewer's determination ("draft", "returned",
    # "submitted", "approved") or None when the reviewer has not saved anything yet.
    work: str | None = None
    documents: int = 0
    created_by_staff: bool = False


def _history_for(rng: random.Random, status: str) -> list[str]:
    if status == "received":
        return []
    if status in MAIN_PATH:
        path = MAIN_PATH[: MAIN_PATH.index(status) + 1]
        if status in ("qa_review", "determination_issued", "closed") and rng.random() < 0.08:
            # QA returned the determination once.
            at = path.index("qa_review") + 1
            path[at:at] = ["in_review", "qa_review"]
        if status not in ("received", "eligibility_review", "awaiting_records") and rng.random() < 0.05:
            # The first reviewer declined.
            at = path.index("ready_for_assignment") + 1
            path[at:at] = ["assigned", "ready_for_assignment"]
        return path
    if status == "ineligible":
        return ["eligibility_review", "ineligible"]
    # withdrawn / terminated: from some open state along the way.
    return [*MAIN_PATH[: rng.randint(1, 6)], status]


def make_plan(
    *, rng: random.Random, status: str, people: People, numbers: Numbers, today: date, npis: list[str]
) -> Plan:
    steps = _history_for(rng, status)
    gaps = [rng.randint(*STEP_DAYS[s]) for s in steps]
    span = sum(gaps)
    if status in FINAL:
        slack = rng.randint(0, 700)
    elif status == "determination_issued":
        slack = rng.randint(0, 30)
    else:
        slack = rng.randint(0, 10)
    received_on = today - timedelta(days=span + slack)
    history: list[dict[str, Any]] = []
    on = received_on
    last_assigned = max((i for i, s in enumerate(steps) if s == "assigned"), default=-1)
    for index, (step, gap) in enumerate(zip(steps, gaps, strict=True)):
        on = on + timedelta(days=gap)
        entry: dict[str, Any] = {"status": step, "on": on.isoformat()}
        if step == "awaiting_records":
            entry["notice_method"] = "mail" if rng.random() < 0.3 else "electronic"
        if step == "assigned":
            holds = status in HELD and index == last_assigned
            entry["reviewer_number"] = people.pick(rng, held=holds).number
        history.append(entry)

    ur_decision = received_on - timedelta(days=rng.randint(5, 30))
    served = ur_decision + timedelta(days=rng.randint(0, 4))
    injury = ur_decision - timedelta(days=rng.randint(60, 3000))
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    city, zip_code = rng.choice(CITIES)
    address = f"{rng.randint(10, 9999)} {rng.choice(STREETS)}, {city}, CA {zip_code}"
    age = rng.randint(22, 66)
    provider = rng.randrange(len(npis))
    chosen = rng.sample(ITEMS, 1 if rng.random() < 0.5 else rng.randint(2, 3))
    parts = rng.sample(BODY_PARTS, rng.randint(1, 3))
    payload: dict[str, Any] = {
        "format": "imr-case/1",
        "case_number": numbers.take(received_on),
        "priority": "expedited" if rng.random() < 0.03 else "standard",
        "application": {"received_on": received_on.isoformat(), "signed": True, "ur_decision_attached": True},
        "employee": {
            "first_name": first,
            "last_name": last,
            "date_of_birth": (injury - timedelta(days=365 * age + rng.randint(0, 364))).isoformat(),
            "sex": rng.choice(["female", "male"]),
            "email": f"{first}.{last}{rng.randint(1, 999)}@example.org".lower() if rng.random() < 0.6 else "",
            "mailing_address": address,
        },
        "employer": {
            "name": rng.choice(EMPLOYERS),
            "email": "hr@employer.example.com" if rng.random() < 0.7 else "",
            "mailing_address": f"{rng.randint(1, 999)} Industrial Way, {city}, CA {zip_code}",
        },
        "claims_administrator": {
            "name": rng.choice(INSURERS),
            "email": "ur-desk@claims.example.com",
            "claim_number": f"{rng.choice('ABCDEFGHJKLMNPRSTW')}{rng.choice('CSX')}C-{injury.year % 100:02d}-"
            f"{rng.randint(0, 999999):06d}",
            "mailing_address": f"PO Box {rng.randint(100, 9999)}, Sacramento, CA 95814",
        },
        "requesting_provider": {
            "name": f"Dr. Provider {provider}",
            "specialty": SPECIALTIES[provider % len(SPECIALTIES)],
            "email": f"office{provider}@provider.example.com" if provider % 5 else "",
            "mailing_address": f"{provider + 100} Medical Plaza, {city}, CA {zip_code}",
            "npi": npis[provider],
        },
        "attorney": None,
        "injury": {
            "date": injury.isoformat(),
            "body_parts": parts,
            "diagnoses": rng.sample(DIAGNOSES, rng.randint(1, 3)),
            "mechanism": None,
        },
        "utilization_review": {
            "decision_date": ur_decision.isoformat(),
            "served_on": served.isoformat(),
            "service_method": "mail" if rng.random() < 0.6 else "electronic",
            "reviewer_name": f"Dr. UR Reviewer {rng.randint(1, 300)}",
            "organization": rng.choice(UR_ORGS),
            "guidelines_cited": "The MTUS, ACOEM Guidelines, (or ODG) was cited.",
        },
        "disputed_items": [
            {
                "description": description,
                "category": category,
                "formulary_drug": formulary,
                "procedure_code": code,
                "quantity": rng.randint(1, 24),
                "body_part": body_part,
                "ur_decision": rng.choice(["modified", "denied", "denied"]),
                "claims_administrator_guideline": rng.choice(GUIDELINES),
            }
            for description, category, code, body_part, formulary in chosen
        ],
    }
    if rng.random() < 0.4:
        payload["attorney"] = {
            "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}, Esq.",
            "firm": rng.choice(LAW_FIRMS),
            "email": "imr@law.example.com" if rng.random() < 0.8 else "",
            "mailing_address": f"{rng.randint(100, 999)} Court St, {city}, CA {zip_code}",
        }
    if history:
        payload["history"] = history
    if status in ("determination_issued", "closed"):
        decided_by = people.by_number[
            [e for e in history if e["status"] == "assigned"][-1]["reviewer_number"]
        ]
        issued_on = date.fromisoformat(
            [e for e in history if e["status"] == "determination_issued"][-1]["on"]
        )
        determination: dict[str, Any] = {
            "reviewer": {"licensure_states": decided_by.states, "certifications": decided_by.certifications},
            "clinical_case_summary": SUMMARY.format(age=age, injury=injury.isoformat(), part=parts[0]),
            "items": [
                {
                    "decision": rng.choice(["upheld", "upheld", "upheld", "overturned"]),
                    "reviewer_guideline": rng.choice(GUIDELINES),
                    "rationale": RATIONALE.format(verdict="not established"),
                }
                for _ in chosen
            ],
            "issued_on": issued_on.isoformat(),
        }
        payload["determination"] = determination
    work = None
    if status == "in_review":
        returned = history[-2]["status"] == "qa_review"
        work = "returned" if returned else rng.choice([None, "draft", "draft"])
    elif status == "qa_review":
        work = "approved" if rng.random() < 0.1 else "submitted"
    return Plan(
        payload=payload,
        status=status,
        work=work,
        documents=0 if status == "received" else rng.randint(0, 3),
        created_by_staff=rng.random() < 0.2,
    )


def plans(
    *, count: int, people: People, rng: random.Random, today: date, first_number: int = 1
) -> Iterator[Plan]:
    """`count` case plans in the STATE_MIX proportions (shuffled)."""
    statuses: list[str] = []
    for status, share in STATE_MIX:
        statuses += [status] * round(count * share / 100)
    while len(statuses) < count:
        statuses.append("closed")
    statuses = statuses[:count]
    rng.shuffle(statuses)
    # Every state shows up even in a small build.
    for index, (status, _share) in enumerate(STATE_MIX[: min(count, len(STATE_MIX))]):
        statuses[index] = status
    npis = _valid_npis(random.Random(7), 800)
    numbers = Numbers(first_number)
    for status in statuses:
        yield make_plan(rng=rng, status=status, people=people, numbers=numbers, today=today, npis=npis)


# ---------------------------------------------------------------- COPY


class Table:
    """Rows of one model for COPY: the values of its concrete columns, from unsaved instances."""

    def __init__(self, model: Any) -> None:
        from django.db import models

        self.model = model
        self.table = model._meta.db_table
        self.columns: list[str] = []
        self.getters: list[Callable[[Any], Any]] = []
        now = datetime.now(UTC)
        for f in model._meta.concrete_fields:
            if getattr(f, "generated", False):
                continue
            self.columns.append(f.column)
            attname = f.attname
            if isinstance(f, models.JSONField):
                self.getters.append(lambda o, a=attname: json.dumps(getattr(o, a)))
            elif isinstance(f, models.FileField):
                self.getters.append(lambda o, a=attname: str(getattr(o, a) or ""))
            elif isinstance(f, models.DateTimeField) and (f.auto_now or f.auto_now_add):
                self.getters.append(lambda o, a=attname, n=now: getattr(o, a) or n)
            elif isinstance(f, models.ForeignKey):
                self.getters.append(lambda o, f=f: _foreign_key(o, f))
            else:
                self.getters.append(lambda o, a=attname: getattr(o, a))
        self.rows: list[tuple] = []

    def add(self, obj: Any) -> None:
        self.rows.append(tuple(get(obj) for get in self.getters))

    def flush(self, cursor: Any) -> int:
        if not self.rows:
            return 0
        columns = ", ".join(f'"{c}"' for c in self.columns)
        with cursor.copy(f'COPY "{self.table}" ({columns}) FROM STDIN') as copy:
            for row in self.rows:
                copy.write_row(row)
        written = len(self.rows)
        self.rows = []
        return written


def _foreign_key(obj: Any, f: Any) -> Any:
    """The id of a related row, also when the related instance got its pk after this one was made."""
    value = getattr(obj, f.attname)
    if value is None and f.is_cached(obj):
        related = f.get_cached_value(obj)
        value = related.pk if related is not None else None
    return value


_BLANKS: dict[Any, tuple[dict[str, Any], list[tuple[str, Callable[[], Any]]]]] = {}


def new(model: Any, **values: Any) -> Any:
    """An unsaved instance with the fields' defaults, without Model.__init__'s cost.

    Takes attnames (`case_id=`), never related instances; only for the many-rows tables.
    """
    from django.db.models.base import ModelState

    blank = _BLANKS.get(model)
    if blank is None:
        fixed: dict[str, Any] = {}
        called: list[tuple[str, Callable[[], Any]]] = []
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                called.append((f.attname, f.default))
            else:
                fixed[f.attname] = f.get_default()
        blank = _BLANKS[model] = (fixed, called)
    fixed, called = blank
    obj = model.__new__(model)
    state = obj.__dict__
    state.update(fixed)
    for attname, default in called:
        state[attname] = default()
    state.update(values)
    obj._state = ModelState()
    return obj


class Ids:
    """Primary keys drawn from each table's own sequence, many at a time."""

    def __init__(self, cursor: Any) -> None:
        self.cursor = cursor

    def take(self, model: Any, count: int) -> list[int]:
        if count == 0:
            return []
        table = model._meta.db_table
        self.cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)", [table, count]
        )
        return [row[0] for row in self.cursor.fetchall()]


@dataclass
class BuildReport:
    cases: int = 0
    rows: Counter = field(default_factory=Counter)
    statuses: Counter = field(default_factory=Counter)
    seconds: float = 0.0


def build_cases(
    *,
    count: int,
    reviewers: int = 3000,
    seed: int = 20260227,
    chunk: int = 2000,
    jobs: int = 1,
    today: date | None = None,
    first_number: int = 1,
    progress: Callable[[BuildReport], None] | None = None,
) -> BuildReport:
    """Build `count` cases (and the people they need) into the default database (PostgreSQL).

    With `jobs` > 1, that many forked processes write the chunks (each its own connection)
    while this one makes the plans.
    """
    import time as clock_time

    from django.db import connection, connections, transaction

    from core import clock

    started = clock_time.perf_counter()
    rng = random.Random(seed)
    today = today or clock.today()
    with transaction.atomic():
        people = ensure_people(reviewers=reviewers, rng=rng)
    report = BuildReport()
    chunks = _chunks(
        plans(count=count, people=people, rng=rng, today=today, first_number=first_number), chunk
    )
    if jobs <= 1:
        results: Iterator[BuildReport] = (_write_chunk(batch, people=people, today=today) for batch in chunks)
        _collect(results, report, started, progress)
    else:
        from multiprocessing import get_context

        global _WORKER
        _WORKER = (people, today)
        connections.close_all()  # each forked process opens its own connection
        with get_context("fork").Pool(jobs) as pool:
            _collect(pool.imap_unordered(_write_chunk_job, chunks), report, started, progress)
    from reviewers.models import Reviewer
    from reviewers.services.assignment import refresh_open_cases

    with transaction.atomic():
        refresh_open_cases(reviewer_ids=list(Reviewer.objects.values_list("pk", flat=True)))
        with connection.cursor() as cursor:
            cursor.execute(
                """UPDATE reviewers_reviewer r SET last_assigned_at = a.last
                   FROM (SELECT reviewer_id, max(assigned_at) AS last FROM reviewers_assignment
                         GROUP BY reviewer_id) a WHERE a.reviewer_id = r.id"""
            )
    report.seconds = clock_time.perf_counter() - started
    return report


_WORKER: tuple[People, date] | None = None


def _write_chunk_job(batch: list[Plan]) -> BuildReport:
    assert _WORKER is not None
    people, today = _WORKER
    return _write_chunk(batch, people=people, today=today)


def _chunks(items: Iterator[Plan], size: int) -> Iterator[list[Plan]]:
    batch: list[Plan] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


def _collect(results: Any, report: BuildReport, started: float, progress: Any) -> None:
    import time as clock_time

    last = 0
    for result in results:
        report.cases += result.cases
        report.rows.update(result.rows)
        report.statuses.update(result.statuses)
        if progress and report.cases - last >= 10_000:
            last = report.cases
            report.seconds = clock_time.perf_counter() - started
            progress(report)


def _write_chunk(batch: list[Plan], *, people: People, today: date) -> BuildReport:
    """Write one chunk of cases in one transaction; returns what it wrote."""
    from django.db import connection, transaction

    from cases.models import AccessLogEntry, Case, CaseEvent, DisputedItem, Document, Party
    from determinations.models import Delivery, Determination, ItemDecision, Letter
    from exchange.validation import check_case_payload
    from reviewers.models import Assignment

    cleaned_all = []
    for plan in batch:
        cleaned, errors = check_case_payload(payload=plan.payload, today=today)
        if errors or cleaned is None:
            raise ValueError(f"{plan.payload.get('case_number')}: generated payload refused: {errors}")
        cleaned_all.append(cleaned)
    tables = {
        model: Table(model)
        for model in (
            Case,
            Party,
            DisputedItem,
            CaseEvent,
            Document,
            Assignment,
            Determination,
            ItemDecision,
            Letter,
            Delivery,
            AccessLogEntry,
        )
    }
    report = BuildReport()
    with transaction.atomic(), connection.cursor() as cursor:
        ids = Ids(cursor)
        case_ids = ids.take(Case, len(batch))
        built = [
            _build_case(plan, cleaned, case_id, people=people, today=today)
            for plan, cleaned, case_id in zip(batch, cleaned_all, case_ids, strict=True)
        ]
        # Ids for every dependent row, then the rows, table by table (FKs are deferred).
        counts = Counter()
        for rows in built:
            for model, objs in rows.items():
                counts[model] += len(objs)
        pools = {model: iter(ids.take(model, n)) for model, n in counts.items() if model is not Case}
        for rows in built:
            for model in (Party, DisputedItem, Determination, Letter):
                for obj in rows.get(model, ()):
                    obj.pk = next(pools[model])
            for model in (CaseEvent, Document, Assignment, ItemDecision, Delivery, AccessLogEntry):
                for obj in rows.get(model, ()):
                    obj.pk = next(pools[model])
            for model, objs in rows.items():
                table = tables[model]
                for obj in objs:
                    table.add(obj)
        for model in (
            Case,
            Party,
            DisputedItem,
            CaseEvent,
            Document,
            Assignment,
            Determination,
            ItemDecision,
            Letter,
            Delivery,
            AccessLogEntry,
        ):
            report.rows[model.__name__] += tables[model].flush(cursor)
    report.cases += len(batch)
    report.statuses.update(plan.status for plan in batch)
    return report


def _build_case(plan: Plan, cleaned: dict[str, Any], case_id: int, *, people: People, today: date) -> dict:
    """Unsaved rows of one case, as the import and then the live services would write them."""
    from cases import deadlines
    from cases.models import (
        AccessAction,
        AccessLogEntry,
        CaseEvent,
        CaseEventKind,
        DisputedItem,
        Document,
        DocumentKind,
        Party,
        PartyRole,
    )
    from cases.services.workflow import refresh_deadlines
    from determinations.letter_selectors import LETTER_RECIPIENT_ROLES, letter_recipient
    from determinations.models import (
        Delivery,
        DeliveryChannel,
        DeliveryStatus,
        Determination,
        DeterminationStatus,
        ItemDecision,
        Letter,
    )
    from determinations.services.letters import delivery_for
    from exchange.services.intake import (
        IMPORTED_REASON,
        _new_case,
        _record_history_dates,
        _replaced_in_review,
    )
    from reviewers.models import Assignment, AssignmentStatus

    history = cleaned["history"] or []
    items_data = cleaned["disputed_items"]
    rng = random.Random(case_id)
    status = cleaned["status"]
    determination_data = cleaned["determination"]

    # Letters and their deliveries: the date the last went out is the determination's mailed_on.
    issued_on = determination_data["issued_on"] if determination_data else None
    case = _new_case(cleaned=cleaned, case_number=cleaned["case_number"] or "")
    case.pk = case_id
    _record_history_dates(case=case, history=history)
    received_at = _start_of(case.received_on, 8, rng.randint(0, 59))
    case.created_at = received_at
    case.updated_at = _start_of(history[-1]["on"], 17) if history else received_at

    employee = cleaned["employee"]
    parties = [
        new(
            Party,
            case_id=case_id,
            role=PartyRole.EMPLOYEE,
            name=f"{employee['first_name']} {employee['last_name']}".strip(),
            first_name=employee["first_name"],
            last_name=employee["last_name"],
            date_of_birth=employee["date_of_birth"],
            sex=employee["sex"],
            email=employee["email"],
            mailing_address=employee["mailing_address"],
        ),
        new(Party, case_id=case_id, role=PartyRole.EMPLOYER, **cleaned["employer"]),
        new(Party, case_id=case_id, role=PartyRole.CLAIMS_ADMINISTRATOR, **cleaned["claims_administrator"]),
        new(Party, case_id=case_id, role=PartyRole.REQUESTING_PROVIDER, **cleaned["requesting_provider"]),
    ]
    attorney = cleaned["attorney"]
    if attorney is not None:
        parties.append(
            new(
                Party,
                case_id=case_id,
                role=PartyRole.ATTORNEY,
                name=attorney["name"],
                organization=attorney["firm"],
                email=attorney["email"],
                mailing_address=attorney["mailing_address"],
            )
        )
    items = [
        new(DisputedItem, case_id=case_id, position=position, **item)
        for position, item in enumerate(items_data, start=1)
    ]
    rows: dict[Any, list] = {Party: parties, DisputedItem: items}

    # The timeline: where the case came from, then one transition per history entry.
    source_kind = CaseEventKind.CREATED_BY_STAFF if plan.created_by_staff else CaseEventKind.IMPORTED
    events = [
        new(
            CaseEvent,
            case_id=case_id,
            actor_id=people.intake_id if plan.created_by_staff else None,
            kind=source_kind,
            from_status="received",
            to_status="received",
            reason="Entered by intake staff on the intake form"
            if plan.created_by_staff
            else "Imported from an imr-case/1 file",
            data={"source": "intake_form" if plan.created_by_staff else "file", "history_entries": 0},
            effective_on=case.received_on,
            at=received_at,
        )
    ]
    previous = "received"
    for index, entry in enumerate(history):
        data: dict[str, Any] = {"imported": True}
        if entry["notice_method"]:
            data["notice_method"] = entry["notice_method"]
        if entry["reviewer_number"]:
            data["reviewer_number"] = entry["reviewer_number"]
        events.append(
            new(
                CaseEvent,
                case_id=case_id,
                actor_id=people.intake_id,
                kind=CaseEventKind.TRANSITION,
                from_status=previous,
                to_status=entry["status"],
                reason=IMPORTED_REASON,
                data=data,
                effective_on=entry["on"],
                at=_start_of(entry["on"], 10, index),
            )
        )
        previous = entry["status"]
    rows[CaseEvent] = events

    # Assignments: one per `assigned` entry, with the status the import gives it.
    assignments = []
    assigned_indexes = [i for i, e in enumerate(history) if e["status"] == "assigned"]
    for position, index in enumerate(assigned_indexes):
        entry = history[index]
        following = history[index + 1] if index + 1 < len(history) else None
        if following is None:
            a_status = AssignmentStatus.OFFERED
        elif following["status"] == "in_review" and _replaced_in_review(history=history, index=index):
            a_status = AssignmentStatus.ENDED
        elif following["status"] == "in_review":
            a_status = AssignmentStatus.ACCEPTED
        elif following["status"] == "ready_for_assignment":
            a_status = AssignmentStatus.DECLINED
        else:
            a_status = AssignmentStatus.ENDED
        reviewer = people.by_number[entry["reviewer_number"]]
        assignments.append(
            new(
                Assignment,
                case_id=case_id,
                reviewer_id=reviewer.id,
                status=a_status,
                active=position == len(assigned_indexes) - 1 and status in HELD,
                assigned_at=_start_of(entry["on"], 11),
                responded_at=_start_of(following["on"], 12) if following is not None else None,
                decline_reason="Conflict of interest with the employer"
                if a_status == AssignmentStatus.DECLINED
                else "",
                candidates=[{"reviewer_number": reviewer.number, "note": "automatic"}],
                notified_at=_start_of(entry["on"], 11, 5),
            )
        )
    rows[Assignment] = assignments
    reviewer = (
        people.by_number[history[assigned_indexes[-1]]["reviewer_number"]] if assigned_indexes else None
    )

    # The reviewer's determination and, once issued, the letter and its deliveries.
    mailed_on = None
    determinations, decisions, letters, deliveries = [], [], [], []
    d_status = None
    if determination_data is not None:
        d_status = DeterminationStatus.ISSUED
    elif plan.work is not None:
        d_status = {
            "draft": DeterminationStatus.DRAFT,
            "returned": DeterminationStatus.RETURNED,
            "submitted": DeterminationStatus.SUBMITTED,
            "approved": DeterminationStatus.APPROVED,
        }[plan.work]
    if d_status is not None and reviewer is not None:
        qa_days = [e["on"] for e in history if e["status"] == "qa_review"]
        submitted_at = _start_of(qa_days[-1], 15) if qa_days else None
        approved = d_status in (DeterminationStatus.APPROVED, DeterminationStatus.ISSUED)
        determination = Determination(
            case_id=case_id,
            reviewer_id=reviewer.id,
            status=d_status,
            clinical_case_summary=(determination_data or {}).get("clinical_case_summary")
            or SUMMARY.format(age=40, injury=case.injury_date.isoformat(), part="back"),
            version=rng.randint(1, 4),
            submitted_at=submitted_at if d_status != DeterminationStatus.DRAFT else None,
            qa_comment="Please cite the guideline's page."
            if d_status == DeterminationStatus.RETURNED
            else "",
            approved_at=(_start_of(issued_on, 9) if issued_on else submitted_at) if approved else None,
            approved_by_id=people.qa_id if approved else None,
            issued_on=issued_on,
            licensure_states=(determination_data or {}).get("licensure_states") or [],
            certifications=(determination_data or {}).get("certifications") or [],
            created_at=_start_of(history[-1]["on"], 13),
        )
        determinations.append(determination)
        decided = (determination_data or {}).get("items")
        for n, item in enumerate(items):
            if decided:
                values = decided[n]
            elif d_status == DeterminationStatus.DRAFT and n > 0:
                values = {"decision": "", "reviewer_guideline": "", "rationale": ""}
            else:
                values = {
                    "decision": rng.choice(["upheld", "upheld", "overturned"]),
                    "reviewer_guideline": rng.choice(GUIDELINES),
                    "rationale": RATIONALE.format(verdict="not established"),
                }
            decisions.append(ItemDecision(determination=determination, disputed_item=item, **values))
        if d_status == DeterminationStatus.ISSUED:
            digest = hashlib.sha256(f"letter {case.case_number}".encode()).hexdigest()
            letter = Letter(
                determination=determination,
                version=1,
                pdf=f"letters/{case_id}/{digest}.pdf",
                sha256=digest,
                pages=2 + len(items),
                issued_on=issued_on,
                created_at=_start_of(issued_on, 9, 30),
                created_by_id=people.qa_id,
            )
            letters.append(letter)
            by_role = {p.role: p for p in parties}
            days_since = (today - issued_on).days
            went_out = []
            for role in LETTER_RECIPIENT_ROLES:
                if role not in by_role:
                    continue
                delivery = delivery_for(letter=letter, recipient=letter_recipient(party=by_role[role]))
                delivery.created_at = _start_of(issued_on, 9, 31)
                if delivery.channel == DeliveryChannel.EMAIL:
                    delivery.status = DeliveryStatus.SENT
                    delivery.attempts = 1
                    delivery.sent_at = _start_of(issued_on, 9, 40)
                    delivery.message_id = f"<letter-{digest[:12]}-{role}@imro.example.org>"
                    went_out.append(issued_on)
                elif status == "closed" or days_since > 5 or rng.random() < 0.3:
                    delivery.status = DeliveryStatus.POSTED
                    delivery.attempts = 1
                    delivery.mailed_on = min(issued_on + timedelta(days=1), today)
                    went_out.append(delivery.mailed_on)
                else:
                    went_out = []
                    delivery.status = DeliveryStatus.TO_POST
                deliveries.append(delivery)
            to_post = any(d.status == DeliveryStatus.TO_POST for d in deliveries)
            if not to_post and went_out:
                mailed_on = max(went_out)
                determination.mailed_on = mailed_on
    rows[Determination] = determinations
    rows[ItemDecision] = decisions
    rows[Letter] = letters
    rows[Delivery] = deliveries

    formulary_only = deadlines.is_formulary_only((i["category"], i["formulary_drug"]) for i in items_data)
    refresh_deadlines(case=case, formulary_only=formulary_only, mailed_on=mailed_on)

    documents = []
    kinds = [DocumentKind.IMR_APPLICATION, DocumentKind.UR_DECISION, DocumentKind.MEDICAL_RECORD]
    for n in range(plan.documents):
        digest = hashlib.sha256(f"{case.case_number} document {n}".encode()).hexdigest()
        documents.append(
            new(
                Document,
                case_id=case_id,
                kind=kinds[n],
                title=f"{kinds[n].label} received {case.received_on:%m/%d/%Y}",
                file=f"cases/{case_id}/documents/{digest[:16]}.pdf",
                sha256=digest,
                size=rng.randint(40_000, 4_000_000),
                pages=rng.randint(1, 60),
                received_on=case.received_on,
                uploaded_by_id=people.intake_id,
                uploaded_at=received_at + timedelta(minutes=5 + n),
            )
        )
    rows[Document] = documents
    rows[AccessLogEntry] = [
        new(
            AccessLogEntry,
            user_id=people.intake_id,
            case_id=case_id,
            action=AccessAction.VIEW_CASE,
            object_repr=case.case_number,
            path=f"/cases/{case_id}/",
            at=received_at + timedelta(minutes=30),
        )
    ]
    return {type(case): [case], **rows}


def plan_payloads(*, count: int, people: People, seed: int, today: date, first_number: int) -> list[dict]:
    """`imr-case/1` payloads for an import file (numbers from `first_number` on)."""
    rng = random.Random(seed)
    return [
        plan.payload
        for plan in plans(count=count, people=people, rng=rng, today=today, first_number=first_number)
    ]
