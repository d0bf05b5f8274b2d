"""Fill a development database with a demo user and realistic conversations and emails.

The rows are not written through the services: one service call per message is a few
round trips each, hours for a million messages. On PostgreSQL they are streamed with COPY
(a million messages and their conversations in well under a minute); elsewhere (SQLite,
``make run``'s default, with small sizes) with bulk_create. So this command writes each
conversation's summary row itself, from messaging.summary's one definition, as storing the
same messages one by one would have left it; the tests check every summary against its
messages.

Every phone number and email address of the demo belongs to a named contact (written the
same way, after the rest), so that the inbox shows people's names.

The month has what the Reports page reads: failures with Twilio's and SendGrid's codes as
the providers' packages store them, replies by both demo teammates (most within minutes),
conversations closed between a reply and the person's next message (which reopens them:
each wait for a reply starts anew). Last, the reports count it all (reports.services).
"""

import itertools
import json
import math
import os
import random
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, reset_queries, transaction
from django.utils import timezone
from tqdm import tqdm

from contacts.models import Contact, ContactPoint, PointKind
from conversations.models import Activity, ActivityKind
from conversations.services import REOPENED_BY_MESSAGE
from core.contacts import ContactKind, conversation_id_for, parse_contact
from core.errors import ApplicationError
from demo.team import TEAMMATE, admin_ensure, team_seed, teammate_ensure, teammate_name
from emails.models import Email, EmailStatus
from messaging.models import Channel, Conversation, Direction, Message, MessageStatus
from messaging.segments import count_segments
from messaging.services import SMS_SENDERS
from messaging.summary import conversation_summary, sides
from reports.services import reports_refresh

BATCH_SIZE = 5000
PROGRESS_THRESHOLD = 10_000  # rows; smaller runs finish before a bar is worth drawing
HISTORY_DAYS = 30  # how far back the demo goes, unless --days says otherwise
# Each template list is filled in this many ways once, up front: formatting a template per
# message (seven random draws and a segment count) would be most of a million-row seed.
BODY_VARIANTS = 400

# The columns each generated row holds, in order: Django's attnames, which are the column
# names. Fields left out (none today) would take their database defaults under COPY.
CONVERSATION_COLUMNS = (
    "id", "participant_a", "participant_b", "reply_to", "own_contact", "channel",
    "last_message_at", "last_message_preview", "message_count", "inbound_count", "contact_id",
    "contact_name", "subject",
    "created_at", "updated_at",
)  # fmt: skip
SUMMARY_COLUMNS = CONVERSATION_COLUMNS[:-2]  # messaging.summary's; then the row's times
MESSAGE_COLUMNS = (
    "id", "conversation_id", "to_contact", "from_contact", "body", "channel", "direction",
    "status", "provider_message_id", "error_code", "error_message", "num_segments",
    "num_media", "media", "attempt_count", "next_attempt_at", "claimed_at", "sent_by_id",
    "sent_at", "delivered_at", "created_at", "updated_at",
)  # fmt: skip
CONTACT_COLUMNS = ("id", "name", "first_name", "time_zone", "notes", "created_at", "updated_at")
# A conversation's closes and reopenings between its messages (conversations.Activity).
ACTIVITY_COLUMNS = ("conversation_id", "actor_id", "kind", "detail", "created_at")
POINT_COLUMNS = ("contact_id", "kind", "value", "position", "created_at")
# Positions the summary (and a reply) reads back from a message row.
M_TO, M_FROM, M_BODY, M_DIRECTION, M_SENT_BY, M_CREATED = 2, 3, 4, 6, 17, 20
NO_MEDIA = "[]"  # jsonb, as COPY's text format spells it
# What conversations.services records when an inbound message reopens a conversation.
REOPENED_DETAIL = json.dumps({"reason": REOPENED_BY_MESSAGE})

FIRST_NAMES = [
    "Ava", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Isla", "Jonah",
    "Kira", "Liam", "Maya", "Nikhil", "Olivia", "Pablo", "Quinn", "Rosa", "Sam", "Tariq",
    "Uma", "Victor", "Wen", "Ximena", "Yusuf", "Zoe", "Amara", "Bruno", "Carmen", "Diego",
]  # fmt: skip
LAST_NAMES = [
    "Adams", "Baker", "Chen", "Diaz", "Evans", "Fischer", "Garcia", "Hughes", "Ito",
    "Jensen", "Kowalski", "Lopez", "Martin", "Nguyen", "Okafor", "Patel", "Quist", "Rossi",
    "Silva", "Tanaka", "Ueda", "Varga", "Walsh", "Xu", "Young", "Zimmer", "Novak", "Moreau",
]  # fmt: skip
# 555-0100 to 555-0199 are reserved for fiction in every North American area code, so no
# real person gets a demo message should someone point the demo at a live Twilio account.
# That gives 2,000 numbers; only a larger demo goes on to other (unassigned) 555 lines.
AREA_CODES = [
    "415", "212", "312", "617", "206", "512", "303", "646", "718", "305",
    "404", "702", "213", "310", "202", "503", "619", "720", "773", "858",
]  # fmt: skip

