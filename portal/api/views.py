"""The REST API, version 1 (`/api/v1/`): thin doors into the portal's services and selectors.

Every call, answered or refused, writes one access-log row (`AccessLoggedView.finalize_response`):
the organization, the method, the path and the status; the case when the call named one the
organization may see. A case the organization is not a party to answers 404, as one that does
not exist.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from django.db import DatabaseError, transaction
from django.http import FileResponse, Http404, HttpResponseBase
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from cases.models import AccessAction, Case
from cases.services.audit import log_access
from portal import selectors
from portal.api import serializers as api_serializers
from portal.models import CaseLink, Organization, OrganizationAPIKey
from portal.services import api_cases
from portal.services.records import RecordUpload, Submitter, submit_records

ERRORS = OpenApiResponse(api_serializers.ErrorsSerializer, description="What is wrong, field by field.")


class AccessLoggedView(APIView):
    access_action: str = AccessAction.VIEW_CASE

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        self.logged_case: Case | None = None
        super().initial(request, *args, **kwargs)

    @property
    def organization(self) -> Organization:
        auth = getattr(self.request, "auth", None)
        assert isinstance(auth, OrganizationAPIKey)  # HasOrganizationToken let the call in
        return auth.organization

    def link(self, case_number: str) -> CaseLink:
        link = selectors.link_for(organization=self.organization, case_number=case_number)
        if link is None:
            raise Http404(f"No case {case_number} among your organization's cases.")
        self.logged_case = link.case
        return link

    def finalize_response(
        self, request: Request, response: HttpResponseBase, *args: Any, **kwargs: Any
    ) -> HttpResponseBase:
        response = super().finalize_response(request, response, *args, **kwargs)
        auth = getattr(request, "auth", None)
        who = auth.organization.name if isinstance(auth, OrganizationAPIKey) else "no valid token"
        refused = response.status_code >= 400
        try:
            with transaction.atomic():
                log_access(
                    user=None,
                    case=getattr(self, "logged_case", None),
                    action=AccessAction.REFUSED if refused else self.access_action,
                    object_repr=f"API {who}: {request.method} {request.path} {response.status_code}",
                    request=request._request,
                    status_code=response.status_code if refused else None,
                )
        except DatabaseError:  # the answer still goes out; the failure is in the server log
            logging.getLogger(__name__).exception("could not log an API call to %s", request.path[:200])
        return response


class CasesView(AccessLoggedView):
    parser_classes = [JSONParser]
    access_action = AccessAction.CHANGE

    @extend_schema(
        operation_id="submit_case",
        summary="Submit an IMR application (imr-case/1)",
        description="The application in the `imr-case/1` format, checked by the rules of `import_cases` "
        "and written whole or not at all. The case belongs to the submitting organization. Send an "
        "`Idempotency-Key` header to make a retry return the first answer instead of a second case.",
        request=OpenApiTypes.OBJECT,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                required=False,
                description="1 to 200 visible ASCII characters; a UUID per application.",
            )
        ],
        responses={
            201: api_serializers.CaseCreatedSerializer,
            400: ERRORS,
            401: ERRORS,
            422: ERRORS,
            429: ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        answer = api_cases.submit_case(
            organization=self.organization,
            payload=request.data,
            # The parsed body, in one canonical form: a retry that only spaces its JSON differently
            # is the same request (and the raw stream may already be consumed by the parser).
            body=json.dumps(request.data, sort_keys=True, separators=(",", ":")).encode(),
            idempotency_key=request.headers.get("Idempotency-Key"),
            where=f"POST {request.path}",
        )
        self.logged_case = answer.case
        response = Response(answer.body, status=answer.status)
        if answer.replayed:
            response["Idempotent-Replayed"] = "true"
        return response


class CaseView(AccessLoggedView):
    @extend_schema(
        operation_id="get_case",
        summary="A case's status, deadlines and letter",
        responses={200: api_serializers.CaseStatusSerializer, 401: ERRORS, 404: ERRORS, 429: ERRORS},
    )
    def get(self, request: Request, case_number: str) -> Response:
        link = self.link(case_number)
        view = selectors.case_status(case=link.case, role=link.role)
        return Response(api_serializers.case_status_body(view))


class DocumentsView(AccessLoggedView):
    parser_classes = [MultiPartParser]
    access_action = AccessAction.CHANGE

    @extend_schema(
        operation_id="upload_record",
        summary="Upload a PDF record to a case",
        description="multipart/form-data: `file` (a PDF, the staff uploads' checks and size limit), "
        "`kind`, `date_from`, `date_to`. An upload after the records due date is accepted and marked "
        "late with its days late and penalty.",
        request={"multipart/form-data": api_serializers.RecordUploadSerializer},
        responses={
            201: api_serializers.SubmissionSerializer,
            400: ERRORS,
            401: ERRORS,
            404: ERRORS,
            409: ERRORS,
            429: ERRORS,
        },
    )
    def post(self, request: Request, case_number: str) -> Response:
        link = self.link(case_number)
        form = api_serializers.RecordUploadSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        organization = self.organization
        submission = submit_records(
            case_id=link.case_id,
            uploads=[
                RecordUpload(
                    file=form.validated_data["file"],
                    kind=form.validated_data["kind"],
                    date_from=form.validated_data["date_from"],
                    date_to=form.validated_data["date_to"],
                )
            ],
            submitter=Submitter(
                label=organization.name, organization=organization, through_api=True, email=organization.email
            ),
        )
        return Response(api_serializers.submission_body(submission), status=201)


class LetterView(AccessLoggedView):
    access_action = AccessAction.VIEW_LETTER

    @extend_schema(
        operation_id="download_letter",
        summary="The issued Final Determination letter (PDF)",
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The letter."),
            401: ERRORS,
            404: ERRORS,
            429: ERRORS,
        },
    )
    def get(self, request: Request, case_number: str) -> HttpResponseBase:
        link = self.link(case_number)
        letter = selectors.current_letter(case=link.case)
        if letter is None:
            raise Http404(f"No Final Determination letter has been issued for case {case_number} yet.")
        response = FileResponse(
            letter.pdf.open("rb"),
            as_attachment=True,
            filename=f"{link.case.case_number}-final-determination-v{letter.version}.pdf",
            content_type="application/pdf",
        )
        response["Cache-Control"] = "no-store, private"
        response["X-Content-Type-Options"] = "nosniff"
        return response
