"""Every write to contacts goes through these functions.

A contact's phone numbers and email addresses are its *points*: each number or address
belongs to at most one contact (the ``contact_point_unique_value`` constraint), and the
first of each kind is the contact's primary one. A number or address another contact owns
is refused with a 409 naming that contact; the constraint is the last guard against two
requests taking the same one at once, and answers the same 409.

Consent is never written here: it belongs to the number or address (the consent app), so
deleting a contact or merging it into another keeps every opt-out.
"""

import contextlib
import functools
import itertools
import uuid
import zoneinfo
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

import psycopg
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from contacts.models import NAME_MAX_LENGTH, Contact, ContactPoint, PointKind
from contacts.signals import contact_names_changed
from core.contacts import ContactKind, parse_contact
from core.errors import ApplicationError, Conflict, NotFound, ValidationError
from team.selectors import labels_named

POINT_UNIQUE_CONSTRAINT = "contact_point_unique_value"
# What separates the notes of two merged contacts: both are kept, one after the other.
NOTES_SEPARATOR = "\n\n"
# Rows an import writes per transaction: one look-up of who owns the chunk's numbers and
# addresses, and bulk writes, rather than a handful of queries per row.
IMPORT_CHUNK_SIZE = 500
_IMPORT_ATTEMPTS = 3


def contact_for_point(*, kind: str, value: str, name: str = "") -> Contact:
    """The contact owning the normalised number or address ``value``; a new one (named
    ``name``, e.g. an email's display name) when nobody owns it yet. A contact found
    without a name takes ``name``.

    Two first messages from the same stranger at once both try to create the contact; the
    point's unique value lets one win, and the other reads the winner's.
    """
    name = name.strip()[:NAME_MAX_LENGTH]
    point = ContactPoint.objects.select_related("contact").filter(value=value).first()
    if point is not None:
        return _named_if_nameless(point.contact, name)
    try:
        with transaction.atomic():
            contact = Contact.objects.create(name=name)
            ContactPoint.objects.create(contact=contact, kind=kind, value=value, position=0)
    except IntegrityError:
        contact = ContactPoint.objects.select_related("contact").get(value=value).contact
        return _named_if_nameless(contact, name)
    return contact


def _named_if_nameless(contact: Contact, name: str) -> Contact:
    if name and not contact.name:
        # Conditional, so that a name someone set meanwhile is never overwritten.
        if Contact.objects.filter(pk=contact.pk, name="").update(
            name=name, updated_at=timezone.now()
        ):
            contact_names_changed.send(sender=Contact, names={contact.pk: name})
        contact.name = name
    return contact


def contact_create(
    *,
    name: str = "",
    first_name: str = "",
    time_zone: str = "",
    notes: str = "",
    phones: Iterable[str] = (),
    emails: Iterable[str] = (),
    labels: Iterable[str] = (),
) -> Contact:
    """A new contact with these numbers and addresses, in this order (the first of each
    kind is the primary one), and these labels (names). A number or address another
    contact owns is a 409."""
    fields = {
        "name": _name(name, field="name"),
        "first_name": _name(first_name, field="first_name"),
        "time_zone": _time_zone(time_zone),
        "notes": _notes(notes),
    }
    points = {PointKind.PHONE: point_values(phones, kind=PointKind.PHONE)}
    points[PointKind.EMAIL] = point_values(emails, kind=PointKind.EMAIL)
    _refuse_empty(fields["name"], points)
    new_labels = _labels(labels)
    # The guard outside the transaction: it reads the owner once the insert rolled back.
    with (
        _point_owner_conflicts(points, contact_id=None),
        transaction.atomic(),
    ):
        _refuse_taken(points, contact_id=None)
        contact = Contact.objects.create(**fields)
        for kind, values in points.items():
            _points_replace(contact, kind, values)
        if new_labels:
            contact.labels.set(new_labels)
    return contact


