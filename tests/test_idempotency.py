"""Idempotency-Key on POST /api/send_message and /api/send_email (idempotency.keys)."""

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from emails.models import Email
from idempotency.models import IdempotencyKey
from messaging.models import Message
from messaging.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SMS = {"to": "+14155552671", "body": "Your table is ready"}
EMAIL = {"to_email": "ada@example.com", "subject": "Your order", "body": "It ships today."}


def send_sms(client, key, body=SMS):
    return client.post("/api/send_message", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def send_email(client, key, body=EMAIL):
    return client.post("/api/send_email", body, format="json", HTTP_IDEMPOTENCY_KEY=key)


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


class TestRepeats:
    def test_a_repeated_sms_answers_the_first_answer_and_stores_nothing_more(
        self, api_client, django_capture_on_commit_callbacks, enqueued_tasks
    ):
        with django_capture_on_commit_callbacks(execute=True) as first_callbacks:
            first = send_sms(api_client, "tmp-3f1c2a")
        with django_capture_on_commit_callbacks(execute=True) as repeat_callbacks:
            repeat = send_sms(api_client, "tmp-3f1c2a")

        assert first.status_code == repeat.status_code == 200
        assert repeat.content == first.content  # byte for byte, key order included
        assert repeat["Idempotent-Replayed"] == "true"
        assert "Idempotent-Replayed" not in first
        assert Message.objects.count() == 1
        # The enqueue and the inbox event ran once, after the key and the message committed.
        assert len(first_callbacks) == 2
        assert repeat_callbacks == []
        assert enqueued_tasks() == [("messaging.tasks.send_message", [first.json()["message_id"]])]

    def test_a_repeated_email_answers_the_first_answer_and_stores_nothing_more(self, api_client):
        first = send_email(api_client, "0b9c6a4e-6a43-4a8e-9f1e-5f0d3c2b1a00")
        repeat = send_email(api_client, "0b9c6a4e-6a43-4a8e-9f1e-5f0d3c2b1a00")

        assert first.status_code == repeat.status_code == 200
        assert repeat.content == first.content
        assert Email.objects.count() == 1

    def test_the_same_body_in_another_key_order_is_the_same_request(self, api_client):
        first = api_client.post(
            "/api/send_message",
            '{"to": "+14155552671", "body": "hi"}',
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="k1",
        )
        repeat = api_client.post(
            "/api/send_message",
            '{"body": "hi", "to": "+14155552671"}',
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY="k1",
        )

        assert repeat.json() == first.json()
        assert Message.objects.count() == 1

    def test_without_a_key_every_request_is_a_new_send(self, api_client):
        api_client.post("/api/send_message", SMS, format="json")
        api_client.post("/api/send_message", SMS, format="json")

        assert Message.objects.count() == 2
        assert not IdempotencyKey.objects.exists()


class TestReuse:
    def test_the_same_key_with_another_body_is_a_422_that_says_what_to_do(self, api_client):
        send_sms(api_client, "key-1")

        response = send_sms(api_client, "key-1", {**SMS, "body": "Something else"})

        assert response.status_code == 422
        error = response.json()
        assert "Idempotency-Key was already used for a different request" in error["error"]
        assert "new key" in error["error"]
        assert list(error["fields"]) == ["Idempotency-Key"]
        assert Message.objects.count() == 1

    def test_the_same_key_on_the_other_endpoint_is_a_422(self, api_client):
        send_sms(api_client, "key-1")

        response = send_email(api_client, "key-1")

        assert response.status_code == 422
        assert not Email.objects.exists()

    def test_keys_belong_to_their_user(self, api_client):
        other = token_client(UserFactory(username="robin"))

        send_sms(api_client, "shared-key")
        response = send_sms(other, "shared-key", {**SMS, "body": "Robin's own message"})

        assert response.status_code == 200
        assert "Idempotent-Replayed" not in response
        assert sorted(Message.objects.values_list("body", flat=True)) == [
            "Robin's own message",
            "Your table is ready",
        ]
        assert IdempotencyKey.objects.count() == 2


class TestFailures:
    def test_a_refused_send_stores_no_key_so_the_corrected_request_may_reuse_it(self, api_client):
        refused = send_sms(api_client, "key-1", {**SMS, "to": "12"})
        corrected = send_sms(api_client, "key-1")

        assert refused.status_code == 400
        assert corrected.status_code == 200
        assert Message.objects.count() == 1

    def test_a_failure_after_the_message_was_written_leaves_neither_row(
        self, api_client, monkeypatch, enqueued_tasks
    ):
        def broken_insert(*args, **kwargs):
            raise DatabaseError("the key could not be stored")

        monkeypatch.setattr(IdempotencyKey.objects, "create", broken_insert)
        api_client.raise_request_exception = False

        response = send_sms(api_client, "key-1")

        assert response.status_code == 500
        assert not Message.objects.exists()
        assert not IdempotencyKey.objects.exists()
        assert enqueued_tasks() == []

    @pytest.mark.parametrize(
        ("key", "why"),
        [
            ("", "empty"),
            ("k" * 256, "too long"),
            ("two words", "a space"),
            ("clé", "not ASCII"),
        ],
    )
    def test_a_malformed_key_is_a_400_naming_the_header(self, api_client, key, why):
        response = send_sms(api_client, key)

        assert response.status_code == 400, why
        assert response.json()["fields"] == {
            "Idempotency-Key": [
                "Idempotency-Key must be 1 to 255 printable ASCII characters without spaces, "
                "such as a UUID."
            ]
        }
        assert not Message.objects.exists()

    def test_the_longest_key_is_accepted(self, api_client):
        assert send_sms(api_client, "k" * 255).status_code == 200


class TestExpiry:
    def test_an_expired_key_is_a_new_send(self, api_client, settings):
        first = send_sms(api_client, "key-1")
        IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))

        again = send_sms(api_client, "key-1")

        assert again.status_code == 200
        assert again.json()["message_id"] != first.json()["message_id"]
        assert Message.objects.count() == 2
        assert IdempotencyKey.objects.get().created_at > timezone.now() - timedelta(minutes=1)

    def test_the_prune_command_deletes_only_expired_keys(self, api_client):
        send_sms(api_client, "old")
        send_sms(api_client, "new", {**SMS, "body": "newer"})
        IdempotencyKey.objects.filter(key="old").update(
            created_at=timezone.now() - timedelta(hours=24, seconds=1)
        )

        call_command("prune_idempotency_keys")

        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["new"]


