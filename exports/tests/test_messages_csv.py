"""GET /api/export/messages.csv: every message of every channel as CSV, streamed."""

from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.utils import timezone

from exports import selectors
from exports.tests.support import LINK, at, read_csv, streamed
from messaging.models import Message
from messaging.tests.factories import MessageFactory

pytestmark = pytest.mark.django_db

URL = "/api/export/messages.csv"
HEADER = [
    "id", "created_at", "channel", "direction", "status", "conversation_id", "contact_id",
    "contact_name", "from", "to", "subject", "body", "error_code", "error_message", "sent_by",
    "sent_at", "delivered_at",
]  # fmt: skip


def export(client, **params) -> list[list[str]]:
    response = client.get(URL, params)
    assert response.status_code == 200, response.content
    return read_csv(streamed(response))


def test_every_channel_is_exported_oldest_first_with_its_columns(api_client, records):
    response = api_client.get(URL)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    today = timezone.localdate().isoformat()
    assert response["Content-Disposition"] == (
        f'attachment; filename="messages-all-to-{today}.csv"'
    )
    header, *rows = read_csv(streamed(response))
    assert header == HEADER
    assert [row[0] for row in rows] == [str(record.id) for record in records.oldest_first()]
    sms_out, sms_in, internal, email_out, email_in = (dict(zip(HEADER, row)) for row in rows)
    conversation = records.sms_out.conversation
    assert sms_out == {
        "id": str(records.sms_out.id),
        "created_at": "2025-03-02T12:00:00+00:00",
        "channel": "sms",
        "direction": "outbound",
        "status": "failed",
        "conversation_id": str(conversation.id),
        "contact_id": str(conversation.contact_id),
        "contact_name": "'" + LINK,
        "from": "+15005550006",
        "to": "+14155550190",
        "subject": "",
        "body": "Your table is ready",
        "error_code": "30003",
        "error_message": "Unreachable destination handset",
        "sent_by": "Casey Jones",
        "sent_at": "",
        "delivered_at": "",
    }
    assert (sms_in["direction"], sms_in["status"], sms_in["sent_by"]) == (
        "inbound",
        "received",
        "",
    )
    assert sms_in["conversation_id"] == str(conversation.id)
    assert (internal["channel"], internal["to"], internal["status"]) == (
        "internal",
        "Front desk",
        "delivered",
    )
    thread = records.email_out.thread
    assert email_out == {
        "id": str(records.email_out.id),
        "created_at": "2025-03-05T12:00:00+00:00",
        "channel": "email",
        "direction": "outbound",
        "status": "delivered",
        "conversation_id": str(thread.id),
        "contact_id": str(thread.contact_id),
        "contact_name": "Ada Lovelace",
        "from": "team@hatch.test",
        "to": "ada@example.com",
        "subject": "'@SUM(1) invoice",
        "body": "It shipped.",
        "error_code": "",
        "error_message": "",
        "sent_by": "Casey Jones",
        "sent_at": "2025-03-05T12:00:01+00:00",
        "delivered_at": "2025-03-05T12:00:09+00:00",
    }
    assert (email_in["direction"], email_in["subject"], email_in["body"]) == (
        "inbound",
        "Re: invoice",
        "Thanks!\nAda",
    )
    assert email_in["conversation_id"] == str(thread.id)


def test_formula_like_cells_open_as_text_and_phone_numbers_stay_numbers(api_client, records):
    rows = {row[0]: dict(zip(HEADER, row)) for row in export(api_client)[1:]}

    reply = rows[str(records.sms_in.id)]
    # The body a stranger texted, the contact's name, an email's subject: each one a
    # formula a spreadsheet would run, each one text with its leading quote.
    assert reply["body"] == "'" + LINK
    assert reply["contact_name"] == "'" + LINK
    assert rows[str(records.email_out.id)]["subject"] == "'@SUM(1) invoice"
    assert rows[str(records.internal.id)]["body"] == "'-- lunch at 1?"
    assert (reply["from"], reply["to"]) == ("+14155550190", "+15005550006")


@pytest.mark.parametrize(
    ("channel", "kept"),
    [
        ("sms", ["sms_out", "sms_in"]),
        ("internal", ["internal"]),
        ("email", ["email_out", "email_in"]),
    ],
)
def test_a_channel_narrows_the_export_to_its_messages(api_client, records, channel, kept):
    rows = export(api_client, channel=channel)[1:]

    assert [row[0] for row in rows] == [str(getattr(records, name).id) for name in kept]


def test_days_are_whole_days_in_time_zone_both_included(api_client, settings, user):
    """New York: 1 March 2025 starts at 05:00 UTC (EST); 9 March, when the clocks go
    forward, ends at 04:00 UTC on the 10th (EDT)."""
    settings.TIME_ZONE = "America/New_York"
    times = {
        "the evening before": "2025-03-01T04:59:59",
        "first instant": "2025-03-01T05:00:00",
        "last instant": "2025-03-10T03:59:59.999999",
        "the next day": "2025-03-10T04:00:00",
    }
    ids = {}
    for label, moment in times.items():
        ids[label] = str(MessageFactory(body=label, created_at=at(moment)).id)

    response = api_client.get(URL, {"from": "2025-03-01", "to": "2025-03-09"})

    assert response["Content-Disposition"] == (
        'attachment; filename="messages-2025-03-01-to-2025-03-09.csv"'
    )
    rows = read_csv(streamed(response))[1:]
    assert [row[0] for row in rows] == [ids["first instant"], ids["last instant"]]
    assert rows[1][1] == "2025-03-10T03:59:59.999999+00:00"  # written in UTC
    only_first = export(api_client, **{"from": "2025-03-01", "to": "2025-03-01"})[1:]
    assert [row[0] for row in only_first] == [ids["first instant"]]
    assert [row[0] for row in export(api_client, to="2025-02-28")[1:]] == [
        ids["the evening before"]
    ]


