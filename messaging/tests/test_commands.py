import itertools
import re
import sys
from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min, OuterRef, Subquery
from django.urls import reverse
from django.utils import timezone

from core.contacts import ContactKind, conversation_id_for, parse_contact
from demo.management.commands import seed_demo
from emails.models import Email
from emails.tests.factories import EmailFactory
from messaging.models import (
    PREVIEW_LENGTH,
    Channel,
    Conversation,
    Direction,
    Message,
    MessageStatus,
)
from messaging.segments import count_segments
from messaging.services import message_send

pytestmark = pytest.mark.django_db


def run(command: str, *args: str) -> str:
    out = StringIO()
    call_command(command, *args, stdout=out, stderr=StringIO())
    return out.getvalue()


# send_sms


def test_send_sms_stores_a_queued_sms_to_the_normalised_number():
    output = run("send_sms", "--to", "(415) 555-2671", "--body", "Your table is ready")

    message = Message.objects.get()
    assert message.to_contact == "+14155552671"
    assert message.from_contact == "+15005550006"
    assert message.channel == Channel.SMS
    assert message.status == MessageStatus.QUEUED
    assert message.sent_by is None
    assert message.conversation.message_count == 1
    assert str(message.id) in output
    assert "queued" in output


def test_send_sms_sends_from_another_configured_number():
    run("send_sms", "--to", "+14155552671", "--body", "Hi", "--from", "(415) 555-0100")

    assert Message.objects.get().from_contact == "+14155550100"


