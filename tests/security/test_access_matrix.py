"""The access matrix (issue 13, "Checked by"): every URL of the root resolver x every role.

Every URL pattern reachable from `imr_site.urls` is requested, with real objects for its
arguments (tests/security/matrix_support.py builds them), by one client per role: anonymous, a
password-only session (the password passed, not the second factor; DEBUG is off in the tests),
intake staff, clinical QA, the reviewer assigned to the case, another reviewer, an
administrator, a user of the organization linked to the portal's cases (the claims administrator
of the issued case and of the case in review), a user of another organization (linked to another
case: 404 on the first's cases everywhere), and, with no session, the first organization's API
token and the other organization's (`Authorization: Api-Key ...`). Each answer must be the one EXPECTED names. A URL added to the project without a
row here fails `test_every_url_has_a_row`; a role that gets more (or less) than its row says fails
`test_every_url_answers_every_role_as_the_matrix_says`.

How a row reads: GET first; a URL that answers GET with 405 is POSTed with an empty body (no form
token, no fields: none of these POSTs changes case data; the backup-codes page makes the user new
codes, the keep-alive restarts the idle clock), written "p<answer>". Answers: "200", "302" (a
redirect elsewhere than below), "login" (to the log-in page), "adm" (to the admin's log-in page:
signed in, but not admin-console staff), "2fa" (to the second-factor step), "400", "401" (the API
without a token), "403", "404", "415" (an empty form POSTed where the API takes JSON).
Public pages (log-in, the decision library, /healthz, static files, the API's schema, a party's
signed link, an invitation link) answer every role alike. An organization's user reaches the
portal only (404 elsewhere, portal.middleware); an API token opens no page (the anonymous visitor).

Besides the answers: every URL in READS_CASE_DATA that answers 200 wrote at least one access-log
row naming the user who asked (issue 13 item 5; through a party's link with no session, and
through the API, no user: an API row names the organization), every 403/404 under a case-data
path wrote a "refused" row, and every API call (answered or refused) wrote a row naming who called.
"""

# ruff: noqa: E501 (the matrix is one table, a row per URL)

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from cases.middleware import CASE_DATA_PATH_PREFIXES
from cases.models import AccessAction, AccessLogEntry, Case, NoticeKind
from cases.steps import STEPS
from tests.security.matrix_support import (
    ADMIN,
    ANONYMOUS,
    API_KEY,
    ORG_USER,
    OTHER_API_KEY,
    OTHER_ORG_USER,
    PASSWORD_ONLY,
    ROLES,
    WITH_TOKEN,
    World,
    build_world,
    clients,
    content_type_id,
    url_patterns,
)

pytestmark = pytest.mark.django_db

# /healthz answers 200 when every check passes, 503 naming the failing ones (no Celery worker
# runs in this test): either way the same to everyone, never a log-in redirect.
HEALTH = "health"
# Log-out is a POST (GET: 405) that ends the session: asked by test_logout_ends_every_session.
LOGOUT_ROUTES = ("accounts/logout/", "admin/logout/")

