"""What the contact panel reads about each number and address: consent_by_address."""

from datetime import timedelta

import pytest

from consent.selectors import consent_by_address
from consent.services import address_lift, address_suppress
from consent.tests.factories import DECEMBER_FIRST
from core.errors import Conflict, ValidationError
from messaging.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

LATER = DECEMBER_FIRST + timedelta(days=2)


def test_each_address_has_its_status_reason_and_history():
    staff = UserFactory(username="robin", first_name="Robin", last_name="Lee")
    address_suppress(
        address="pat@example.com", channel="email", reason="bounce", detail="550", at=DECEMBER_FIRST
    )
    address_lift(address="pat@example.com", note="Mailbox fixed", user=staff, at=LATER)
    address_suppress(
        address="+14155552671",
        channel="sms",
        reason="stop",
        detail="texted STOP",
        at=DECEMBER_FIRST,
    )

    consent = consent_by_address(["+14155552671", "Pat@Example.com", "new@example.com"])

    assert consent == {
        "+14155552671": {
            "status": "suppressed",
            "reason": "stop",
            "reason_text": "replied STOP",
            "since": DECEMBER_FIRST,
            "detail": "texted STOP",
            "history": [
                {
                    "action": "suppressed",
                    "reason": "stop",
                    "note": "texted STOP",
                    "by": None,
                    "at": DECEMBER_FIRST,
                }
            ],
        },
        "Pat@Example.com": {
            "status": "ok",
            "reason": None,
            "reason_text": None,
            "since": None,
            "detail": "",
            "history": [
                {
                    "action": "suppressed",
                    "reason": "bounce",
                    "note": "550",
                    "by": None,
                    "at": DECEMBER_FIRST,
                },
                {
                    "action": "lifted",
                    "reason": "bounce",
                    "note": "Mailbox fixed",
                    "by": "Robin Lee",
                    "at": LATER,
                },
            ],
        },
        "new@example.com": {
            "status": "ok",
            "reason": None,
            "reason_text": None,
            "since": None,
            "detail": "",
            "history": [],
        },
    }


@pytest.mark.parametrize("count", [1, 40])
def test_any_number_of_addresses_costs_two_queries(django_assert_num_queries, count):
    staff = UserFactory(username="robin")
    addresses = [f"person{n}@example.com" for n in range(count)]
    for address in addresses:
        address_suppress(address=address, channel="email", reason="unsubscribe")
        address_lift(address=address, note="They asked to hear from us", user=staff)
        address_suppress(address=address, channel="email", reason="spamreport")

    with django_assert_num_queries(2):
        consent = consent_by_address(addresses)

    assert {entry["status"] for entry in consent.values()} == {"suppressed"}
    assert {entry["history"][1]["by"] for entry in consent.values()} == {"robin"}


def test_no_addresses_cost_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert consent_by_address([]) == {}


class TestLiftRules:
    def test_staff_must_give_a_reason(self):
        address_suppress(address="pat@example.com", channel="email", reason="bounce")

        with pytest.raises(ValidationError, match="Say why"):
            address_lift(address="pat@example.com", note=" ", user=UserFactory())

        assert consent_by_address(["pat@example.com"])["pat@example.com"]["status"] == (
            "suppressed"
        )

    def test_staff_can_never_lift_an_sms_opt_out(self):
        address_suppress(address="+14155552671", channel="sms", reason="stop")

        with pytest.raises(Conflict, match="only they can opt back in, by texting START"):
            address_lift(address="+14155552671", note="They phoned us", user=UserFactory())

        assert consent_by_address(["+14155552671"])["+14155552671"]["status"] == "suppressed"
