"""Contacts: what a "to" or "from" string means, in one canonical spelling.

A contact is a phone number (stored in E.164), an email address (lower-cased) or a name
(surrounding white space stripped). The canonical spelling is what conversations are keyed
on, so "+1 (415) 555-2671" and "4155552671" land in the same conversation.
"""

import hashlib
import re
import unicodedata
import uuid
from dataclasses import dataclass
from enum import StrEnum

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email

from core.errors import ValidationError

CONTACT_MAX_LENGTH = 254  # the longest email address SMTP allows

# Only digits and the punctuation people put in phone numbers: such a string is meant as a
# phone number, so an invalid one is an error rather than a name.
_PHONE_LIKE = re.compile(r"^\+?[\d\s().\-/]+$")

# Joins the two contacts before hashing. It cannot occur in a contact (control characters
# are refused), so ("ab", "c") and ("a", "bc") can never hash alike.
_UNIT_SEPARATOR = "\x1f"


class ContactKind(StrEnum):
    PHONE = "phone"
    EMAIL = "email"
    NAME = "name"


@dataclass(frozen=True)
class Party:
    """One side of a message as written in "to" or "from", normalised: a phone number, an
    email address or a name. (A person, with all their numbers and addresses, is a
    contacts.models.Contact.)"""

    value: str
    kind: ContactKind

    @property
    def is_phone(self) -> bool:
        return self.kind is ContactKind.PHONE


def parse_contact(raw: str, *, field: str) -> Party:
    """Classify and normalise a contact; raise ValidationError naming ``field`` if unusable."""
    text = raw.strip()
    if not text:
        raise ValidationError(f"'{field}' may not be blank.", field=field)
    if any(unicodedata.category(char) == "Cc" for char in text):
        raise ValidationError(f"'{field}' may not contain control characters.", field=field)
    # A lone surrogate (from a command line's undecodable bytes) is no text at all: it
    # cannot be stored as UTF-8 nor hashed into a conversation id.
    if any(unicodedata.category(char) == "Cs" for char in text):
        raise ValidationError(f"'{field}' is not valid text (a lone surrogate).", field=field)
    if len(text) > CONTACT_MAX_LENGTH:
        raise ValidationError(
            f"'{field}' is too long: at most {CONTACT_MAX_LENGTH} characters.", field=field
        )
    if _PHONE_LIKE.match(text) and any(char.isdigit() for char in text):
        return Party(normalise_phone(text, field=field), ContactKind.PHONE)
    if "@" in text:
        try:
            validate_email(text)
        except DjangoValidationError:
            raise ValidationError(
                f"'{field}' is not a valid email address: {text!r}.", field=field
            ) from None
        return Party(text.lower(), ContactKind.EMAIL)
    return Party(text, ContactKind.NAME)


def normalise_phone(raw: str, *, field: str) -> str:
    """Return ``raw`` in E.164, reading numbers without "+" in HATCH_DEFAULT_REGION."""
    try:
        number = phonenumbers.parse(raw, settings.HATCH_DEFAULT_REGION)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            f"'{field}' is not a valid phone number: {raw.strip()!r}. "
            "Use international format, e.g. +14155552671.",
            field=field,
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def phone_country(e164: str) -> str:
    """The ISO 3166 code of the country a normalised number belongs to ("US", "GB"), or
    "" when no single country owns it (a global service number)."""
    region = phonenumbers.region_code_for_number(phonenumbers.parse(e164))
    return "" if region in (None, "001", "ZZ") else region


def country_name(region: str) -> str:
    """A country's English name from its ISO 3166 code ("GB": "United Kingdom")."""
    # Loaded when first needed (a few MB); phonenumbers' own geocoder costs 100 MB.
    import pycountry

    country = pycountry.countries.get(alpha_2=region)
    return getattr(country, "common_name", None) or getattr(country, "name", region)


def sms_country_refusal(e164: str) -> str | None:
    """Why an SMS may not go to this normalised number (its country is not one of
    SMS_ALLOWED_COUNTRIES), in words a person acts on; None if it may."""
    allowed = settings.SMS_ALLOWED_COUNTRIES
    country = phone_country(e164)
    if "*" in allowed or country in allowed:
        return None
    where = f"{country_name(country)} ({country})" if country else "no single country"
    places = ", ".join(f"{country_name(code)} ({code})" for code in allowed)
    return (
        f"{e164} is a number in {where}, and Hatch sends SMS only to numbers in {places}. "
        "An administrator can allow more countries (SMS_ALLOWED_COUNTRIES)."
    )


def conversation_id_for(first: str, second: str) -> uuid.UUID:
    """The deterministic id of the conversation between two *normalised* contacts.

    SHA-256 over the two contacts, sorted and joined by the unit separator (U+001F), read as
    a UUID from its first 32 hex digits. The order of the arguments does not matter.
    """
    joined = _UNIT_SEPARATOR.join(sorted([first, second]))
    digest = hashlib.sha256(joined.encode("utf-8")).hexdigest()
    return uuid.UUID(digest[:32])
