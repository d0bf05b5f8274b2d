"""Broadcasts: one text to many people, each messaged once, those who may not be messaged
skipped and counted, every message in its recipient's conversation, sent by the outbox
through the real SDKs to the local fakes; pause, resume, cancel; the daily limit."""

import itertools
import re
import threading
import time
from datetime import timedelta

import pytest
from django.core import signing
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from broadcasts import services
from broadcasts.models import Broadcast, BroadcastRecipient, BroadcastStatus
from consent.models import Suppression
from contacts.services import contact_create
from conversations.models import Conversation, ConversationState
from emails import unsubscribe
from emails.delivery import email_outbox
from emails.models import Email
from messaging import services as sms_services
from messaging.consent import phone_opt_out_by_keyword
from messaging.delivery import sms_outbox
from messaging.events import InboundMessage
from messaging.models import Message, SmsDailyCount
from outbox.scheduling import PAUSED_UNTIL
from team.models import Label

pytestmark = pytest.mark.django_db(transaction=True)


def create(client, **fields):
    body = {"name": "Holiday hours", "channel": "sms", "body": "We open at 10.", **fields}
    return client.post("/api/broadcasts", body, format="json")


def prepared(response) -> Broadcast:
    """The broadcast of a create's answer once its preparation task has run."""
    assert response.status_code == 201, response.json()
    broadcast_id = response.json()["id"]
    assert services.broadcast_prepare(broadcast_id=broadcast_id) == "done"
    return Broadcast.objects.get(id=broadcast_id)


def counts(client, broadcast) -> dict:
    return client.get(f"/api/broadcasts/{broadcast.id}").json()["counts"]


def test_each_person_once_the_opted_out_and_invalid_skipped_and_counted(api_client, fake_providers):
    vip = Label.objects.create(name="VIP")
    ada = contact_create(name="Ada Lovelace", phones=["+14155550101"])
    ada.labels.add(vip)
    grace = contact_create(name="Grace Hopper", phones=["+14155550102"])
    grace.labels.add(vip)
    phone_opt_out_by_keyword(phone="+14155550103", keyword="STOP")

    response = create(
        api_client,
        body='Hi {{contact.first_name|default:"there"}}, we open at 10.',
        recipients={
            "contacts": [str(ada.id)],
            "labels": ["vip"],
            "numbers": ["(415) 555-0101", "+14155550103", "not a number", "+14155550104"],
        },
    )
    broadcast = prepared(response)

    assert response.json()["status"] == "preparing"
    bodies = dict(Message.objects.values_list("to_contact", "body"))
    assert bodies == {
        "+14155550101": "Hi Ada, we open at 10.\nReply STOP to opt out",
        "+14155550102": "Hi Grace, we open at 10.\nReply STOP to opt out",
        "+14155550104": "Hi there, we open at 10.\nReply STOP to opt out",
    }
    assert counts(api_client, broadcast) == {
        "total": 7,
        "scheduled": 0,
        "preparing": 0,
        "queued": 3,
        "sent": 0,
        "delivered": 0,
        "failed": 0,
        "canceled": 0,
        "skipped_opted_out": 1,
        "skipped_invalid": 1,
        "skipped_duplicate": 2,  # Ada by her label and by her number
    }
    skipped = dict(BroadcastRecipient.objects.exclude(detail="").values_list("address", "detail"))
    assert skipped["not a number"] == "'not a number' is not a phone number."
    assert "replied STOP" in skipped["+14155550103"]

    assert sms_outbox.drain() == {"sent": 3}
    broadcast.refresh_from_db()
    assert broadcast.status == BroadcastStatus.DONE
    assert counts(api_client, broadcast)["sent"] == 3
    assert sorted(r.field("To") for r in fake_providers.twilio_messages()) == [
        "+14155550101",
        "+14155550102",
        "+14155550104",
    ]


