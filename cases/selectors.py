"""Reads of cases that know who may see what."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet

from cases.models import Case, Document


def cases_visible_to(*, user: AbstractBaseUser) -> QuerySet[Case]:
    """Staff and QA with `view_all_cases` see every case; a reviewer only the cases assigned to them."""
    cases = Case.objects.all()
    if not user.is_authenticated:
        return cases.none()
    if user.has_perm("cases.view_all_cases"):
        return cases
    return cases.filter(assignments__reviewer__user=user, assignments__active=True)


def document_visible_to(*, user: AbstractBaseUser, document_id: int) -> Document | None:
    """The document with its case, or None when it does not exist or `user` may not see its case."""
    return (
        Document.objects.select_related("case")
        .filter(pk=document_id, case__in=cases_visible_to(user=user))
        .first()
    )
