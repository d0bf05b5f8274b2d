"""Who may be messaged: every send reads these, at acceptance and before the provider call."""

import zoneinfo
from collections.abc import Iterable, Sequence

from django.conf import settings

from consent.models import (
    ConsentChange,
    ConsentChannel,
    Suppression,
    SuppressionReason,
    consent_address,
)


def suppression_for(address: str) -> Suppression | None:
    """The suppression of a phone number or address, or None if it may be messaged."""
    return Suppression.objects.filter(address=consent_address(address)).first()


def first_suppression(addresses: Sequence[str]) -> tuple[str, Suppression] | None:
    """Of ``addresses``, the first (in their order) that may not be messaged, as written,
    with its suppression; None if every one may. One query."""
    wanted = {consent_address(address) for address in addresses}
    found = {
        suppression.address: suppression
        for suppression in Suppression.objects.filter(address__in=wanted)
    }
    for address in addresses:
        if (suppression := found.get(consent_address(address))) is not None:
            return address, suppression
    return None


def suppressed_among(addresses: Iterable[str]) -> set[str]:
    """Those of ``addresses`` (as written) that may not be messaged. One query."""
    addresses = set(addresses)
    suppressed = set(
        Suppression.objects.filter(
            address__in={consent_address(address) for address in addresses}
        ).values_list("address", flat=True)
    )
    return {address for address in addresses if consent_address(address) in suppressed}


def suppression_sentence(suppression: Suppression) -> str:
    """Why a send to the address is refused, for the person who tried: the address, the
    reason, the date (in the site's TIME_ZONE) and what the provider said, e.g.
    "pat@example.com bounced on 2026-12-01 (550 mailbox unavailable)." or
    "+14155552671 replied STOP on 2026-12-01: they can opt back in by texting START."
    """
    day = suppression.created_at.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)).date()
    sentence = f"{suppression.address} {suppression.get_reason_display()} on {day.isoformat()}"
    # A STOP's detail only names the keyword ("texted STOPALL"): the reason says it all.
    if suppression.detail and suppression.reason != SuppressionReason.STOP:
        sentence += f" ({suppression.detail})"
    if suppression.channel == ConsentChannel.SMS:
        return f"{sentence}: they can opt back in by texting START."
    return f"{sentence}."


def consent_by_address(addresses: list[str]) -> dict[str, dict]:
    """Each address's consent, for the contact panel: whether it may be messaged and the
    history of its suppressions and lifts, oldest first. Keyed by the addresses as given.

    ``{"status": "ok" | "suppressed", "reason": code, "reason_text": "replied STOP",
    "since": datetime, "detail": str, "history": [{"action", "reason", "note", "by", "at"}]}``
    (reason, reason_text and since are None, detail "", for an address that may be
    messaged; "by" is the staff member's name for a lift by hand, else None).

    Two queries, however many addresses.
    """
    spelled = {address: consent_address(address) for address in addresses}
    wanted = set(spelled.values())
    if not wanted:
        return {}
    suppressions = {s.address: s for s in Suppression.objects.filter(address__in=wanted)}
    history: dict[str, list[dict]] = {address: [] for address in wanted}
    changes = (
        ConsentChange.objects.filter(address__in=wanted)
        .select_related("changed_by")
        .order_by("changed_at", "id")
    )
    for change in changes:
        by = change.changed_by
        history[change.address].append(
            {
                "action": change.action,
                "reason": change.reason,
                "note": change.note,
                "by": (by.get_full_name() or by.get_username()) if by is not None else None,
                "at": change.changed_at,
            }
        )
    result = {}
    for address, key in spelled.items():
        suppression = suppressions.get(key)
        result[address] = {
            "status": "ok" if suppression is None else "suppressed",
            "reason": suppression.reason if suppression else None,
            "reason_text": suppression.get_reason_display() if suppression else None,
            "since": suppression.created_at if suppression else None,
            "detail": suppression.detail if suppression else "",
            "history": list(history[key]),
        }
    return result
