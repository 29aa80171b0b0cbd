"""The API's request and response shapes (they also write the OpenAPI schema)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from portal.models import RecordKind, RecordSubmission
from portal.selectors import CaseStatusView


class ErrorSerializer(serializers.Serializer):
    path = serializers.CharField(
        help_text='The field at fault, e.g. "disputed_items[1].ur_decision"; "" for the whole request.'
    )
    message = serializers.CharField()


class ErrorsSerializer(serializers.Serializer):
    errors = ErrorSerializer(many=True)


class CaseCreatedSerializer(serializers.Serializer):
    case_number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    url = serializers.CharField()


class DateRowSerializer(serializers.Serializer):
    label = serializers.CharField()
    on = serializers.DateField()


class LetterSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    issued_on = serializers.DateField()
    url = serializers.CharField()


class CaseStatusSerializer(serializers.Serializer):
    case_number = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField()
    status_text = serializers.CharField(help_text="The state in plain words.")
    priority = serializers.CharField()
    treatments = serializers.ListField(child=serializers.CharField())
    records_due = serializers.DateField(allow_null=True)
    records_complete_on = serializers.DateField(allow_null=True)
    determination_due = serializers.DateField(allow_null=True)
    dates = DateRowSerializer(many=True)
    waiting_for = serializers.ListField(child=serializers.CharField())
    accepts_records = serializers.BooleanField()
    letter = LetterSerializer(allow_null=True)


def case_status_body(view: CaseStatusView) -> dict[str, Any]:
    letter = view.letter
    return {
        "case_number": view.case_number,
        "status": view.status,
        "status_label": view.status_label,
        "status_text": view.plain_status,
        "priority": view.priority,
        "treatments": view.treatments,
        "records_due": view.records_due.isoformat() if view.records_due else None,
        "records_complete_on": view.records_complete_on.isoformat() if view.records_complete_on else None,
        "determination_due": view.determination_due.isoformat() if view.determination_due else None,
        "dates": [{"label": row.label, "on": row.on.isoformat()} for row in view.dates],
        "waiting_for": view.waiting_for,
        "accepts_records": view.records_open,
        "letter": None
        if letter is None
        else {
            "version": letter.version,
            "issued_on": letter.issued_on.isoformat(),
            "url": reverse("api:letter", args=[view.case_number]),
        },
    }


class RecordUploadSerializer(serializers.Serializer):
    file = serializers.FileField(help_text="A PDF.")
    kind = serializers.ChoiceField(choices=RecordKind.choices)
    date_from = serializers.DateField(help_text="The first date the records cover.")
    date_to = serializers.DateField(help_text="The last date the records cover.")


class ReceivedRecordSerializer(serializers.Serializer):
    document_id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    pages = serializers.IntegerField()
    size = serializers.IntegerField()
    sha256 = serializers.CharField()
    late = serializers.BooleanField()
    days_late = serializers.IntegerField()
    penalty_usd = serializers.IntegerField()


class SubmissionSerializer(serializers.Serializer):
    submission_id = serializers.IntegerField()
    case_number = serializers.CharField()
    submitted_at = serializers.DateTimeField()
    records = ReceivedRecordSerializer(many=True)


def submission_body(submission: RecordSubmission) -> dict[str, Any]:
    return {
        "submission_id": submission.pk,
        "case_number": submission.case.case_number,
        "submitted_at": submission.submitted_at.isoformat(),
        "records": [
            {
                "document_id": record.document_id,
                "name": record.original_name,
                "kind": record.kind,
                "date_from": record.date_from.isoformat(),
                "date_to": record.date_to.isoformat(),
                "pages": record.document.pages,
                "size": record.document.size,
                "sha256": record.document.sha256,
                "late": record.late,
                "days_late": record.days_late,
                "penalty_usd": record.penalty_usd,
            }
            for record in submission.records.select_related("document").order_by("id")
        ],
    }
