"""Scheduled sends, SMS and email alike: "send_at" stores a record "scheduled", the outbox
sends it when due and not before, exactly once; until then it can be canceled or changed,
and once its sending has begun neither is possible (409)."""

import threading
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.tasks import default_task_backend
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from emails.delivery import email_outbox
from emails.models import Email
from messaging.consent import phone_opt_out_by_keyword
from messaging.delivery import sms_outbox
from messaging.models import Message

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "+14155552671"


@dataclass
class Channel:
    """One channel as a scheduling client sees it."""

    name: str
    send_path: str
    record_path: str  # the record's own resource, e.g. /api/messages/<id>
    id_key: str  # the send answer's key for the new record's id
    record_key: str  # the send answer's key for the record itself
    model: Any
    outbox: Any
    fields: dict
    change: dict  # a PATCH that changes its text

    def send(self, client, **extra):
        return client.post(self.send_path, {**self.fields, **extra}, format="json")

    def sent_to_provider(self, fake) -> int:
        if self.name == "sms":
            return len(fake.twilio_messages())
        return sum(1 for request in fake.requests if request.path == "/v3/mail/send")


SMS = Channel(
    name="sms",
    send_path="/api/send_message",
    record_path="/api/messages/{}",
    id_key="message_id",
    record_key="message",
    model=Message,
    outbox=sms_outbox,
    fields={"to": PHONE, "body": "Your table is ready at 8"},
    change={"body": "Your table is ready at 9"},
)
EMAIL = Channel(
    name="email",
    send_path="/api/send_email",
    record_path="/api/emails/{}",
    id_key="email_id",
    record_key="email",
    model=Email,
    outbox=email_outbox,
    fields={"to_email": "ada@example.com", "subject": "Your order", "body": "It ships today."},
    change={"subject": "Your order, updated"},
)


@pytest.fixture(params=[SMS, EMAIL], ids=["sms", "email"])
def channel(request):
    return request.param


def in_minutes(minutes: float):
    return timezone.now() + timedelta(minutes=minutes)


def schedule(channel, client, minutes=30):
    send_at = in_minutes(minutes).replace(microsecond=0)
    response = channel.send(client, send_at=send_at.isoformat())
    assert response.status_code == 200, response.json()
    record = channel.model.objects.get(id=response.json()[channel.id_key])
    return response, record, send_at


def time_passes(channel, record, *, to_past_by=timedelta(seconds=1)):
    """The clock reaches the record's time: what was due later is due now."""
    past = timezone.now() - to_past_by
    channel.model.objects.filter(id=record.id).update(scheduled_for=past, next_attempt_at=past)


def deferred_tasks():
    """(record id, run_after) of every delivery task the dummy backend holds."""
    return [(result.args[0], result.task.run_after) for result in default_task_backend.results]


def test_a_scheduled_send_is_stored_scheduled_and_goes_at_its_time_not_before(
    channel, api_client, fake_providers, django_capture_on_commit_callbacks
):
    default_task_backend.clear()
    response, record, send_at = schedule(channel, api_client)

    answer = response.json()
    assert answer["status"] == "scheduled"
    assert answer[channel.record_key]["status"] == "scheduled"
    assert parse_datetime(answer[channel.record_key]["scheduled_for"]) == send_at
    assert answer[channel.record_key]["held_until"] is None
    # Its task waits for its time.
    assert deferred_tasks() == [(str(record.id), send_at)]

    # A worker that comes by early (another record's task, the sweeper) leaves it alone.
    assert channel.outbox.deliver(str(record.id)) == "skipped"
    assert channel.outbox.drain() == {}
    assert channel.sent_to_provider(fake_providers) == 0

    time_passes(channel, record)
    assert channel.outbox.drain() == {"sent": 1}
    assert channel.sent_to_provider(fake_providers) == 1
    record.refresh_from_db()
    assert record.status == "sent"