def contact_update(
    *,
    contact_id: object,
    name: str | None = None,
    first_name: str | None = None,
    time_zone: str | None = None,
    notes: str | None = None,
    phones: Iterable[str] | None = None,
    emails: Iterable[str] | None = None,
    labels: Iterable[str] | None = None,
) -> Contact:
    """Change what is given (None: leave as is). ``phones`` or ``emails`` replace that
    kind's list, in the given order: reordering makes a new primary. ``labels`` (names,
    any case) replace the contact's labels; an unknown name is a ValidationError."""
    changes = {
        key: value
        for key, value in {
            "name": None if name is None else _name(name, field="name"),
            "first_name": None if first_name is None else _name(first_name, field="first_name"),
            "time_zone": None if time_zone is None else _time_zone(time_zone),
            "notes": None if notes is None else _notes(notes),
        }.items()
        if value is not None
    }
    points = {}
    if phones is not None:
        points[PointKind.PHONE] = point_values(phones, kind=PointKind.PHONE)
    if emails is not None:
        points[PointKind.EMAIL] = point_values(emails, kind=PointKind.EMAIL)
    new_labels = None if labels is None else _labels(labels)
    contact_uuid = _uuid_or_not_found(contact_id)
    with (
        _point_owner_conflicts(points, contact_id=contact_uuid),
        transaction.atomic(),
    ):
        contact = _locked(contact_uuid)
        if new_labels is not None:
            contact.labels.set(new_labels)
        if not changes and not points:
            return contact
        _refuse_taken(points, contact_id=contact.id)
        renamed = "name" in changes and changes["name"] != contact.name
        for key, value in changes.items():
            setattr(contact, key, value)
        contact.save()
        if renamed:
            contact_names_changed.send(sender=Contact, names={contact.pk: contact.name})
        for kind, values in points.items():
            _points_replace(contact, kind, values)
        remaining = {
            kind: list(contact.points.filter(kind=kind).values_list("value", flat=True))
            for kind in PointKind.values
        }
        _refuse_empty(contact.name, remaining)
    return contact


def contact_delete(*, contact_id: object) -> None:
    """Delete the contact and its numbers and addresses. Its conversations stay, without
    a contact until their next message names one; consent stays with each address."""
    with transaction.atomic():
        contact = _locked(contact_id)
        contact_names_changed.send(sender=Contact, names={contact.pk: ""})
        contact.delete()


def contact_merge(*, contact_id: object, other_id: object) -> Contact:
    """Fold ``other`` into the contact and delete it, in one transaction.

    The other's numbers and addresses come after the contact's own (so its primaries stay
    primary), the notes of both are kept, a blank name, first name or time zone is taken
    from the other, and everything that points at the other contact (conversations and
    email threads, and whatever later features link to a contact: every relation in
    ``Contact._meta.related_objects``) points at this one instead. The contact keeps the
    labels of both.
    """
    contact_uuid = _uuid_or_not_found(contact_id)
    try:
        other_uuid = uuid.UUID(str(other_id))
    except ValueError:
        raise ValidationError(
            f"'other' must be a contact's id (a UUID), not {str(other_id)[:60]!r}.",
            field="other",
        ) from None
    if other_uuid == contact_uuid:
        raise ValidationError("A contact cannot be merged with itself.", field="other")
    with transaction.atomic():
        # Both rows locked, always in id order: two merges of the same pair (either way
        # round) queue behind each other instead of deadlocking.
        locked = {
            row.id: row
            for row in Contact.objects.select_for_update()
            .filter(id__in=[contact_uuid, other_uuid])
            .order_by("id")
        }
        if contact_uuid not in locked:
            raise NotFound("No contact with this id.")
        if other_uuid not in locked:
            raise ValidationError(
                f"No contact {other_uuid} to merge: it was deleted or merged already.",
                field="other",
            )
        contact, other = locked[contact_uuid], locked[other_uuid]
        _points_append(contact, other)
        _relations_move(other, contact)
        # The contact's own many-to-many fields (its labels): the union of both.
        for field in Contact._meta.many_to_many:
            getattr(contact, field.name).add(*getattr(other, field.name).all())
        for name in ("name", "first_name", "time_zone"):
            if not getattr(contact, name):
                setattr(contact, name, getattr(other, name))
        contact.notes = NOTES_SEPARATOR.join(
            notes for notes in (contact.notes.strip(), other.notes.strip()) if notes
        )
        other.delete()
        contact.save()
        # The other's conversations are the contact's now, and carry its name.
        contact_names_changed.send(sender=Contact, names={contact.pk: contact.name})
    return contact


def _labels(names: Iterable[str]) -> list:
    """The labels named (any case); an unknown name is refused, naming it."""
    names = [name.strip() for name in names if name.strip()]
    found = labels_named(names)
    unknown = [name for name in names if name.lower() not in found]
    if unknown:
        raise ValidationError(
            f"There is no label named “{unknown[0]}”. Admins create labels on the Team page.",
            field="labels",
        )
    return list(found.values())


