from django.urls import path

from exports.api import ExportJobViewSet, ExportViewSet

urlpatterns = [
    path(
        "api/export/messages.csv",
        ExportViewSet.as_view({"get": "messages"}),
        name="export-messages",
    ),
    path(
        "api/export/jobs/<str:pk>",
        ExportJobViewSet.as_view({"get": "retrieve"}),
        name="export_job-detail",
    ),
    path(
        "api/export/jobs/<str:pk>/download",
        ExportJobViewSet.as_view({"get": "download"}),
        name="export_job-download",
    ),
]
