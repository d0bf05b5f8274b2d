from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from messaging.models import Channel, Direction, Message, MessageStatus
from messaging.services import message_send
from messaging.tests.factories import ConversationFactory, MessageFactory, UserFactory

pytestmark = pytest.mark.django_db

CONVERSATIONS_URL = reverse("admin:conversations_conversation_changelist")
MESSAGES_URL = reverse("admin:messaging_message_changelist")


def rows(response):
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def date_choice(client, url, field_path, display):
    """The query string of one of a date filter's links, as a person would click it."""
    changelist = client.get(url).context["cl"]
    spec = next(spec for spec in changelist.filter_specs if spec.field_path == field_path)
    return next(choice for choice in spec.choices(changelist) if choice["display"] == display)[
        "query_string"
    ]


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


# Conversations


def test_conversation_list_shows_the_summary_columns(admin_client):
    message = message_send(to="(415) 555-2671", body="Your order   has\nshipped", sender=None)

    response = admin_client.get(CONVERSATIONS_URL)

    assert rows(response) == [message.conversation]
    page = response.text
    for text in ("+14155552671", "+15005550006", "SMS", "Your order has shipped"):
        assert text in page


def test_conversation_list_searches_participants_and_preview(admin_client):
    phone = ConversationFactory(reply_to="+14155552671", last_message_preview="See you then")
    other = ConversationFactory(reply_to="+14155550111", last_message_preview="Thanks!")

    assert rows(admin_client.get(CONVERSATIONS_URL, {"q": "4155552671"})) == [phone]
    assert rows(admin_client.get(CONVERSATIONS_URL, {"q": "(415) 555-2671"})) == [phone]
    assert rows(admin_client.get(CONVERSATIONS_URL, {"q": "thanks"})) == [other]


def test_conversation_list_filters_by_channel(admin_client):
    sms = ConversationFactory()
    internal = ConversationFactory(
        own_contact="Casey Jones", reply_to="Robin Diaz", channel="internal"
    )

    assert rows(admin_client.get(CONVERSATIONS_URL, {"channel__exact": "sms"})) == [sms]
    assert rows(admin_client.get(CONVERSATIONS_URL, {"channel__exact": "internal"})) == [internal]


def test_conversation_list_filters_and_drills_down_by_last_message_date(admin_client):
    now = timezone.now()
    recent = ConversationFactory(last_message_at=now - timedelta(days=1))
    ConversationFactory(last_message_at=now - timedelta(days=400))
    past_week_link = date_choice(admin_client, CONVERSATIONS_URL, "last_message_at", "Past 7 days")

    past_week = admin_client.get(CONVERSATIONS_URL + past_week_link)
    this_year = admin_client.get(
        CONVERSATIONS_URL,
        {"last_message_at__year": timezone.localtime(recent.last_message_at).year},
    )

    assert rows(past_week) == [recent]
    assert recent in rows(this_year)


def test_conversation_links_to_its_messages_instead_of_inlining_them(admin_client):
    mine = message_send(to="+14155552671", body="First", sender=None)
    message_send(to="+14155552671", body="Second", sender=None)
    message_send(to="+14155550111", body="Elsewhere", sender=None)
    link = f"{MESSAGES_URL}?conversation__id__exact={mine.conversation_id}"

    detail = admin_client.get(change_url(mine.conversation))
    messages = admin_client.get(link)

    assert detail.status_code == 200
    assert link in detail.text
    assert "View 2 messages" in detail.text
    assert link in admin_client.get(CONVERSATIONS_URL).text
    assert {message.body for message in rows(messages)} == {"First", "Second"}


def test_conversation_summary_is_read_only(admin_client):
    conversation = ConversationFactory(message_count=3)

    response = admin_client.post(change_url(conversation), {"message_count": "99"})

    assert response.status_code == 403
    conversation.refresh_from_db()
    assert conversation.message_count == 3
    assert admin_client.get(reverse("admin:conversations_conversation_add")).status_code == 403


# Messages


def test_message_list_shows_the_columns(admin_client):
    MessageFactory(
        body="Hello from the admin test",
        status=MessageStatus.FAILED,
        error_code=30003,
        provider_message_id="SM" + "a" * 32,
    )

    response = admin_client.get(MESSAGES_URL)

    assert len(rows(response)) == 1
    for text in ("Hello from the admin test", "+15005550006", "Failed", "30003", "Outbound"):
        assert text in response.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("+14155552671", "parcel"),  # to_contact
        ("5552671", "parcel"),
        ("(415) 555-2671", "parcel"),  # as people write numbers
        ("Casey", "lunch"),  # from_contact
        ("PARCEL", "parcel"),  # body
        ("SM" + "b" * 32, "parcel"),  # provider_message_id
    ],
)
def test_message_list_searches_contacts_body_and_sid(admin_client, query, expected):
    parcel = MessageFactory(
        conversation__reply_to="+14155552671",
        from_contact="+15005550006",
        body="Your parcel is on its way",
        provider_message_id="SM" + "b" * 32,
    )
    MessageFactory(conversation__reply_to="+14155550111", body="Unrelated")
    lunch = MessageFactory(
        conversation__own_contact="Casey Jones",
        conversation__reply_to="Robin Diaz",
        conversation__channel="internal",
        channel=Channel.INTERNAL,
        status=MessageStatus.DELIVERED,
        body="Lunch?",
    )

    found = rows(admin_client.get(MESSAGES_URL, {"q": query}))

    assert found == [{"parcel": parcel, "lunch": lunch}[expected]]


