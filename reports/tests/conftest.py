"""Two days of a small team's traffic, stored at known times in New York, from which every
report's answer is computed by hand (reports/tests/test_reports_api.py).

Sunday 15 and Monday 16 November 2026, EST (UTC-5): Sunday is the last day of the week that
starts on Monday 9, Monday the first of the next. Some local times fall on another UTC day
(Sunday 22:30 is Monday 03:30 UTC; Saturday 23:30 is Sunday 04:30 UTC), so a report that
counted UTC days would differ.

    SMS conversation A (+14155550101)
      Sun 09:00  in
      Sun 09:10  out  Ada     delivered        first reply: 600 s (Sunday)
      Sun 09:20  in                            (the same wait: not a new one)
      Sun 09:30  out  Grace   delivered        not a first reply
      Sun 10:00  closed by Ada
      Sun 22:30  in                            (reopens it; Monday 03:30 UTC)
      Mon 00:10  out  Grace   failed 30007     first reply: 6,000 s (Monday)
      Mon 08:00  out  -       undelivered 30005
    SMS conversation B (+14155550102)
      Mon 09:00  out  Ada     sent
      Mon 10:00  in
      Mon 10:05  out  -       queued           (nobody sent it: no reply)
      Mon 10:30  out  Ada     failed, no code  first reply: 1,800 s (Monday)
      Mon 11:00  out  Ada     scheduled        (not counted: not sent yet)
      Mon 11:30  out  Ada     canceled         (not counted: never sent)
    SMS conversation C (+14155550103)
      Sat 23:30  in                            (Saturday: outside the range)
      Mon 13:00  out  -       failed 30007
      Mon 14:00  out  -       failed 12345     (a code no table knows)
    Email thread T
      Sun 12:00  in
      Sun 13:00  out  Ada     bounced "bounce"             first reply: 3,600 s (Sunday)
      Mon 12:00  out  Grace   dropped "dropped-spam-report"
    An email in no thread: Mon 14:00 out, Grace, delivered
    Internal conversation: Mon 15:00, Ada, delivered
"""

import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from conversations.models import Activity, ActivityKind, ConversationChannel
from emails.models import EmailDirection, EmailStatus
from emails.tests.factories import EmailFactory
from messaging.models import Channel, Direction, MessageStatus
from messaging.tests.factories import ConversationFactory, MessageFactory
from reports.services import reports_refresh

NEW_YORK = ZoneInfo("America/New_York")
RANGE = {"from": "2026-11-15", "to": "2026-11-16"}


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A time of November 2026 in New York."""
    return datetime(2026, 11, day, hour, minute, tzinfo=NEW_YORK)


@pytest.fixture
def new_york(settings):
    settings.TIME_ZONE = "America/New_York"


@pytest.fixture
def teammate(db):
    def make(username: str, first_name: str, last_name: str):
        return get_user_model().objects.create_user(
            username=username, first_name=first_name, last_name=last_name
        )

    return make


@pytest.fixture
def ada(teammate):
    return teammate("ada", "Ada", "Lovelace")


@pytest.fixture
def grace(teammate):
    return teammate("grace", "Grace", "Hopper")


@pytest.fixture
def reports_client(ada):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=ada).key}")
    return client


def sms(conversation, at, direction=Direction.OUTBOUND, status=None, *, by=None, code=None):
    if status is None:
        status = MessageStatus.RECEIVED if direction == Direction.INBOUND else MessageStatus.SENT
    return MessageFactory(
        conversation=conversation,
        channel=conversation.channel,
        direction=direction,
        status=status,
        sent_by=by,
        error_code=code,
        created_at=at,
    )


def email(thread, at, direction=EmailDirection.OUTBOUND, status=None, *, by=None, code=""):
    if status is None:
        status = EmailStatus.RECEIVED if direction == EmailDirection.INBOUND else EmailStatus.SENT
    return EmailFactory(
        thread=thread,
        direction=direction,
        status=status,
        sent_by=by,
        error_code=code,
        created_at=at,
    )


def closed(conversation, at, *, by=None):
    return Activity.objects.create(
        conversation=conversation, kind=ActivityKind.CLOSED, actor=by, created_at=at
    )


@pytest.fixture
def two_days(new_york, ada, grace):
    """The traffic of the module docstring, counted by a full refresh."""
    inbound, out = Direction.INBOUND, Direction.OUTBOUND
    a = ConversationFactory(reply_to="+14155550101")
    sms(a, local(15, 9), inbound)
    sms(a, local(15, 9, 10), out, MessageStatus.DELIVERED, by=ada)
    sms(a, local(15, 9, 20), inbound)
    sms(a, local(15, 9, 30), out, MessageStatus.DELIVERED, by=grace)
    closed(a, local(15, 10), by=ada)
    sms(a, local(15, 22, 30), inbound)
    sms(a, local(16, 0, 10), out, MessageStatus.FAILED, by=grace, code=30007)
    sms(a, local(16, 8), out, MessageStatus.UNDELIVERED, code=30005)

    b = ConversationFactory(reply_to="+14155550102")
    sms(b, local(16, 9), out, MessageStatus.SENT, by=ada)
    sms(b, local(16, 10), inbound)
    sms(b, local(16, 10, 5), out, MessageStatus.QUEUED)
    sms(b, local(16, 10, 30), out, MessageStatus.FAILED, by=ada)
    sms(b, local(16, 11), out, MessageStatus.SCHEDULED, by=ada)
    sms(b, local(16, 11, 30), out, MessageStatus.CANCELED, by=ada)

    c = ConversationFactory(reply_to="+14155550103")
    sms(c, local(14, 23, 30), inbound)
    sms(c, local(16, 13), out, MessageStatus.FAILED, code=30007)
    sms(c, local(16, 14), out, MessageStatus.FAILED, code=12345)

    thread = ConversationFactory(
        id=uuid.uuid4(), channel=ConversationChannel.EMAIL, reply_to="pat@example.com"
    )
    email(thread, local(15, 12), EmailDirection.INBOUND)
    email(thread, local(15, 13), status=EmailStatus.BOUNCED, by=ada, code="bounce")
    email(thread, local(16, 12), status=EmailStatus.DROPPED, by=grace, code="dropped-spam-report")
    email(None, local(16, 14), status=EmailStatus.DELIVERED, by=grace)

    team = ConversationFactory(
        channel=Channel.INTERNAL, own_contact="Ada Lovelace", reply_to="Grace Hopper"
    )
    sms(team, local(16, 15), out, MessageStatus.DELIVERED, by=ada)

    reports_refresh(full=True)