SMS_OUTBOUND = [
    "Hi {name}, your appointment is confirmed for {day} at {time}. Reply C to cancel.",
    "Your order #{order} has shipped and should arrive {day}.",
    "Hi {name}, this is a reminder that your table for {party} is booked for {time} tonight.",
    "Your verification code is {code}. It expires in 10 minutes.",
    "Thanks for reaching out, {name}! A member of our team will call you back {day}.",
    "Good news: your repair is ready for pickup. We're open until 6pm.",
    "Hi {name}, we have a 2pm slot free {day}. Want it?",
    "Your invoice #{order} for ${amount} is ready. Pay online any time before {day}.",
    "Hi {name}, just checking in after your visit last week. How did everything go? "
    "If anything still isn't right, reply here and we'll get it sorted out quickly. "
    "We appreciate your business!",
    "Reminder: the office is closed {day}.\nWe'll be back Monday at 9am.",
    "We received your payment of ${amount}. Thank you!",
    "Hi {name}, your prescription is ready 💊 Pick it up any time after {time}.",
]
SMS_INBOUND = [
    "Thanks!",
    "Can we move it to {time} instead?",
    "Yes, that works for me.",
    "Who is this?",
    "Running about 10 minutes late, sorry!",
    "Is parking available nearby?",
    "Great, see you {day} 👍",
    "Could you resend the link? It didn't open on my phone.",
    "Perfect, thank you so much.",
    "What time do you close today?",
    "I never got the package for order #{order}.",
    "ok",
]
INTERNAL = [
    "Can you take the {time} call with the Acme team?",
    "Pushed the fix for the invoice bug, ready for review.",
    "Lunch {day}? 🌮",
    "Customer on +1 415 555 0142 wants a callback before {time}.",
    "Heads up: the SMS provider is slow this morning, keep an eye on the queue.",
    "Thanks for covering the front desk {day}!",
    "Order #{order} needs a refund, can you approve?",
    "Meeting moved to {time}, same room.",
    "Sure, on it.",
    "Draft of the newsletter is in the shared folder.\n\nComments welcome before {day}.",
]
# Where each demo area code is, so a contact's time zone matches their number.
AREA_TIME_ZONES = {
    "415": "America/Los_Angeles", "206": "America/Los_Angeles", "702": "America/Los_Angeles",
    "213": "America/Los_Angeles", "310": "America/Los_Angeles", "503": "America/Los_Angeles",
    "619": "America/Los_Angeles", "858": "America/Los_Angeles", "303": "America/Denver",
    "720": "America/Denver", "312": "America/Chicago", "512": "America/Chicago",
    "773": "America/Chicago", "212": "America/New_York", "617": "America/New_York",
    "646": "America/New_York", "718": "America/New_York", "305": "America/New_York",
    "404": "America/New_York", "202": "America/New_York",
}  # fmt: skip
CONTACT_NOTES = [
    "Prefers texts after 5pm.",
    "Regular since 2021; ask about the dog.",
    "VIP: loop in the manager on complaints.",
    "Allergic to nuts.",
    "Pays by invoice, net 30.",
]
NOTES_SHARE = 0.15
DAYS = ["today", "tomorrow", "on Monday", "on Tuesday", "on Wednesday", "on Thursday", "on Friday"]
TIMES = ["9:00am", "9:30am", "10:15am", "11am", "12:30pm", "2pm", "3:45pm", "4:30pm", "6pm"]

# Outbound SMS end states, by weight, with the Twilio errors a failure carries. A 21610 is
# refused by the API itself, so that message never got a MessageSid.
SMS_OUTCOMES = [
    (MessageStatus.DELIVERED, 62),
    (MessageStatus.SENT, 15),
    (MessageStatus.QUEUED, 8),
    (MessageStatus.FAILED, 10),
    (MessageStatus.UNDELIVERED, 5),
]
SMS_FAILURES = [
    (30003, "Unreachable destination handset", True),
    (21610, "Attempt to send to unsubscribed recipient", False),
    (30008, "Unknown error", True),
]
SMS_UNDELIVERED = [
    (30005, "Unknown destination handset"),
    (30006, "Landline or unreachable carrier"),
    (30007, "Message filtered"),
    (30034, "Message from an Unregistered Number"),
]
INBOUND_SHARE = 0.45
# A teammate's reply to a message comes this many seconds after it, as a median (log-normal:
# most within a few minutes, some hours later), unless the thread's next message came
# sooner anyway; the Reports page's response times read them.
REPLY_MEDIAN_SECONDS = 8 * 60
REPLY_SPREAD = 1.3
# After a teammate's reply, how often the conversation was closed before the person wrote
# again (and their message opened it again): each wait then starts anew.
CLOSE_SHARE = 0.3