def _points_append(contact: Contact, other: Contact) -> None:
    """The other's points join the contact's, after its own of the same kind."""
    for kind in PointKind.values:
        mine = list(contact.points.filter(kind=kind).order_by("position", "id"))
        theirs = list(other.points.filter(kind=kind).order_by("position", "id"))
        for point in theirs:
            point.contact = contact
        for position, point in enumerate([*mine, *theirs]):
            point.position = position
        ContactPoint.objects.bulk_update([*mine, *theirs], ["contact", "position"])


def _relations_move(source: Contact, target: Contact) -> None:
    """Point every record that points at ``source`` at ``target`` instead.

    Generic on purpose: a feature that links its records to a contact (a foreign key or
    a many-to-many field to Contact) follows merges without touching this code.
    """
    for relation in Contact._meta.related_objects:
        model = relation.related_model
        name = relation.field.name
        if relation.many_to_many:
            for record in model._default_manager.filter(**{name: source}):
                linked = getattr(record, name)
                linked.add(target)
                linked.remove(source)
        elif relation.one_to_one:
            if model._default_manager.filter(**{name: target}).exists():
                raise Conflict(
                    f"Both contacts have a {model._meta.verbose_name}; a contact has only one, "
                    "so remove one of them before merging."
                )
            model._default_manager.filter(**{name: source}).update(**{name: target})
        else:
            model._default_manager.filter(**{name: source}).update(**{name: target})


# ------------------------------------------------------------------------- the import


@dataclass(frozen=True)
class ContactRow:
    """One row of an import, as read (``line``: where it starts in the file, from 1).

    ``phone`` and ``email`` may each hold several, separated by semicolons (as
    ``export_contacts`` writes them)."""

    line: int
    name: str = ""
    phone: str = ""
    email: str = ""
    notes: str = ""


@dataclass(frozen=True)
class RefusedRow:
    line: int
    reason: str


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0  # rows that filled in or added to an existing contact
    unchanged: int = 0  # rows whose every detail the contact already had
    refused: list[RefusedRow] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "refused": [{"line": row.line, "reason": row.reason} for row in self.refused],
        }


@dataclass(frozen=True)
class _CleanRow:
    line: int
    name: str
    notes: str
    points: list[tuple[str, str]]  # (kind, value), phones first


class _OwnersChanged(Exception):
    """A number's owner changed between the chunk's look-up and its locks."""


def contacts_import(
    *, rows: Iterable[ContactRow], progress: Callable[[int], None] | None = None
) -> ImportResult:
    """Create or update a contact per row; refuse the rows that cannot be used.

    A row whose number or address belongs to a contact updates that contact: a blank name
    or blank notes are filled, and its other numbers and addresses are added. A row whose
    numbers and addresses belong to two different contacts, or with an invalid one, or
    with neither a number nor an address, is refused with its line and the reason; the
    others are written all the same. ``progress`` is called with each chunk's row count.
    """
    result = ImportResult()
    for chunk in _batched(rows, IMPORT_CHUNK_SIZE):
        clean = []
        for row in chunk:
            try:
                clean.append(_clean_row(row))
            except ApplicationError as error:
                result.refused.append(RefusedRow(row.line, error.message))
        if clean:
            _import_chunk_with_retries(clean, result)
        if progress is not None:
            progress(len(chunk))
    result.refused.sort(key=lambda refused: refused.line)
    return result


def _import_chunk_with_retries(rows: list[_CleanRow], result: ImportResult) -> None:
    """Write a chunk in one transaction; again, from a fresh look-up, if someone else took
    one of its numbers meanwhile (the constraint's refusal) or merged one of its contacts."""
    for attempt in range(1, _IMPORT_ATTEMPTS + 1):
        outcome = ImportResult()
        try:
            with transaction.atomic():
                _import_chunk(rows, outcome)
        except (IntegrityError, _OwnersChanged) as error:
            if attempt == _IMPORT_ATTEMPTS or not (
                isinstance(error, _OwnersChanged) or _is_point_taken(error)
            ):
                raise
            continue
        result.created += outcome.created
        result.updated += outcome.updated
        result.unchanged += outcome.unchanged
        result.refused.extend(outcome.refused)
        return


