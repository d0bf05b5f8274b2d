"""Every write to email records goes through these functions."""

import functools
import logging
import uuid
from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, F, Value, When
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from attachments.models import Attachment
from attachments.services import (
    EMAIL_POLICY,
    IncomingFile,
    attachments_save,
    attachments_write,
    filename_clean,
)
from contacts.models import PointKind
from contacts.selectors import contact_time_zone
from contacts.services import contact_for_point
from conversations.models import Conversation, ConversationChannel, ConversationState
from conversations.services import conversation_reopen_on_inbound
from core.contacts import CONTACT_MAX_LENGTH
from core.errors import ApplicationError, Conflict, PayloadTooLarge, ValidationError
from core.senders import SenderAllowList
from emails import consent
from emails.delivery import email_outbox
from emails.events import InboundAttachment, InboundEmail, TrackingEvent
from emails.live import publish_email_changed
from emails.models import (
    BODY_MAX_LENGTH,
    RECIPIENTS_MAX,
    STATUS_LADDER,
    SUBJECT_MAX_LENGTH,
    Email,
    EmailAttachment,
    EmailDirection,
    EmailEvent,
    EmailStatus,
)
from emails.signals import outbound_email_stored
from emails.threading import (
    email_preview,
    forward_html,
    forward_subject,
    forward_text,
    inbound_message_id,
    new_message_id,
    reply_references,
    reply_subject,
    thread_for_inbound,
    thread_subject,
)
from emails.unsubscribe import with_unsubscribe_footer
from outbox.scheduling import BulkSend, bulk_plan, send_plan

logger = logging.getLogger(__name__)


def _sender_entry(entry: str) -> str:
    """An allowed sender in its one spelling, lower-case: an address, or a whole domain
    written "@example.com"."""
    try:
        validate_email(f"x{entry}" if entry.startswith("@") else entry)
    except DjangoValidationError:
        raise ValidationError(
            f"{entry!r} is neither an email address nor an '@domain'.", field="from_email"
        ) from None
    return entry.lower()


EMAIL_SENDERS = SenderAllowList(
    "SENDGRID_FROM_EMAIL",
    "SENDGRID_EXTRA_FROM_EMAILS",
    normalise=_sender_entry,
    what="an email address or an '@domain'",
    hint="Write each sender as an address (team@example.com) or a whole domain (@example.com).",
)