def test_messages_land_in_their_conversations_without_opening_them(api_client, fake_providers):
    # One conversation the team closed, and a stranger with none yet.
    sms_services.message_send(to="+14155550101", body="Thanks, see you!")
    closed = Conversation.objects.get()
    Conversation.objects.filter(id=closed.id).update(state=ConversationState.CLOSED)

    prepared(create(api_client, recipients={"numbers": ["+14155550101", "+14155550102"]}))

    states = dict(Conversation.objects.values_list("reply_to", "state"))
    assert states == {"+14155550101": "closed", "+14155550102": "closed"}
    assert Conversation.objects.get(id=closed.id).message_count == 2
    # A reply opens it, as any inbound message does.
    sms_services.message_receive(
        event=InboundMessage(
            from_contact="+14155550102", to_contact="+15005550006", body="What time?"
        )
    )
    assert Conversation.objects.get(reply_to="+14155550102").state == "open"


def test_an_idempotency_key_creates_one_broadcast(api_client):
    key = {"HTTP_IDEMPOTENCY_KEY": "holiday-hours-1"}
    body = {
        "name": "Holiday hours",
        "channel": "sms",
        "body": "We open at 10.",
        "recipients": {"numbers": ["+14155550101"]},
    }
    first = api_client.post("/api/broadcasts", body, format="json", **key)
    second = api_client.post("/api/broadcasts", body, format="json", **key)

    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] == second.json()["id"]
    assert Broadcast.objects.count() == 1


def test_pause_holds_every_waiting_message_and_resume_sends_them(api_client, fake_providers):
    broadcast = prepared(
        create(api_client, recipients={"numbers": [f"+1415555{n:04d}" for n in range(5)]})
    )

    paused = api_client.post(f"/api/broadcasts/{broadcast.id}/pause")

    assert paused.status_code == 200 and paused.json()["status"] == "paused"
    assert set(Message.objects.values_list("next_attempt_at", flat=True)) == {PAUSED_UNTIL}
    assert sms_outbox.drain() == {}
    assert api_client.post(f"/api/broadcasts/{broadcast.id}/pause").status_code == 409
    message = api_client.get(f"/api/messages/{Message.objects.first().id}").json()
    assert message["held_note"] == "paused with its broadcast"

    resumed = api_client.post(f"/api/broadcasts/{broadcast.id}/resume")

    assert resumed.status_code == 200 and resumed.json()["status"] == "sending"
    assert sms_outbox.drain() == {"sent": 5}
    assert len(fake_providers.twilio_messages()) == 5
    assert api_client.post(f"/api/broadcasts/{broadcast.id}/resume").status_code == 409


def test_cancel_stops_what_has_not_gone(api_client, fake_providers):
    broadcast = prepared(
        create(api_client, recipients={"numbers": ["+14155550101", "+14155550102"]})
    )

    response = api_client.post(f"/api/broadcasts/{broadcast.id}/cancel")

    assert response.json()["status"] == "canceled"
    assert response.json()["counts"]["canceled"] == 2
    assert sms_outbox.drain() == {}
    assert fake_providers.twilio_messages() == []
    assert api_client.post(f"/api/broadcasts/{broadcast.id}/cancel").status_code == 409


def test_a_daily_limit_pauses_the_broadcast_and_the_next_day_it_goes_on(
    api_client, fake_providers, settings
):
    settings.SMS_DAILY_LIMIT_PER_USER = 3
    response = create(api_client, recipients={"numbers": [f"+1415555{n:04d}" for n in range(5)]})

    assert services.broadcast_prepare(broadcast_id=response.json()["id"]) == "paused"
    broadcast = Broadcast.objects.get()
    assert broadcast.status == BroadcastStatus.PAUSED
    assert "SMS_DAILY_LIMIT_PER_USER" in broadcast.pause_reason
    assert Message.objects.count() == 3
    assert counts(api_client, broadcast)["preparing"] == 2

    SmsDailyCount.objects.update(day=timezone.localdate() - timedelta(days=1))
    api_client.post(f"/api/broadcasts/{broadcast.id}/resume")
    assert services.broadcast_prepare(broadcast_id=broadcast.id) == "done"

    assert Message.objects.count() == 5
    assert sms_outbox.drain() == {"sent": 5}


