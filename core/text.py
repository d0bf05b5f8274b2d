"""Text as PostgreSQL can store it."""

from typing import Any


def without_nul(value: Any) -> Any:
    """``value`` with NUL characters removed from every string, in lists and dicts too.

    PostgreSQL cannot store NUL in text or jsonb (the insert fails: a 500, and a provider
    retrying its webhook for a day), and no real message or provider event carries one.
    """
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, list | tuple):
        return [without_nul(item) for item in value]
    if isinstance(value, dict):
        return {without_nul(key): without_nul(item) for key, item in value.items()}
    return value