def email_send(
    *,
    to_email: str = "",
    subject: str = "",
    body: str = "",
    from_email: str | None = None,
    html_content: str = "",
    cc: list[str] | None = None,
    bcc: list[str] | None = None,
    reply_to: str = "",
    user: AbstractBaseUser | None = None,
    in_reply_to: object | None = None,
    forward_of: object | None = None,
    attachments: Sequence[IncomingFile] = (),
    send_at: datetime | None = None,
    bulk: BulkSend | None = None,
) -> Email:
    """Accept an outbound email and store it ``queued``; return the stored record.

    Every address is validated, the subject must be one line (a line break would let a
    caller add headers) and the sender must be on EMAIL_SENDERS (SENDGRID_FROM_EMAIL or
    SENDGRID_EXTRA_FROM_EMAILS). Raises ValidationError naming the field otherwise, and
    Conflict naming the field, the address, why and since when if any recipient (to, cc or
    bcc) may not be emailed (it bounced, reported spam, unsubscribed: emails.consent).

    ``in_reply_to`` (an email's id) answers that email: to its sender unless ``to_email``
    says otherwise, from the address it reached when that is an allowed sender, with "Re: "
    before the subject (the parent's when ``subject`` is blank), In-Reply-To and
    References. ``forward_of`` (an email's id) forwards it: "Fwd: ", and the original,
    quoted below ``body``, with its files (the same stored files, not copies). Either joins
    that email's thread; any other email starts one. Every email gets its Message-ID here
    (emails.threading). An unknown id, or both, is a ValidationError naming the field.

    ``attachments``: files (uploaded, or ``(filename, bytes, declared type)``) sent with
    it, held to EMAIL_POLICY after everything else is checked and before anything is
    stored (attachments.services: ValidationError for their number or a refused type,
    PayloadTooLarge for their size), then stored with the email, in order.

    The email is then sent by the outbox: outbound_email_stored's receiver enqueues its
    delivery once the transaction commits. With ``send_at`` it is stored ``scheduled``
    for that time instead (outbox.scheduling; quiet hours may hold it later), and can be
    canceled or changed until it goes (email_cancel, email_reschedule).

    ``bulk`` sends it for a broadcast (outbox.scheduling.BulkSend): due when the
    broadcast's pacing says, with an unsubscribe link below its text and List-Unsubscribe
    headers (emails.unsubscribe), in a thread of its own that is created closed, and with
    no delivery task or inbox event of its own.
    """
    # Before anything trims it: a line break at either end is refused too.
    _single_line(subject, field="subject")
    parent, original = _threading_sources(in_reply_to=in_reply_to, forward_of=forward_of)
    if parent is not None:
        to_email = to_email or _reply_recipient(parent)
        subject = reply_subject(subject or parent.subject)
        from_email = from_email or _reply_sender(parent)
    for name, text in (("body", body), ("html_content", html_content)):
        _text_check(text, field=name)
    if original is not None:
        subject = forward_subject(subject or original.subject)
        if html_content or original.html_content:
            html_content = forward_html(html_content, body, original)
        body = forward_text(body, original)
    recipient = _address(to_email, field="to_email")
    sender = _sender(from_email)
    subject = _subject(subject)
    if not body.strip() and not html_content.strip():
        raise ValidationError("'body' may not be blank.", field="body")
    cc, bcc = _address_list(cc, field="cc"), _address_list(bcc, field="bcc")
    reply_to = _address(reply_to, field="reply_to") if reply_to else ""
    if refusal := consent.recipients_refusal(to_email=recipient, cc=cc, bcc=bcc):
        field, sentence = refusal
        raise Conflict(sentence, field=field)
    time_zone = functools.partial(contact_time_zone, value=recipient.lower())
    if bulk is not None:
        plan = bulk_plan(bulk, contact_time_zone=time_zone)
        body, html_content = with_unsubscribe_footer(body, html_content, recipient)
    else:
        plan = send_plan(send_at, contact_time_zone=time_zone)

    source = parent or original
    # A refused file stores nothing, the email and its thread included. Before the
    # transaction: the storage may be a network service (S3).
    files = attachments_write(attachments, policy=EMAIL_POLICY) if attachments else []
    with transaction.atomic():
        attachments_save(files)
        if original is not None:
            files = _with_forwarded_files(original, files)
        now = timezone.now()
        thread = source.thread if source is not None else None
        if thread is None:
            contact = contact_for_point(kind=PointKind.EMAIL, value=recipient.lower())
            thread = _thread_start(
                own=sender,
                other=recipient,
                subject=subject,
                at=now,
                contact=contact,
                state=ConversationState.CLOSED if bulk else ConversationState.OPEN,
            )
        email = Email.objects.create(
            thread=thread,
            direction=EmailDirection.OUTBOUND,
            to_email=recipient,
            from_email=sender,
            subject=subject,
            body=body,
            html_content=html_content,
            cc=cc,
            bcc=bcc,
            reply_to=reply_to,
            # Made once, here: every attempt sends the same Message-ID, so a retry after a
            # lost answer cannot split the thread, and replies to it find this email.
            message_id=new_message_id(sender),
            in_reply_to=(parent.message_id or "") if parent is not None else "",
            references=" ".join(reply_references(source)) if source is not None else "",
            status=plan.status,
            next_attempt_at=plan.next_attempt_at,
            scheduled_for=plan.scheduled_for,
            sent_by=user if user is not None and user.is_authenticated else None,
            attachment_count=len(files),
            broadcast_id=bulk.broadcast_id if bulk else None,
        )
        _attachments_link(email, [(file, "") for file in files])
        _thread_add(thread.id, email, inbound=False)
        if bulk is not None:
            # The broadcast enqueues its deliveries and tells the inbox of its progress.
            return email
        publish_email_changed(email.pk, created=True)
        # Its one receiver (emails.signals) enqueues the delivery once this commits: at
        # once, or for the time it is due.
        outbound_email_stored.send(
            sender=Email,
            email_id=email.pk,
            run_after=plan.next_attempt_at if plan.scheduled else None,
        )
    return email


