"""The JSON shape of a contact, built from the record and its prefetched points.

Plain functions rather than DRF serializers for the same reason as messaging's: a page of
a thousand contacts costs more in per-field serializer calls than in its two queries. The
serializers in contacts.api document the same shape for the OpenAPI schema;
contacts/tests/test_api.py holds the two together.
"""

from typing import Any

from contacts.models import Contact, PointKind
from team.representation import label_data


def contact_data(contact: Contact) -> dict[str, Any]:
    """A contact; its ``points`` (in order) and ``labels`` must be prefetched
    (contacts.selectors)."""
    points = list(contact.points.all())
    return {
        "id": contact.id,
        "name": contact.name,
        "first_name": contact.first_name,
        "display_first_name": contact.greeting_name,
        "time_zone": contact.time_zone,
        "notes": contact.notes,
        "phones": _points_of(points, PointKind.PHONE),
        "emails": _points_of(points, PointKind.EMAIL),
        "labels": [label_data(label) for label in contact.labels.all()],
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


def contact_detail_data(contact: Contact, consent: dict[str, dict]) -> dict[str, Any]:
    """A contact with the consent of each of its numbers and addresses (``consent``: the
    consent app's answer for them, by number or address)."""
    data = contact_data(contact)
    addresses = [point["value"] for point in (*data["phones"], *data["emails"])]
    return {**data, "consent": {address: consent[address] for address in addresses}}


def _points_of(points: list, kind: str) -> list[dict[str, Any]]:
    mine = sorted((point for point in points if point.kind == kind), key=_order)
    return [{"value": point.value, "primary": index == 0} for index, point in enumerate(mine)]


def _order(point) -> tuple[int, int]:
    return point.position, point.id or 0
