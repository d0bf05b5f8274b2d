"""Merging two contacts: one person, all their numbers, notes, conversations and consent."""

import threading
import uuid

import pytest
from django.db import close_old_connections, connection

from consent.models import Suppression
from consent.services import address_suppress
from contacts import services
from contacts.models import Contact, ContactPoint
from core.errors import ApplicationError, Conflict
from emails import services as email_services
from messaging import services as messaging_services
from messaging.models import Conversation

pytestmark = pytest.mark.django_db


def merge(client, contact, other):
    return client.post(f"/api/contacts/{contact.id}/merge", {"other": str(other)}, format="json")


@pytest.fixture
def grace_noted(grace):
    return services.contact_update(
        contact_id=grace.id, notes="Ships by sea.", time_zone="America/New_York"
    )


def test_the_others_points_come_after_this_contacts_own(api_client, ada, grace):
    response = merge(api_client, ada, grace.id)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["phones"] == [
        {"value": "+14155552671", "primary": True},
        {"value": "+14155550101", "primary": False},
        {"value": "+14155550102", "primary": False},
    ]
    assert body["emails"] == [
        {"value": "ada@example.com", "primary": True},
        {"value": "grace@example.com", "primary": False},
    ]
    assert not Contact.objects.filter(id=grace.id).exists()
    assert set(ContactPoint.objects.values_list("contact_id", flat=True)) == {ada.id}
    assert api_client.get(f"/api/contacts/{grace.id}").status_code == 404


def test_notes_are_joined_and_blanks_filled_from_the_other(api_client, ada, grace_noted):
    body = merge(api_client, ada, grace_noted.id).json()

    assert body["notes"] == "Prefers email.\n\nShips by sea."
    assert body["name"] == "Ada Lovelace"  # kept: it was not blank
    assert body["time_zone"] == "America/New_York"  # filled: it was


def test_a_nameless_contact_takes_the_others_name(api_client, grace):
    stranger = services.contact_for_point(kind="phone", value="+14155550177")

    body = merge(api_client, stranger, grace.id).json()

    assert (body["name"], body["display_first_name"]) == ("Grace Hopper", "Grace")
    assert [phone["value"] for phone in body["phones"]] == ["+14155550177", "+14155550102"]


def test_conversations_and_email_threads_follow(api_client, ada, grace, user):
    sms = messaging_services.message_send(to="+14155550102", body="Hi Grace", user=user)
    email = email_services.email_send(
        to_email="grace@example.com", subject="Hello", body="Hi", user=user
    )
    email.refresh_from_db()
    Conversation.objects.filter(id=email.thread_id).update(contact=grace)
    ada_sms = messaging_services.message_send(to="+14155552671", body="Hi Ada", user=user)

    merge(api_client, ada, grace.id)

    assert Conversation.objects.get(id=sms.conversation_id).contact_id == ada.id
    assert Conversation.objects.get(id=email.thread_id).contact_id == ada.id
    assert Conversation.objects.get(id=ada_sms.conversation_id).contact_id == ada.id
    timeline = api_client.get(f"/api/contacts/{ada.id}/timeline").json()["timeline"]
    assert {item["id"] for item in timeline} == {str(sms.id), str(email.id), str(ada_sms.id)}
    listed = api_client.get("/api/conversations").json()["conversations"]
    assert {item["contact"]["name"] for item in listed} == {"Ada Lovelace"}


def test_consent_survives_the_merge(api_client, ada, grace):
    address_suppress(address="+14155550102", channel="sms", reason="stop")
    address_suppress(address="grace@example.com", channel="email", reason="spamreport")

    body = merge(api_client, ada, grace.id).json()

    assert body["consent"]["+14155550102"]["status"] == "suppressed"
    assert body["consent"]["grace@example.com"]["reason"] == "spamreport"
    assert Suppression.objects.count() == 2


def test_a_contact_cannot_be_merged_with_itself(api_client, ada):
    response = merge(api_client, ada, ada.id)

    assert response.status_code == 400
    assert response.json()["error"] == "A contact cannot be merged with itself."
    assert Contact.objects.filter(id=ada.id).exists()


def test_an_unknown_other_is_a_400_naming_it(api_client, ada):
    missing = uuid.uuid4()

    response = merge(api_client, ada, missing)

    assert response.status_code == 400
    assert str(missing) in response.json()["error"]
    assert response.json()["fields"].keys() == {"other"}


@pytest.mark.parametrize("other", ["not-a-uuid", "", None])
def test_an_other_that_is_no_id_is_a_400(api_client, ada, other):
    response = api_client.post(f"/api/contacts/{ada.id}/merge", {"other": other}, format="json")

    assert response.status_code == 400
    assert "other" in response.json()["fields"]


def test_an_unknown_contact_is_a_404(api_client, grace):
    response = api_client.post(
        f"/api/contacts/{uuid.uuid4()}/merge", {"other": str(grace.id)}, format="json"
    )

    assert response.status_code == 404
    assert Contact.objects.filter(id=grace.id).exists()


def test_a_merge_that_fails_midway_changes_nothing(ada, grace, user, monkeypatch):
    sms = messaging_services.message_send(to="+14155550102", body="Hi Grace", user=user)

    def refuse(source, target):
        raise Conflict("Refused for the test.")

    monkeypatch.setattr(services, "_relations_move", refuse)

    with pytest.raises(ApplicationError):
        services.contact_merge(contact_id=ada.id, other_id=grace.id)

    assert set(grace.points.values_list("value", flat=True)) == {
        "+14155550102",
        "grace@example.com",
    }
    assert Conversation.objects.get(id=sms.conversation_id).contact_id == grace.id
    assert Contact.objects.count() == 2


@pytest.mark.django_db(transaction=True)
def test_merges_of_one_pair_either_way_at_once_do_not_deadlock():
    for _round in range(5):
        first = services.contact_create(name="First", phones=["+14155550111"])
        second = services.contact_create(name="Second", phones=["+14155550112"])
        start = threading.Barrier(2)
        outcomes = []

        def merge_into(contact, other):
            try:
                start.wait()
                services.contact_merge(contact_id=contact.id, other_id=other.id)
                outcomes.append("merged")
            except ApplicationError as error:
                outcomes.append(type(error).__name__)
            except Exception as error:  # a deadlock, which the test exists to rule out
                outcomes.append(repr(error))
            finally:
                close_old_connections()
                connection.close()

        threads = [
            threading.Thread(target=merge_into, args=(first, second)),
            threading.Thread(target=merge_into, args=(second, first)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)

        # One wins; the other finds its contact or its other gone, and says so.
        assert sorted(outcomes) in (["NotFound", "merged"], ["ValidationError", "merged"])
        (survivor,) = Contact.objects.all()
        assert set(survivor.points.values_list("value", flat=True)) == {
            "+14155550111",
            "+14155550112",
        }
        survivor.delete()
