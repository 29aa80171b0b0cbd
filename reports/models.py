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