@pytest.mark.django_db(transaction=True)
def test_two_requests_at_once_with_one_key_store_exactly_one_message(monkeypatch):
    """Both requests look the key up before either stores it: the database decides."""
    import idempotency.keys

    user = UserFactory()
    lookup = idempotency.keys._stored_answer
    both_looked = threading.Barrier(2, timeout=10)
    first_lookup = threading.local()

    def lookup_then_wait(user, key):
        answer = lookup(user, key)
        if not getattr(first_lookup, "done", False):
            first_lookup.done = True
            both_looked.wait()  # neither request has stored anything yet
        return answer

    monkeypatch.setattr(idempotency.keys, "_stored_answer", lookup_then_wait)

    def send(_):
        try:
            return send_sms(token_client_for_thread(user), "same-moment")
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(send, range(2), timeout=30))
    # The threads' connections went back to this process's pool, which would keep them open
    # for later tests (test_asgi_server counts connections): close them.
    connection.close()
    connection.close_pool()

    assert [response.status_code for response in responses] == [200, 200]
    assert responses[0].json() == responses[1].json()
    assert sum(response.has_header("Idempotent-Replayed") for response in responses) == 1
    assert Message.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1


def token_client_for_thread(user) -> APIClient:
    token, _ = Token.objects.get_or_create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client
