"""The admin shows emails; it never writes them (see ViewOnlyAdmin)."""

from django.contrib import admin

from emails.models import Email
from hatch.admin import ViewOnlyAdmin


@admin.register(Email)
class EmailAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "to_email", "from_email", "subject", "status"]
    list_filter = ["status", "created_at"]
    # An X-Message-Id is looked up whole, so it matches on the unique index.
    search_fields = ["to_email", "from_email", "subject", "=provider_message_id"]
    date_hierarchy = "created_at"
    # The order of email_recent_idx, so a page is an index scan.
    ordering = ["-created_at", "-id"]
    # No column reads a related row, so the list needs no joins.
    list_select_related = False
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "id",
                    "created_at",
                    "from_email",
                    "to_email",
                    "cc",
                    "bcc",
                    "reply_to",
                    "subject",
                    "body",
                    "html_content",
                    "attachments",
                    "status",
                    "sent_by",
                ]
            },
        ),
        (
            "Provider",
            {
                "fields": [
                    "provider_message_id",
                    "provider_response",
                    "error_message",
                    "sent_at",
                    "delivered_at",
                    "updated_at",
                ]
            },
        ),
    ]
    readonly_fields = [field for _, options in fieldsets for field in options["fields"]]