# fmt: off
# Columns (ROLES): anonymous, password_only, intake, qa, assigned_reviewer, other_reviewer, admin,
# org_user, other_org_user, api_key, other_api_key.
#   route                                                           anon   pw     intake qa     asgnd  other  admin  org    o-org  key    o-key
EXPECTED: dict[str, str] = {
    "":                                                            "login  2fa    302    302    302    302    302    302    302    login  login",
    "healthz": "health " * 11,
    "accounts/login/":                                             "200    200    200    200    200    200    200    200    200    200    200",
    "accounts/logout/":                                            "login  plogin plogin plogin plogin plogin plogin plogin plogin login  login",
    "accounts/second-factor/":                                     "login  2fa    302    302    302    302    302    302    302    login  login",
    "accounts/second-factor/setup/":                               "login  200    200    200    200    200    200    200    200    login  login",
    "accounts/second-factor/setup/qr.svg":                         "login  200    200    200    200    200    200    200    200    login  login",
    "accounts/second-factor/backup-codes/":                        "login  2fa    p200   p200   p200   p200   p200   p200   p200   login  login",
    "accounts/session/keepalive/":                                 "login  2fa    p200   p200   p200   p200   p200   p200   p200   login  login",
    "admin/":                                                      "adm    2fa    200    adm    adm    adm    200    404    404    adm    adm",
    "admin/login/":                                                "200    302    302    200    200    200    302    404    404    200    200",
    "admin/logout/":                                               "adm    2fa    plogin 302    302    302    plogin 404    404    adm    adm",
    "admin/password_change/":                                      "adm    2fa    200    adm    adm    adm    200    404    404    adm    adm",
    "admin/password_change/done/":                                 "adm    2fa    200    adm    adm    adm    200    404    404    adm    adm",
    "admin/autocomplete/":                                         "adm    2fa    403    adm    adm    adm    403    404    404    adm    adm",
    "admin/jsi18n/":                                               "adm    2fa    200    adm    adm    adm    200    404    404    adm    adm",
    "admin/r/<path:content_type_id>/<path:object_id>/":            "adm    2fa    404    adm    adm    adm    404    404    404    adm    adm",
    "admin/auth/group/":                                           "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/group/add/":                                       "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/group/<path:object_id>/history/":                  "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/group/<path:object_id>/delete/":                   "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/group/<path:object_id>/change/":                   "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/group/<path:object_id>/":                          "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/auth/user/<id>/password/":                              "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/user/":                                            "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/user/add/":                                        "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/user/<path:object_id>/history/":                   "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/user/<path:object_id>/delete/":                    "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/user/<path:object_id>/change/":                    "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/auth/user/<path:object_id>/":                           "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/otp_totp/totpdevice/<int:pk>/config/":                  "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_totp/totpdevice/<int:pk>/qrcode/":                  "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_totp/totpdevice/":                                  "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_totp/totpdevice/add/":                              "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_totp/totpdevice/<path:object_id>/history/":         "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_totp/totpdevice/<path:object_id>/delete/":          "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_totp/totpdevice/<path:object_id>/change/":          "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_totp/totpdevice/<path:object_id>/":                 "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/otp_static/staticdevice/":                              "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_static/staticdevice/add/":                          "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_static/staticdevice/<path:object_id>/history/":     "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_static/staticdevice/<path:object_id>/delete/":      "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_static/staticdevice/<path:object_id>/change/":      "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/otp_static/staticdevice/<path:object_id>/":             "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/axes/accessattempt/":                                   "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accessattempt/add/":                               "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/axes/accessattempt/<path:object_id>/history/":          "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accessattempt/<path:object_id>/delete/":           "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accessattempt/<path:object_id>/change/":           "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accessattempt/<path:object_id>/":                  "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/axes/accesslog/":                                       "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accesslog/add/":                                   "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/axes/accesslog/<path:object_id>/history/":              "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accesslog/<path:object_id>/delete/":               "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accesslog/<path:object_id>/change/":               "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accesslog/<path:object_id>/":                      "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/axes/accessfailurelog/":                                "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accessfailurelog/add/":                            "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/axes/accessfailurelog/<path:object_id>/history/":       "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accessfailurelog/<path:object_id>/delete/":        "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accessfailurelog/<path:object_id>/change/":        "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/axes/accessfailurelog/<path:object_id>/":               "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/cases/case/":                                           "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/case/add/":                                       "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/case/<path:object_id>/history/":                  "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/case/<path:object_id>/delete/":                   "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/cases/case/<path:object_id>/change/":                   "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/case/<path:object_id>/":                          "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/cases/party/":                                          "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/party/add/":                                      "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/party/<path:object_id>/history/":                 "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/party/<path:object_id>/delete/":                  "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/cases/party/<path:object_id>/change/":                  "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/party/<path:object_id>/":                         "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/cases/disputeditem/":                                   "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/disputeditem/add/":                               "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/disputeditem/<path:object_id>/history/":          "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/disputeditem/<path:object_id>/delete/":           "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/cases/disputeditem/<path:object_id>/change/":           "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/disputeditem/<path:object_id>/":                  "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/cases/document/":                                       "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/document/add/":                                   "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/document/<path:object_id>/history/":              "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/document/<path:object_id>/delete/":               "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/cases/document/<path:object_id>/change/":               "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/document/<path:object_id>/":                      "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/cases/caseevent/":                                      "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/caseevent/add/":                                  "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/cases/caseevent/<path:object_id>/history/":             "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/caseevent/<path:object_id>/delete/":              "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/cases/caseevent/<path:object_id>/change/":              "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/cases/caseevent/<path:object_id>/":                     "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/cases/accesslogentry/":                                 "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/cases/accesslogentry/add/":                             "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/cases/accesslogentry/<path:object_id>/history/":        "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/cases/accesslogentry/<path:object_id>/delete/":         "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/cases/accesslogentry/<path:object_id>/change/":         "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/cases/accesslogentry/<path:object_id>/":                "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/reviewers/reviewer/":                                   "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/reviewer/add/":                               "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/reviewer/<path:object_id>/history/":          "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/reviewer/<path:object_id>/delete/":           "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/reviewer/<path:object_id>/change/":           "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/reviewer/<path:object_id>/":                  "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/reviewers/specialtyrule/":                              "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/specialtyrule/add/":                          "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/specialtyrule/<path:object_id>/history/":     "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/specialtyrule/<path:object_id>/delete/":      "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/specialtyrule/<path:object_id>/change/":      "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/specialtyrule/<path:object_id>/":             "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/reviewers/assignment/":                                 "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/assignment/add/":                             "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/reviewers/assignment/<path:object_id>/history/":        "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/assignment/<path:object_id>/delete/":         "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/reviewers/assignment/<path:object_id>/change/":         "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/reviewers/assignment/<path:object_id>/":                "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/determinations/determination/":                         "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/determination/add/":                     "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/determination/<path:object_id>/history/": "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/determination/<path:object_id>/delete/": "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/determinations/determination/<path:object_id>/change/": "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/determination/<path:object_id>/":        "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/determinations/guidelineentry/":                        "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/guidelineentry/add/":                    "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/guidelineentry/<path:object_id>/history/": "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/guidelineentry/<path:object_id>/delete/": "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/guidelineentry/<path:object_id>/change/": "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/guidelineentry/<path:object_id>/":       "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/determinations/letter/":                                "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/letter/add/":                            "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/determinations/letter/<path:object_id>/history/":       "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/letter/<path:object_id>/delete/":        "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/determinations/letter/<path:object_id>/change/":        "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/letter/<path:object_id>/":               "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/determinations/delivery/":                              "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/delivery/add/":                          "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/determinations/delivery/<path:object_id>/history/":     "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/delivery/<path:object_id>/delete/":      "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/determinations/delivery/<path:object_id>/change/":      "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/delivery/<path:object_id>/":             "login  2fa    302    adm    adm    adm    302    404    404    login  login",

    "admin/determinations/notice/":                                "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/notice/add/":                            "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/determinations/notice/<path:object_id>/history/":       "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/notice/<path:object_id>/delete/":        "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/determinations/notice/<path:object_id>/change/":        "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/determinations/notice/<path:object_id>/":               "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/portal/organization/":                                  "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/organization/add/":                              "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/organization/<path:object_id>/history/":         "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/organization/<path:object_id>/delete/":          "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/portal/organization/<path:object_id>/change/":          "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/organization/<path:object_id>/":                 "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/portal/caselink/":                                      "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/caselink/add/":                                  "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/caselink/<path:object_id>/history/":             "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/caselink/<path:object_id>/delete/":              "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/portal/caselink/<path:object_id>/change/":              "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/caselink/<path:object_id>/":                     "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/portal/organizationapikey/":                            "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/organizationapikey/add/":                        "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/organizationapikey/<path:object_id>/history/":   "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/organizationapikey/<path:object_id>/delete/":    "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/portal/organizationapikey/<path:object_id>/change/":    "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/organizationapikey/<path:object_id>/":           "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/portal/partylink/":                                     "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/partylink/add/":                                 "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/portal/partylink/<path:object_id>/history/":            "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/partylink/<path:object_id>/delete/":             "login  2fa    403    adm    adm    adm    200    404    404    login  login",
    "admin/portal/partylink/<path:object_id>/change/":             "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/partylink/<path:object_id>/":                    "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/portal/submittedrecord/":                               "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/submittedrecord/add/":                           "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/portal/submittedrecord/<path:object_id>/history/":      "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/submittedrecord/<path:object_id>/delete/":       "login  2fa    403    adm    adm    adm    403    404    404    login  login",
    "admin/portal/submittedrecord/<path:object_id>/change/":       "login  2fa    200    adm    adm    adm    200    404    404    login  login",
    "admin/portal/submittedrecord/<path:object_id>/":              "login  2fa    302    adm    adm    adm    302    404    404    login  login",
    "admin/^(?P<app_label>auth|otp_totp|otp_static|axes|cases|reviewers|determinations|portal)/$": "adm    2fa    200    adm    adm    adm    200    404    404    adm    adm",
    "admin/(?P<url>.*)$":                                          "adm    2fa    404    adm    adm    adm    404    404    404    adm    adm",
    "cases/new/":                                                  "login  2fa    200    403    403    403    200    404    404    login  login",
    "cases/":                                                      "login  2fa    200    200    403    403    200    404    404    login  login",
    "cases/search/":                                               "login  2fa    200    200    403    403    200    404    404    login  login",
    "cases/<int:case_id>/":                                        "login  2fa    200    200    403    403    200    404    404    login  login",
    "cases/<int:case_id>/steps/<slug:action>/":                    "login  2fa    200    403    403    403    200    404    404    login  login",
    # The case page's own edits (issue 16): intake staff and administrators; the item pages of a
    # case in review say why its treatments cannot change (200, no form).
    "cases/<int:case_id>/documents/upload/":                       "login  2fa    200    403    403    403    200    404    404    login  login",
    "cases/<int:case_id>/parties/<int:party_id>/edit/":            "login  2fa    200    403    403    403    200    404    404    login  login",
    "cases/<int:case_id>/items/add/":                              "login  2fa    200    403    403    403    200    404    404    login  login",
    "cases/<int:case_id>/items/<int:item_id>/remove/":             "login  2fa    200    403    403    403    200    404    404    login  login",
    "review/":                                                     "login  2fa    404    404    200    200    404    404    404    login  login",
    "review/cases/<int:case_id>/":                                 "login  2fa    404    404    200    404    404    404    404    login  login",
    "review/cases/<int:case_id>/accept/":                          "login  2fa    p404   p404   p302   p404   p404   404    404    login  login",
    "review/cases/<int:case_id>/decline/":                         "login  2fa    p404   p404   p302   p404   p404   404    404    login  login",
    "review/cases/<int:case_id>/determination/":                   "login  2fa    p404   p404   p400   p404   p404   404    404    login  login",
    "review/cases/<int:case_id>/determination/preview/":           "login  2fa    404    404    302    404    404    404    404    login  login",
    "review/cases/<int:case_id>/determination/submit/":            "login  2fa    p404   p404   p400   p404   p404   404    404    login  login",
    "review/qa/":                                                  "login  2fa    403    200    403    403    200    404    404    login  login",
    "review/qa/determinations/<int:determination_id>/":            "login  2fa    403    200    403    403    200    404    404    login  login",
    "review/qa/determinations/<int:determination_id>/approve/":    "login  2fa    p403   p400   p403   p403   p400   404    404    login  login",
    "review/qa/determinations/<int:determination_id>/return/":     "login  2fa    p403   p400   p403   p403   p400   404    404    login  login",
    "reviewers/":                                                  "login  2fa    200    403    403    403    200    404    404    login  login",
    "reviewers/cases/<int:case_id>/candidates/":                   "login  2fa    200    403    403    403    200    404    404    login  login",
    "letters/to-post/":                                            "login  2fa    200    403    403    403    200    404    404    login  login",
    "letters/to-post/batch.pdf":                                   "login  2fa    200    403    403    403    200    404    404    login  login",
    # The post batch is its requester's print job (intake here): the administrator gets a 404 too.
    "letters/to-post/batches/":                                    "login  2fa    p400   p403   p403   p403   p400   404    404    login  login",
    "letters/to-post/batches/<int:batch_id>/":                     "login  2fa    200    403    403    403    404    404    404    login  login",
    "letters/to-post/batches/<int:batch_id>/download/":            "login  2fa    200    403    403    403    404    404    404    login  login",
    # A determination's letter status (the one in QA: not approved yet): who may see its letter.
    "letters/determinations/<int:determination_id>/letter-status/": "login  2fa    200    200    403    403    200    404    404    login  login",
    "letters/cases/<case_number:case_number>/deliveries/":         "login  2fa    200    403    403    403    200    404    404    login  login",
    "letters/deliveries/<int:delivery_id>/resend/":                "login  2fa    200    403    403    403    200    404    404    login  login",
    "letters/cases/<case_number:case_number>/notices/<slug:kind>/preview/": "login  2fa    200    403    403    403    200    404    404    login  login",
    "letters/notices/<int:notice_id>/download/":                   "login  2fa    200    200    403    403    200    404    404    login  login",
    "letters/letters/<int:letter_id>/download/":                   "login  2fa    200    200    403    403    200    404    404    login  login",
    "documents/<int:document_id>/":                                "login  2fa    200    200    200    404    200    404    404    login  login",
    "jobs/":                                                       "login  2fa    403    403    403    403    200    404    404    login  login",
    "jobs/<int:job_id>/":                                          "login  2fa    403    403    403    403    p302   404    404    login  login",
    "decisions/":                                                  "200    200    200    200    200    200    200    200    200    200    200",
    "decisions/<str:case_number>/letter.pdf":                      "200    200    200    200    200    200    200    200    200    200    200",
    # The portal: an organization's users only, and their organization's cases only (the staff,
    # the reviewers and the administrators are not a party: 404, as for a page that is not theirs).
    "portal/":                                                     "login  2fa    404    404    404    404    404    200    200    login  login",
    "portal/cases/<str:case_number>/":                             "login  2fa    404    404    404    404    404    200    404    login  login",
    "portal/cases/<str:case_number>/complete/":                    "login  2fa    p404   p404   p404   p404   p404   p302   p404   login  login",
    "portal/cases/<str:case_number>/letter.pdf":                   "login  2fa    404    404    404    404    404    200    404    login  login",
    "portal/receipts/<int:submission_id>/":                        "login  2fa    404    404    404    404    404    200    404    login  login",
    # A party's signed link: the link is the key (no log-in), the same to everyone who holds it.
    "portal/p/<str:token>/": "200 " * 11,
    "portal/p/<str:token>/receipts/<int:submission_id>/": "200 " * 11,
    "portal/p/<str:token>/letter.pdf": "200 " * 11,
    "portal/invite/<str:uidb64>/<str:token>/": "200 " * 11,
    # The staff's side of the portal.
    "portal/staff/records/":                                       "login  2fa    200    200    403    403    200    404    404    login  login",
    "portal/staff/cases/<str:case_number>/records/":               "login  2fa    200    200    403    403    200    404    404    login  login",
    "portal/staff/invite/":                                        "login  2fa    200    403    403    403    200    404    404    login  login",
    # The API: the organization's token, never a session (401 without a token).
    "api/v1/schema/": "200 " * 11,
    "api/v1/cases":                                                "401    401    401    401    401    401    401    401    401    p415   p415",
    "api/v1/cases/<str:case_number>":                              "401    401    401    401    401    401    401    401    401    200    404",
    "api/v1/cases/<str:case_number>/documents":                    "401    401    401    401    401    401    401    401    401    p400   p404",
    "api/v1/cases/<str:case_number>/letter.pdf":                   "401    401    401    401    401    401    401    401    401    200    404",
    # Billing: administrators only.
    "billing/":                                                    "login  2fa    403    403    403    403    200    404    404    login  login",
    "billing/issue/":                                              "login  2fa    403    403    403    403    p400   404    404    login  login",
    "billing/outstanding/":                                        "login  2fa    403    403    403    403    200    404    404    login  login",
    "billing/outstanding/csv/":                                    "login  2fa    403    403    403    403    200    404    404    login  login",
    "billing/invoices/<int:invoice_id>/":                          "login  2fa    403    403    403    403    200    404    404    login  login",
    "billing/invoices/<int:invoice_id>/paid/":                     "login  2fa    403    403    403    403    p400   404    404    login  login",
    "billing/invoices/<int:invoice_id>/posted/":                   "login  2fa    403    403    403    403    p400   404    404    login  login",
    "billing/invoices/<int:invoice_id>/pdf/":                      "login  2fa    403    403    403    403    200    404    404    login  login",
    "billing/invoices/<int:invoice_id>/csv/":                      "login  2fa    403    403    403    403    200    404    404    login  login",
    # The dashboard and the reports: intake staff and administrators.
    "dashboard/":                                                  "login  2fa    200    403    403    403    200    404    404    login  login",
    "reports/":                                                    "login  2fa    200    403    403    403    200    404    404    login  login",
    "reports/<slug:kind>/":                                        "login  2fa    200    403    403    403    200    404    404    login  login",
    "reports/<slug:kind>.csv":                                     "login  2fa    200    403    403    403    200    404    404    login  login",
}
# fmt: on

