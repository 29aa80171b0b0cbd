"""The reports read the other apps' tables; they own no table, only the permission to see them.

`Report` is unmanaged (no table): it exists so that `reports.view_reports` is a real permission
that imr_site.roles can grant (intake staff and administrators).
"""

from __future__ import annotations

from django.db import models


class Report(models.Model):
    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_reports", "Can see the operations dashboard and the reports")]

    def __str__(self) -> str:
        return "Reports"


class DecisionDimension(models.TextChoices):
    ALL = "all", "All items"
    CATEGORY = "category", "Treatment category"
    SPECIALTY = "specialty", "Reviewer specialty"
    PRIORITY = "priority", "Priority"


class DecisionDay(models.Model):
    """A rollup: the item decisions of the determinations issued on `day`, counted by one dimension.

    Written only by reports.rollups (the periodic task `refresh_report_rollups`), read by the
    decisions report and the dashboard's trend: a year is about 365 x 45 rows, however many
    cases, where the live query joins every item decision, disputed item and case of the year.
    """

    day = models.DateField()
    dimension = models.CharField(max_length=10, choices=DecisionDimension.choices)
    # The category code, the specialty, the priority code; "" for ALL.
    key = models.CharField(max_length=120, blank=True)
    # Determinations issued that day (counted in the ALL row only; 0 elsewhere).
    determinations = models.PositiveIntegerField(default=0)
    items = models.PositiveIntegerField(default=0)
    upheld = models.PositiveIntegerField(default=0)
    overturned = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day", "dimension", "key"]
        constraints = [
            models.UniqueConstraint(fields=["day", "dimension", "key"], name="decision_day_unique"),
            models.CheckConstraint(
                condition=models.Q(dimension__in=DecisionDimension.values),
                name="decision_day_dimension_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(items=models.F("upheld") + models.F("overturned")),
                name="decision_day_items_add_up",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.dimension} {self.key}"


class RollupState(models.Model):
    """How far a rollup was refreshed: rows changed before `refreshed_through` are in it."""

    name = models.CharField(max_length=40, unique=True)
    refreshed_through = models.DateTimeField(null=True, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return self.name


class LetterClock(models.Model):
    """A rollup: one row per issued determination with its clocks in days, from its case's dates.

    Written only by reports.rollups (with DecisionDay), read by the clocks and the late
    determinations reports: a year of letters is then an index-only range of one narrow table
    instead of a join of the year's determinations to their cases.
    """

    determination = models.OneToOneField(
        "determinations.Determination", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="+")
    # The case's number and records date, for the late determinations listing (no join to cases).
    case_number = models.CharField(max_length=12)
    records_complete_on = models.DateField(null=True, blank=True)
    priority = models.CharField(max_length=10)
    issued_on = models.DateField()
    mailed_on = models.DateField(null=True, blank=True)
    determination_due = models.DateField(null=True, blank=True)
    # Calendar days from the NOARFI sent, and from the records complete, to the letter mailed.
    noarfi_days = models.IntegerField(null=True, blank=True)
    records_days = models.IntegerField(null=True, blank=True)
    # Calendar days the determination was issued after its due date (0 or less: on time).
    days_late = models.IntegerField(null=True, blank=True)

    class Meta:
        ordering = ["issued_on", "determination"]
        indexes = [
            models.Index(
                fields=["mailed_on"],
                include=["priority", "noarfi_days", "records_days"],
                name="letter_clock_mailed",
                condition=models.Q(mailed_on__isnull=False),
            ),
            # The late-determinations listing in its order, every column it shows in the index:
            # a year's 8,000 rows come from an index-only scan (2.7 ms) instead of a heap scan
            # and a sort (17 ms at 200,000 cases).
            models.Index(
                fields=["issued_on", "determination"],
                include=[
                    "days_late",
                    "case",
                    "case_number",
                    "priority",
                    "records_complete_on",
                    "determination_due",
                ],
                name="letter_clock_late",
                condition=models.Q(days_late__gt=0),
            ),
        ]

    def __str__(self) -> str:
        return f"Letter clocks of determination {self.determination_id}"


class SubmissionClock(models.Model):
    """A rollup: one row per determination submitted to QA, with its reviewer and the days from
    the reviewer's acceptance of the case to the (last) submission.

    Written only by reports.rollups, read by the reviewer productivity report: a year of
    submissions is an index-only range instead of a join of every submission to the assignments.
    """

    determination = models.OneToOneField(
        "determinations.Determination", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    reviewer = models.ForeignKey("reviewers.Reviewer", on_delete=models.CASCADE, related_name="+")
    submitted_at = models.DateTimeField()
    accept_days = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["submitted_at", "determination"]
        indexes = [
            models.Index(
                fields=["submitted_at"], include=["reviewer", "accept_days"], name="submission_clock_at"
            ),
        ]

    def __str__(self) -> str:
        return f"Submission clock of determination {self.determination_id}"


class ReceivedDay(models.Model):
    """A rollup: the applications received on `day` and where their eligibility stands.

    Written only by reports.rollups, read by the monthly volumes report and the dashboard's
    received trend: a year is 365 rows instead of an index range over every case of the year.
    The columns are the report's (reports.selectors.VOLUME_COLUMNS) without the derived ones.
    """

    day = models.DateField(unique=True)
    gross = models.PositiveIntegerField(default=0)
    duplicates = models.PositiveIntegerField(default=0)
    eligible = models.PositiveIntegerField(default=0)
    ineligible = models.PositiveIntegerField(default=0)
    unsigned = models.PositiveIntegerField(default=0)
    untimely = models.PositiveIntegerField(default=0)
    ur_decision_missing = models.PositiveIntegerField(default=0)
    not_medical_necessity = models.PositiveIntegerField(default=0)
    liability_disputed = models.PositiveIntegerField(default=0)
    staff_override = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"Received on {self.day}"


class ReportSnapshot(models.Model):
    """A report over its default period (the last twelve months), counted by the periodic refresh
    right after the rollups it reads (reports.snapshots): the report page and CSV of that period
    read this one row instead of a year of rows. Other periods are counted live.

    Only for the reports whose live count reads a year of rows at 200,000 cases (clocks, late
    records, reviewer productivity): their percentiles and per-case penalties cannot be summed
    from daily rows. `result`: the ReportResult's columns, rows, total and notes, as JSON.
    """

    kind = models.CharField(max_length=40, unique=True)
    start = models.DateField()
    end = models.DateField()
    computed_at = models.DateTimeField()
    result = models.JSONField()

    def __str__(self) -> str:
        return f"{self.kind} {self.start}..{self.end}"