def email_cancel(*, email: Email) -> Email:
    """Cancel a scheduled email: it will not be sent; return it as it now stands. Raises
    Conflict once its sending has begun (or for an email that was never scheduled)."""
    return _after_schedule_change(email, email_outbox.cancel(email.pk))


def email_reschedule(
    *,
    email: Email,
    subject: str | None = None,
    body: str | None = None,
    send_at: datetime | None = None,
) -> Email:
    """Change a scheduled email's subject, text or time; return it as it now stands. The
    new time follows send_at's rules and quiet hours (outbox.scheduling). Raises Conflict
    once its sending has begun: what was sent cannot be changed."""
    changes = {}
    if subject is not None:
        _single_line(subject, field="subject")
        changes["subject"] = _subject(subject)
    if body is not None:
        _text_check(body, field="body")
        if not body.strip() and not email.html_content.strip():
            raise ValidationError("'body' may not be blank.", field="body")
        changes["body"] = body
    plan = None
    if send_at is not None:
        time_zone = functools.partial(contact_time_zone, value=email.to_email.lower())
        plan = send_plan(send_at, contact_time_zone=time_zone)
        changes.update(plan.times())
    if not changes:
        raise ValidationError("Give a new 'subject', 'body' or 'send_at'.", field="body")
    moved = email_outbox.change_scheduled(
        email.pk, changes, due_at=plan.next_attempt_at if plan else None
    )
    return _after_schedule_change(email, moved)


def _after_schedule_change(email: Email, changed: bool) -> Email:
    email.refresh_from_db()
    if not changed:
        raise Conflict(_not_scheduled(email.get_status_display()))
    return email


def _text_check(text: str, *, field: str) -> None:
    if len(text) > BODY_MAX_LENGTH:
        raise ValidationError(
            f"'{field}' is too long: at most {BODY_MAX_LENGTH} characters.", field=field
        )
    if "\x00" in text:
        raise ValidationError(f"'{field}' may not contain NUL characters.", field=field)


def _not_scheduled(status: str) -> str:
    return f"Only a scheduled email can be changed or canceled; this one is {status.lower()}."


def email_receive(*, event: InboundEmail) -> tuple[Email, bool]:
    """Store an email someone sent to one of Hatch's addresses; return it, and False when
    it was already stored (the provider posted it again, or it was addressed to two of
    Hatch's addresses and posted once for each).

    It is kept as it came, even where an outbound email would be refused (no subject, no
    text, only HTML, only attachments): ``inbound``, ``received``. Its HTML is stored raw
    (emails.html sanitises it whenever it is shown); its files are stored as attachments
    (EMAIL_POLICY: a file the policy refuses, a program say, is listed by name with the
    reason, not kept). Its sender becomes a contact, it joins a thread (emails.threading)
    whose summary counts it as inbound (unread to every user until they read it) and which
    opens again if it was snoozed or closed, all in one transaction, and the inbox is told
    once that commits.
    """
    message_id = inbound_message_id(event)
    stored = Email.objects.filter(message_id=message_id).first()
    if stored is not None:
        return stored, False
    # Its files first, outside the transaction: the storage may be a network service (S3).
    files, refused = _inbound_attachments(event.attachments)
    try:
        with transaction.atomic():
            email = _inbound_store(event, message_id=message_id, files=files, refused=refused)
    except IntegrityError:
        # The same email posted twice at the same moment: the other post stored it (the
        # unique Message-ID made this insert wait for it, then refused it).
        stored = Email.objects.filter(message_id=message_id).first()
        if stored is None:
            raise
        return stored, False
    return email, True


