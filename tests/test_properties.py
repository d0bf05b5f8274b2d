"""Properties that must hold for every input, checked with hypothesis.

The conversation id (every message of a pair lands in one conversation), phone
normalisation (one canonical E.164 spelling, or a clear error) and the SMS segment counter
(what the carrier bills). Derandomized with a bounded number of examples: the same inputs on
every run, a few seconds in all.
"""

import math
import re
import string
import uuid

import phonenumbers
import pytest
from hypothesis import assume, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from core.contacts import ContactKind, conversation_id_for, normalise_phone, parse_contact
from core.errors import ValidationError
from messaging.segments import GSM7_BASIC, GSM7_EXTENSION, count_segments

PROPERTY = hypothesis_settings(max_examples=300, derandomize=True, deadline=None, database=None)

E164 = re.compile(r"^\+[1-9]\d{1,14}$")
# Normalised contacts never hold control characters (parse_contact refuses them).
CONTACTS = st.text(st.characters(exclude_categories=("Cc", "Cs")), min_size=1, max_size=40)
# What people type as phone numbers: digits, "+", spaces and the usual punctuation.
PHONE_LIKE = st.text(alphabet=string.digits + "+ ()-./", min_size=1, max_size=25)
REGIONS = sorted(phonenumbers.SUPPORTED_REGIONS)
GSM7_BASIC_TEXT = st.text(alphabet=sorted(GSM7_BASIC), max_size=700)
GSM7_TEXT = st.text(alphabet=sorted(GSM7_BASIC | GSM7_EXTENSION), max_size=700)
NOT_GSM7 = st.characters(exclude_categories=("Cs",)).filter(
    lambda char: char not in GSM7_BASIC and char not in GSM7_EXTENSION
)


@st.composite
def real_numbers(draw):
    """A valid number of some region, written the way people of that region write it."""
    region = draw(st.sampled_from(REGIONS))
    number = phonenumbers.example_number(region)
    assume(number is not None)
    style = draw(
        st.sampled_from(
            [
                phonenumbers.PhoneNumberFormat.E164,
                phonenumbers.PhoneNumberFormat.INTERNATIONAL,
                phonenumbers.PhoneNumberFormat.RFC3966,
            ]
        )
    )
    written = phonenumbers.format_number(number, style).removeprefix("tel:")
    return written, phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# The conversation id


@PROPERTY
@given(CONTACTS, CONTACTS)
def test_conversation_id_is_symmetric_and_deterministic(first, second):
    assert conversation_id_for(first, second) == conversation_id_for(second, first)
    assert conversation_id_for(first, second) == conversation_id_for(first, second)
    assert isinstance(conversation_id_for(first, second), uuid.UUID)


@PROPERTY
@given(CONTACTS, CONTACTS, CONTACTS, CONTACTS)
@example("ab", "c", "a", "bc")  # the separator keeps concatenations apart
@example("+14155550100", "+15005550006", "+1415555010", "0+15005550006")
def test_distinct_pairs_get_distinct_conversation_ids(a, b, c, d):
    assume(sorted([a, b]) != sorted([c, d]))
    assert conversation_id_for(a, b) != conversation_id_for(c, d)


# Phone normalisation


@PROPERTY
@given(st.one_of(PHONE_LIKE, st.text(max_size=40)))
@example("")
@example("+")
@example("+" + "9" * 40)
@example("(415) 555-2671")
def test_normalise_phone_gives_e164_or_a_validation_error_and_nothing_else(raw):
    try:
        normalised = normalise_phone(raw, field="to")
    except ValidationError as error:
        assert error.fields == {"to": [error.message]}
        assert "is not a valid phone number" in error.message
        return
    assert E164.match(normalised), normalised
    assert normalise_phone(normalised, field="to") == normalised


@PROPERTY
@given(real_numbers())
def test_every_region_s_numbers_normalise_to_one_e164_spelling(number):
    written, e164 = number
    assert normalise_phone(written, field="to") == e164
    assert normalise_phone(f"  {written}  ", field="to") == e164


@PROPERTY
@given(
    st.one_of(PHONE_LIKE, st.text(max_size=300), st.emails(), st.text(st.characters(codec=None)))
)
@example("\x00")
@example("Ada \udcff")  # undecodable bytes on a command line
@example(" \t ")
@example("a" * 255)
@example("Ada@Example.COM")
def test_parse_contact_is_idempotent_or_refuses_with_a_validation_error(raw):
    try:
        contact = parse_contact(raw, field="to")
    except ValidationError as error:
        assert set(error.fields) == {"to"}
        return
    assert parse_contact(contact.value, field="to") == contact
    conversation_id_for(contact.value, "+15005550006")  # usable as a conversation key
    assert contact.value == contact.value.strip() and contact.value
    if contact.kind is ContactKind.PHONE:
        assert E164.match(contact.value)
    elif contact.kind is ContactKind.EMAIL:
        assert contact.value == contact.value.lower()


# The SMS segment counter


def expected_segments(units: int, single: int, per_part: int) -> int:
    return 1 if units <= single else math.ceil(units / per_part)


@PROPERTY
@given(GSM7_TEXT)
@example("a" * 160)
@example("a" * 161)
@example("€" * 80)
@example("€" * 81)
@example("a" * 306)
@example("a" * 307)
def test_gsm7_bodies_fit_160_then_153_with_extended_characters_counting_two(body):
    count = count_segments(body)
    extended = sum(char in GSM7_EXTENSION for char in body)
    assert count.encoding == "GSM-7"
    assert count.units == len(body) + extended
    assert count.segments == expected_segments(count.units, 160, 153)


@PROPERTY
@given(GSM7_BASIC_TEXT, NOT_GSM7, GSM7_BASIC_TEXT)
@example("a" * 69, "\u2019", "")  # a smart quote
@example("a" * 70, "\u2019", "")
@example("a" * 66, "😀", "")
def test_one_character_outside_gsm7_makes_it_ucs2_at_70_then_67(before, odd, after):
    body = before + odd + after
    count = count_segments(body)
    assert count.encoding == "UCS-2"
    assert count.units == len(body.encode("utf-16-le")) // 2  # an emoji is two units
    assert count.segments == expected_segments(count.units, 70, 67)


@PROPERTY
@given(st.text(st.characters(codec=None), max_size=400), st.text(max_size=5))
@example("\ud800", "")  # a lone surrogate: a str Python can hold, no encoder likes
def test_the_counter_never_crashes_and_a_longer_body_never_costs_less(body, more):
    count = count_segments(body)
    assert count.encoding in ("GSM-7", "UCS-2")
    assert count.segments >= 1
    assert count.units >= 0
    # Appending can switch the whole body to UCS-2: that only ever costs more.
    assert count_segments(body + more).segments >= count.segments


@pytest.mark.parametrize(
    ("body", "encoding", "segments"),
    [
        ("", "GSM-7", 1),
        ("a" * 160, "GSM-7", 1),
        ("a" * 161, "GSM-7", 2),
        ("{" * 80, "GSM-7", 1),
        ("{" * 81, "GSM-7", 2),
        ("é" * 160, "GSM-7", 1),
        ("ç" * 70, "UCS-2", 1),  # only the capital Ç is GSM-7
        ("—" * 71, "UCS-2", 2),
    ],
)
def test_known_limits(body, encoding, segments):
    count = count_segments(body)
    assert (count.encoding, count.segments) == (encoding, segments)
