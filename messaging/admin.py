"""The admin shows messages; it never writes them itself (conversations: conversations.admin).

The one thing staff can do is ask the delivery pipeline to retry failed messages, which
goes through messaging.services like every other write (see ViewOnlyAdmin).
"""

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html_join
from django.utils.text import Truncator

from attachments.selectors import attachment_download_url
from messaging.delivery import sms_outbox
from messaging.models import (
    Message,
    MessageAttempt,
    MessageEvent,
)
from messaging.providers import sms_providers
from web.admin import (
    DeliveryAttemptInline,
    KnownValuesFilter,
    PhoneSearchMixin,
    ProviderEventInline,
    ViewOnlyAdmin,
)


class ErrorCodeFilter(KnownValuesFilter):
    def get_known_values(self) -> dict[str, str]:
        # The configured provider's codes, in its words (messaging.providers).
        return sms_providers.error_descriptions()


class MessageAttemptInline(DeliveryAttemptInline):
    model = MessageAttempt


class MessageEventInline(ProviderEventInline):
    model = MessageEvent
    fields = ["received_at", "provider_status", "error_code", "payload_json"]
    verbose_name = "status callback"


@admin.register(Message)
class MessageAdmin(PhoneSearchMixin, ViewOnlyAdmin):
    list_display = [
        "created_at",
        "from_contact",
        "to_contact",
        "short_body",
        "channel",
        "direction",
        "status",
        "error_code",
    ]
    list_filter = [
        "status",
        ("error_code", ErrorCodeFilter),
        "direction",
        "channel",
        # Every user, not only those who sent something: finding those would read the
        # whole messages table, and a team is a short list.
        "sent_by",
        "created_at",
    ]
    # A MessageSid is looked up whole, so it matches on the unique index.
    search_fields = ["to_contact", "from_contact", "body", "=provider_message_id"]
    phone_search_fields = ["to_contact", "from_contact"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    # No column reads a related row, so the list needs no joins: one query per page,
    # pinned by the query-count tests.
    list_select_related = False
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "id",
                    "conversation",
                    "created_at",
                    "from_contact",
                    "to_contact",
                    "body",
                    "channel",
                    "direction",
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
                    "error_code",
                    "error_message",
                    "num_segments",
                    "num_media",
                    "files",
                    "media_status",
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
    inlines = [MessageAttemptInline, MessageEventInline]
    actions = ["retry_failed"]

    @admin.display(description="Body")
    def short_body(self, message: Message) -> str:
        return Truncator(message.body).chars(60)

    @admin.display(description="Files")
    def files(self, message: Message) -> str:
        links = message.attachment_links.select_related("attachment").order_by("position")
        return format_html_join(
            ", ",
            '<a href="{}">{}</a>',
            (
                (attachment_download_url(link.attachment), link.attachment.filename)
                for link in links
            ),
        )

    @admin.action(description="Retry selected failed messages", permissions=["retry"])
    def retry_failed(self, request: HttpRequest, queryset: QuerySet) -> None:
        selected = list(queryset.values_list("id", flat=True))
        result = sms_outbox.retry_failed(ids=selected)
        requeued, opted_out = len(result.requeued), len(result.refused)
        self.message_user(
            request,
            f"Re-queued {requeued} failed message{'s' if requeued != 1 else ''}.",
            messages.SUCCESS if requeued else messages.WARNING,
        )
        if opted_out:
            self.message_user(
                request,
                f"Not retried: {opted_out} to recipients who opted out (replied STOP).",
                messages.WARNING,
            )
        others = len(selected) - requeued - opted_out
        if others:
            self.message_user(
                request,
                f"Left alone: {others} that had not failed (only failed messages are retried).",
                messages.INFO,
            )