EMAIL_SUBJECTS = [
    "Your receipt from Hatch Coffee",
    "Appointment confirmed for {day}",
    "Welcome aboard, {name}!",
    "Invoice #{order} is ready",
    "Your password was changed",
    "Quick question about order #{order}",
    "We miss you, {name}: 20% off this week",
    "Your weekly summary",
]
EMAIL_BODIES = [
    "Hi {name},\n\nThanks for your order #{order}. We'll let you know when it ships.\n\n"
    "The Hatch team",
    "Hi {name},\n\nThis confirms your appointment {day} at {time}. Reply to this email "
    "if you need to reschedule.\n\nSee you soon!",
    "Hi {name},\n\nYour invoice for ${amount} is attached. Payment is due {day}.\n\nThanks!",
    "Hi {name},\n\nIf you did not make this change, contact support right away.",
]
EMAIL_OUTCOMES = [
    (EmailStatus.DELIVERED, 55),
    (EmailStatus.SENT, 15),
    (EmailStatus.QUEUED, 8),
    (EmailStatus.BOUNCED, 8),
    (EmailStatus.DROPPED, 6),
    (EmailStatus.FAILED, 8),
]
# Each failed outcome's (error_code, error_message) as the SendGrid package stores them: its
# word for the bounce or drop, or SendGrid's HTTP status for a refused send.
EMAIL_ERRORS = {
    EmailStatus.BOUNCED: [
        ("bounce", "550 5.1.1 The email account that you tried to reach does not exist."),
        ("bounce", "550 5.1.1 <{to}>: Recipient address rejected: User unknown"),
        ("blocked", "554 5.7.1 Service unavailable; client host blocked using Spamhaus"),
    ],
    EmailStatus.DROPPED: [
        ("dropped-bounced", "Bounced Address"),
        ("dropped-unsubscribed", "Unsubscribed Address"),
        ("dropped-spam-report", "Spam Reporting Address"),
        ("dropped-invalid", "Invalid"),
    ],
    EmailStatus.FAILED: [
        ("400", "The from address does not match a verified Sender Identity."),
        ("403", "The provided authorization grant is invalid, expired, or revoked"),
    ],
}
SENDGRID_ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"


