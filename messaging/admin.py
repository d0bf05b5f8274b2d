"""The admin shows conversations, messages and opt-outs; it never writes them itself.

The one thing staff can do is ask the delivery pipeline to retry failed messages, which
goes through messaging.services like every other write (see ViewOnlyAdmin).
"""

import re
from functools import reduce
from operator import or_

from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from messaging.delivery import sms_outbox
from messaging.models import (
    Channel,
    Conversation,
    Message,
    MessageAttempt,
    MessageEvent,
    OptOut,
)
from messaging.providers import sms_providers
from web.admin import (
    DeliveryAttemptInline,
    KnownValuesFilter,
    ProviderEventInline,
    ViewOnlyAdmin,
)


class PhoneSearchMixin:
    """Let "(415) 555-2671" find "+14155552671", as the inbox search does.

    Contacts are stored in E.164, and the admin's word-by-word search would look for
    "(415)" and "555-2671" separately; the digits of the term are matched as well.
    """

    phone_search_fields: list[str] = []

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = re.sub(r"\D", "", search_term)
        if len(digits) >= 3 and digits != search_term.strip():
            matches = [Q(**{f"{name}__contains": digits}) for name in self.phone_search_fields]
            results |= queryset.filter(reduce(or_, matches))
        return results, may_have_duplicates


@admin.register(Conversation)
class ConversationAdmin(PhoneSearchMixin, ViewOnlyAdmin):
    list_display = [
        "reply_to",
        "own_contact",
        "channel",
        "message_count",
        "last_message_at",
        "last_message_preview",
        "messages_link",
    ]
    list_filter = ["has_phone_numbers", "last_message_at"]
    search_fields = ["participant_a", "participant_b", "last_message_preview"]
    phone_search_fields = ["participant_a", "participant_b"]
    date_hierarchy = "last_message_at"
    # The order of conversation_activity_idx, so a page is an index scan.
    ordering = ["-last_message_at", "-id"]
    fields = [
        "id",
        "participant_a",
        "participant_b",
        "reply_to",
        "own_contact",
        "channel",
        "message_count",
        "messages_link",
        "last_message_at",
        "last_message_preview",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    @admin.display(description="Channel", ordering="has_phone_numbers")
    def channel(self, conversation: Conversation) -> str:
        return Channel(conversation.channel).label

    # A thread can hold thousands of messages: an inline would render them all on one
    # page, so link to the message list filtered to this conversation instead.
    @admin.display(description="Messages")
    def messages_link(self, conversation: Conversation) -> str:
        url = reverse("admin:messaging_message_changelist")
        return format_html(
            '<a href="{}?conversation__id__exact={}">View {} messages</a>',
            url,
            conversation.pk,
            conversation.message_count,
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


@admin.register(OptOut)
class OptOutAdmin(PhoneSearchMixin, ViewOnlyAdmin):
    """The numbers Hatch must not text, view-only like everything else here.

    Not even deletable: that would let Hatch text someone who replied STOP, whose choice
    the carriers' rules (and in the US the TCPA) say to honour until they opt back in.
    Only the person can undo it, by texting START (Twilio keeps its own list as well).
    """

    list_display = ["phone", "reason", "created_at"]
    search_fields = ["phone"]
    phone_search_fields = ["phone"]
    ordering = ["-created_at", "-id"]
    fields = ["phone", "reason", "created_at", "updated_at"]
    readonly_fields = fields
