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