PUBLIC = {
    "healthz",
    "accounts/login/",
    "decisions/",
    "decisions/<str:case_number>/letter.pdf",
    "api/v1/schema/",
    # A party's signed link and an invitation: the token in the address is the key.
    "portal/p/<str:token>/",
    "portal/p/<str:token>/receipts/<int:submission_id>/",
    "portal/p/<str:token>/letter.pdf",
    "portal/invite/<str:uidb64>/<str:token>/",
}
# The API: no session, the organization's token; every call (also refused) writes an access-log row.
API_CASE_ROUTES = (
    "api/v1/cases",
    "api/v1/cases/<str:case_number>",
    "api/v1/cases/<str:case_number>/documents",
    "api/v1/cases/<str:case_number>/letter.pdf",
)
# What an organization's user may open besides the portal (portal.middleware): every other page 404s.
ORGANIZATION_USER_PREFIXES = ("portal/", "accounts/", "decisions/", "api/", "healthz")

# Admin pages of models that hold case data: lists, object pages, history, delete confirmation.
_CASE_DATA_ADMIN_MODELS = (
    "cases/case",
    "cases/party",
    "cases/disputeditem",
    "cases/document",
    "cases/caseevent",
    "cases/accesslogentry",
    "reviewers/assignment",
    "determinations/determination",
    "determinations/letter",
    "determinations/delivery",
    "determinations/notice",
    "portal/caselink",
    "portal/partylink",
    "portal/submittedrecord",
)
READS_CASE_DATA = {
    "cases/",
    "cases/<int:case_id>/",
    "cases/<int:case_id>/steps/<slug:action>/",
    "cases/<int:case_id>/documents/upload/",
    "cases/<int:case_id>/parties/<int:party_id>/edit/",
    "cases/<int:case_id>/items/add/",
    "cases/<int:case_id>/items/<int:item_id>/remove/",
    "review/",
    "review/cases/<int:case_id>/",
    "review/qa/",
    "review/qa/determinations/<int:determination_id>/",
    "reviewers/cases/<int:case_id>/candidates/",
    "letters/to-post/",
    "letters/to-post/batch.pdf",
    "letters/to-post/batches/<int:batch_id>/download/",
    "letters/determinations/<int:determination_id>/letter-status/",
    "letters/cases/<case_number:case_number>/deliveries/",
    "letters/deliveries/<int:delivery_id>/resend/",
    "letters/letters/<int:letter_id>/download/",
    "letters/cases/<case_number:case_number>/notices/<slug:kind>/preview/",
    "letters/notices/<int:notice_id>/download/",
    "documents/<int:document_id>/",
    "portal/",
    "portal/cases/<str:case_number>/",
    "portal/cases/<str:case_number>/letter.pdf",
    "portal/receipts/<int:submission_id>/",
    "portal/p/<str:token>/",
    "portal/p/<str:token>/receipts/<int:submission_id>/",
    "portal/p/<str:token>/letter.pdf",
    "portal/staff/records/",
    "portal/staff/cases/<str:case_number>/records/",
    "api/v1/cases/<str:case_number>",
    "api/v1/cases/<str:case_number>/letter.pdf",
    "billing/invoices/<int:invoice_id>/",
    "billing/invoices/<int:invoice_id>/pdf/",
    "billing/invoices/<int:invoice_id>/csv/",
    "reports/<slug:kind>/",
    "reports/<slug:kind>.csv",
    *(
        f"admin/{model}/{page}"
        for model in _CASE_DATA_ADMIN_MODELS
        for page in ("", "<path:object_id>/history/", "<path:object_id>/delete/", "<path:object_id>/change/")
    ),
}


