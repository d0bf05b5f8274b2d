"""The admin shows emails; it never writes them itself.

The one thing staff can do is ask the delivery pipeline to retry failed emails, which goes
through the email outbox (outbox.engine's retry_failed), as the retry_failed command does
(see ViewOnlyAdmin).
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join

from attachments.selectors import attachment_download_url
from emails.delivery import email_outbox
from emails.models import Email, EmailAttempt, EmailEvent
from emails.providers import email_providers
from web.admin import (
    DeliveryAttemptInline,
    KnownValuesFilter,
    ProviderEventInline,
    ViewOnlyAdmin,
)


class ErrorCodeFilter(KnownValuesFilter):
    def get_known_values(self) -> dict[str, str]:
        # The configured provider's codes, in its words (emails.providers).
        return email_providers.error_descriptions()


class EmailAttemptInline(DeliveryAttemptInline):
    model = EmailAttempt


class EmailEventInline(ProviderEventInline):
    model = EmailEvent
    fields = ["event", "occurred_at", "recipient", "payload_json"]
    verbose_name = "SendGrid event"


@admin.register(Email)
class EmailAdmin(ViewOnlyAdmin):
    list_display = ["created_at", "to_email", "from_email", "subject", "status", "error_code"]
    # sent_by: every user, not only those who sent something (finding those would read
    # the whole emails table, and a team is a short list).
    list_filter = ["status", ("error_code", ErrorCodeFilter), "sent_by", "created_at"]
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
                    "files",
                    "refused_attachments",
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
                    "error_code",
                    "error_message",
                    "sent_at",
                    "delivered_at",
                    "updated_at",
                ]
            },
        ),
        ("Outbox", {"fields": ["attempt_count", "next_attempt_at", "claimed_at"]}),
    ]
    readonly_fields = [field for _, options in fieldsets for field in options["fields"]]
    # Each inline is one query for its rows, however many there are: their columns are
    # the rows' own, never a related record's.
    inlines = [EmailAttemptInline, EmailEventInline]
    actions = ["retry_failed"]

    @admin.display(description="Attachments")
    def files(self, email: Email) -> str:
        links = email.attachment_links.select_related("attachment").order_by("position")
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (attachment_download_url(link.attachment), link.attachment.filename)
                for link in links
            ),
        )

    @admin.action(description="Retry selected failed emails", permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        selected = list(queryset.values_list("id", flat=True))
        result = email_outbox.retry_failed(ids=selected)
        requeued, suppressed = len(result.requeued), len(result.refused)
        self.message_user(
            request,
            f"Re-queued {requeued} failed email{'s' if requeued != 1 else ''}.",
            messages.SUCCESS if requeued else messages.WARNING,
        )
        if suppressed:
            self.message_user(
                request,
                f"Not retried: {suppressed} to an address that bounced, reported spam or "
                "unsubscribed (see Consent > Suppressions).",
                messages.WARNING,
            )
        if others := len(selected) - requeued - suppressed:
            self.message_user(
                request,
                f"Left alone: {others} that had not failed (only failed emails are retried).",
                messages.INFO,
            )
