from django.contrib import admin
from django.utils.html import format_html

from attachments import selectors
from attachments.models import Attachment
from web.admin import ViewOnlyAdmin


@admin.register(Attachment)
class AttachmentAdmin(ViewOnlyAdmin):
    """Stored files, read-only: attachments.services is their only writer."""

    list_display = ["filename", "content_type", "size", "created_at"]
    search_fields = ["filename"]
    # Not the FileField itself: the admin would link to the storage's own URL, which skips
    # the serving view's headers (and, on S3, hands out a pre-signed URL).
    fields = ["id", "open_link", "content_type", "size", "sha256", "stored_as", "created_at"]
    readonly_fields = fields

    @admin.display(description="File")
    def open_link(self, attachment: Attachment) -> str:
        return format_html(
            '<a href="{}">{}</a>',
            selectors.attachment_download_url(attachment),
            attachment.filename,
        )

    @admin.display(description="Stored as")
    def stored_as(self, attachment: Attachment) -> str:
        return attachment.file.name