def expected_of(route: str) -> list[str]:
    return EXPECTED[route].split()


def concrete_path(route: str, world: World) -> str:
    """The route with a real object for each of its arguments."""
    if route.startswith("admin/^(?P<app_label>"):
        return "/admin/cases/"
    if route == "admin/(?P<url>.*)$":
        return "/admin/no-such-page/"
    model_key = "/".join(route.split("/")[1:3]) if route.startswith("admin/") else ""
    values = {
        "case_id": world.case_in_review.pk,
        "party_id": world.case_in_review.parties.order_by("pk").values_list("pk", flat=True).first(),
        "item_id": world.case_in_review.disputed_items.order_by("pk").values_list("pk", flat=True).first(),
        "action": STEPS["withdraw"].key,  # a step's page (GET), open on the case in review
        "determination_id": world.in_qa.pk,
        "case_number": world.issued.case.case_number,
        "delivery_id": world.delivery.pk,
        "letter_id": world.letter.pk,
        "document_id": world.document.pk,
        "job_id": world.job.pk,
        "object_id": world.admin_objects.get(model_key),
        "id": world.users[ADMIN].pk,  # the admin's change-password page of a user
        "pk": world.admin_objects["otp_totp/totpdevice"],
        "content_type_id": content_type_id(Case),
        "submission_id": world.submission.pk,
        "token": world.party_token,
        "invoice_id": world.invoice.pk,
        "notice_id": world.notice.pk,
        "kind": world.report_kind,
        "batch_id": world.post_batch.pk,
    }
    if route.startswith("portal/p/<str:token>/receipts/"):  # the employee's upload through its link
        values["token"], values["submission_id"] = world.party_upload_token, world.party_submission.pk
    if route.startswith("letters/"):  # a notice's preview: the NOARFI of the issued case, as it would go
        values["kind"] = NoticeKind.NOARFI
    if route.startswith("portal/invite/"):
        values["uidb64"], values["token"] = world.invitation
    if route == "admin/r/<path:content_type_id>/<path:object_id>/":
        values["object_id"] = world.case_in_review.pk

    def fill(match: re.Match) -> str:
        value = values[match.group(1)]
        assert value is not None, f"no object for {match.group(1)} in {route}"
        return str(value)

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)