def test_send_sms_to_a_name_is_an_internal_message_from_the_given_name():
    output = run("send_sms", "--to", "Robin Diaz", "--body", "Lunch?", "--from", "Ops Bot")

    message = Message.objects.get()
    assert (message.from_contact, message.to_contact) == ("Ops Bot", "Robin Diaz")
    assert message.channel == Channel.INTERNAL
    assert message.status == MessageStatus.DELIVERED
    assert "delivered" in output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "555-12"], "'to' is not a valid phone number: '555-12'."),
        (["--to", "Robin Diaz"], "'from' is required when no user is signed in."),
        (["--to", "+14155552671", "--from", "+14155559999"], "'from' must be one of"),
        (["--to", "robin@example.com"], "'to' is an email address"),
    ],
)
def test_send_sms_turns_a_refusal_into_a_command_error_and_stores_nothing(args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        run("send_sms", *args, "--body", "Hello")

    assert not Message.objects.exists()
    assert not Conversation.objects.exists()


def test_send_sms_requires_a_body():
    with pytest.raises(CommandError, match="--body"):
        run("send_sms", "--to", "+14155552671")


# seed_demo


@pytest.fixture(autouse=True)
def development(settings):
    """seed_demo runs on development databases; the test settings have DEBUG off."""
    settings.DEBUG = True


def seed(*args: str) -> str:
    return run("seed_demo", *args)


def summaries_match_messages() -> None:
    """Every conversation's summary says what its messages say, as the services keep it."""
    newest = Message.objects.filter(conversation=OuterRef("pk")).order_by("-created_at", "-id")
    conversations = Conversation.objects.annotate(
        counted=Count("messages"),
        newest_at=Max("messages__created_at"),
        newest_body=Subquery(newest.values("body")[:1]),
        newest_from=Subquery(newest.values("from_contact")[:1]),
        newest_to=Subquery(newest.values("to_contact")[:1]),
        newest_direction=Subquery(newest.values("direction")[:1]),
        channels=Count("messages__channel", distinct=True),
        any_channel=Max("messages__channel"),
    )
    assert conversations.exists()
    for conversation in conversations:
        assert conversation.message_count == conversation.counted
        assert conversation.last_message_at == conversation.newest_at
        assert (
            conversation.last_message_preview
            == (" ".join(conversation.newest_body.split())[:PREVIEW_LENGTH])
        )
        if conversation.newest_direction == Direction.INBOUND:
            expected = (conversation.newest_to, conversation.newest_from)
        else:
            expected = (conversation.newest_from, conversation.newest_to)
        assert (conversation.own_contact, conversation.reply_to) == expected
        pair = sorted([conversation.own_contact, conversation.reply_to])
        assert [conversation.participant_a, conversation.participant_b] == pair
        assert pair[0] != pair[1]
        assert conversation.id == conversation_id_for(*pair)
        for contact in pair:
            # Stored in the spelling the services would store.
            assert parse_contact(contact, field="contact").value == contact
        phones = [parse_contact(contact, field="c").kind is ContactKind.PHONE for contact in pair]
        assert (conversation.channel == "sms") == any(phones)
        assert conversation.channels == 1
        assert conversation.any_channel == conversation.channel
        assert conversation.created_at <= conversation.last_message_at
        # The inbound count starts at the inbound messages after the team's latest
        # outbound one (replying means the conversation was open, which marked it read):
        # with no read marks, what each demo user finds unread.
        thread = list(conversation.messages.order_by("-created_at", "-id"))
        unread = list(itertools.takewhile(lambda m: m.direction == Direction.INBOUND, thread))
        assert conversation.inbound_count == len(unread)


def test_seed_demo_creates_a_superuser_who_can_sign_in_to_the_admin(client):
    output = seed("--conversations", "2", "--messages-per-conversation", "2", "--emails", "0")

    user = authenticate(username="demo", password="hatch-demo")
    assert user is not None
    assert user.is_staff
    assert user.is_superuser
    assert "Demo login: demo / hatch-demo at http://127.0.0.1:8000" in output
    assert client.login(username="demo", password="hatch-demo")
    assert client.get(reverse("admin:index")).status_code == 200


def test_seed_demo_defaults_are_small():
    seed()

    assert Conversation.objects.count() == 24
    assert Message.objects.count() == 24 * 12
    assert Email.objects.count() == 15
    summaries_match_messages()


def test_seed_demo_creates_the_requested_rows_with_true_summaries():
    output = seed(
        "--conversations", "10",
        "--messages-per-conversation", "30",
        "--emails", "7",
        "--phone-share", "0.6",
    )  # fmt: skip

    assert Conversation.objects.count() == 10
    assert Conversation.objects.filter(channel="sms").count() == 6
    assert Message.objects.count() == 300
    assert Email.objects.count() == 7
    assert "6 SMS and 4 internal conversations, 300 messages and 7 emails" in output
    summaries_match_messages()


def test_seed_demo_messages_look_like_real_traffic():
    seed("--conversations", "20", "--messages-per-conversation", "40", "--phone-share", "0.5")
    now = timezone.now()

    sms = Message.objects.filter(channel=Channel.SMS)
    statuses = set(sms.values_list("status", flat=True))
    assert {MessageStatus.RECEIVED, MessageStatus.DELIVERED, MessageStatus.FAILED} <= statuses
    assert not sms.filter(direction=Direction.INBOUND).exclude(status=MessageStatus.RECEIVED)
    failed = sms.filter(status=MessageStatus.FAILED)
    assert not failed.filter(error_code__isnull=True).exists()
    assert set(failed.values_list("error_code", flat=True)) <= {30003, 21610, 30008}
    assert not sms.filter(status=MessageStatus.DELIVERED, delivered_at__isnull=True).exists()
    assert not sms.filter(status=MessageStatus.QUEUED, provider_message_id__isnull=False)
    internal = Message.objects.filter(channel=Channel.INTERNAL)
    assert set(internal.values_list("status", flat=True)) == {MessageStatus.DELIVERED}
    assert "Demo User" in set(internal.values_list("from_contact", flat=True))
    assert not Message.objects.filter(created_at__gt=now).exists()
    assert not Message.objects.filter(created_at__lt=now - timedelta(days=30, minutes=1))
    for field in ("sent_at", "delivered_at"):
        assert not Message.objects.filter(**{f"{field}__gt": now}).exists()
    assert len(set(Email.objects.values_list("status", flat=True))) > 1


def test_seed_demo_rows_keep_the_invariants_the_services_keep():
    seed(
        "--conversations", "8",
        "--messages-per-conversation", "40",
        "--emails", "0",
        "--phone-share", "0.75",
    )  # fmt: skip

    summaries_match_messages()
    assert Conversation.objects.filter(inbound_count__gt=0).exists()
    # The summary columns equal an aggregate recomputed from the messages in one query.
    recomputed = {
        row["conversation_id"]: row
        for row in Message.objects.values("conversation_id").annotate(
            count=Count("id"), newest=Max("created_at"), oldest=Min("created_at")
        )
    }
    for conversation in Conversation.objects.all():
        row = recomputed[conversation.id]
        assert (conversation.message_count, conversation.last_message_at) == (
            row["count"],
            row["newest"],
        )
        assert conversation.created_at == row["oldest"]
    for message in Message.objects.all():
        message.full_clean()  # choices, lengths, and the contacts' spelling below
        assert parse_contact(message.to_contact, field="to").value == message.to_contact
        assert parse_contact(message.from_contact, field="from").value == message.from_contact
        if message.channel == Channel.SMS:
            assert message.num_segments == count_segments(message.body).segments
        else:
            assert message.num_segments == 1
        if message.status == MessageStatus.QUEUED:
            # Due, as message_send leaves it, so a sweep would pick it up.
            assert message.next_attempt_at == message.created_at
            assert message.attempt_count == 0
        if message.provider_message_id:
            assert message.provider_message_id.startswith("SM")
        assert message.updated_at >= message.created_at
    sids = list(
        Message.objects.exclude(provider_message_id=None).values_list(
            "provider_message_id", flat=True
        )
    )
    assert len(sids) == len(set(sids)) > 0
    assert Message.objects.filter(status=MessageStatus.QUEUED).exists()


def test_seed_demo_a_second_run_adds_nothing_but_refreshes_the_login():
    seed("--conversations", "3", "--messages-per-conversation", "4", "--emails", "2")
    before = set(Message.objects.values_list("id", flat=True))

    output = seed("--conversations", "9", "--password", "another-password")

    assert set(Message.objects.values_list("id", flat=True)) == before
    assert Conversation.objects.count() == 3
    assert Email.objects.count() == 2
    assert "nothing added" in output
    assert "Demo login: demo / another-password" in output
    assert authenticate(username="demo", password="another-password") is not None


def test_seed_demo_leaves_existing_data_alone_without_reset():
    message_send(to="+14155552671", body="A real message", sender=None)
    EmailFactory()

    seed()

    assert Message.objects.get().body == "A real message"
    assert Email.objects.count() == 1


def test_seed_demo_reset_replaces_everything():
    seed("--conversations", "5", "--messages-per-conversation", "3", "--emails", "4")
    message_send(to="+14155552671", body="Older data", sender=None)
    EmailFactory()

    output = seed(
        "--reset", "--conversations", "2", "--messages-per-conversation", "6", "--emails", "1"
    )

    assert "Deleted 16 messages, 6 conversations and 5 emails." in output
    assert Conversation.objects.count() == 2
    assert Message.objects.count() == 12
    assert Email.objects.count() == 1
    assert not Message.objects.filter(body="Older data").exists()
    summaries_match_messages()


def test_seed_demo_refuses_sms_without_a_sending_number_before_deleting_anything(settings):
    seed("--conversations", "2", "--emails", "0")
    settings.TWILIO_FROM_NUMBER = ""
    settings.TWILIO_EXTRA_FROM_NUMBERS = []
    out = StringIO()

    with pytest.raises(CommandError, match="set TWILIO_FROM_NUMBER, or pass --phone-share 0"):
        call_command("seed_demo", "--reset", stdout=out)

    assert "Deleted" not in out.getvalue()
    assert Conversation.objects.count() == 2
    seed("--reset", "--phone-share", "0", "--conversations", "3")
    assert Conversation.objects.filter(channel="internal").count() == 3


def test_seed_demo_all_internal_or_all_sms():
    seed("--conversations", "4", "--phone-share", "0", "--emails", "0")
    assert not Conversation.objects.filter(channel="sms").exists()

    seed("--reset", "--conversations", "4", "--phone-share", "1", "--emails", "0")
    assert Conversation.objects.filter(channel="sms").count() == 4
    summaries_match_messages()


def test_seed_demo_never_pairs_a_sending_number_with_itself(monkeypatch):
    # One area code: its 100 fictional numbers include the configured +14155550100.
    monkeypatch.setattr(seed_demo, "AREA_CODES", ["415"])

    seed("--conversations", "100", "--messages-per-conversation", "1", "--phone-share", "1")

    own_numbers = {"+15005550006", "+14155550100"}
    assert Conversation.objects.count() == 100
    assert not Conversation.objects.filter(reply_to__in=own_numbers).exists()
    summaries_match_messages()


def test_seed_demo_updates_an_existing_user_and_keeps_their_name(django_user_model):
    django_user_model.objects.create_user(
        username="demo", password="old", first_name="Robin", last_name="Diaz"
    )

    seed("--conversations", "3", "--phone-share", "0", "--emails", "0")

    user = authenticate(username="demo", password="hatch-demo")
    assert user.is_superuser
    assert user.teammate.role == "admin"
    # The demo user, and the demo's one teammate (an agent) they share the inbox with.
    assert sorted(get_user_model().objects.values_list("username", flat=True)) == [
        "amara",
        "demo",
    ]
    assert authenticate(username="amara", password="hatch-demo").teammate.role == "agent"
    assert "Robin Diaz" in set(Message.objects.values_list("from_contact", flat=True))


@pytest.mark.parametrize(
    "args",
    [
        ["--phone-share", "1.5"],
        ["--conversations", "-1"],
        ["--messages-per-conversation", "0"],
    ],
)
def test_seed_demo_refuses_bad_numbers(args):
    with pytest.raises(CommandError):
        seed(*args)

    assert not Conversation.objects.exists()


def test_seed_demo_refuses_to_run_with_debug_off_unless_forced(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        seed()
    assert not get_user_model().objects.exists()

    seed("--force", "--conversations", "1", "--emails", "0")
    assert Conversation.objects.count() == 1


def test_seed_demo_draws_a_progress_bar_only_on_a_terminal(monkeypatch, capsys):
    monkeypatch.setattr(seed_demo, "PROGRESS_THRESHOLD", 0)

    seed("--conversations", "2", "--emails", "0")
    assert capsys.readouterr().err == ""

    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    seed("--reset", "--conversations", "2", "--emails", "0")
    assert "24/24" in capsys.readouterr().err

    seed("--reset", "--conversations", "2", "--emails", "0", "--no-progress")
    assert capsys.readouterr().err == ""