def _non_negative(text: str) -> int:
    value = int(text)
    if value < 0:
        raise ValueError(text)
    return value


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _share(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise ValueError(text)
    return value


@dataclass
class Counts:
    sms_conversations: int = 0
    internal_conversations: int = 0
    messages: int = 0
    emails: int = 0
    contacts: int = 0


class Command(BaseCommand):
    help = (
        "Create a demo superuser and sample conversations, messages and emails. Does "
        "nothing but refresh the user if any conversation or email exists, unless --reset."
    )

    def add_arguments(self, parser):
        parser.add_argument("--conversations", type=_non_negative, default=24)
        parser.add_argument("--messages-per-conversation", type=_positive, default=12)
        parser.add_argument("--emails", type=_non_negative, default=15)
        parser.add_argument(
            "--days",
            type=_positive,
            default=HISTORY_DAYS,
            help=f"How many days back the history goes (default {HISTORY_DAYS}; 365 for a "
            "year of reports).",
        )
        parser.add_argument(
            "--phone-share",
            type=_share,
            default=0.7,
            help="Share of conversations that are SMS with phone numbers (0 to 1).",
        )
        parser.add_argument("--username", default="demo")
        parser.add_argument("--password", default="hatch-demo")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Delete EVERY message, conversation, email and contact first, not only demo "
            "ones (consent records stay).",
        )
        parser.add_argument("--seed", type=int, default=42, help="Random seed.")
        parser.add_argument("--no-progress", dest="progress", action="store_false")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run although DEBUG is off. The demo user is a superuser with a known "
            "password, and --reset empties the tables: never on a real deployment.",
        )

    def handle(self, *args, **options):
        if not settings.DEBUG and not options["force"]:
            raise CommandError(
                "seed_demo creates a superuser with a known password and --reset deletes "
                "every message; DEBUG is off, so this may be a real deployment. "
                "Pass --force if it is not."
            )
        started = time.monotonic()
        with transaction.atomic():
            user = self._ensure_user(options["username"], options["password"])
            # Before the conversations, so that both start with the demo's unread ones.
            teammate = teammate_ensure(options["password"])
            # Built first: it refuses a missing configuration before anything is deleted.
            seeder = Seeder(
                rng=random.Random(options["seed"]),
                user=user,
                teammate=teammate,
                now=timezone.now(),
                progress=options["progress"],
                conversations=options["conversations"],
                messages_per_conversation=options["messages_per_conversation"],
                emails=options["emails"],
                phone_share=options["phone_share"],
                history=timedelta(days=options["days"]),
            )
            if options["reset"]:
                self._delete_all()
            elif Conversation.objects.exists() or Email.objects.exists():
                self.stdout.write(
                    "Demo data is already there: nothing added (use --reset to replace it)."
                )
                self._print_login(options)
                return
            counts = seeder.run()
            team_seed(
                rng=random.Random(options["seed"]), now=seeder.now, admin=user, agent=teammate
            )
        self.stdout.write(
            f"Created {counts.sms_conversations} SMS and {counts.internal_conversations} "
            f"internal conversations, {counts.messages} messages and {counts.emails} emails "
            f"for {counts.contacts} contacts in {time.monotonic() - started:.1f} s."
        )
        if connection.vendor == "postgresql":
            # Tables just filled by COPY have no statistics yet, and without them the
            # planner reads the refresh's look-ups below (and anything else) badly.
            tables = ", ".join(
                connection.ops.quote_name(model._meta.db_table)
                for model in (Message, Email, Activity)
            )
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {tables}")
        # The whole history is new: the Reports page counts all of it, not the last hours.
        refreshed = reports_refresh(full=True)
        self.stdout.write(
            f"Counted them for the reports in {refreshed.seconds:.1f} s "
            f"({refreshed.replies} first replies)."
        )
        self._print_login(options)

    def _ensure_user(self, username: str, password: str):
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"first_name": "Demo", "last_name": "User"}
        )
        user.is_staff = True
        user.is_superuser = True
        user.is_active = True
        user.set_password(password)
        user.save()
        admin_ensure(user)
        self.stdout.write(f"{'Created' if created else 'Updated'} superuser {username!r}.")
        return user

    def _delete_all(self) -> None:
        messages = Message.objects.count()
        conversations = Conversation.objects.count()
        emails = Email.objects.count()
        contacts = Contact.objects.count()
        if connection.vendor == "postgresql":
            # A DELETE of a million rows takes minutes (and fires the cascades row by row);
            # TRUNCATE empties the tables at once. CASCADE takes the attempts and provider
            # events with them, as the foreign keys' on_delete=CASCADE would.
            tables = ", ".join(
                connection.ops.quote_name(model._meta.db_table)
                for model in (Message, Conversation, Email, ContactPoint, Contact)
            )
            with connection.cursor() as cursor:
                # TRUNCATE refuses while deferred foreign key checks are pending (rows
                # written earlier in the same transaction): run them now.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                cursor.execute(f"TRUNCATE {tables} CASCADE")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            Message.objects.all().delete()
            Conversation.objects.all().delete()
            Email.objects.all().delete()
            Contact.objects.all().delete()
        self.stdout.write(
            f"Deleted {messages} messages, {conversations} conversations and {emails} emails."
        )
        self.stdout.write(f"Deleted {contacts} contacts.")

    def _print_login(self, options) -> None:
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo login: {options['username']} / {options['password']} at {_site_url()} "
                f"(an admin; the teammate {TEAMMATE['username']} / {options['password']} "
                "is an agent)"
            )
        )


def _site_url() -> str:
    """Where `make run` serves: HATCH_ADDRESS (host:port, or a port), as scripts/run.sh reads it."""
    host, _, port = os.environ.get("HATCH_ADDRESS", "127.0.0.1:8000").rpartition(":")
    # A server listening on every interface is reached, as ALLOWED_HOSTS allows, at 127.0.0.1.
    if host in ("", "0.0.0.0", "[::]"):  # noqa: S104
        host = "127.0.0.1"
    return f"http://{host}:{port}"