def _inbound_store(
    event: InboundEmail, *, message_id: str, files: list, refused: list[dict]
) -> Email:
    now = timezone.now()
    sender = event.from_address[:CONTACT_MAX_LENGTH]
    own = _inbound_own_address(event)
    contact = contact_for_point(kind=PointKind.EMAIL, value=sender, name=event.from_name)
    thread = thread_for_inbound(event, now=now)
    if thread is None:
        thread = _thread_start(
            own=own, other=sender, subject=event.subject, at=now, contact=contact
        )
    else:
        # The person wrote back: a snoozed or closed thread opens again.
        conversation_reopen_on_inbound(thread.id)
    in_reply_to = next((ref for ref in event.in_reply_to if len(ref) <= CONTACT_MAX_LENGTH), "")
    attachments_save([attachment for attachment, _cid in files])
    email = Email.objects.create(
        thread=thread,
        direction=EmailDirection.INBOUND,
        status=EmailStatus.RECEIVED,
        message_id=message_id,
        in_reply_to=in_reply_to,
        references=" ".join(event.references[-REFERENCES_KEPT:]),
        from_email=sender,
        from_name=event.from_name[:CONTACT_MAX_LENGTH],
        to_email=own,
        # The other recipients a reply-all would answer: the rest of To, then Cc.
        cc=[address for address in (*event.to, *event.cc) if address != own],
        subject=event.subject[:SUBJECT_MAX_LENGTH],
        body=event.text,
        html_content=event.html,
        attachment_count=len(files),
        refused_attachments=refused,
        sent_at=event.sent_at,  # the sender's Date header
        created_at=now,
    )
    _attachments_link(email, files)
    _thread_add(thread.id, email, inbound=True, contact=contact)
    publish_email_changed(email.pk, created=True)
    return email


# References kept of a received email: the thread's root and its newest ids are what
# threading reads (emails.threading.REFERENCES_MAX trims what Hatch sends the same way).
REFERENCES_KEPT = 100


def _inbound_own_address(event: InboundEmail) -> str:
    """Hatch's address the email reached: the envelope's (it names the address it was
    delivered to, a Bcc included), else the first To; "" for an email addressed to nobody
    Hatch can tell."""
    for address in (*event.envelope_to, *event.to):
        if address and len(address) <= CONTACT_MAX_LENGTH:
            return address
    return ""


def _inbound_attachments(
    files: tuple[InboundAttachment, ...],
) -> tuple[list[tuple[Attachment, str]], list[dict]]:
    """Write a received email's files (rows unsaved: _inbound_store saves them in its
    transaction): ``(stored, refused)``, each in order. ``stored``:
    each stored file with the cid its HTML shows it by (an inline image; "" for a plain
    file), for Email.attachments; ``refused``: what was not kept, for
    Email.refused_attachments.

    One at a time, each held to EMAIL_POLICY's types and size: what a person sent is kept
    even when there are more files, or more bytes in all, than Hatch would send in one
    email. A file the policy refuses is listed without being stored.
    """
    stored, refused = [], []
    for file in files:
        try:
            (attachment,) = attachments_write(
                [(file.filename, file.content, file.content_type)], policy=EMAIL_POLICY
            )
        except ApplicationError as refusal:  # a refused type, or larger than any email
            refused.append(
                {
                    "filename": filename_clean(file.filename),
                    "content_type": file.content_type,
                    "size": len(file.content),
                    "reason": refusal.message,
                }
            )
            continue
        stored.append((attachment, file.content_id))
    return stored, refused


def _attachments_link(email: Email, files: list[tuple[Attachment, str]]) -> None:
    EmailAttachment.objects.bulk_create(
        EmailAttachment(email=email, attachment=attachment, position=position, content_id=cid)
        for position, (attachment, cid) in enumerate(files)
    )


def email_events_apply(*, events: list[TrackingEvent]) -> dict[str, int]:
    """Store what the provider reported and move each email's status forward; return counts.

    An event is matched to its email by the Hatch id it carries back, else by the
    provider's message id. Duplicates (the same provider event id, or the same message,
    event, time and recipient) are stored once. Statuses never move backwards
    (STATUS_LADDER): an event for an earlier status is kept and changes nothing. What an
    event says about its recipient's consent (a bounce, a spam report, an unsubscribe, a
    resubscribe) is recorded, matched or not (emails.consent).
    """
    counts = {"stored": 0, "duplicates": 0, "unmatched": 0}
    for event in events:
        with transaction.atomic():
            email = _email_for_event(event)
            try:
                with transaction.atomic():
                    EmailEvent.objects.create(
                        email=email,
                        event=event.event,
                        provider_event_id=event.provider_event_id,
                        provider_message_id=event.reported_message_id,
                        recipient=event.recipient,
                        occurred_at=event.occurred_at,
                        payload=event.payload,
                    )
            except IntegrityError:
                counts["duplicates"] += 1
                continue
            counts["stored"] += 1
            consent.email_event_consent_apply(event=event)
            if email is None:
                counts["unmatched"] += 1
                logger.info("Email %s event for an unknown email", event.event)
                continue
            _email_apply_event(email, event)
    return counts