def test_the_first_and_last_days_a_date_can_name_are_ranges_too(api_client, records, settings):
    settings.TIME_ZONE = "Pacific/Auckland"  # east of UTC: year 1 starts in year 0 in UTC

    rows = export(api_client, **{"from": "0001-01-01", "to": "9999-12-31"})[1:]

    assert len(rows) == 5


def test_an_export_holds_what_existed_when_it_was_asked_for(api_client, records):
    later = MessageFactory(body="from the future", created_at=timezone.now() + timedelta(hours=1))

    rows = export(api_client)[1:]

    assert str(later.id) not in [row[0] for row in rows]
    assert len(rows) == 5


def test_rows_page_across_chunks_in_order_with_ties_broken_by_id(api_client, monkeypatch, user):
    """Chunks of 2 rows: 7 SMS, four of them at the same instant (a chunk boundary falls
    inside the tie), and 3 emails between them."""
    monkeypatch.setattr(selectors, "CHUNK_SIZE", 2)
    from emails.tests.factories import EmailFactory

    same = at("2025-03-02T09:00:00")
    expected = [
        MessageFactory(created_at=at("2025-03-01T09:00:00")),
        EmailFactory(created_at=at("2025-03-01T10:00:00")),
        *sorted((MessageFactory(created_at=same) for _ in range(4)), key=lambda m: m.id),
        EmailFactory(created_at=at("2025-03-02T10:00:00")),
        MessageFactory(created_at=at("2025-03-03T09:00:00")),
        EmailFactory(created_at=at("2025-03-03T10:00:00")),
        MessageFactory(created_at=at("2025-03-04T09:00:00")),
    ]

    rows = export(api_client)[1:]

    assert [row[0] for row in rows] == [str(record.id) for record in expected]


def test_the_query_count_is_one_per_chunk_and_table(
    api_client, monkeypatch, django_assert_num_queries
):
    from emails.tests.factories import EmailFactory

    monkeypatch.setattr(selectors, "CHUNK_SIZE", 2)
    for day in range(1, 6):
        MessageFactory(created_at=at(f"2025-03-0{day}T09:00:00"))
    for day in range(1, 4):
        EmailFactory(created_at=at(f"2025-03-0{day}T10:00:00"))

    # The token (1), the size check of each table (2), then chunks: 5 SMS in chunks of 2
    # are 3 queries (the last one short), 3 emails are 2.
    with django_assert_num_queries(1 + 2 + 3 + 2):
        rows = export(api_client)[1:]
    assert len(rows) == 8


@pytest.mark.django_db(transaction=True)
def test_an_export_under_asgi_streams_the_same_csv(api_client, records, user):
    """`make run` serves through daphne: the stream is read a block at a time there too.
    (Committed data: Django runs an ASGI request's synchronous code in a thread of its own,
    with its own database connection.)"""
    from rest_framework.authtoken.models import Token

    token = Token.objects.get(user=user).key

    async def fetch():
        response = await AsyncClient().get(URL, headers={"Authorization": f"Token {token}"})
        assert response.is_async
        return b"".join([block async for block in response.streaming_content])

    assert async_to_sync(fetch)() == streamed(api_client.get(URL))


@pytest.mark.parametrize(
    ("params", "field", "message"),
    [
        ({"from": "03/01/2025"}, "from", "'from' must be a day as YYYY-MM-DD"),
        ({"to": "2025-02-30"}, "to", "'to' must be a day as YYYY-MM-DD"),
        ({"from": "2025-03-01T00:00"}, "from", "not '2025-03-01T00:00'"),
        ({"from": "2025-03-09", "to": "2025-03-01"}, "from", "'from' (2025-03-09) is after"),
        ({"channel": "fax"}, "channel", "'channel' must be one of sms, internal, email"),
        ({"background": "maybe"}, "background", "'background' must be 1 or 0"),
        ({"from": "\x00"}, "from", "must be a day"),
    ],
)
def test_bad_parameters_are_a_400_saying_what_to_send(api_client, params, field, message):
    response = api_client.get(URL, params)

    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert message in response.json()["error"]
    assert list(response.json()["fields"]) == [field]


def test_an_error_is_json_even_for_a_client_that_accepts_only_csv(api_client):
    response = api_client.get(URL, {"channel": "fax"}, HTTP_ACCEPT="text/csv")

    assert response.status_code == 400
    assert "'channel' must be one of" in response.json()["error"]


def test_a_client_that_accepts_only_csv_gets_the_csv(api_client, records):
    response = api_client.get(URL, HTTP_ACCEPT="text/csv")

    assert response.status_code == 200
    assert len(read_csv(streamed(response))) == 6


def test_only_signed_in_users_may_export(anonymous_client, records):
    response = anonymous_client.get(URL)

    assert response.status_code == 401
    assert Message.objects.count() == 3  # nothing read, nothing changed