class Seeder:
    """Generates the demo rows and inserts them; call inside a transaction."""

    def __init__(
        self,
        *,
        rng: random.Random,
        user,
        teammate,
        now: datetime,
        progress: bool,
        conversations: int,
        messages_per_conversation: int,
        emails: int,
        phone_share: float,
        history: timedelta = timedelta(days=HISTORY_DAYS),
    ):
        self.rng = rng
        self.user = user
        # Who sends the demo's SMS and emails: both teammates.
        self.senders = [user.pk, teammate.pk]
        self.now = now
        self.history = history
        self.progress = progress
        self.conversations = conversations
        self.messages_per_conversation = messages_per_conversation
        self.emails = emails
        self.phone_count = round(conversations * phone_share)
        self.own_numbers = self._own_numbers() if self.phone_count else []
        self.me = self._own_name()
        self.counts = Counts()
        self.sms_outbound = self._variants(SMS_OUTBOUND, sms=True)
        self.sms_inbound = self._variants(SMS_INBOUND, sms=True)
        self.internal = self._variants(INTERNAL, sms=False)
        # The demo's contacts: rows to write, and who owns each number and address
        # (contacts already in the database keep theirs).
        self.contact_rows: list[tuple] = []
        self.point_rows: list[tuple] = []
        self.owners: dict[str, uuid.UUID] = {}
        self.names: dict[uuid.UUID, str] = {}  # each contact's name, for its conversations

    def run(self) -> Counts:
        self.owners = dict(ContactPoint.objects.values_list("value", "contact_id"))
        self.names = dict(Contact.objects.values_list("id", "name"))
        per_conversation = self.messages_per_conversation
        phones = self._phone_numbers(self.phone_count, exclude=set(self.own_numbers))
        # The first internal conversation is with the demo's other teammate.
        teammate = parse_contact(teammate_name(), field="to").value
        names = itertools.chain(
            [teammate],
            self._names(
                self.conversations - self.phone_count - 1, exclude={self.me.value, teammate}
            ),
        )
        kinds = [True] * self.phone_count + [False] * (self.conversations - self.phone_count)
        self.rng.shuffle(kinds)

        total = self.conversations * per_conversation + self.emails
        show = self.progress and total > PROGRESS_THRESHOLD and sys.stderr.isatty()
        writer = CopyWriter() if connection.vendor == "postgresql" else BulkWriter()
        with tqdm(total=total, unit="row", disable=not show, file=sys.stderr) as bar:
            with writer:
                for is_phone in kinds:
                    if is_phone:
                        own = self._weighted_own(self.own_numbers)
                        phone = next(phones)
                        conversation, messages, activities = self._sms_thread(
                            own, phone, per_conversation, contact_id=self._phone_contact(phone)
                        )
                        self.counts.sms_conversations += 1
                    else:
                        conversation, messages = self._internal_thread(
                            self.me.value, next(names), per_conversation
                        )
                        activities = []
                        self.counts.internal_conversations += 1
                    writer.write(conversation, messages, activities)
                    self.counts.messages += len(messages)
                    bar.update(len(messages))
            for start in range(0, self.emails, BATCH_SIZE):
                batch = [self._email() for _ in range(min(BATCH_SIZE, self.emails - start))]
                Email.objects.bulk_create(batch)
                self.counts.emails += len(batch)
                bar.update(len(batch))
        # Last: a conversation's foreign key to its contact is checked at commit.
        write_contacts(self.contact_rows, self.point_rows)
        self.counts.contacts = len(self.contact_rows)
        return self.counts

    # Contacts

    def _phone_contact(self, phone: str) -> uuid.UUID:
        """The contact of a demo number: a person with a name and their area's time zone."""
        name = f"{self.rng.choice(FIRST_NAMES)} {self.rng.choice(LAST_NAMES)}"
        return self._contact(PointKind.PHONE, phone, name, AREA_TIME_ZONES.get(phone[2:5], ""))

    def _contact(self, kind: str, value: str, name: str, time_zone: str = "") -> uuid.UUID:
        """Whoever owns ``value``; a new contact named ``name`` when nobody does."""
        owner = self.owners.get(value)
        if owner is not None:
            return owner
        contact_id = self._uuid()
        notes = self.rng.choice(CONTACT_NOTES) if self.rng.random() < NOTES_SHARE else ""
        self.contact_rows.append((contact_id, name, "", time_zone, notes, self.now, self.now))
        self.point_rows.append((contact_id, kind, value, 0, self.now))
        self.owners[value] = contact_id
        self.names[contact_id] = name
        return contact_id

    def _own_numbers(self) -> list[str]:
        try:
            numbers = SMS_SENDERS.senders()
        except ApplicationError as err:
            raise CommandError(err.message) from err
        if not numbers:
            raise CommandError(
                "SMS sending is not configured: set TWILIO_FROM_NUMBER, or pass --phone-share 0."
            )
        return numbers

    def _weighted_own(self, numbers: list[str]) -> str:
        # Most traffic uses the default number, as it does in practice.
        return numbers[0] if self.rng.random() < 0.8 else self.rng.choice(numbers)

    def _own_name(self):
        name = self.user.get_full_name() or self.user.get_username()
        try:
            contact = parse_contact(name, field="username")
        except ApplicationError as err:
            raise CommandError(err.message) from err
        if contact.kind is not ContactKind.NAME:
            raise CommandError(
                f"The demo user's name {name!r} reads as a phone number or an address; "
                "pick another --username."
            )
        return contact

    def _phone_numbers(self, count: int, *, exclude: set[str]) -> Iterator[str]:
        """Distinct normalised numbers: the fictional 555-01XX block first, shuffled.

        Hatch's own numbers are left out: a conversation needs two different contacts.
        """
        fictional = [f"+1{area}555{line:04d}" for area in AREA_CODES for line in range(100, 200)]
        self.rng.shuffle(fictional)
        others = (f"+1{area}555{line:04d}" for line in range(200, 10_000) for area in AREA_CODES)
        candidates = (
            # The canonical spelling the services would store; raises if we ever
            # generated a number phonenumbers does not accept.
            parse_contact(number, field="to").value
            for number in itertools.chain(fictional, others)
        )
        return itertools.islice((number for number in candidates if number not in exclude), count)

    def _names(self, count: int, *, exclude: set[str]) -> Iterator[str]:
        combos = [f"{first} {last}" for first in FIRST_NAMES for last in LAST_NAMES]
        combos = [name for name in combos if name not in exclude]
        self.rng.shuffle(combos)
        for index in range(count):
            round_, position = divmod(index, len(combos))
            name = combos[position] if round_ == 0 else f"{combos[position]} {round_ + 1}"
            yield parse_contact(name, field="to").value

    # Messages

    def _variants(self, templates: list[str], *, sms: bool) -> list[tuple[str, int]]:
        """Filled bodies with their segment counts (1 for internal messages, as stored)."""
        variants = []
        for _ in range(BODY_VARIANTS):
            body = self._fill(self.rng.choice(templates))
            variants.append((body, count_segments(body).segments if sms else 1))
        return variants

    def _times(self, count: int) -> list[datetime]:
        """``count`` strictly increasing times in one burst of activity in the history.

        Strictly increasing, so "the newest message" is never a tie.
        """
        # Skewed towards the present: recent conversations are the ones a demo opens.
        oldest = self.now - self.history
        end = (
            self.now
            - timedelta(minutes=1)
            - (self.history - timedelta(hours=1)) * self.rng.random() ** 2
        )
        start = max(oldest, end - timedelta(days=self.rng.uniform(0.05, 20)))
        span = max(int((end - start) / timedelta(microseconds=1)), count)
        offsets = sorted(self.rng.randrange(span) for _ in range(count))
        for index in range(1, count):
            offsets[index] = max(offsets[index], offsets[index - 1] + 1)
        return [start + timedelta(microseconds=offset) for offset in offsets]

    def _fill(self, template: str, **values: str) -> str:
        return template.format(
            **{
                "name": self.rng.choice(FIRST_NAMES),
                "day": self.rng.choice(DAYS),
                "time": self.rng.choice(TIMES),
                "order": self.rng.randrange(10_000, 99_999),
                "code": self.rng.randrange(100_000, 999_999),
                "amount": f"{self.rng.uniform(12, 480):.2f}",
                "party": self.rng.randrange(2, 9),
                **values,
            }
        )

    def _uuid(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def _later(self, moment: datetime, low: float, high: float) -> datetime:
        return min(self.now, moment + timedelta(seconds=self.rng.uniform(low, high)))

    def _sms_thread(
        self, own: str, other: str, count: int, *, contact_id: uuid.UUID
    ) -> tuple[tuple, list[tuple], list[tuple]]:
        """The conversation's row, its messages, and its closes and reopenings."""
        conversation_id = conversation_id_for(own, other)
        rng, senders = self.rng, self.senders
        statuses, weights = zip(*SMS_OUTCOMES, strict=True)
        cumulative = list(itertools.accumulate(weights))
        messages, activities = [], []
        for index, at in enumerate(self._times(count)):
            # The business usually writes first.
            if index > 0 and rng.random() < INBOUND_SHARE:
                previous = messages[-1]
                if previous[M_DIRECTION] == Direction.OUTBOUND and rng.random() < CLOSE_SHARE:
                    # Closed after the teammate's reply; this message opens it again.
                    replied_at = previous[M_CREATED]
                    closed_at = replied_at + (at - replied_at) * rng.uniform(0.1, 0.5)
                    activities.append(
                        (conversation_id, previous[M_SENT_BY], ActivityKind.CLOSED, "{}", closed_at)
                    )
                    activities.append(
                        (conversation_id, None, ActivityKind.REOPENED, REOPENED_DETAIL, at)
                    )
                body, segments = rng.choice(self.sms_inbound)
                messages.append((
                    self._uuid(), conversation_id, own, other, body, Channel.SMS,
                    Direction.INBOUND, MessageStatus.RECEIVED, self._message_sid(), None, "",
                    segments, 0, NO_MEDIA, 0, None, None, None, None, at, at, at,
                ))  # fmt: skip
                continue
            if messages and messages[-1][M_DIRECTION] == Direction.INBOUND:
                # A teammate answers the person, usually within minutes.
                delay = rng.lognormvariate(math.log(REPLY_MEDIAN_SECONDS), REPLY_SPREAD)
                at = min(at, messages[-1][M_CREATED] + timedelta(seconds=delay))
            body, segments = rng.choice(self.sms_outbound)
            status = rng.choices(statuses, cum_weights=cumulative)[0]
            sid = error_code = sent_at = delivered_at = None
            error_message = ""
            # message_send makes it due at once; the worker's claim counts an attempt.
            next_attempt_at, attempts, accepted = at, 1, True
            if status == MessageStatus.QUEUED:
                attempts, accepted = 0, False
            elif status == MessageStatus.FAILED:
                error_code, error_message, accepted = rng.choice(SMS_FAILURES)
            elif status == MessageStatus.UNDELIVERED:
                error_code, error_message = rng.choice(SMS_UNDELIVERED)
            if accepted:
                sid = self._message_sid()
                sent_at = self._later(at, 0.5, 4)
            if status == MessageStatus.DELIVERED:
                delivered_at = self._later(sent_at, 1, 30)
            messages.append((
                self._uuid(), conversation_id, other, own, body, Channel.SMS,
                Direction.OUTBOUND, status, sid, error_code, error_message, segments, 0,
                NO_MEDIA, attempts, next_attempt_at, None, rng.choice(senders), sent_at,
                delivered_at, at, delivered_at or sent_at or at,
            ))  # fmt: skip
        conversation = self._summarise(messages, channel=Channel.SMS, contact_id=contact_id)
        return conversation, messages, activities

    def _message_sid(self) -> str:
        return f"SM{self.rng.getrandbits(128):032x}"

    def _internal_thread(self, me: str, other: str, count: int) -> tuple[tuple, list[tuple]]:
        conversation_id = conversation_id_for(me, other)
        rng, user_id = self.rng, self.user.pk
        messages = []
        for index, at in enumerate(self._times(count)):
            # Internal messages are always outbound and delivered, whoever wrote them.
            mine = index == 0 or rng.random() < 0.5
            body, segments = rng.choice(self.internal)
            messages.append((
                self._uuid(), conversation_id, other if mine else me, me if mine else other,
                body, Channel.INTERNAL, Direction.OUTBOUND, MessageStatus.DELIVERED, None,
                None, "", segments, 0, NO_MEDIA, 0, None, None, user_id if mine else None,
                None, at, at, at,
            ))  # fmt: skip
        return self._summarise(messages, channel=Channel.INTERNAL), messages

    def _summarise(self, messages: list[tuple], *, channel: str, contact_id=None) -> tuple:
        """The conversation row storing ``messages`` in order leaves (messaging.summary).

        Its inbound count starts at the inbound messages after our latest reply: whoever
        replied had the conversation open, which marked what came before read. With no read
        marks, that is what each demo user finds unread (conversations.models.ReadMark).
        """
        newest = messages[-1]
        own, other = sides(
            direction=newest[M_DIRECTION], from_contact=newest[M_FROM], to_contact=newest[M_TO]
        )
        inbound = 0
        for message in reversed(messages):
            if message[M_DIRECTION] != Direction.INBOUND:
                break
            inbound += 1
        summary = conversation_summary(
            own=own,
            other=other,
            channel=channel,
            newest_at=newest[M_CREATED],
            newest_body=newest[M_BODY],
            message_count=len(messages),
            inbound_count=inbound,
            contact_id=contact_id,
            contact_name=self.names.get(contact_id, ""),
        )
        return (
            *(summary[column] for column in SUMMARY_COLUMNS),
            messages[0][M_CREATED],
            newest[M_CREATED],
        )

    # Emails

    def _email(self) -> Email:
        first, last = self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)
        to_email = f"{first}.{last}@example.com".lower()
        self._contact(PointKind.EMAIL, to_email, f"{first} {last}")
        statuses, weights = zip(*EMAIL_OUTCOMES, strict=True)
        status = self.rng.choices(statuses, weights)[0]
        created = self.now - self.history * self.rng.random()
        # The address email_send would default to; a demo without one still shows mail.
        sender = settings.SENDGRID_FROM_EMAIL.strip().lower() or "hatch@example.com"
        body = self._fill(self.rng.choice(EMAIL_BODIES), name=first)
        email = Email(
            id=self._uuid(),
            to_email=to_email,
            from_email=sender,
            subject=self._fill(self.rng.choice(EMAIL_SUBJECTS), name=first),
            body=body,
            html_content=(
                "<p>" + body.replace("\n\n", "</p><p>").replace("\n", "<br>") + "</p>"
                if self.rng.random() < 0.5
                else ""
            ),
            cc=[f"{self.rng.choice(FIRST_NAMES).lower()}@example.org"]
            if self.rng.random() < 0.2
            else [],
            status=status,
            sent_by_id=self.rng.choice(self.senders),
            created_at=created,
        )
        if status in EMAIL_ERRORS:
            code, message = self.rng.choice(EMAIL_ERRORS[status])
            email.error_code, email.error_message = code, message.format(to=to_email)
        if status not in (EmailStatus.QUEUED, EmailStatus.FAILED):
            email.provider_message_id = "".join(self.rng.choices(SENDGRID_ID_ALPHABET, k=22))
            email.sent_at = self._later(created, 0.5, 3)
        if status == EmailStatus.DELIVERED:
            email.delivered_at = self._later(email.sent_at, 1, 60)
        return email