def _import_chunk(rows: list[_CleanRow], outcome: ImportResult) -> None:
    values = {value for row in rows for _kind, value in row.points}
    owners = _owners_of(values)
    contacts = {
        contact.id: contact
        for contact in Contact.objects.select_for_update()
        .filter(id__in=set(owners.values()))
        .order_by("id")
    }
    # Read again under the locks: a merge may have moved a point before we locked.
    owners = _owners_of(values)
    if not set(owners.values()) <= contacts.keys():
        raise _OwnersChanged
    next_position = {
        (row["contact_id"], row["kind"]): row["last"] + 1
        for row in ContactPoint.objects.filter(contact_id__in=contacts.keys())
        .values("contact_id", "kind")
        .annotate(last=Max("position"))
    }
    created: dict[uuid.UUID, Contact] = {}
    changed: set[uuid.UUID] = set()
    new_points: list[ContactPoint] = []
    now = timezone.now()
    for row in rows:
        row_owners = {owners[value] for _kind, value in row.points if value in owners}
        if len(row_owners) > 1:
            outcome.refused.append(RefusedRow(row.line, _joins_two(row, owners, contacts)))
            continue
        if row_owners:
            contact = contacts[row_owners.pop()]
            touched = False
            if row.name and not contact.name:
                contact.name, touched = row.name, True
            if row.notes and not contact.notes:
                contact.notes, touched = row.notes, True
            touched |= _points_add(contact, row, owners, next_position, new_points)
            if not touched:
                outcome.unchanged += 1
                continue
            outcome.updated += 1
            if contact.id not in created:
                changed.add(contact.id)
        else:
            contact = Contact(name=row.name, notes=row.notes, created_at=now, updated_at=now)
            contacts[contact.id] = created[contact.id] = contact
            _points_add(contact, row, owners, next_position, new_points)
            outcome.created += 1
    Contact.objects.bulk_create(created.values())
    ContactPoint.objects.bulk_create(new_points)
    updates = [contacts[contact_id] for contact_id in changed]
    for contact in updates:
        contact.updated_at = now
    Contact.objects.bulk_update(updates, ["name", "notes", "updated_at"])
    if updates:
        contact_names_changed.send(
            sender=Contact, names={contact.id: contact.name for contact in updates}
        )


def _points_add(contact, row: _CleanRow, owners: dict, next_position: dict, new_points: list):
    """Queue the row's numbers and addresses nobody owns yet for ``contact``, each after
    the contact's last of its kind; whether there was any."""
    added = False
    for kind, value in row.points:
        if value in owners:
            continue
        position = next_position.get((contact.id, kind), 0)
        next_position[contact.id, kind] = position + 1
        new_points.append(ContactPoint(contact=contact, kind=kind, value=value, position=position))
        owners[value] = contact.id
        added = True
    return added


def _owners_of(values: set[str]) -> dict[str, uuid.UUID]:
    return dict(ContactPoint.objects.filter(value__in=values).values_list("value", "contact_id"))


def _joins_two(row: _CleanRow, owners: dict, contacts: dict) -> str:
    held = {}
    for _kind, value in row.points:
        if value in owners:
            held.setdefault(owners[value], value)
    first, second = list(held.items())[:2]
    return (
        f"{first[1]} belongs to {_label(contacts[first[0]])} and {second[1]} to "
        f"{_label(contacts[second[0]])}: merge those contacts first, or split the row."
    )


def _clean_row(row: ContactRow) -> _CleanRow:
    phones = [part for part in row.phone.split(";") if part.strip()]
    emails = [part for part in row.email.split(";") if part.strip()]
    points = [
        *(
            (PointKind.PHONE.value, value)
            for value in point_values(phones, kind="phone", field="phone")
        ),
        *(
            (PointKind.EMAIL.value, value)
            for value in point_values(emails, kind="email", field="email")
        ),
    ]
    if not points:
        raise ValidationError("The row has neither a phone number nor an email address.")
    return _CleanRow(
        line=row.line, name=_name(row.name, field="name"), notes=_notes(row.notes), points=points
    )


def _batched[T](items: Iterable[T], size: int) -> Iterator[list[T]]:
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, size)):
        yield chunk


# ------------------------------------------------------------------------- validation


def point_values(raw: Iterable[str], *, kind: str, field: str | None = None) -> list[str]:
    """Numbers (E.164) or addresses (lower-cased), validated, without repeats, in order.

    ``kind`` is "phone" or "email"; an error names ``field`` ("phones" or "emails" unless
    told otherwise)."""
    field = field or f"{kind}s"
    return list(dict.fromkeys(_point_value(item, kind=kind, field=field) for item in raw))