@pytest.mark.parametrize(
    ("send_at", "error"),
    [
        ("2027-01-31T09:30:00", "Give the time with its offset"),
        ("tomorrow at nine", "Datetime has wrong format"),
    ],
)
def test_a_time_without_offset_or_unreadable_is_a_400(channel, api_client, send_at, error):
    response = channel.send(api_client, send_at=send_at)

    assert response.status_code == 400
    assert error in response.json()["fields"]["send_at"][0]
    assert not channel.model.objects.exists()


@pytest.mark.parametrize(
    ("minutes", "error"),
    [
        (0.5, "'send_at' must be at least a minute from now; leave it out to send at once."),
        (-60, "'send_at' must be at least a minute from now; leave it out to send at once."),
        (366 * 24 * 60, "'send_at' may be at most a year from now."),
    ],
)
def test_a_time_too_soon_past_or_too_far_is_a_400(channel, api_client, minutes, error):
    response = channel.send(api_client, send_at=in_minutes(minutes).isoformat())

    assert response.status_code == 400
    assert response.json()["error"] == error
    assert not channel.model.objects.exists()


def test_an_internal_message_cannot_be_scheduled(api_client):
    response = api_client.post(
        "/api/send_message",
        {"to": "Front desk", "body": "Table 4", "send_at": in_minutes(10).isoformat()},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"] == (
        "Only an SMS can be scheduled: an internal message is posted at once."
    )
    assert not Message.objects.exists()


def test_cancel_while_scheduled_and_it_never_goes(channel, api_client, fake_providers):
    _, record, _ = schedule(channel, api_client)

    response = api_client.post(channel.record_path.format(record.id) + "/cancel")

    assert response.status_code == 200
    assert response.json()["status"] == "canceled"
    time_passes(channel, record)
    assert channel.outbox.drain() == {}
    assert channel.outbox.sweep()["requeued_lost"] == 0
    assert channel.sent_to_provider(fake_providers) == 0

    again = api_client.post(channel.record_path.format(record.id) + "/cancel")
    assert again.status_code == 409
    assert "this one is canceled" in again.json()["error"]


def test_once_sending_has_begun_cancel_and_change_are_409(channel, api_client, fake_providers):
    _, record, _ = schedule(channel, api_client)
    time_passes(channel, record)
    assert channel.outbox.drain() == {"sent": 1}

    cancel = api_client.post(channel.record_path.format(record.id) + "/cancel")
    change = api_client.patch(channel.record_path.format(record.id), channel.change, format="json")

    assert (cancel.status_code, change.status_code) == (409, 409)
    assert "this one is sent" in cancel.json()["error"]
    record.refresh_from_db()
    assert record.status == "sent"
    assert channel.sent_to_provider(fake_providers) == 1


def test_a_send_now_cannot_be_canceled(channel, api_client):
    response = channel.send(api_client)
    record_id = response.json()[channel.id_key]

    cancel = api_client.post(channel.record_path.format(record_id) + "/cancel")

    assert cancel.status_code == 409
    assert channel.model.objects.get(id=record_id).status == "queued"


def test_cancel_of_an_unknown_record_is_a_404(channel, api_client):
    response = api_client.post(
        channel.record_path.format("0b8e6f6c-5f4e-4bb0-8f57-1b5d7c0c2f10") + "/cancel"
    )

    assert response.status_code == 404


def test_change_the_text_and_the_time_while_scheduled(channel, api_client, fake_providers):
    _, record, _ = schedule(channel, api_client, minutes=30)
    default_task_backend.clear()
    later = in_minutes(90).replace(microsecond=0)

    response = api_client.patch(
        channel.record_path.format(record.id),
        {**channel.change, "send_at": later.isoformat()},
        format="json",
    )

    assert response.status_code == 200, response.json()
    record.refresh_from_db()
    assert (record.status, record.scheduled_for, record.next_attempt_at) == (
        "scheduled",
        later,
        later,
    )
    for name, value in channel.change.items():
        assert getattr(record, name) == value
        assert response.json()[name] == value
    # A task for the new time; the old one finds it not yet due.
    assert deferred_tasks() == [(str(record.id), later)]
    assert channel.outbox.drain() == {}

    time_passes(channel, record)
    assert channel.outbox.drain() == {"sent": 1}
    assert channel.sent_to_provider(fake_providers) == 1