def test_a_csv_with_its_own_variables(api_client, fake_providers):
    upload = SimpleUploadedFile(
        "list.csv",
        b"phone,first_name,table\n+14155550101,Ada,4\n+14155550102,,7\n",
        content_type="text/csv",
    )
    response = api_client.post(
        "/api/broadcasts",
        {
            "name": "Tables",
            "channel": "sms",
            "body": 'Hi {{contact.first_name|default:"friend"}}, table {{contact.table}}.',
            "file": upload,
        },
        format="multipart",
    )
    prepared(response)

    assert sorted(Message.objects.values_list("body", flat=True)) == [
        "Hi Ada, table 4.\nReply STOP to opt out",
        "Hi friend, table 7.\nReply STOP to opt out",
    ]


def test_a_variable_nobody_has_is_a_400_naming_the_known_ones(api_client):
    response = create(
        api_client, body="Hi {{contact.nickname}}", recipients={"numbers": ["+14155550101"]}
    )

    assert response.status_code == 400
    assert response.json()["error"].startswith("{{contact.nickname}} is not a variable")
    assert not Broadcast.objects.exists()


def test_pacing_spreads_the_messages_and_the_preview_warns_past_twilios_window(
    api_client, settings
):
    settings.SMS_SENDER_RATE = 2
    settings.BROADCAST_SMS_FOOTER = ""
    numbers = [f"+1415555{n:04d}" for n in range(4)]
    broadcast = prepared(create(api_client, recipients={"numbers": numbers}))

    due = sorted(Message.objects.values_list("next_attempt_at", flat=True))
    gaps = [round((b - a).total_seconds(), 3) for a, b in itertools.pairwise(due)]
    assert gaps == [0.5, 0.5, 0.5]  # one segment each, two segments a second
    assert api_client.get(f"/api/broadcasts/{broadcast.id}").json()["warning"] == ""

    settings.SMS_SENDER_RATE = 0.0001
    preview = api_client.post(
        "/api/broadcasts/preview",
        {"name": "x", "channel": "sms", "body": "Hi", "recipients": {"numbers": numbers}},
        format="json",
    ).json()
    assert preview["recipients"] == 4 and preview["total_segments"] == 4
    assert "Twilio fails what waits in its queue longer than about 10" in preview["warning"]


def test_an_email_broadcast_carries_its_unsubscribe_link_which_writes_the_consent(
    api_client, fake_providers, client
):
    recipients = {"emails": ["ada@example.com", "bea@example.com"]}
    prepared(create(api_client, channel="email", subject="Holiday hours", recipients=recipients))

    assert email_outbox.drain() == {"sent": 2}
    [first, _] = [r.json for r in fake_providers.sendgrid_mails()]
    headers = first["headers"]
    assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    link = headers["List-Unsubscribe"].strip("<>")
    address = first["personalizations"][0]["to"][0]["email"]
    body = Email.objects.get(to_email=address).body
    # The text's own link, signed when the email was prepared: the same address (the
    # signature's timestamp may differ by the second it was made in).
    [in_body] = re.findall(r"https://hatch\.test/unsubscribe/\S+", body)
    tokens = [url.rsplit("/", 1)[1] for url in (link, in_body)]
    assert {signing.loads(token, salt=unsubscribe._SALT) for token in tokens} == {address}
    path = link.split("://", 1)[1].split("/", 1)[1]

    page = client.get("/" + path)
    assert page.status_code == 200 and b"Unsubscribe?" in page.content
    assert not Suppression.objects.exists()  # a GET (a mail scanner) changes nothing
    assert client.post("/" + path).status_code == 200
    [suppression] = Suppression.objects.all()
    assert suppression.reason == "unsubscribe"

    second = prepared(
        create(api_client, channel="email", subject="More hours", recipients=recipients)
    )
    assert counts(api_client, second)["skipped_opted_out"] == 1
    assert client.get("/unsubscribe/forged-token").status_code == 404


