from django.urls import path

from cases import edit_views, views

app_name = "cases"

# `/cases/new/` (the intake page, `cases:intake`) is exchange's: imr_site/urls.py adds it here.

urlpatterns = [
    path("", views.queues, name="queues"),
    path("search/", views.search, name="search"),
    path("<int:case_id>/", views.case_detail, name="case"),
    path("<int:case_id>/steps/<slug:action>/", views.case_action, name="action"),
    # The case page as the workplace (cases.edit_views).
    path("<int:case_id>/documents/upload/", edit_views.upload_documents, name="upload_documents"),
    path("<int:case_id>/parties/<int:party_id>/edit/", edit_views.edit_party, name="edit_party"),
    path("<int:case_id>/items/add/", edit_views.add_item, name="add_item"),
    path("<int:case_id>/items/<int:item_id>/remove/", edit_views.remove_item, name="remove_item"),
]
