"""Fixtures of the contacts tests."""

import pytest

from contacts import services


@pytest.fixture
def ada(db):
    """Ada Lovelace, with two numbers and an address."""
    return services.contact_create(
        name="Ada Lovelace",
        phones=["+1 (415) 555-2671", "+14155550101"],
        emails=["Ada@Example.com"],
        notes="Prefers email.",
    )


@pytest.fixture
def grace(db):
    return services.contact_create(
        name="Grace Hopper", phones=["+14155550102"], emails=["grace@example.com"]
    )
