"""Letters per second: our render path versus a bare WeasyPrint call on the same HTML.

    .venv/bin/python bench/letters.py [--letters 200]

Builds its own data: a temporary SQLite database (unless DATABASE_URL is set, then that
database is used and the bench rows are removed afterwards) holding seed-like cases with
1 to 4 decided items. "ours" is `render_letter_pdf` (context + template + cached CSS and
shared fonts); "bare" is `weasyprint.HTML(string=html).write_pdf()` on the same letter with
its stylesheet inlined, as a naive caller would write it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _setup_django() -> tempfile.TemporaryDirectory | None:
    tmp = None
    if not os.environ.get("DATABASE_URL"):
        tmp = tempfile.TemporaryDirectory(prefix="imr-bench-")
        os.environ["DATABASE_URL"] = f"sqlite:///{tmp.name}/bench.sqlite3"
        os.environ.setdefault("MEDIA_ROOT", f"{tmp.name}/media")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imr_site.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    return tmp


ITEMS = [
    (
        "Physical Therapy 2x8 for the Lumbar Spine",
        "physical_medicine",
        "MTUS Chronic Pain Treatment Guidelines Physical Medicine",
    ),
    (
        "TPI 20553 X6 in the Right Lumbar Paraspinals",
        "injections",
        "MTUS Chronic Pain Treatment Guidelines Trigger Point Injections",
    ),
    ("Norco 10/325 mg #120", "pharmaceuticals", "MTUS Chronic Pain Treatment Guidelines Opioids"),
    ("MRI of the Lumbar Spine without contrast", "diagnostics", "ACOEM Low Back Complaints"),
]


def _make_determinations(*, count: int, random_seed: int = 7):
    from datetime import date

    from cases.models import Case, CaseStatus, DisputedItem, Party, PartyRole
    from determinations.models import Determination, DeterminationStatus, ItemDecision

    seed = json.loads((ROOT / "tests" / "data" / "seed-case.json").read_text(encoding="utf-8"))
    summary = seed["determination"]["clinical_case_summary"]
    rationales = [item["rationale"] for item in seed["determination"]["items"]]

    rng = random.Random(random_seed)
    determinations = []
    for n in range(count):
        case = Case.objects.create(
            case_number=f"CM19-{9000000 + n:07d}",
            status=CaseStatus.QA_REVIEW,
            received_on=date(2019, 2, 27),
            signed=True,
            ur_decision_attached=True,
            injury_date=date(2012, 5, 3),
            ur_decision_date=date(2019, 2, 6),
            ur_served_on=date(2019, 2, 9),
        )
        Party.objects.bulk_create(
            [
                Party(case=case, role=PartyRole.EMPLOYEE, name=f"Employee {n}", email=f"e{n}@example.org"),
                Party(
                    case=case, role=PartyRole.EMPLOYER, name=f"Employer {n} Inc.", email=f"hr{n}@example.com"
                ),
                Party(
                    case=case,
                    role=PartyRole.CLAIMS_ADMINISTRATOR,
                    name="Golden State Claims Services",
                    claim_number=f"GSC-{n:06d}",
                    email="desk@example.com",
                ),
                Party(
                    case=case,
                    role=PartyRole.REQUESTING_PROVIDER,
                    name="Dr. Alan Treating",
                    email="dr@example.com",
                ),
            ]
        )
        determination = Determination.objects.create(
            case=case,
            status=DeterminationStatus.APPROVED,
            clinical_case_summary=summary,
            licensure_states=["GA", "CA", "TX"],
            certifications=["Preventive Medicine", "Occupational Medicine"],
        )
        for position, (description, category, guideline) in enumerate(
            rng.sample(ITEMS, rng.randint(1, 4)), start=1
        ):
            item = DisputedItem.objects.create(
                case=case,
                position=position,
                description=description,
                category=category,
                ur_decision="denied",
                claims_administrator_guideline=guideline,
            )
            ItemDecision.objects.create(
                determination=determination,
                disputed_item=item,
                decision=rng.choice(["upheld", "upheld", "upheld", "overturned"]),
                reviewer_guideline=f"{guideline} Page(s): {rng.randint(1, 120)} of 127",
                rationale=rng.choice(rationales),
            )
        determinations.append(determination)
    return determinations


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=200)
    args = parser.parse_args()
    tmp = _setup_django()
    try:
        import weasyprint

        from determinations.letters import render_letter_html, render_letter_pdf

        determinations = _make_determinations(count=args.letters)
        # Warm both paths once (imports, fontconfig), so neither pays it inside the timing.
        render_letter_pdf(determination=determinations[0], draft=False)
        weasyprint.HTML(string=render_letter_html(determination=determinations[0], draft=False)).write_pdf()

        started = time.perf_counter()
        for determination in determinations:
            render_letter_pdf(determination=determination, draft=False)
        ours = time.perf_counter() - started

        # The bare call gets the same letter HTML (stylesheet inlined); building it is not timed.
        htmls = [render_letter_html(determination=d, draft=False) for d in determinations]
        started = time.perf_counter()
        for html in htmls:
            weasyprint.HTML(string=html).write_pdf()
        bare = time.perf_counter() - started

        n = len(determinations)
        print(f"letters: {n} (1 to 4 items each), database: {os.environ['DATABASE_URL'].split(':')[0]}")
        print(f"ours (render_letter_pdf, incl. DB reads + template): {n / ours:6.2f} letters/s")
        print(f"bare (weasyprint.HTML(string=html).write_pdf()):     {n / bare:6.2f} letters/s")
        print(f"ratio ours/bare (time): {ours / bare:.3f}  (target <= 1.0)")
    finally:
        if tmp is None:
            from cases.models import Case

            Case.objects.filter(case_number__startswith="CM19-9").delete()
        else:
            tmp.cleanup()


if __name__ == "__main__":
    main()
