"""Which thread an email belongs to, and the headers and subjects that keep threads whole.

An email thread is a Conversation with channel "email" (conversations.models). The rules:

- Every email Hatch sends carries a Message-ID Hatch makes when it accepts the send
  (``<uuid@sender's domain>``, ``new_message_id``) and stores, so that every retry sends
  the same one and the replies to it can be found.
- A received email joins the thread of any stored email its In-Reply-To or References
  names (the nearest one first: In-Reply-To, then References from the newest back); else
  the newest thread between the same two people with the same subject (without "Re:",
  "Fwd:", "AW:"... and ignoring case and white space) active within EMAIL_THREAD_WINDOW_DAYS;
  else it starts a thread (``thread_for_inbound``).
- What Hatch sends starts a thread, unless it answers or forwards an email: then it joins
  that email's thread. A reply carries In-Reply-To (the parent's Message-ID), References
  (the parent's References, then the parent's Message-ID) and "Re: " once; a forward
  "Fwd: " and the original quoted below the note (``forward_text``, ``forward_html``).

Message-IDs are stored without their angle brackets, in one namespace for sent and received
email (``stored_message_id``), so that a reply to either is found by the same look-up.
"""

import hashlib
import html
import re
import uuid
from datetime import timedelta
from email.utils import format_datetime

import nh3
from django.conf import settings
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from conversations.models import PREVIEW_LENGTH, SUBJECT_MAX_LENGTH, Conversation
from conversations.models import ConversationChannel as Channel
from core.contacts import CONTACT_MAX_LENGTH
from emails.events import InboundEmail
from emails.html import sanitise_email_html
from emails.models import Email, EmailDirection

