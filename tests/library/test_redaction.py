"""Redaction: every party field of the demo and generated cases is gone from what is published."""

from __future__ import annotations

import random
from datetime import date

import pytest

from cases.models import Case, ItemCategory, Party, PartyRole
from determinations.models import Decision, Determination, DeterminationStatus
from library.models import PublishedItem, RedactedLetter
from library.redaction import redactor_for
from library.services.publication import publish_determination
from tests.determinations.letters_support import body_text
from tests.factories import CaseFactory, PartyFactory
from tests.library.party_check import party_field_hits
from tests.library.support import make_issued_case

pytestmark = pytest.mark.django_db

# A narrative that names every party field the ways records do.
LEAKY_SUMMARY = (
    "MS. OYELARAN-STROUD is a 57-year-old cannery worker (Wilhelmina; DOB 04/09/1968, also "
    "written 4/9/1968, 1968-04-09 and April 9, 1968) living at 4471 Quetzal Ridge Road, Fresno, "
    "CA 93721. wilhelmina oyelaran-stroud was injured on 5/3/2007 at Brightwater Cannery Holdings "
    "LLC. Pelican Shoals Claims Trust (claim PSC19774102, also PSC 19 774102 and psc-19-774102) "
    "denied the request of Dr. Thaddeus Vonnegan (NPI 1093817465; Dr. Vonnegan's notes). Her "
    "attorney Ignatia Farrowdale of Farrowdale & Quince LLP wrote from w.oyelaran@example.org. "
    "Examination shows lumbar tenderness; pain 7/10."
)


def _parties(case: Case) -> list[Party]:
    return list(Party.objects.filter(case=case))


def test_the_redactor_removes_every_field_in_any_spelling_and_keeps_clinical_facts():
    case = CaseFactory()
    from tests.library.support import add_parties

    add_parties(case)
    redacted = redactor_for(_parties(case))(LEAKY_SUMMARY)
    assert party_field_hits(redacted, _parties(case)) == []
    # Ages, injury dates and findings stay; roles replace the people.
    assert "57-year-old cannery worker" in redacted
    assert "injured on 5/3/2007" in redacted
    assert "pain 7/10" in redacted
    assert redacted.startswith("The injured worker is a 57-year-old")
    assert "[claim number]" in redacted and "[NPI]" in redacted and "[date of birth]" in redacted
    assert "the requesting provider" in redacted and "the employer" in redacted


def test_the_check_itself_finds_each_field_before_redaction():
    """The independent check is not blind: on the unredacted text it reports every kind of field."""
    case = CaseFactory()
    from tests.library.support import add_parties

    add_parties(case)
    hits = "\n".join(party_field_hits(LEAKY_SUMMARY, _parties(case)))
    for expected in (
        "Employee name",
        "claim number",
        "NPI",
        "date of birth",
        "address",
        "Employer name",
        "Employee's attorney name",
        "email",
        "Requesting provider name",
        "Claims administrator name",
    ):
        assert expected in hits, expected


def test_the_redacted_letter_has_no_party_field_in_header_body_or_copies():
    determination = make_issued_case(
        summary=LEAKY_SUMMARY,
        items=[
            (
                ItemCategory.INJECTIONS,
                "Trigger point injections x4 for Ms. Oyelaran-Stroud",
                Decision.UPHELD,
                "Dr. Vonnegan documents no 50% relief for Wilhelmina after prior trigger point "
                "injections. Claim PSC-19-774102.",
            )
        ],
    )
    rows = publish_determination(determination_id=determination.pk)
    letter = RedactedLetter.objects.get(determination=determination)
    text = body_text(letter.pdf.read())
    parties = _parties(determination.case)
    assert party_field_hits(text, parties) == []
    assert "Employee: The injured worker" in text
    assert "Claim Number: [withheld]" in text
    assert "57-year-old cannery worker" in text
    assert "trigger point injections" in text.lower()
    published = " ".join(f"{r.treatment} {r.guideline} {r.rationale} {r.search_text}" for r in rows)
    assert party_field_hits(published, parties) == []


SYLLABLES = ["zor", "vak", "mel", "quin", "dru", "thal", "bex", "oru", "lim", "sef", "yar", "pod", "gue"]


def _made_up_word(rng: random.Random, parts: int = 3) -> str:
    return "".join(rng.choice(SYLLABLES) for _ in range(parts)).capitalize()


