from datetime import datetime, time

from django.db import migrations, models
from django.utils import timezone


def backfill_ready_since(apps, schema_editor):
    """Cases already waiting: the wait counts from their latest step into ready_for_assignment."""
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    waiting = Case.objects.filter(status="ready_for_assignment", ready_since__isnull=True)
    for case in waiting.iterator():
        event = (
            CaseEvent.objects.filter(case=case, kind="transition", to_status="ready_for_assignment")
            .order_by("-effective_on", "-id")
            .first()
        )
        if event is None:
            continue
        since = event.at
        if event.effective_on < timezone.localdate(event.at):
            # Imported history: the business date, not the day the row was written.
            since = timezone.make_aware(datetime.combine(event.effective_on, time.min))
        Case.objects.filter(pk=case.pk).update(ready_since=since)


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0003_flow_event_kind_choices"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="ready_since",
            field=models.DateTimeField(blank=True, null=True, verbose_name="ready for assignment since"),
        ),
        migrations.RunPython(backfill_ready_since, migrations.RunPython.noop),
    ]
