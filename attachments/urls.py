from django.urls import path

from attachments import views

urlpatterns = [
    path(
        "files/<uuid:attachment_id>/<str:filename>",
        views.attachment_download,
        name="attachment-download",
    ),
    path("media/<str:token>/<str:filename>", views.attachment_public, name="attachment-public"),
]
