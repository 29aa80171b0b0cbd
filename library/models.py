"""The decision library: what the public may read of issued determinations, redacted.

Nothing here holds a party's name, claim number, date of birth, address, NPI or email: every
text column is written through `library.redaction` when a determination is published, so the
public pages read only these tables and cannot show what was never stored in them.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q

from cases.models import Case, DisputedItem, ItemCategory
from determinations.models import Decision, Determination, ItemDecision


class PublishedItem(models.Model):
    """One decided item of an issued, current determination, as the public search shows it."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="+")
    determination = models.ForeignKey(Determination, on_delete=models.CASCADE, related_name="+")
    item_decision = models.OneToOneField(ItemDecision, on_delete=models.CASCADE, related_name="+")
    disputed_item = models.ForeignKey(DisputedItem, on_delete=models.CASCADE, related_name="+")
    case_number = models.CharField(max_length=12)
    position = models.PositiveSmallIntegerField()
    decided_on = models.DateField("decision date")
    injury_date = models.DateField("date of injury")
    received_on = models.DateField("application received")
    # The reviewer's certifications as the letter states them ("Pain Medicine; Anesthesiology"):
    # the specialty, never the reviewer.
    specialty = models.CharField("reviewer specialty", max_length=300)
    category = models.CharField(max_length=24, choices=ItemCategory.choices)
    formulary_drug = models.BooleanField(default=False)
    treatment = models.CharField("treatment (sub-category or drug)", max_length=500)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    guideline = models.TextField("guideline cited")
    rationale = models.TextField()
    # treatment + guideline + rationale: the one column the full-text index covers (PostgreSQL).
    search_text = models.TextField()
    published_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-decided_on", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(decision__in=Decision.values), name="published_item_decision_valid"
            ),
            models.CheckConstraint(
                condition=Q(category__in=ItemCategory.values), name="published_item_category_valid"
            ),
        ]
        indexes = [
            models.Index(fields=["-decided_on", "-id"], name="published_item_decided"),
            models.Index(fields=["case_number"], name="published_item_case_number"),
            models.Index(fields=["injury_date"], name="published_item_injury"),
            models.Index(fields=["received_on"], name="published_item_received"),
            models.Index(fields=["category", "-decided_on"], name="published_item_category"),
            models.Index(fields=["decision", "-decided_on"], name="published_item_decision"),
        ]

    def __str__(self) -> str:
        return f"{self.case_number} item {self.position}: {self.decision}"


def redacted_letter_upload_to(letter: RedactedLetter, filename: str) -> str:
    return f"published/{letter.determination.case_id}/{letter.sha256}.pdf"


class RedactedLetter(models.Model):
    """The published copy of an issued letter, generated once and never rewritten.

    `source_version` is the issued Letter's version it was made from; 0 for a past
    determination imported without a stored letter (rendered from its record).
    """

    determination = models.ForeignKey(Determination, on_delete=models.CASCADE, related_name="+")
    source_version = models.PositiveSmallIntegerField()
    pdf = models.FileField(upload_to=redacted_letter_upload_to)
    sha256 = models.CharField("SHA-256", max_length=64)
    pages = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["determination", "-source_version"]
        constraints = [
            models.UniqueConstraint(
                fields=["determination", "source_version"], name="redacted_letter_one_per_version"
            ),
        ]

    def __str__(self) -> str:
        return f"Redacted letter of {self.determination_id} (v{self.source_version})"
