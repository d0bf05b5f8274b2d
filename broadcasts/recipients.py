"""Who a broadcast goes to: contacts, labels, numbers or addresses, or the rows of a CSV,
read into one list of recipients, each normalised and, where it cannot be messaged,
marked skipped with the reason (invalid, opted out, listed twice). No writes."""

import csv
import io
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower

from broadcasts.models import BroadcastChannel, RecipientOutcome
from consent.models import Suppression, consent_address
from consent.selectors import suppression_sentence
from contacts import csv_files
from contacts.models import Contact, ContactPoint, PointKind
from core.contacts import parse_contact, sms_country_refusal
from core.errors import ValidationError
from team.models import Label

# A broadcast larger than this is several broadcasts: its preparation and its counts are
# made for this size (the benchmark sends 10,000).
RECIPIENTS_MAX = 100_000
CSV_MAX_BYTES = 10 * 1024 * 1024
# The CSV's column that holds each row's number (an SMS broadcast) or address (email).
CSV_ADDRESS_COLUMNS = {BroadcastChannel.SMS: "phone", BroadcastChannel.EMAIL: "email"}


@dataclass
class Recipient:
    """One recipient as listed, with what became of it."""

    address: str
    contact_id: object = None
    variables: dict = field(default_factory=dict)
    outcome: str = RecipientOutcome.PENDING
    detail: str = ""


def recipients_resolve(
    *,
    channel: str,
    contacts: Iterable = (),
    labels: Iterable[str] = (),
    addresses: Iterable[str] = (),
    rows: Iterable[dict] = (),
) -> list[Recipient]:
    """Every recipient, in the order given (contacts, the labels' contacts, addresses, then
    the CSV's rows), each normalised and checked. Raises ValidationError naming the field
    for an unknown contact or label, or too many recipients."""
    kind = PointKind.PHONE if channel == BroadcastChannel.SMS else PointKind.EMAIL
    listed: list[Recipient] = []
    listed += _contacts_recipients(_contacts(contacts, labels), kind)
    listed += [Recipient(address=str(raw)) for raw in addresses]
    listed += _rows_recipients(rows, channel)
    if len(listed) > RECIPIENTS_MAX:
        raise ValidationError(
            f"A broadcast goes to at most {RECIPIENTS_MAX:,} recipients; this one lists "
            f"{len(listed):,}. Split it into several.",
            field="recipients",
        )
    if not listed:
        raise ValidationError(
            "Name at least one recipient: contacts, labels, numbers or addresses, or a CSV.",
            field="recipients",
        )
    _normalise(listed, channel)
    _mark_opted_out(listed)
    _mark_duplicates(listed)
    return listed


def csv_rows(upload: bytes, *, channel: str) -> list[dict]:
    """The rows of an uploaded CSV, as dicts by lower-cased column name. Its header must
    name the address column (phone or email); every other column is a variable."""
    if len(upload) > CSV_MAX_BYTES:
        raise ValidationError(
            f"The CSV is larger than {CSV_MAX_BYTES // (1024 * 1024)} MB.", field="file"
        )
    reader = csv.DictReader(io.StringIO(csv_files.decode(upload)))
    columns = [name.strip().lower() for name in reader.fieldnames or []]
    needed = CSV_ADDRESS_COLUMNS[channel]
    if needed not in columns:
        raise ValidationError(
            f"The CSV needs a '{needed}' column (its first line names the columns, e.g. "
            f"'{needed},first_name').",
            field="file",
        )
    return [
        {(name or "").strip().lower(): (value or "").strip() for name, value in row.items()}
        for row in reader
    ]


def _contacts(contact_ids: Iterable, label_names: Iterable[str]) -> list[Contact]:
    contact_ids, label_names = list(contact_ids), list(label_names)
    found = []
    if contact_ids:
        by_id = {str(c.id): c for c in Contact.objects.filter(id__in=_uuids(contact_ids))}
        unknown = [str(value) for value in contact_ids if str(value) not in by_id]
        if unknown:
            raise ValidationError(f"No contact has the id {unknown[0]}.", field="contacts")
        found += [by_id[str(value)] for value in contact_ids]
    if label_names:
        wanted = {str(name).strip().lower() for name in label_names}
        labels = {
            label.name.lower(): label
            for label in Label.objects.annotate(lower=Lower("name")).filter(lower__in=wanted)
        }
        unknown = [name for name in label_names if str(name).strip().lower() not in labels]
        if unknown:
            raise ValidationError(f"No label is called '{unknown[0]}'.", field="labels")
        found += list(
            Contact.objects.filter(labels__in=labels.values()).distinct().order_by("created_at")
        )
    return found