def test_an_sms_whose_text_changes_is_counted_again(api_client):
    _, record, _ = schedule(SMS, api_client)

    response = api_client.patch(f"/api/messages/{record.id}", {"body": "ą" * 80}, format="json")

    assert response.status_code == 200
    assert response.json()["num_segments"] == 2


def test_a_change_with_nothing_to_change_or_a_bad_time_is_a_400(channel, api_client):
    _, record, send_at = schedule(channel, api_client)

    empty = api_client.patch(channel.record_path.format(record.id), {}, format="json")
    too_soon = api_client.patch(
        channel.record_path.format(record.id),
        {"send_at": in_minutes(0.2).isoformat()},
        format="json",
    )

    assert (empty.status_code, too_soon.status_code) == (400, 400)
    assert too_soon.json()["error"] == (
        "'send_at' must be at least a minute from now; leave it out to send at once."
    )
    record.refresh_from_db()
    assert (record.status, record.scheduled_for) == ("scheduled", send_at)


def test_a_cancel_racing_the_worker_leaves_it_sent_once_or_canceled(
    channel, api_client, fake_providers
):
    """Of a cancel and a claim at the same moment exactly one wins, every time."""
    outcomes = []
    for _ in range(10):
        _, record, _ = schedule(channel, api_client)
        time_passes(channel, record)
        barrier = threading.Barrier(2)
        results = {}

        def worker(record=record, barrier=barrier, results=results):
            try:
                barrier.wait()
                results["drain"] = channel.outbox.drain()
            finally:
                connection.close()

        thread = threading.Thread(target=worker)
        thread.start()
        barrier.wait()
        canceled = api_client.post(channel.record_path.format(record.id) + "/cancel")
        thread.join(30)
        record.refresh_from_db()
        if canceled.status_code == 200:
            assert record.status == "canceled"
            assert results["drain"] == {}
        else:
            assert canceled.status_code == 409
            assert record.status == "sent"
            assert results["drain"] == {"sent": 1}
        outcomes.append(record.status)
    assert channel.sent_to_provider(fake_providers) == outcomes.count("sent")


def test_the_sweeper_sends_a_scheduled_record_whose_task_was_lost(
    channel, api_client, fake_providers, settings
):
    _, record, _ = schedule(channel, api_client)
    time_passes(
        channel, record, to_past_by=timedelta(seconds=settings.OUTBOX_QUEUED_GRACE_SECONDS + 1)
    )
    default_task_backend.clear()

    assert channel.outbox.sweep()["requeued_lost"] == 1
    assert [task_id for task_id, _ in deferred_tasks()] == [str(record.id)]
    assert channel.outbox.drain() == {"sent": 1}


def test_a_recipient_who_opts_out_before_the_time_is_not_messaged(api_client, fake_providers):
    _, record, _ = schedule(SMS, api_client)
    phone_opt_out_by_keyword(phone=PHONE, keyword="STOP")
    time_passes(SMS, record)

    assert SMS.outbox.drain() == {"failed": 1}
    assert SMS.sent_to_provider(fake_providers) == 0


# Quiet hours (QUIET_HOURS, on the recipient's clock: core.quiet_hours) ----------------

NEW_YORK_NUMBER = "+12125550123"


def next_local(hour: int, zone: str):
    """The next time the clock in ``zone`` reads ``hour``:00, at least an hour from now."""
    tz = ZoneInfo(zone)
    moment = (timezone.now() + timedelta(hours=1)).astimezone(tz)
    moment = moment.replace(minute=0, second=0, microsecond=0)
    while moment.hour != hour:
        moment = (moment + timedelta(hours=1)).astimezone(tz)
    return moment


