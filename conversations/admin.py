from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from conversations.models import Conversation, ConversationChannel
from web.admin import PhoneSearchMixin, ViewOnlyAdmin

# Where each channel's records are listed, and the filter naming one conversation. By URL
# name: the channel apps sit above this one.
_RECORDS = {
    ConversationChannel.SMS: ("admin:messaging_message_changelist", "conversation__id__exact"),
    ConversationChannel.INTERNAL: (
        "admin:messaging_message_changelist",
        "conversation__id__exact",
    ),
    ConversationChannel.EMAIL: ("admin:emails_email_changelist", "thread__id__exact"),
}


@admin.register(Conversation)
class ConversationAdmin(PhoneSearchMixin, ViewOnlyAdmin):
    list_display = [
        "reply_to",
        "own_contact",
        "contact",
        "channel_label",
        "subject",
        "message_count",
        "state",
        "assignee",
        "label_names",
        "last_message_at",
        "last_message_preview",
        "records_link",
    ]
    list_filter = [
        "channel",
        "state",
        # Only the users something is assigned to, not every account.
        ("assignee", admin.RelatedOnlyFieldListFilter),
        "labels",
        "last_message_at",
    ]
    list_select_related = ["contact", "assignee"]
    search_fields = ["participant_a", "participant_b", "subject", "last_message_preview"]
    phone_search_fields = ["participant_a", "participant_b"]
    date_hierarchy = "last_message_at"
    # The order of conversation_activity_idx, so a page is an index scan.
    ordering = ["-last_message_at", "-id"]
    fields = [
        "id",
        "channel_label",
        "contact",
        "participant_a",
        "participant_b",
        "reply_to",
        "own_contact",
        "subject",
        "state",
        "snoozed_until",
        "assignee",
        "label_names",
        "message_count",
        "inbound_count",
        "records_link",
        "last_message_at",
        "last_message_preview",
        "created_at",
        "updated_at",
    ]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Conversation]:
        # The labels of a whole page in one query, not one per row.
        return super().get_queryset(request).prefetch_related("labels")

    @admin.display(description="Labels")
    def label_names(self, conversation: Conversation) -> str:
        return ", ".join(sorted((label.name for label in conversation.labels.all()), key=str.lower))

    @admin.display(description="Channel", ordering="channel")
    def channel_label(self, conversation: Conversation) -> str:
        return ConversationChannel(conversation.channel).label

    # A thread can hold thousands of messages: an inline would render them all on one
    # page, so link to the channel's list filtered to this conversation instead.
    @admin.display(description="Messages")
    def records_link(self, conversation: Conversation) -> str:
        url_name, filter_name = _RECORDS[conversation.channel]
        return format_html(
            '<a href="{}?{}={}">View {} messages</a>',
            reverse(url_name),
            filter_name,
            conversation.pk,
            conversation.message_count,
        )