def test_a_partial_sid_is_not_a_search_match(admin_client):
    MessageFactory(provider_message_id="SM" + "c" * 32, body="x")

    assert rows(admin_client.get(MESSAGES_URL, {"q": "SMccc"})) == []


@pytest.fixture
def mixed_messages():
    now = timezone.now()
    return {
        "failed": MessageFactory(status=MessageStatus.FAILED, error_code=21610),
        "inbound": MessageFactory(direction=Direction.INBOUND, status=MessageStatus.RECEIVED),
        "internal": MessageFactory(
            conversation__own_contact="Casey Jones",
            conversation__reply_to="Robin Diaz",
            conversation__channel="internal",
            channel=Channel.INTERNAL,
            status=MessageStatus.DELIVERED,
        ),
        "old": MessageFactory(created_at=now - timedelta(days=400)),
    }


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "failed"}, {"failed"}),
        ({"direction__exact": "inbound"}, {"inbound"}),
        ({"channel__exact": "internal"}, {"internal"}),
        ({"channel__exact": "sms", "direction__exact": "outbound-api"}, {"failed", "old"}),
    ],
)
def test_message_list_filters(admin_client, mixed_messages, params, expected):
    found = rows(admin_client.get(MESSAGES_URL, params))

    assert set(found) == {mixed_messages[name] for name in expected}


def test_message_list_filters_and_drills_down_by_date(admin_client, mixed_messages):
    old = mixed_messages["old"]
    old_at = timezone.localtime(old.created_at)
    past_week_link = date_choice(admin_client, MESSAGES_URL, "created_at", "Past 7 days")

    past_week = rows(admin_client.get(MESSAGES_URL + past_week_link))
    old_month = rows(
        admin_client.get(
            MESSAGES_URL, {"created_at__year": old_at.year, "created_at__month": old_at.month}
        )
    )

    assert old not in past_week
    assert len(past_week) == 3
    assert old_month == [old]


def test_message_change_page_renders_read_only(admin_client):
    message = MessageFactory(
        body="Read me, do not edit me",
        status=MessageStatus.UNDELIVERED,
        error_code=30006,
        error_message="Landline or unreachable carrier",
        provider_message_id="SM" + "d" * 32,
        sent_by=UserFactory(),
    )

    response = admin_client.get(change_url(message))

    assert response.status_code == 200
    page = response.text
    for text in ("Read me, do not edit me", "30006", "Landline or unreachable carrier"):
        assert text in page
    assert change_url(message.conversation) in page
    assert 'name="_save"' not in page
    assert 'name="body"' not in page


def test_messages_cannot_be_added_changed_or_deleted_in_the_admin(admin_client):
    message = MessageFactory(body="Original")

    add = admin_client.get(reverse("admin:messaging_message_add"))
    change = admin_client.post(change_url(message), {"body": "Rewritten"})
    delete = admin_client.post(
        reverse("admin:messaging_message_delete", args=[message.pk]), {"post": "yes"}
    )
    changelist = admin_client.get(MESSAGES_URL)

    assert add.status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert "delete_selected" not in changelist.text
    message.refresh_from_db()
    assert message.body == "Original"
    assert Message.objects.count() == 1


@pytest.mark.parametrize("url", [CONVERSATIONS_URL, MESSAGES_URL])
def test_a_user_who_is_not_staff_is_sent_to_the_admin_login(client, url):
    client.force_login(UserFactory())

    response = client.get(url)

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def queries_for(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200
    return len(context)


@pytest.mark.parametrize("url", [CONVERSATIONS_URL, MESSAGES_URL])
def test_list_query_count_does_not_grow_with_the_rows(
    admin_client, django_assert_max_num_queries, url
):
    def add_rows(count):
        for _ in range(count):
            MessageFactory(sent_by=UserFactory())

    add_rows(5)
    with_five = queries_for(admin_client, url)
    add_rows(25)
    with_thirty = queries_for(admin_client, url)

    assert with_thirty == with_five
    # Session, user, the count, the page, the date hierarchy's range and dates, and the
    # users the "sent by" filter offers; conversations instead offer their assignees and
    # the labels, and read the page's labels (one query).
    with django_assert_max_num_queries(9 if url == CONVERSATIONS_URL else 7):
        assert len(rows(admin_client.get(url))) == 30