def _email_for_event(event: TrackingEvent) -> Email | None:
    emails = Email.objects.select_for_update()
    if event.email_id is not None:
        email = emails.filter(id=event.email_id).first()
        if email is not None:
            return email
    if not event.provider_message_id:
        return None
    return emails.filter(provider_message_id=event.provider_message_id).first()


def _email_apply_event(email: Email, event: TrackingEvent) -> None:
    if not STATUS_LADDER.advances(email.status, event.status):
        return
    email.status = event.status
    changed = ["status", "updated_at"]
    if event.status == EmailStatus.SENT:
        # The provider has the email, whether or not its worker lived to record the send.
        email.sent_at = email.sent_at or event.occurred_at
        changed.append("sent_at")
        if not email.provider_message_id and event.provider_message_id:
            email.provider_message_id = event.provider_message_id
            changed.append("provider_message_id")
    elif event.status == EmailStatus.DELIVERED:
        email.delivered_at = event.occurred_at
        changed.append("delivered_at")
    else:
        # Bounced or dropped: the provider's words, and Hatch's code for them, which the
        # reports count by and the thread explains (emails.providers.failure_reason).
        if event.reason:
            email.error_message = event.reason
            changed.append("error_message")
        if event.error_code:
            email.error_code = event.error_code
            changed.append("error_code")
    email.save(update_fields=changed)
    publish_email_changed(email.pk)


def _sender(from_email: str | None) -> str:
    if not from_email:
        default = EMAIL_SENDERS.default()
        if not default:
            raise ValidationError(
                "Email sending is not configured: set SENDGRID_FROM_EMAIL.", field="from_email"
            )
        return default
    address = _address(from_email, field="from_email")
    # The list is lower-case; the address is stored as written, but for its domain.
    if not EMAIL_SENDERS.allows(address.lower()):
        raise ValidationError(
            f"'from_email' must be an allowed sender: {', '.join(EMAIL_SENDERS.senders())}.",
            field="from_email",
        )
    return address


def _address(raw: str, *, field: str) -> str:
    _single_line(raw or "", field=field)
    address = (raw or "").strip()
    if not address:
        raise ValidationError(f"'{field}' may not be blank.", field=field)
    try:
        validate_email(address)
    except DjangoValidationError:
        raise ValidationError(
            f"'{field}' is not a valid email address: {address!r}.", field=field
        ) from None
    # The domain part is case-insensitive; keeping one spelling makes addresses comparable.
    local, domain = address.rsplit("@", 1)
    return f"{local}@{domain.lower()}"


def _address_list(raw: list[str] | None, *, field: str) -> list[str]:
    addresses = [_address(item, field=field) for item in raw or []]
    if len(addresses) > RECIPIENTS_MAX:
        raise ValidationError(
            f"'{field}' may list at most {RECIPIENTS_MAX} addresses.", field=field
        )
    return addresses


def _subject(subject: str) -> str:
    if "\r" in subject or "\n" in subject:
        raise ValidationError("'subject' must be a single line.", field="subject")
    subject = subject.strip()
    if not subject:
        raise ValidationError("'subject' may not be blank.", field="subject")
    if len(subject) > SUBJECT_MAX_LENGTH:
        raise ValidationError(
            f"'subject' is too long: at most {SUBJECT_MAX_LENGTH} characters.", field="subject"
        )
    return subject


def _single_line(value: str, *, field: str) -> None:
    """A CR or LF would end a header line and start another (Bcc: anyone): refused
    wherever it is, even at an end that trimming would remove."""
    if "\r" in value or "\n" in value:
        raise ValidationError(f"'{field}' must be a single line.", field=field)


# --------------------------------------------------------------------------- threads


def _threading_sources(
    *, in_reply_to: object | None, forward_of: object | None
) -> tuple[Email | None, Email | None]:
    """The email a send answers and the one it forwards (at most one of the two)."""
    if in_reply_to and forward_of:
        raise ValidationError(
            "Give 'in_reply_to' or 'forward_of', not both: an email answers one email or "
            "forwards it.",
            field="forward_of",
        )
    parent = _email_named(in_reply_to, field="in_reply_to") if in_reply_to else None
    original = _email_named(forward_of, field="forward_of") if forward_of else None
    return parent, original


