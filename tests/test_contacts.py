import uuid

import pytest

from core.contacts import ContactKind, conversation_id_for, parse_contact
from core.errors import ValidationError

# Vectors computed outside Python with: printf 'Alice\x1fBob' | sha256sum | cut -c1-32
CONVERSATION_ID_VECTORS = [
    ("Alice", "Bob", "e04e55e0-5ca7-489b-95e0-ce73535e0785"),
    ("ab", "c", "9617c506-357d-3d46-bb66-0dbde5253de2"),
    ("a", "bc", "624ce4e2-2aa1-97da-43bf-f3bcb4717e5b"),
    ("+14155552671", "+15005550006", "5020df47-0629-f036-3d07-0d982056c452"),
]


@pytest.mark.parametrize(("first", "second", "expected"), CONVERSATION_ID_VECTORS)
def test_conversation_id_matches_the_documented_algorithm(first, second, expected):
    assert conversation_id_for(first, second) == uuid.UUID(expected)


@pytest.mark.parametrize(("first", "second", "expected"), CONVERSATION_ID_VECTORS)
def test_conversation_id_ignores_argument_order(first, second, expected):
    assert conversation_id_for(second, first) == conversation_id_for(first, second)


def test_the_seed_collision_ab_c_versus_a_bc_is_gone():
    # The seed joined without a separator, so both pairs hashed "abc".
    assert conversation_id_for("ab", "c") != conversation_id_for("a", "bc")


@pytest.mark.parametrize(
    "raw",
    [
        "+14155552671",
        "(415) 555-2671",
        "415-555-2671",
        "415.555.2671",
        " +1 415 555 2671 ",
        "4155552671",
    ],
)
def test_common_phone_formats_normalise_to_e164(raw):
    contact = parse_contact(raw, field="to")
    assert contact == parse_contact("+14155552671", field="to")
    assert contact.value == "+14155552671"
    assert contact.kind is ContactKind.PHONE


def test_international_numbers_keep_their_country():
    assert parse_contact("+44 20 7946 0958", field="to").value == "+442079460958"


@pytest.mark.parametrize("raw", ["12345", "+1 555", "000-000-0000", "+999 1234567"])
def test_phone_like_strings_that_are_not_numbers_are_refused(raw):
    with pytest.raises(ValidationError, match="not a valid phone number") as caught:
        parse_contact(raw, field="to")
    assert caught.value.fields == {"to": [caught.value.message]}


def test_names_are_stripped_and_keep_their_case():
    contact = parse_contact("  Alice Smith \n", field="to")
    assert contact.value == "Alice Smith"
    assert contact.kind is ContactKind.NAME


def test_email_addresses_are_lower_cased():
    contact = parse_contact("Alice@Example.COM", field="to")
    assert contact.value == "alice@example.com"
    assert contact.kind is ContactKind.EMAIL


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "may not be blank"),
        ("   ", "may not be blank"),
        ("Al\x1fice", "control characters"),
        ("Bob\x00", "control characters"),
        ("x" * 255, "too long"),
        ("not@an@address", "not a valid email address"),
    ],
)
def test_unusable_contacts_are_refused_with_a_reason(raw, message):
    with pytest.raises(ValidationError, match=message):
        parse_contact(raw, field="to")


def test_the_same_pair_in_different_spellings_is_one_conversation():
    ours = parse_contact("+1 500 555 0006", field="from").value
    theirs = parse_contact("(415) 555-2671", field="to").value
    assert conversation_id_for(ours, theirs) == conversation_id_for("+15005550006", "+14155552671")