def _uuids(values: list) -> list:
    valid = []
    for value in values:
        try:
            valid.append(uuid.UUID(str(value)))
        except ValueError:
            raise ValidationError(f"'{value}' is not a contact id.", field="contacts") from None
    return valid


def _contacts_recipients(contacts: list[Contact], kind: str) -> list[Recipient]:
    """Each contact at their primary number or address of the channel's kind."""
    primary = {}
    points = ContactPoint.objects.filter(contact__in=contacts, kind=kind).order_by(
        "contact_id", "position", "id"
    )
    for point in points:
        primary.setdefault(point.contact_id, point.value)
    recipients = []
    for contact in contacts:
        values = {"contact.first_name": contact.greeting_name, "contact.name": contact.name}
        if contact.id in primary:
            recipients.append(Recipient(primary[contact.id], contact.id, values))
        else:
            what = "phone number" if kind == PointKind.PHONE else "email address"
            recipients.append(
                Recipient(
                    address=contact.name or str(contact.id),
                    contact_id=contact.id,
                    variables=values,
                    outcome=RecipientOutcome.SKIPPED_INVALID,
                    detail=f"{contact.name or 'This contact'} has no {what}.",
                )
            )
    return recipients


def _rows_recipients(rows: Iterable[dict], channel: str) -> list[Recipient]:
    column = CSV_ADDRESS_COLUMNS[channel]
    return [
        Recipient(
            address=row.get(column, ""),
            variables={f"contact.{name}": value for name, value in row.items() if name != column},
        )
        for row in rows
    ]


def _normalise(recipients: list[Recipient], channel: str) -> None:
    """Each address in its normal form, or the recipient skipped as invalid, with why."""
    points = {}
    for recipient in recipients:
        if recipient.outcome != RecipientOutcome.PENDING:
            continue
        raw = recipient.address.strip()
        problem = ""
        if channel == BroadcastChannel.SMS:
            try:
                party = parse_contact(raw, field="to")
            except ValidationError:
                party = None
            if party is None or not party.is_phone:
                problem = f"'{raw}' is not a phone number."
            elif refusal := sms_country_refusal(party.value):
                problem = refusal
            else:
                recipient.address = party.value
        else:
            try:
                validate_email(raw)
                recipient.address = raw.lower()
            except DjangoValidationError:
                problem = f"'{raw}' is not an email address."
        if problem:
            recipient.outcome = RecipientOutcome.SKIPPED_INVALID
            recipient.detail = problem
            recipient.address = raw[:320] or "(blank)"
            continue
        if recipient.contact_id is None:
            points[recipient.address] = recipient
    # Recipients listed by number or address get their contact's name for the variables.
    owners = ContactPoint.objects.filter(value__in=list(points)).select_related("contact")
    for point in owners:
        recipient = points[point.value]
        recipient.contact_id = point.contact_id
        recipient.variables = {
            "contact.first_name": point.contact.greeting_name,
            "contact.name": point.contact.name,
            **recipient.variables,
        }


def _mark_opted_out(recipients: list[Recipient]) -> None:
    pending = [r for r in recipients if r.outcome == RecipientOutcome.PENDING]
    suppressions = {
        suppression.address: suppression
        for suppression in Suppression.objects.filter(
            address__in={consent_address(r.address) for r in pending}
        )
    }
    for recipient in pending:
        suppression = suppressions.get(consent_address(recipient.address))
        if suppression is not None:
            recipient.outcome = RecipientOutcome.SKIPPED_OPTED_OUT
            recipient.detail = suppression_sentence(suppression)


def _mark_duplicates(recipients: list[Recipient]) -> None:
    seen = set()
    for recipient in recipients:
        if recipient.outcome != RecipientOutcome.PENDING:
            continue
        if recipient.address in seen:
            recipient.outcome = RecipientOutcome.SKIPPED_DUPLICATE
            recipient.detail = f"{recipient.address} is listed more than once; messaged once."
        seen.add(recipient.address)
