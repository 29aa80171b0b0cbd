"""What the portal registers into the lower apps (from PortalConfig.ready(); no queries here)."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from cases.hooks import CasePageNote, case_page_note
from cases.models import Case, Party
from determinations.notices import register_records_link_provider
from portal.models import SubmittedRecord
from portal.services.links import party_link_url


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


def records_link(*, case: Case, party: Party | None) -> str:
    """The party's own upload link, for the NOARFI's email (determinations.notices asks)."""
    if party is None:
        return ""
    with transaction.atomic():  # party_link locks the case while it finds or makes the link
        return party_link_url(case_id=case.pk, role=party.role)


register_records_link_provider(records_link)
