"""The first message from a stranger makes a contact; an email's display name names it."""

import pytest

from contacts import services
from contacts.models import Contact
from emails import services as email_services
from emails.events import InboundEmail

pytestmark = pytest.mark.django_db


def test_an_unknown_address_makes_a_contact_named_after_the_display_name():
    contact = services.contact_for_point(kind="email", value="ada@example.com", name=" Ada ")

    assert contact.name == "Ada"
    assert list(contact.points.values_list("kind", "value")) == [("email", "ada@example.com")]


def test_a_nameless_contact_takes_the_display_name(db):
    nameless = services.contact_for_point(kind="email", value="ada@example.com")

    found = services.contact_for_point(kind="email", value="ada@example.com", name="Ada L.")

    assert found.id == nameless.id
    nameless.refresh_from_db()
    assert nameless.name == "Ada L."


def test_a_name_someone_gave_is_never_overwritten(ada):
    found = services.contact_for_point(kind="email", value="ada@example.com", name="A. King")

    assert found.id == ada.id
    ada.refresh_from_db()
    assert ada.name == "Ada Lovelace"


def test_an_inbound_email_names_its_senders_new_contact():
    email, created = email_services.email_receive(
        event=InboundEmail(
            from_address="grace@example.com",
            from_name="Grace Hopper",
            to=("hatch@example.com",),
            envelope_to=("hatch@example.com",),
            subject="Hello",
            text="Hi there",
            message_id="hello-1@example.com",
        )
    )

    contact = Contact.objects.get(points__value="grace@example.com")
    assert created
    assert email.thread.contact_id == contact.id
    assert contact.name == "Grace Hopper"
    assert contact.greeting_name == "Grace"


@pytest.mark.parametrize(
    ("name", "first_name", "greeting"),
    [("Ada Lovelace", "", "Ada"), ("Ada Lovelace", "Countess", "Countess"), ("", "", "")],
)
def test_the_greeting_is_the_first_name_or_the_names_first_word(name, first_name, greeting):
    assert Contact(name=name, first_name=first_name).greeting_name == greeting
