"""What the portal registers into the lower apps (from PortalConfig.ready(); no queries here)."""

from __future__ import annotations

from django.urls import reverse

from cases.hooks import CasePageNote, case_page_note
from cases.models import Case
from portal.models import SubmittedRecord


@case_page_note
def new_records_note(case: Case) -> list[CasePageNote]:
    """The staff case page flags records the parties sent that no staff member has seen yet."""
    unseen = SubmittedRecord.objects.filter(case=case, seen_at__isnull=True).count()
    if not unseen:
        return []
    return [
        CasePageNote(
            text=f"{unseen} new record{'s' if unseen != 1 else ''} from the parties not yet seen by staff",
            url=reverse("portal:staff_case_records", args=[case.case_number]),
        )
    ]
