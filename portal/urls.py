from django.urls import path

from portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("cases/<str:case_number>/", views.case_status, name="case"),
    path("cases/<str:case_number>/complete/", views.declare_complete, name="declare_complete"),
    path("cases/<str:case_number>/letter.pdf", views.letter, name="letter"),
    path("receipts/<int:submission_id>/", views.receipt, name="receipt"),
    # A party without an account: the signed per-party link (no log-in).
    path("p/<str:token>/", views.party_status, name="party_status"),
    path("p/<str:token>/receipts/<int:submission_id>/", views.party_receipt, name="party_receipt"),
    path("p/<str:token>/letter.pdf", views.party_letter, name="party_letter"),
    path("invite/<str:uidb64>/<str:token>/", views.accept_invite, name="accept_invite"),
    # Staff
    path("staff/records/", views.staff_new_records, name="staff_new_records"),
    path("staff/cases/<str:case_number>/records/", views.staff_case_records, name="staff_case_records"),
    path("staff/invite/", views.staff_invite, name="staff_invite"),
]
