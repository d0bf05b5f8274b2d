"""The refresh that keeps the reports' counts: idempotent, counting again the recent hours
(where statuses still change), everything with --all, never inside a send, and enqueued by
the sweeper when the counts are older than REPORTS_REFRESH_SECONDS."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from conversations.models import Conversation
from messaging.models import Direction, MessageStatus
from messaging.services import message_send
from messaging.tests.factories import MessageFactory
from reports.models import FirstReply, HourlyCount, RefreshState
from reports.services import reports_refresh
from reports.tasks import refresh_reports, refresh_sweep

pytestmark = pytest.mark.django_db


def buckets() -> set[tuple]:
    return set(
        HourlyCount.objects.values_list(
            "hour", "channel", "direction", "status", "error_code", "count"
        )
    )


def replies() -> set[tuple]:
    return set(
        FirstReply.objects.values_list(
            "reply_id", "channel", "conversation_id", "agent_id", "waited_from", "replied_at",
            "seconds",
        )
    )  # fmt: skip


def hours_ago(hours: float):
    return timezone.now() - timedelta(hours=hours)


def status_counts() -> dict[str, int]:
    counts: dict[str, int] = {}
    for status, count in HourlyCount.objects.values_list("status", "count"):
        counts[status] = counts.get(status, 0) + count
    return counts


def test_a_refresh_twice_gives_the_same_counts_and_replies(two_days):
    before = (buckets(), replies())
    assert len(before[0]) > 10 and len(before[1]) == 4

    reports_refresh(full=True)
    assert (buckets(), replies()) == before
    reports_refresh()  # the recent hours only: the same again
    assert (buckets(), replies()) == before


def test_a_status_that_changed_within_the_window_is_counted_again(settings):
    settings.REPORTS_RECOUNT_HOURS = 72
    message = MessageFactory(status=MessageStatus.SENT, created_at=hours_ago(70))
    reports_refresh()
    assert status_counts() == {"sent": 1}

    # The delivery receipt came two days later.
    type(message).objects.filter(pk=message.pk).update(status=MessageStatus.DELIVERED)
    reports_refresh()

    assert status_counts() == {"delivered": 1}


def test_a_change_older_than_the_window_waits_for_a_full_recount(settings):
    settings.REPORTS_RECOUNT_HOURS = 72
    message = MessageFactory(status=MessageStatus.SENT, created_at=hours_ago(24 * 5))
    reports_refresh()
    type(message).objects.filter(pk=message.pk).update(status=MessageStatus.DELIVERED)

    reports_refresh()
    assert status_counts() == {"sent": 1}

    out = StringIO()
    call_command("refresh_reports", "--all", stdout=out)
    assert status_counts() == {"delivered": 1}
    assert out.getvalue().startswith("Counted everything: 1 hourly counts and 0 first replies")


def test_a_refresh_after_a_long_pause_counts_everything_since_the_last_one(settings):
    settings.REPORTS_RECOUNT_HOURS = 72
    reports_refresh()
    # The sweeper was off for ten days.
    RefreshState.objects.update(refreshed_at=hours_ago(24 * 10))
    MessageFactory(status=MessageStatus.DELIVERED, created_at=hours_ago(24 * 9))

    out = StringIO()
    call_command("refresh_reports", stdout=out)

    assert status_counts() == {"delivered": 1}
    assert "Counted from " in out.getvalue()


def test_the_recount_starts_on_a_whole_hour_and_buckets_are_utc_hours(settings):
    settings.REPORTS_RECOUNT_HOURS = 3
    moment = timezone.now().replace(minute=59, second=59) - timedelta(hours=1)
    MessageFactory(status=MessageStatus.SENT, created_at=moment)
    MessageFactory(status=MessageStatus.SENT, created_at=moment.replace(minute=0, second=0))

    outcome = reports_refresh()
    outcome = reports_refresh()

    assert outcome.since is not None
    assert (outcome.since.minute, outcome.since.second, outcome.since.microsecond) == (0, 0, 0)
    assert list(HourlyCount.objects.values_list("hour", "count")) == [
        (moment.replace(minute=0, second=0, microsecond=0), 2)
    ]


def test_a_send_writes_no_counts_they_appear_at_the_next_refresh(user):
    message_send(to="+14155552671", body="Your table is ready", user=user)

    assert not HourlyCount.objects.exists()
    reports_refresh()
    assert list(HourlyCount.objects.values_list("channel", "direction", "status", "count")) == [
        ("sms", "outbound", "queued", 1)
    ]


def test_a_deleted_conversation_takes_its_first_replies_with_it(two_days):
    conversation = Conversation.objects.get(reply_to="+14155550101")
    assert FirstReply.objects.filter(conversation=conversation).count() == 2

    conversation.delete()

    assert FirstReply.objects.count() == 2


def test_the_refresh_records_when_it_ran_for_the_reports(reports_client):
    assert reports_client.get("/api/reports/volume").json()["refreshed_at"] is None
    before = timezone.now()

    reports_refresh()

    state = RefreshState.objects.get()
    assert before <= state.refreshed_at <= timezone.now()
    assert state.duration >= 0
    refreshed_at = reports_client.get("/api/reports/volume").json()["refreshed_at"]
    assert refreshed_at == state.refreshed_at.isoformat()


# --------------------------------------------------------------------------- sweeper


def test_the_sweeper_enqueues_a_refresh_once_when_the_counts_are_stale(settings, enqueued_tasks):
    settings.REPORTS_REFRESH_SECONDS = 300
    refresh = ("reports.tasks.refresh_reports", [])

    assert refresh_sweep() == 1  # never refreshed
    assert enqueued_tasks() == [refresh]
    assert refresh_sweep() == 0  # one is waiting in the queue
    assert enqueued_tasks() == [refresh]

    reports_refresh()  # the worker ran it
    assert refresh_sweep() == 0

    RefreshState.objects.update(
        refreshed_at=timezone.now() - timedelta(seconds=301),
        enqueued_at=timezone.now() - timedelta(seconds=301),
    )
    assert refresh_sweep() == 1
    assert enqueued_tasks() == [refresh, refresh]


def test_a_refresh_lost_with_its_worker_is_enqueued_again(settings, enqueued_tasks):
    settings.REPORTS_REFRESH_SECONDS = 300
    assert refresh_sweep() == 1
    # Its task never ran; the claim ages.
    RefreshState.objects.update(enqueued_at=timezone.now() - timedelta(seconds=301))

    assert refresh_sweep() == 1
    assert len(enqueued_tasks()) == 2


def test_sweep_outbox_reports_the_refresh_it_enqueued(enqueued_tasks):
    out = StringIO()

    call_command("sweep_outbox", stdout=out)

    assert "Reports refresh: 1 " in out.getvalue()
    assert ("reports.tasks.refresh_reports", []) in enqueued_tasks()


def test_the_refresh_task_refreshes_and_says_what_it_did():
    MessageFactory(direction=Direction.INBOUND, status=MessageStatus.RECEIVED)

    result = refresh_reports.call()

    assert result["buckets"] == 1 and result["replies"] == 0
    assert result["since"] is None  # the first refresh counts everything
    assert RefreshState.objects.get().refreshed_at is not None