# "Re:", "RE: Fwd:", "Fw:", "AW:" (German Antwort), "WG:" (Weitergeleitet), "Re[2]:", in any
# case and any number, as mail clients prefix a subject they answer or forward.
_REPLY_PREFIXES = re.compile(r"^\s*((re|fwd?|aw|wg)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_REPLY = re.compile(r"^\s*(re|aw)\s*(\[\d+\])?\s*:", re.IGNORECASE)
_FORWARD = re.compile(r"^\s*(fwd?|wg)\s*:", re.IGNORECASE)

# A References header grows by one id per message. RFC 5322 lets a writer trim it; the
# first id (the thread's root) and the newest ones are what a client threads by.
REFERENCES_MAX = 30

FORWARD_SEPARATOR = "---------- Forwarded message ---------"


# --------------------------------------------------------------------------- subjects


def thread_subject(subject: str) -> str:
    """The subject a thread shows and is matched by: without reply and forward prefixes,
    white space collapsed. "RE:  Fwd: Order  1234" -> "Order 1234"."""
    return " ".join(_REPLY_PREFIXES.sub("", subject).split())[:SUBJECT_MAX_LENGTH]


def reply_subject(subject: str) -> str:
    """``subject`` as a reply's: "Re: " in front, unless it already starts with a reply
    prefix ("Re:", "RE:", "AW:"); "Fwd: X" answered is "Re: Fwd: X", as mail clients write."""
    subject = subject.strip()
    return subject if _REPLY.match(subject) else _fits(f"Re: {subject}")


def forward_subject(subject: str) -> str:
    """``subject`` as a forward's: "Fwd: " in front, unless it already says Fwd:/Fw:/WG:."""
    subject = subject.strip()
    return subject if _FORWARD.match(subject) else _fits(f"Fwd: {subject}")


def _fits(subject: str) -> str:
    return subject[:SUBJECT_MAX_LENGTH]


# --------------------------------------------------------------------------- message ids


def new_message_id(sender: str) -> str:
    """A Message-ID for an email ``sender`` sends, without angle brackets: unique, and on
    the sender's own domain, as RFC 5322 asks (a receiving server may score a foreign
    domain as spam)."""
    domain = sender.rsplit("@", 1)[-1].lower()
    return f"{uuid.uuid4()}@{domain}"


def stored_message_id(message_id: str) -> str:
    """How a Message-ID is kept in Email.message_id, and looked up for threading.

    A usual id (it has an "@" and fits the column) as it is: then the copy of an email
    Hatch sent that comes back in (a Bcc to Hatch's own address) is recognised as the same
    email. Any other (no "@", or longer than the column) as a digest, which no usual id
    and no digest of an email without a Message-ID (``InboundEmail.dedupe_key``) can equal.
    """
    if "@" in message_id and len(message_id) <= CONTACT_MAX_LENGTH:
        return message_id
    return "sha256:" + hashlib.sha256(f"message-id:{message_id}".encode()).hexdigest()


def inbound_message_id(event: InboundEmail) -> str:
    """What recognises ``event`` when it is posted again (Email.message_id, unique): its
    Message-ID as stored, or, for an email without one, its digest."""
    if event.message_id:
        return stored_message_id(event.message_id)
    return event.dedupe_key()  # "sha256:..." of the sender, date, subject and text


def reply_references(parent: Email) -> list[str]:
    """The References of a reply to (or a forward of) ``parent``: the parent's own, then
    the parent's Message-ID, the oldest first; trimmed to the root and the newest."""
    references = [ref for ref in parent.references.split() if ref]
    if parent.message_id and parent.message_id not in references:
        references.append(parent.message_id)
    if len(references) > REFERENCES_MAX:
        references = [references[0], *references[-(REFERENCES_MAX - 1) :]]
    return references


# --------------------------------------------------------------------------- threads


def thread_for_inbound(event: InboundEmail, *, now=None) -> Conversation | None:
    """The thread a received email joins, or None when it starts one (see the module's
    rules). Call inside the transaction that stores the email: on PostgreSQL it takes a
    lock on the sender and subject until then, so that two first emails of a new
    conversation arriving at once make one thread, not two."""
    # The nearest first; a References header of thousands of ids is looked up by its
    # newest ones (a reply names its parent last).
    referenced = [
        stored_message_id(message_id)
        for message_id in (*event.in_reply_to[:10], *reversed(event.references[-100:]))
        if message_id
    ]
    if referenced:
        found = dict(
            Email.objects.filter(message_id__in=referenced, thread__isnull=False).values_list(
                "message_id", "thread_id"
            )
        )
        for message_id in referenced:
            if message_id in found:
                return Conversation.objects.get(id=found[message_id])
    subject = thread_subject(event.subject)
    if not subject:
        return None  # emails without a subject have nothing in common to thread them by
    recipients = {*event.envelope_to, *event.to, *event.cc} - {""}
    if not recipients:
        return None
    _lock(f"email-thread:{event.from_address}:{subject.casefold()}")
    since = (now or timezone.now()) - timedelta(days=settings.EMAIL_THREAD_WINDOW_DAYS)
    sender = event.from_address
    return (
        Conversation.objects.filter(
            Q(participant_a=sender, participant_b__in=recipients)
            | Q(participant_b=sender, participant_a__in=recipients),
            channel=Channel.EMAIL,
            subject__iexact=subject,
            last_message_at__gte=since,
        )
        .order_by("-last_message_at", "-id")
        .first()
    )


def email_preview(*, body: str, html_content: str, subject: str) -> str:
    """The one line a thread shows of its newest email: its text, else the words of its
    HTML (never its markup, scripts or styles), else its subject."""
    text = body
    if not text.strip() and html_content:
        text = html.unescape(
            nh3.clean(html_content, tags=set(), clean_content_tags={"script", "style", "title"})
        )
    if not text.strip():
        text = subject
    return " ".join(text.split())[:PREVIEW_LENGTH]


def _lock(key: str) -> None:
    """A transaction-scoped lock on ``key`` (PostgreSQL; the SQLite fallback has one writer)."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", [key])


# --------------------------------------------------------------------------- forwards


def forward_text(note: str, original: Email) -> str:
    """A forward's text: the note, then the original below a header saying whose it was."""
    quoted = "\n".join(
        [
            FORWARD_SEPARATOR,
            *(f"{label}: {value}" for label, value in _forward_header(original)),
            "",
            original.body or email_preview(body="", html_content=original.html_content, subject=""),
        ]
    )
    return f"{note.rstrip()}\n\n{quoted}" if note.strip() else quoted


def forward_html(note_html: str, note_text: str, original: Email) -> str:
    """A forward's HTML: the note (its HTML, else its text), then the original's HTML
    sanitised (what it received may hold anything: scripts, trackers), below the header."""
    note = note_html or html.escape(note_text).replace("\n", "<br>\n")
    header = "<br>\n".join(
        f"{label}: {html.escape(value)}" for label, value in _forward_header(original)
    )
    body = original.html_content or html.escape(original.body).replace("\n", "<br>\n")
    body = sanitise_email_html(body, inline_images={}, allow_remote_images=True)
    return (
        f"{note}<br><br>\n"
        f'<div class="hatch-forward">{FORWARD_SEPARATOR}<br>\n{header}<br><br>\n{body}</div>'
    )


def _forward_header(original: Email) -> list[tuple[str, str]]:
    sender = (
        f"{original.from_name} <{original.from_email}>"
        if original.from_name
        else original.from_email
    )
    # A received email's own Date when it had one; else when Hatch took it.
    received = original.direction == EmailDirection.INBOUND and original.sent_at
    when = timezone.localtime(original.sent_at if received else original.created_at)
    header = [
        ("From", sender),
        ("Date", format_datetime(when)),
        ("Subject", original.subject),
        ("To", original.to_email),
    ]
    if original.cc:
        header.append(("Cc", ", ".join(original.cc)))
    return header