def test_a_scheduled_sms_inside_quiet_hours_is_held_to_their_end_on_the_recipients_clock(
    api_client, settings
):
    settings.QUIET_HOURS = "21:00-08:00"
    settings.TIME_ZONE = "UTC"
    eleven_pm = next_local(23, "America/New_York")

    response = api_client.post(
        "/api/send_message",
        {"to": NEW_YORK_NUMBER, "body": "Reminder", "send_at": eleven_pm.isoformat()},
        format="json",
    )

    message = response.json()["message"]
    held_until = parse_datetime(message["held_until"])
    assert held_until.astimezone(ZoneInfo("America/New_York")).hour == 8
    assert timedelta(hours=8) <= held_until - eleven_pm <= timedelta(hours=10)  # the next 08:00
    assert message["held_note"] == "held until 08:00 (recipient's time)"
    assert parse_datetime(message["scheduled_for"]) == eleven_pm
    record = Message.objects.get(id=message["id"])
    assert record.next_attempt_at == held_until
    # Its task waits for the end of quiet hours, not the time asked for.
    assert deferred_tasks()[-1] == (str(record.id), held_until)


def test_the_contacts_own_time_zone_decides_and_an_email_is_held_too(api_client, settings):
    from contacts.services import contact_create

    settings.QUIET_HOURS = "21:00-08:00"
    contact_create(name="Kenji", emails=["kenji@example.com"], time_zone="Asia/Tokyo")
    eleven_pm_tokyo = next_local(23, "Asia/Tokyo")

    response = EMAIL.send(
        api_client, to_email="kenji@example.com", send_at=eleven_pm_tokyo.isoformat()
    )

    email = response.json()["email"]
    assert parse_datetime(email["held_until"]).astimezone(ZoneInfo("Asia/Tokyo")).hour == 8
    assert email["held_note"] == "held until 08:00 (recipient's time)"


def test_a_time_outside_quiet_hours_is_not_held(api_client, settings):
    settings.QUIET_HOURS = "21:00-08:00"
    noon = next_local(12, "America/New_York")

    response = api_client.post(
        "/api/send_message",
        {"to": NEW_YORK_NUMBER, "body": "Reminder", "send_at": noon.isoformat()},
        format="json",
    )

    message = response.json()["message"]
    assert (message["held_until"], message["held_note"]) == (None, "")
    assert Message.objects.get(id=message["id"]).next_attempt_at == noon


def quiet_now(settings):
    """Quiet hours that hold right now in UTC (the recipient's zone below)."""
    now = timezone.now()
    start, end = now - timedelta(hours=1), now + timedelta(hours=2)
    settings.QUIET_HOURS = f"{start:%H:%M}-{end:%H:%M}"
    return end.replace(second=0, microsecond=0)


def test_a_direct_reply_goes_at_once_in_quiet_hours_unless_strict(api_client, settings):
    from contacts.services import contact_create

    contact_create(name="Uma", phones=[NEW_YORK_NUMBER], time_zone="UTC")
    window_end = quiet_now(settings)

    now = api_client.post(
        "/api/send_message", {"to": NEW_YORK_NUMBER, "body": "On our way"}, format="json"
    )
    assert now.json()["status"] == "queued"

    settings.QUIET_HOURS_STRICT = True
    held = api_client.post(
        "/api/send_message", {"to": NEW_YORK_NUMBER, "body": "On our way"}, format="json"
    )
    message = held.json()["message"]
    assert held.json()["status"] == "scheduled"
    assert parse_datetime(message["held_until"]) == window_end
    # Held, so it can still be canceled.
    assert api_client.post(f"/api/messages/{message['id']}/cancel").status_code == 200


def test_without_deferred_tasks_the_sweeper_sends_each_as_it_falls_due(
    channel, api_client, fake_providers, settings
):
    """The immediate backend (make run) holds no task for later: the sweeper loop beside
    the server sends a scheduled record once it is due, not a grace period after."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    _, record, _ = schedule(channel, api_client)
    assert channel.outbox.sweep()["requeued_lost"] == 0  # not yet due
    assert channel.sent_to_provider(fake_providers) == 0

    time_passes(channel, record)

    assert channel.outbox.sweep()["requeued_lost"] == 1
    record.refresh_from_db()
    assert record.status == "sent"
    assert channel.sent_to_provider(fake_providers) == 1
