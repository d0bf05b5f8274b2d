"""The daily SMS limits: past SMS_DAILY_LIMIT_PER_USER (one teammate) or SMS_DAILY_LIMIT
(everyone together, commands included) a send is a 429 that names the limit and when it
resets, with Retry-After, and nothing is stored; a new day starts afresh."""

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from messaging import services
from messaging.limits import sms_quota_give_back, sms_quota_left, sms_quota_take
from messaging.models import Message, SmsDailyCount
from messaging.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TO = "+14155552671"


def send(client, to=TO):
    return client.post("/api/send_message", {"to": to, "body": "Hello"}, format="json")


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_past_a_users_daily_limit_their_sms_is_a_429_that_says_when_it_resets(api_client, settings):
    settings.SMS_DAILY_LIMIT_PER_USER = 2
    settings.TIME_ZONE = "UTC"
    assert [send(api_client).status_code for _ in range(2)] == [200, 200]

    refused = send(api_client)

    assert refused.status_code == 429
    error = refused.json()["error"]
    assert error.startswith(
        "You have sent your 2 SMS for today, the daily limit for each teammate "
        "(SMS_DAILY_LIMIT_PER_USER). It resets at midnight (UTC, "
    )
    assert error.endswith("; an administrator can raise it.")
    midnight = (timezone.now() + timedelta(days=1)).replace(hour=0, minute=0, second=0)
    assert midnight.strftime("%Y-%m-%dT00:00:00+00:00") in error
    seconds_left = (midnight - timezone.now()).total_seconds()
    assert abs(int(refused["Retry-After"]) - seconds_left) <= 5
    assert Message.objects.count() == 2
    # Another teammate still may; an internal message is no SMS and never counts.
    assert send(client_for(UserFactory())).status_code == 200
    assert send(api_client, to="Front desk").status_code == 200


def test_the_teams_limit_counts_everyone_and_the_commands(api_client, settings):
    settings.SMS_DAILY_LIMIT = 3
    assert send(api_client).status_code == 200
    assert send(client_for(UserFactory())).status_code == 200
    call_command("send_sms", "--to", TO, "--body", "From a script")

    refused = send(client_for(UserFactory()))
    with pytest.raises(CommandError, match=r"the team's daily limit \(SMS_DAILY_LIMIT\)"):
        call_command("send_sms", "--to", TO, "--body", "One more")

    assert refused.status_code == 429
    assert refused.json()["error"].startswith(
        "Hatch has sent its 3 SMS for today, the team's daily limit (SMS_DAILY_LIMIT)."
    )
    assert Message.objects.count() == 3


def test_a_scheduled_sms_counts_on_the_day_it_is_accepted(api_client, settings):
    settings.SMS_DAILY_LIMIT_PER_USER = 1
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()
    scheduled = api_client.post(
        "/api/send_message", {"to": TO, "body": "Later", "send_at": tomorrow}, format="json"
    )

    assert scheduled.status_code == 200
    assert send(api_client).status_code == 429


def test_a_new_day_starts_afresh(api_client, settings):
    settings.SMS_DAILY_LIMIT_PER_USER = 1
    assert send(api_client).status_code == 200
    assert send(api_client).status_code == 429

    # The clock passes midnight: yesterday's count stays yesterday's.
    SmsDailyCount.objects.update(day=timezone.localdate() - timedelta(days=1))

    assert send(api_client).status_code == 200


def test_zero_means_no_limit(api_client, settings):
    settings.SMS_DAILY_LIMIT_PER_USER = 0
    settings.SMS_DAILY_LIMIT = 0

    assert {send(api_client).status_code for _ in range(3)} == {200}
    assert sms_quota_left(user=None) is None
    assert not SmsDailyCount.objects.exists()


def test_what_a_failed_send_took_is_given_back(settings, user):
    settings.SMS_DAILY_LIMIT_PER_USER = 5
    settings.SMS_DAILY_LIMIT = 100

    taken = sms_quota_take(user=user, count=3)
    assert sms_quota_left(user=user) == 2
    sms_quota_give_back(taken)

    assert sms_quota_left(user=user) == 5


@pytest.mark.django_db(transaction=True)
def test_sends_racing_at_the_limit_never_pass_it(settings):
    """Twenty sends at once against a limit of ten: exactly ten are stored."""
    settings.SMS_DAILY_LIMIT = 10
    barrier = threading.Barrier(20)
    outcomes = []

    def sender(number):
        try:
            barrier.wait()
            services.message_send(to=f"+1415555{number:04d}", body="Race")
            outcomes.append("sent")
        except Exception as error:
            outcomes.append(type(error).__name__)
        finally:
            connection.close()

    threads = [threading.Thread(target=sender, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["TooManyRequests"] * 10 + ["sent"] * 10
    assert Message.objects.count() == 10
    assert SmsDailyCount.objects.get(user_key=0).count == 10