class CopyWriter:
    """Streams message rows into PostgreSQL with one COPY, then the conversations and their
    activities.

    Conversations go last because a summary is known only once its thread is generated;
    the messages' foreign key is checked at commit (Django makes it DEFERRABLE INITIALLY
    DEFERRED), by which time every conversation is there.
    """

    def __init__(self):
        self._conversations: list[tuple] = []
        self._activities: list[tuple] = []

    def __enter__(self):
        connection.ensure_connection()
        # psycopg's own cursor: Django's wrapper has no copy().
        self._cursor = connection.connection.cursor()
        self._copying = self._cursor.copy(_copy_sql(Message, MESSAGE_COLUMNS))
        self._copy = self._copying.__enter__()
        return self

    def write(self, conversation: tuple, messages: list[tuple], activities: list[tuple]) -> None:
        self._conversations.append(conversation)
        self._activities.extend(activities)
        write_row = self._copy.write_row
        for message in messages:
            write_row(message)

    def __exit__(self, *exc_info) -> None:
        with self._cursor:
            self._copying.__exit__(*exc_info)
            if exc_info[0] is None:
                with self._cursor.copy(_copy_sql(Conversation, CONVERSATION_COLUMNS)) as copy:
                    for conversation in self._conversations:
                        copy.write_row(conversation)
                with self._cursor.copy(_copy_sql(Activity, ACTIVITY_COLUMNS)) as copy:
                    for activity in self._activities:
                        copy.write_row(activity)