def outcome(response) -> str:
    if response.status_code in (301, 302):
        location = response["Location"]
        if location.startswith(reverse("login")):
            return "login"
        if location.startswith(reverse("admin:login")):
            return "adm"
        if location.startswith(reverse("second_factor")):
            return "2fa"
        return "302"
    return str(response.status_code)


def ask(client: Client, path: str) -> tuple[str, int]:
    response = client.get(path)
    if response.status_code == 405:
        response = client.post(path)
        return f"p{outcome(response)}", response.status_code
    return outcome(response), response.status_code


def test_every_url_has_a_row():
    routes = [route for route, _pattern in url_patterns()]
    assert len(routes) == len(set(routes)), "two URL patterns with the same route"
    missing = sorted(set(routes) - set(EXPECTED))
    assert not missing, f"URLs without a row in the access matrix (add one: who may see them?): {missing}"
    assert not sorted(set(EXPECTED) - set(routes)), "rows for URLs that no longer exist"
    assert all(len(expected_of(route)) == len(ROLES) for route in EXPECTED)
    # Public pages answer every role alike; every other page refuses the anonymous and the
    # password-only session; the API answers 401 to every session without a token; a token opens
    # no page (it is the anonymous visitor there); an organization's user reaches the portal only.
    for route in EXPECTED:
        row = dict(zip(ROLES, expected_of(route), strict=True))
        if route in PUBLIC:
            assert len(set(row.values())) == 1, route
            continue
        if route in API_CASE_ROUTES:
            assert {row[role] for role in ROLES if role not in WITH_TOKEN} == {"401"}, route
            continue
        assert row[API_KEY] == row[OTHER_API_KEY] == row[ANONYMOUS], route
        if not route.startswith(ORGANIZATION_USER_PREFIXES) and route != "":
            assert row[ORG_USER] == row[OTHER_ORG_USER] == "404", route
        if route not in ("admin/login/", *LOGOUT_ROUTES):
            assert row[ANONYMOUS] in ("login", "adm"), route
            assert row[PASSWORD_ONLY] in ("2fa", "200") and (
                row[PASSWORD_ONLY] == "2fa" or "second-factor" in route
            ), route
    # The other organization's user and token get nothing of the first organization's cases.
    for route in EXPECTED:
        if "<str:case_number>" in route or "<int:submission_id>" in route:
            if route.startswith("portal/") and route not in PUBLIC and not route.startswith("portal/staff/"):
                assert expected_of(route)[ROLES.index(OTHER_ORG_USER)] in ("404", "p404"), route
            if route in API_CASE_ROUTES:
                assert expected_of(route)[ROLES.index(OTHER_API_KEY)] in ("404", "p404"), route