def _generated_case(rng: random.Random, number: int) -> Determination:
    """A case with made-up parties whose fields the reviewer's text repeats in varied spellings."""
    first, last = _made_up_word(rng, 2), _made_up_word(rng)
    employer = f"{_made_up_word(rng)} {rng.choice(['Foods', 'Logistics', 'Growers'])} Inc."
    claims = f"{_made_up_word(rng)} Claims Services"
    claim_number = f"{_made_up_word(rng, 1).upper()[:3]}-{rng.randint(10, 26)}-{rng.randint(100000, 999999)}"
    provider_last = _made_up_word(rng)
    npi = f"1{rng.randint(100000000, 999999999)}"
    born = date(rng.randint(1950, 1995), rng.randint(1, 12), rng.randint(1, 28))
    street = f"{rng.randint(10, 9999)} {_made_up_word(rng, 2)} Avenue"
    summary = (
        f"{last.upper()}, {first} (born {born.month}/{born.day}/{born.year}) of {street}, Fresno, CA "
        f"93721 works for {employer.rstrip('.')}. {claims} (claim {claim_number.replace('-', '')}) "
        f"reviewed the request of Dr. {provider_last.lower()} (NPI {npi[:3]}-{npi[3:]}). "
        f"Mr. {last} is a {rng.randint(30, 70)}-year-old with chronic low back pain."
    )
    determination = make_issued_case(
        parties=False,
        case_number=f"CM25-{9000000 + number:07d}",
        summary=summary,
        items=[
            (
                ItemCategory.PHARMACEUTICALS,
                "Tramadol ER 100mg #30",
                rng.choice([Decision.UPHELD, Decision.OVERTURNED]),
                f"{first} {last} reports pain 6/10; {claim_number} file reviewed; {street}.",
            )
        ],
    )
    case = determination.case
    PartyFactory(
        case=case,
        role=PartyRole.EMPLOYEE,
        name=f"{first} {last}",
        first_name=first,
        last_name=last,
        email=f"{first.lower()}@example.org",
        mailing_address=f"{street}, Fresno, CA 93721",
        date_of_birth=born,
    )
    PartyFactory(case=case, role=PartyRole.EMPLOYER, name=employer, email="")
    PartyFactory(
        case=case, role=PartyRole.CLAIMS_ADMINISTRATOR, name=claims, claim_number=claim_number, email=""
    )
    PartyFactory(
        case=case, role=PartyRole.REQUESTING_PROVIDER, name=f"Dr. Ana {provider_last}", npi=npi, email=""
    )
    return determination


def test_generated_cases_publish_with_zero_party_hits():
    rng = random.Random(18)
    determinations = [_generated_case(rng, number) for number in range(8)]
    for determination in determinations:
        publish_determination(determination_id=determination.pk)
    hits = []
    for determination in determinations:
        parties = _parties(determination.case)
        letter = RedactedLetter.objects.get(determination=determination)
        hits += party_field_hits(body_text(letter.pdf.read()), parties)
        for row in PublishedItem.objects.filter(determination=determination):
            hits += party_field_hits(f"{row.treatment} {row.rationale} {row.search_text}", parties)
    assert hits == []


def test_every_demo_case_redacts_to_zero_hits(settings):
    """The demo data set: the decided seed case's published letter and rows, and for every demo
    case a narrative naming all its party fields run through that case's redactor."""
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0)
    call_command("publish_decisions", verbosity=0)
    cases = list(Case.objects.prefetch_related("parties"))
    assert len(cases) >= 10
    hits = []
    for case in cases:
        parties = list(case.parties.all())
        narrative = " ".join(
            f"{p.name} ({p.first_name} {p.last_name}, {p.organization}) claim {p.claim_number} "
            f"NPI {p.npi} DOB {p.date_of_birth.strftime('%m/%d/%Y') if p.date_of_birth else ''} "
            f"{p.mailing_address} {p.email} {p.name.upper()} {p.claim_number.replace('-', '')}."
            for p in parties
        )
        assert party_field_hits(narrative, parties), case.case_number  # the check sees them
        hits += [
            f"{case.case_number}: {hit}"
            for hit in party_field_hits(redactor_for(parties)(narrative), parties)
        ]
    issued = Determination.objects.filter(status=DeterminationStatus.ISSUED)
    assert issued.exists()
    for determination in issued:
        parties = list(determination.case.parties.all())
        letter = RedactedLetter.objects.get(determination=determination)
        hits += party_field_hits(body_text(letter.pdf.read()), parties)
    assert hits == []