def _point_value(raw: str, *, kind: str, field: str) -> str:
    parsed = parse_contact(raw, field=field)
    if kind == PointKind.PHONE and parsed.kind is not ContactKind.PHONE:
        raise ValidationError(
            f"'{field}' is not a valid phone number: {raw.strip()!r}. "
            "Use international format, e.g. +14155552671.",
            field=field,
        )
    if kind == PointKind.EMAIL and parsed.kind is not ContactKind.EMAIL:
        raise ValidationError(
            f"'{field}' is not a valid email address: {raw.strip()!r}.", field=field
        )
    return parsed.value


def _name(raw: str, *, field: str) -> str:
    text = " ".join(raw.split())
    _refuse_unstorable(text, field=field)
    if len(text) > NAME_MAX_LENGTH:
        raise ValidationError(
            f"'{field}' is too long: at most {NAME_MAX_LENGTH} characters.", field=field
        )
    return text


def _notes(raw: str) -> str:
    text = raw.strip()
    _refuse_unstorable(text, field="notes")
    return text


def _refuse_unstorable(text: str, *, field: str) -> None:
    # PostgreSQL stores no NUL, and UTF-8 no lone surrogate.
    if "\x00" in text or any("\ud800" <= char <= "\udfff" for char in text):
        raise ValidationError(f"'{field}' holds characters that are not text.", field=field)


@functools.cache
def _time_zones() -> frozenset[str]:
    # Reads the system's zone files: once per process.
    return frozenset(zoneinfo.available_timezones())


def _time_zone(raw: str) -> str:
    text = raw.strip()
    if text and text not in _time_zones():
        raise ValidationError(
            f"'time_zone' is not a known time zone: {text[:64]!r}. "
            'Use an IANA name, e.g. "Europe/Dublin" or "America/New_York".',
            field="time_zone",
        )
    return text


def _refuse_empty(name: str, points: dict[str, list[str]]) -> None:
    if not name and not any(points.values()):
        raise ValidationError(
            "A contact needs a name, a phone number or an email address.", field="name"
        )


def _refuse_taken(points: dict[str, list[str]], *, contact_id: uuid.UUID | None) -> None:
    """409 naming the contact that already owns one of these numbers or addresses."""
    values = list(itertools.chain(*points.values()))
    if not values:
        return
    taken = (
        ContactPoint.objects.filter(value__in=values)
        .exclude(contact_id=contact_id)
        .select_related("contact")
        .order_by("kind", "position")
        .first()
    )
    if taken is not None:
        raise Conflict(
            f"{taken.value} already belongs to {_label(taken.contact)}.", field=f"{taken.kind}s"
        )


@contextlib.contextmanager
def _point_owner_conflicts(
    points: dict[str, list[str]], *, contact_id: uuid.UUID | None
) -> Iterator[None]:
    """Answer the unique constraint's refusal as the check before it does: a 409 naming
    the owner (who took the number between that check and our insert)."""
    try:
        yield
    except IntegrityError as error:
        if not _is_point_taken(error):
            raise
        _refuse_taken(points, contact_id=contact_id)
        raise Conflict(
            "A number or address was taken by another contact meanwhile; try again."
        ) from None


def _is_point_taken(error: IntegrityError) -> bool:
    cause = error.__cause__
    return (
        isinstance(cause, psycopg.errors.UniqueViolation)
        and cause.diag.constraint_name == POINT_UNIQUE_CONSTRAINT
    )


def _points_replace(contact: Contact, kind: str, values: list[str]) -> None:
    """Make ``values`` the contact's points of ``kind``, in this order."""
    existing = {point.value: point for point in contact.points.filter(kind=kind)}
    ContactPoint.objects.filter(
        id__in=[point.id for value, point in existing.items() if value not in values]
    ).delete()
    moved = []
    new = []
    for position, value in enumerate(values):
        point = existing.get(value)
        if point is None:
            new.append(ContactPoint(contact=contact, kind=kind, value=value, position=position))
        elif point.position != position:
            point.position = position
            moved.append(point)
    ContactPoint.objects.bulk_update(moved, ["position"])
    ContactPoint.objects.bulk_create(new)


def _locked(contact_id: object) -> Contact:
    contact = Contact.objects.select_for_update().filter(id=_uuid_or_not_found(contact_id)).first()
    if contact is None:
        raise NotFound("No contact with this id.")
    return contact


def _uuid_or_not_found(raw: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(raw))
    except ValueError:
        raise NotFound("No contact with this id.") from None


def _label(contact: Contact) -> str:
    """How a refusal names a contact: by name, or by id when it has none."""
    return contact.name or f"the unnamed contact {contact.id}"