def test_every_url_answers_every_role_as_the_matrix_says():
    world = build_world()
    made = clients(world)
    wrong: list[str] = []
    unlogged: list[str] = []
    for route, _pattern in url_patterns():
        if route in LOGOUT_ROUTES:
            continue
        path = concrete_path(route, world)
        for role, expected in zip(ROLES, expected_of(route), strict=True):
            before = AccessLogEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
            got, status = ask(made[role], path)
            ok = got in ("200", "503") if expected == HEALTH else got == expected
            if not ok:
                wrong.append(f"{role:17} {path}: {got}, the matrix says {expected}")
            rows = AccessLogEntry.objects.filter(id__gt=before)
            if route in API_CASE_ROUTES:  # every call, answered or refused, names who called
                who = {API_KEY: world.organization.name, OTHER_API_KEY: world.other_organization.name}
                if not rows.filter(object_repr__contains=f"API {who.get(role, 'no valid token')}:").exists():
                    unlogged.append(f"{role} {path} (API call {status})")
            if role == ANONYMOUS:
                continue
            # Who asked: the signed-in user; with a token, no user (the row names the organization).
            new = rows.filter(user=world.users.get(role))
            if status == 200 and route in READS_CASE_DATA and not new.exists():
                unlogged.append(f"{role} {path}")
            refused = status in (403, 404) and path.startswith(CASE_DATA_PATH_PREFIXES)
            if refused and not new.filter(action=AccessAction.REFUSED, status_code=status).exists():
                unlogged.append(f"{role} {path} (refused {status})")
    assert not wrong, "\n".join(wrong)
    assert not unlogged, "read or refused without an access-log row:\n" + "\n".join(unlogged)


def test_logout_ends_every_session():
    world = build_world()
    made = clients(world)
    for route in LOGOUT_ROUTES:
        answers = []
        for role in ROLES:
            client = made[role]
            got, _status = ask(client, "/" + route)
            answers.append(got)
            if got.startswith("p"):  # a log-out was posted
                # The session is gone on the server: the next page asks for the log-in again.
                assert outcome(client.get(reverse("cases:queues"))) == "login", (route, role)
            if role in world.users:
                client.force_login(world.users[role])
        assert answers == expected_of(route), (route, answers)


def test_static_files_are_public(settings):
    # Production serves the collected files (whitenoise, before any log-in check); the tests
    # collect nothing, so whitenoise looks them up in the apps' folders.
    settings.WHITENOISE_USE_FINDERS = True
    anonymous = Client()
    for path in ("/static/css/site.css", "/static/js/idle-logoff.js"):
        assert anonymous.get(path).status_code == 200, path