def write_contacts(contacts: list[tuple], points: list[tuple]) -> None:
    """Insert the demo's contacts and their numbers and addresses: COPY on PostgreSQL."""
    if connection.vendor != "postgresql":
        Contact.objects.bulk_create(
            (Contact(**dict(zip(CONTACT_COLUMNS, row, strict=True))) for row in contacts),
            batch_size=BATCH_SIZE,
        )
        ContactPoint.objects.bulk_create(
            (ContactPoint(**dict(zip(POINT_COLUMNS, row, strict=True))) for row in points),
            batch_size=BATCH_SIZE,
        )
        return
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        for model, columns, rows in (
            (Contact, CONTACT_COLUMNS, contacts),
            (ContactPoint, POINT_COLUMNS, points),
        ):
            with cursor.copy(_copy_sql(model, columns)) as copy:
                for row in rows:
                    copy.write_row(row)


def _copy_sql(model, columns: tuple[str, ...]) -> str:
    quote = connection.ops.quote_name
    return f"COPY {quote(model._meta.db_table)} ({', '.join(map(quote, columns))}) FROM STDIN"


class BulkWriter:
    """bulk_create in batches: for databases without COPY (SQLite in development)."""

    def __init__(self):
        self._conversations: list[Conversation] = []
        self._messages: list[Message] = []
        self._activities: list[Activity] = []

    def __enter__(self):
        return self

    def write(self, conversation: tuple, messages: list[tuple], activities: list[tuple]) -> None:
        values = dict(zip(CONVERSATION_COLUMNS, conversation, strict=True))
        self._conversations.append(Conversation(**values))
        for row in messages:
            message = Message(**dict(zip(MESSAGE_COLUMNS, row, strict=True)))
            message.media = []
            self._messages.append(message)
        for row in activities:
            activity = Activity(**dict(zip(ACTIVITY_COLUMNS, row, strict=True)))
            activity.detail = json.loads(activity.detail)
            self._activities.append(activity)
        if len(self._messages) >= BATCH_SIZE:
            self._flush()

    def __exit__(self, *exc_info) -> None:
        if exc_info[0] is None:
            self._flush()

    def _flush(self) -> None:
        # Conversations first: the messages point at them.
        Conversation.objects.bulk_create(self._conversations, batch_size=BATCH_SIZE)
        Message.objects.bulk_create(self._messages, batch_size=BATCH_SIZE)
        Activity.objects.bulk_create(self._activities, batch_size=BATCH_SIZE)
        # With DEBUG on, Django keeps the text of every query; these are megabytes each.
        reset_queries()
        self._conversations, self._messages, self._activities = [], [], []
