"""Every read of contacts, written with its query plan in mind."""

import re
import uuid
from collections.abc import Iterator

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet

from contacts import timeline
from contacts.models import Contact, ContactPoint
from core.errors import NotFound
from core.queries import get_by_uuid

EXPORT_CHUNK_SIZE = 2000


def _with_points(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    # One query for the points of a whole page, in their order (primary first).
    return contacts.prefetch_related(
        Prefetch("points", queryset=ContactPoint.objects.order_by("kind", "position", "id"))
    )


def _for_answers(contacts: QuerySet[Contact]) -> QuerySet[Contact]:
    # What an answer shows: the points, and the labels (one query for a whole page).
    return _with_points(contacts).prefetch_related("labels")


def contact_list(*, query: str = "", label: str = "") -> QuerySet[Contact]:
    """Contacts with their numbers and addresses, for keyset pagination on (created_at, id).

    ``query`` matches a name (any part, any case), an address (any part), or a run of a
    number's digits however it is written: "5552671" and "(415) 555-2671" both find
    +14155552671. Numbers and addresses are a semi-join (EXISTS), so a contact with many
    of them is listed once. ``label`` keeps the contacts carrying the label of that name
    (any case); an unknown name finds nobody.
    """
    contacts = _for_answers(Contact.objects.all())
    label = label.strip()
    if label:
        contacts = contacts.filter(
            Exists(
                Contact.labels.through.objects.filter(
                    contact=OuterRef("pk"), label__name__iexact=label
                )
            )
        )
    query = query.strip()
    if not query:
        return contacts
    if "\x00" in query:
        # PostgreSQL refuses NUL in a query parameter, and no stored text holds one.
        return contacts.none()
    points = ContactPoint.objects.filter(contact=OuterRef("pk"))
    matches = Q(name__icontains=query) | Exists(points.filter(value__icontains=query))
    digits = re.sub(r"\D", "", query)
    if len(digits) >= 3 and digits != query:
        matches |= Exists(points.filter(value__contains=digits))
    return contacts.filter(matches)


def contact_get(*, contact_id: object) -> Contact:
    return get_by_uuid(_for_answers(Contact.objects.all()), contact_id, noun="contact")


def contact_timeline(
    *, contact_id: object, before: timeline.Cursor | None, limit: int
) -> list[timeline.TimelineItem]:
    """What was said with the contact on every channel, newest first: at most ``limit``
    items, strictly before ``before`` (a ``(created_at, id)`` cursor) when given."""
    try:
        contact_uuid = uuid.UUID(str(contact_id))
    except ValueError:
        raise NotFound("No contact with this id.") from None
    if not Contact.objects.filter(id=contact_uuid).exists():
        raise NotFound("No contact with this id.")
    return timeline.timeline_items(contact_id=contact_uuid, before=before, limit=limit)


def contacts_for_export() -> Iterator[Contact]:
    """Every contact with its numbers and addresses, oldest first, a chunk at a time (a
    query for the contacts and one for their points per chunk, whatever the count)."""
    return _with_points(Contact.objects.order_by("created_at", "id")).iterator(
        chunk_size=EXPORT_CHUNK_SIZE
    )


def contact_time_zone(*, value: str) -> str:
    """The time zone set on the contact who has this number or address; "" if none is set
    or no contact has it (quiet hours then go by the number's region)."""
    return (
        ContactPoint.objects.filter(value=value)
        .values_list("contact__time_zone", flat=True)
        .first()
        or ""
    )


def contact_time_zones(*, values: list[str]) -> dict[str, str]:
    """contact_time_zone for many numbers or addresses at once (one query): those whose
    contact has a time zone set, by value."""
    return dict(
        ContactPoint.objects.filter(value__in=set(values))
        .exclude(contact__time_zone="")
        .values_list("value", "contact__time_zone")
    )