def test_the_command_creates_a_broadcast_and_follows_it_to_the_end(fake_providers, tmp_path):
    from io import StringIO

    from django.core.management import call_command
    from django.db import connection

    recipients = tmp_path / "list.csv"
    recipients.write_text("phone,first_name\n+14155550101,Ada\n+14155550102,Bea\nnope,Cy\n")
    out = StringIO()

    def workers():
        # What the db_workers do meanwhile: prepare it, then send what is due.
        try:
            while not Broadcast.objects.exists():
                time.sleep(0.05)
            services.broadcast_prepare(broadcast_id=Broadcast.objects.get().id)
            sms_outbox.drain()
        finally:
            connection.close()

    worker = threading.Thread(target=workers)
    worker.start()
    call_command(
        "send_broadcast",
        "--name",
        "Tables",
        "--body",
        "Hi {{contact.first_name}}",
        "--csv",
        str(recipients),
        stdout=out,
    )
    worker.join(30)

    assert out.getvalue().splitlines()[0].endswith(": 3 recipients.")
    assert out.getvalue().splitlines()[-1] == "Done: sent 2, skipped_invalid 1."
    assert len(fake_providers.twilio_messages()) == 2


def test_the_command_says_what_is_wrong(settings):
    from django.core.management import call_command
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="Name at least one recipient"):
        call_command("send_broadcast", "--name", "Empty", "--body", "Hi", "--no-wait")


def test_a_csv_broadcast_with_an_idempotency_key_is_created_once(api_client):
    def post():
        upload = SimpleUploadedFile(
            "list.csv", b"phone\n+14155550101\n+14155550102\n", content_type="text/csv"
        )
        return api_client.post(
            "/api/broadcasts",
            {"name": "Tables", "channel": "sms", "body": "Hi", "file": upload},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="tables-1",
        )

    first, second = post(), post()

    assert (first.status_code, second.status_code) == (201, 201), first.json()
    assert first.json()["counts"]["total"] == 2
    assert first.json()["id"] == second.json()["id"]
    assert Broadcast.objects.count() == 1


def test_a_broadcast_whose_last_messages_went_while_it_was_prepared_ends_done(
    api_client, fake_providers
):
    """The outbox tells a broadcast of its progress; when the last messages went before
    preparation said it was sending (found it preparing), the end of preparation ends it."""
    response = create(api_client, recipients={"numbers": ["+14155550101", "+14155550102"]})
    broadcast_id = response.json()["id"]
    assert services._prepare_batch(broadcast_id)[0] == "more"  # both messages created
    assert sms_outbox.drain() == {"sent": 2}
    assert Broadcast.objects.get().status == BroadcastStatus.PREPARING

    assert services._prepare_batch(broadcast_id)[0] == "done"

    assert Broadcast.objects.get().status == BroadcastStatus.DONE


def test_a_broadcast_resumed_in_quiet_hours_waits_for_their_end(api_client, settings):
    contact_create(name="Uma", phones=["+14155550101"], time_zone="UTC")
    broadcast = prepared(create(api_client, recipients={"numbers": ["+14155550101"]}))
    api_client.post(f"/api/broadcasts/{broadcast.id}/pause")
    now = timezone.now()
    settings.QUIET_HOURS = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=2):%H:%M}"

    api_client.post(f"/api/broadcasts/{broadcast.id}/resume")

    message = Message.objects.get()
    window_end = (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    assert (message.status, message.next_attempt_at) == ("scheduled", window_end)
    assert sms_outbox.drain() == {}