def _email_named(email_id: object, *, field: str) -> Email:
    try:
        return Email.objects.select_related("thread").get(id=uuid.UUID(str(email_id)))
    except (Email.DoesNotExist, ValueError):
        raise ValidationError(
            f"'{field}' names no email: there is none with the id {str(email_id)[:64]!r}.",
            field=field,
        ) from None


def _with_forwarded_files(original: Email, added: list[Attachment]) -> list[Attachment]:
    """The files a forward of ``original`` carries: the original's own (the same stored
    files), then those ``added`` to the forward; refused (ValidationError, PayloadTooLarge
    naming forward_of) when all together are more than one email may carry (EMAIL_POLICY),
    as SendGrid would refuse them."""
    files = [
        link.attachment
        for link in original.attachment_links.select_related("attachment").order_by("position")
    ] + added
    if len(files) > EMAIL_POLICY.max_files:
        raise ValidationError(
            f"The forward would carry {len(files)} files, the forwarded email's and yours; "
            f"an email can carry at most {EMAIL_POLICY.max_files}.",
            field="forward_of",
        )
    total = sum(file.size for file in files)
    if total > EMAIL_POLICY.max_total_bytes:
        raise PayloadTooLarge(
            f"The forward's files, the forwarded email's and yours, come to {total:,} bytes; "
            f"an email can carry at most {EMAIL_POLICY.max_total_bytes:,} bytes in all.",
            field="forward_of",
        )
    return files


def _reply_recipient(parent: Email) -> str:
    """Who a reply goes to by default: the sender of a received email; the recipient of
    one Hatch sent (a follow-up)."""
    return parent.from_email if parent.direction == EmailDirection.INBOUND else parent.to_email


def _reply_sender(parent: Email) -> str | None:
    """The address a reply comes from by default: the one the customer wrote to (or Hatch
    wrote from), when Hatch may send as it; else None (SENDGRID_FROM_EMAIL)."""
    own = parent.to_email if parent.direction == EmailDirection.INBOUND else parent.from_email
    return own if own and EMAIL_SENDERS.allows(own.lower()) else None


def _thread_start(
    *,
    own: str,
    other: str,
    subject: str,
    at: datetime,
    contact,
    state: str = ConversationState.OPEN,
) -> Conversation:
    """A new thread between Hatch's address ``own`` and ``other``, empty until
    ``_thread_add`` counts its first email in."""
    own, other = own.lower(), other.lower()
    first, second = sorted([own, other])
    return Conversation.objects.create(
        channel=ConversationChannel.EMAIL,
        participant_a=first,
        participant_b=second,
        reply_to=other,
        own_contact=own,
        subject=thread_subject(subject),
        contact=contact,
        contact_name=contact.name,
        last_message_at=at,
        message_count=0,
        state=state,
    )


def _thread_add(thread_id: uuid.UUID, email: Email, *, inbound: bool, contact=None) -> None:
    """Count ``email`` into its thread's summary, in one UPDATE (the row lock orders
    concurrent writers): the time and preview follow the newest email, whatever order
    they commit in; a received email counts into ``inbound_count`` (each user's unread
    count is taken from it); the thread gets the sender's contact if it had none."""
    at = email.created_at
    preview = email_preview(body=email.body, html_content=email.html_content, subject=email.subject)
    changes = {
        "message_count": F("message_count") + 1,
        "inbound_count": F("inbound_count") + int(inbound),
        # Every expression reads the row as it was: the preview compares the old time.
        "last_message_at": Greatest("last_message_at", Value(at)),
        "last_message_preview": Case(
            When(last_message_at__lte=at, then=Value(preview)),
            default=F("last_message_preview"),
            output_field=CharField(),
        ),
        "updated_at": timezone.now(),
    }
    if contact is not None:
        changes["contact_name"] = Case(
            When(contact__isnull=True, then=Value(contact.name)),
            default=F("contact_name"),
            output_field=CharField(),
        )
        changes["contact_id"] = Coalesce("contact_id", Value(contact.pk))
    Conversation.objects.filter(id=thread_id).update(**changes)
