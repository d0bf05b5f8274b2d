"""Email threads: Message-IDs, replies both ways, forwards, and what reaches SendGrid's wire.

Received emails come in through the Inbound Parse webhook as SendGrid posts them
(emails.tests.inbound_posts); what Hatch sends goes out through the real sendgrid SDK to the
local SendGrid imitation (testing.fake_providers), where the headers are read back.
"""

import re
import threading
import uuid
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from attachments.tests import samples
from conversations.models import Conversation
from emails import services
from emails.delivery import email_outbox
from emails.events import InboundEmail
from emails.models import Email, EmailDirection
from emails.providers.base import OutgoingEmail, ProviderError
from emails.providers.sendgrid import SendGridEmailProvider
from emails.tests.inbound_posts import CUSTOMER, HATCH_ADDRESS, mime, post_inbound, raw_fields
from emails.threading import (
    REFERENCES_MAX,
    forward_subject,
    reply_references,
    reply_subject,
    stored_message_id,
    thread_subject,
)
from testing.fake_providers import Reply

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("inbound_credentials")]

MESSAGE_ID = re.compile(r"^[0-9a-f-]{36}@(?P<domain>[a-z.]+)$")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def send(api_client, **fields):
    response = api_client.post("/api/send_email", fields, format="json")
    assert response.status_code == 200, response.content
    return Email.objects.get(id=response.json()["email_id"])


def first_email(api_client) -> Email:
    return send(api_client, to_email=CUSTOMER, subject="Your order", body="It ships today.")


def receive(client, message) -> Email:
    response = post_inbound(client, raw_fields(message))
    assert response.status_code == 200, response.content
    return Email.objects.get(id=response.json()["email_id"])


def deliver(email: Email):
    """Send ``email`` through the outbox; the request SendGrid received for it."""
    assert email_outbox.deliver(str(email.id)) == "sent"
    email.refresh_from_db()
    return email


def wire(fake_providers, email: Email):
    """What SendGrid received for ``email`` (by the Hatch id every send carries)."""
    [request] = [
        r
        for r in fake_providers.sendgrid_mails()
        if r.json["custom_args"]["hatch_email_id"] == str(email.id)
    ]
    return request


class TestMessageIds:
    def test_every_email_sent_gets_a_message_id_on_its_senders_domain(self, api_client):
        default = first_email(api_client)
        sales = send(
            api_client,
            to_email=CUSTOMER,
            subject="Quote",
            body="Attached.",
            from_email="dana@sales.hatch.test",
        )

        assert MESSAGE_ID.match(default.message_id)["domain"] == "hatch.test"
        assert MESSAGE_ID.match(sales.message_id)["domain"] == "sales.hatch.test"
        assert default.message_id != sales.message_id
        assert (default.in_reply_to, default.references) == ("", "")

    @pytest.mark.django_db(transaction=True)
    def test_the_message_id_travels_on_the_wire_and_a_retry_sends_the_same(
        self, api_client, fake_providers
    ):
        fake_providers.script("sendgrid", Reply.sendgrid_error(503, "try later"))
        email = first_email(api_client)

        assert email_outbox.deliver(str(email.id)) == "queued"
        Email.objects.filter(id=email.id).update(next_attempt_at=timezone.now())
        assert email_outbox.deliver(str(email.id)) == "sent"

        [failed, accepted] = [r for r in fake_providers.requests if r.provider == "sendgrid"]
        assert failed.mail_headers() == {"Message-ID": f"<{email.message_id}>"}
        assert accepted.mail_headers() == failed.mail_headers()

    def test_a_new_email_starts_a_thread_with_its_recipient_as_contact(self, api_client):
        email = first_email(api_client)

        thread = Conversation.objects.select_related("contact").get(id=email.thread_id)
        assert thread.channel == "email"
        assert (thread.subject, thread.reply_to, thread.own_contact) == (
            "Your order",
            CUSTOMER,
            HATCH_ADDRESS,
        )
        assert (thread.message_count, thread.inbound_count) == (1, 0)
        assert thread.contact.points.get().value == CUSTOMER
        assert thread.last_message_preview == "It ships today."


class TestRepliesFromCustomers:
    def test_a_reply_joins_by_in_reply_to(self, api_client, client):
        ours = first_email(api_client)

        reply = receive(
            client,
            mime(
                subject="Something else entirely",
                Message_ID="<r1@mail.example.com>",
                In_Reply_To=f"<{ours.message_id}>",
            ),
        )

        assert reply.thread_id == ours.thread_id
        assert reply.in_reply_to == ours.message_id
        thread = Conversation.objects.get(id=ours.thread_id)
        assert (thread.message_count, thread.inbound_count) == (2, 1)
        assert thread.last_message_preview == "Where is my order?"

    def test_a_reply_joins_by_references_alone_even_after_the_window(self, api_client, client):
        ours = first_email(api_client)
        Conversation.objects.filter(id=ours.thread_id).update(
            last_message_at=timezone.now() - timedelta(days=400)
        )

        reply = receive(
            client,
            mime(
                subject="New subject",
                Message_ID="<r2@mail.example.com>",
                References=f"<root@elsewhere.example> <{ours.message_id}> <gone@x.example>",
            ),
        )

        assert reply.thread_id == ours.thread_id

    def test_in_reply_to_wins_over_references(self, api_client, client):
        first = first_email(api_client)
        second = send(api_client, to_email=CUSTOMER, subject="Invoice", body="Attached.")

        reply = receive(
            client,
            mime(
                Message_ID="<r3@mail.example.com>",
                In_Reply_To=f"<{second.message_id}>",
                References=f"<{first.message_id}>",
            ),
        )

        assert reply.thread_id == second.thread_id != first.thread_id

    def test_a_reply_without_headers_joins_by_people_and_subject_within_the_window(
        self, api_client, client, settings
    ):
        settings.EMAIL_THREAD_WINDOW_DAYS = 30
        ours = first_email(api_client)
        Conversation.objects.filter(id=ours.thread_id).update(
            last_message_at=timezone.now() - timedelta(days=29)
        )

        reply = receive(client, mime(subject="RE:  AW: your   ORDER", Message_ID="<r4@x.example>"))

        assert reply.thread_id == ours.thread_id

    def test_after_the_window_the_same_subject_starts_a_new_thread(
        self, api_client, client, settings
    ):
        settings.EMAIL_THREAD_WINDOW_DAYS = 30
        ours = first_email(api_client)
        Conversation.objects.filter(id=ours.thread_id).update(
            last_message_at=timezone.now() - timedelta(days=31)
        )

        reply = receive(client, mime(subject="Re: Your order", Message_ID="<r5@x.example>"))

        assert reply.thread_id != ours.thread_id
        assert Conversation.objects.get(id=reply.thread_id).subject == "Your order"

    @pytest.mark.parametrize(
        "message",
        [
            # Someone else, same subject.
            lambda: mime(sender="bob@example.com", subject="Re: Your order"),
            # The same person writing to another address Hatch has.
            lambda: mime(to="sales@hatch.test", subject="Re: Your order"),
            # The same person and subject, without saying which email it answers: the
            # subject matches, the recipients do not (nobody Hatch knows).
            lambda: mime(to="someone@example.org", subject="Re: Your order"),
        ],
        ids=["other-sender", "other-hatch-address", "other-recipient"],
    )
    def test_other_people_with_the_same_subject_get_a_thread_of_their_own(
        self, api_client, client, message
    ):
        ours = first_email(api_client)
        built = message()
        built["Message-ID"] = f"<{uuid.uuid4()}@x.example>"

        response = post_inbound(client, raw_fields(built, envelope=f'{{"to": ["{built["To"]}"]}}'))

        email = Email.objects.get(id=response.json()["email_id"])
        assert email.thread_id != ours.thread_id

    def test_emails_without_a_subject_never_thread_by_subject(self, client):
        one = receive(client, mime(subject="", Message_ID="<s1@x.example>"))
        two = receive(client, mime(subject="", Message_ID="<s2@x.example>"))

        assert one.thread_id != two.thread_id


@pytest.mark.django_db(transaction=True)
class TestRepliesFromHatch:
    def test_one_conversation_both_ways_is_one_thread_and_the_headers_are_on_the_wire(
        self, api_client, client, fake_providers
    ):
        ours = deliver(first_email(api_client))
        assert wire(fake_providers, ours).mail_headers() == {"Message-ID": f"<{ours.message_id}>"}

        theirs = receive(
            client,
            mime(
                subject="Re: Your order",
                Message_ID="<r1@mail.example.com>",
                In_Reply_To=f"<{ours.message_id}>",
                References=f"<{ours.message_id}>",
            ),
        )
        answer = deliver(send(api_client, in_reply_to=str(theirs.id), body="Tomorrow morning."))

        assert answer.to_email == CUSTOMER  # the parent's sender, by default
        assert answer.from_email == HATCH_ADDRESS  # the address the customer wrote to
        assert answer.subject == "Re: Your order"  # never "Re: Re:"
        assert answer.thread_id == ours.thread_id
        assert answer.in_reply_to == "r1@mail.example.com"
        assert answer.references == f"{ours.message_id} r1@mail.example.com"
        request = wire(fake_providers, answer)
        assert request.json["subject"] == "Re: Your order"
        assert request.json["personalizations"][0]["to"] == [{"email": CUSTOMER}]
        assert request.mail_headers() == {
            "Message-ID": f"<{answer.message_id}>",
            "In-Reply-To": "<r1@mail.example.com>",
            "References": f"<{ours.message_id}> <r1@mail.example.com>",
        }

        # ... and the customer's answer to Hatch's answer lands in the same thread.
        last = receive(
            client,
            mime(
                subject="Re: Your order",
                Message_ID="<r2@mail.example.com>",
                In_Reply_To=f"<{answer.message_id}>",
                References=f"<{ours.message_id}> <r1@mail.example.com> <{answer.message_id}>",
            ),
        )
        assert last.thread_id == ours.thread_id
        thread = Conversation.objects.get(id=ours.thread_id)
        assert (thread.message_count, thread.inbound_count) == (4, 2)
        assert list(thread.emails.order_by("created_at").values_list("direction", flat=True)) == [
            EmailDirection.OUTBOUND,
            EmailDirection.INBOUND,
            EmailDirection.OUTBOUND,
            EmailDirection.INBOUND,
        ]

    def test_a_forward_quotes_the_original_below_the_note(self, api_client, client, fake_providers):
        original = receive(
            client,
            mime(
                subject="Order 1234",
                text="Where is my order?\n",
                html='<p>Where is my order?</p><script>steal()</script><img src="https://t.example/p.gif">',
                Message_ID="<o1@mail.example.com>",
            ),
        )

        forward = deliver(
            send(
                api_client,
                forward_of=str(original.id),
                to_email="colleague@example.com",
                body="Can you look?",
            )
        )

        assert forward.subject == "Fwd: Order 1234"
        assert forward.thread_id == original.thread_id
        assert forward.in_reply_to == ""
        assert forward.references == "o1@mail.example.com"
        assert forward.body.startswith("Can you look?\n\n---------- Forwarded message ---------\n")
        assert "From: Ana Lima <ana@example.com>\n" in forward.body
        assert "Subject: Order 1234\nTo: team@hatch.test\n\nWhere is my order?" in forward.body
        assert re.search(r"\nDate: Mon, 02 Mar 2026 \d\d:30:00 [+-]\d{4}\n", forward.body)
        assert "Can you look?" in forward.html_content
        assert "<p>Where is my order?</p>" in forward.html_content
        # What was received is forwarded sanitised: no script; its images stay its own.
        assert "script" not in forward.html_content
        assert '<img src="https://t.example/p.gif">' in forward.html_content
        request = wire(fake_providers, forward)
        assert request.json["subject"] == "Fwd: Order 1234"
        assert request.json["personalizations"][0]["to"] == [{"email": "colleague@example.com"}]
        assert request.json["content"][0]["value"] == forward.body
        assert request.mail_headers() == {
            "Message-ID": f"<{forward.message_id}>",
            "References": "<o1@mail.example.com>",
        }

    def test_a_forward_carries_the_originals_files_on_the_wire(
        self, api_client, client, fake_providers
    ):
        message = mime(subject="Invoice", Message_ID="<f1@mail.example.com>")
        message.add_attachment(samples.PDF, "application", "pdf", filename="Rechnung.pdf")
        original = receive(client, message)

        forward = deliver(
            send(api_client, forward_of=str(original.id), to_email="accounts@example.com")
        )

        assert list(forward.attachments.all()) == list(original.attachments.all())
        [sent] = wire(fake_providers, forward).mail_attachments()
        assert (sent["filename"], sent["type"], sent["content"]) == (
            "Rechnung.pdf",
            "application/pdf",
            samples.PDF,
        )


class TestReplyRules:
    def test_a_subject_given_with_a_reply_gets_re_once(self, api_client, client):
        theirs = receive(client, mime(subject="AW: Lieferung", Message_ID="<a1@x.example>"))

        kept = send(api_client, in_reply_to=str(theirs.id), body="Ja.")
        given = send(api_client, in_reply_to=str(theirs.id), subject="Delivery", body="Yes.")

        assert kept.subject == "AW: Lieferung"
        assert given.subject == "Re: Delivery"

    def test_a_follow_up_to_hatchs_own_email_goes_to_its_recipient(self, api_client):
        ours = first_email(api_client)

        follow_up = send(api_client, in_reply_to=str(ours.id), body="Any news?")

        assert follow_up.to_email == CUSTOMER
        assert follow_up.subject == "Re: Your order"
        assert follow_up.references == ours.message_id
        assert follow_up.thread_id == ours.thread_id

    def test_the_recipient_may_be_given_and_the_sender_defaults_to_the_configured_one(
        self, api_client, client
    ):
        to_parse_domain = mime(to="team@parse.hatch.test", Message_ID="<p1@x.example>")
        response = post_inbound(
            client, raw_fields(to_parse_domain, envelope='{"to": ["team@parse.hatch.test"]}')
        )
        theirs = Email.objects.get(id=response.json()["email_id"])

        reply = send(
            api_client, in_reply_to=str(theirs.id), to_email="ana.work@example.com", body="Hi"
        )

        assert reply.to_email == "ana.work@example.com"
        # The parse domain is not a sender Hatch may use: SENDGRID_FROM_EMAIL instead.
        assert reply.from_email == "team@hatch.test"

    def test_a_forward_needs_a_recipient(self, api_client):
        ours = first_email(api_client)

        response = api_client.post("/api/send_email", {"forward_of": str(ours.id)}, format="json")

        assert response.status_code == 400
        assert set(response.json()["fields"]) == {"to_email"}

    def test_a_forward_with_more_files_than_an_email_carries_is_refused(self, api_client, client):
        message = mime(Message_ID="<many@mail.example.com>")
        for number in range(11):
            message.add_attachment(samples.PDF, "application", "pdf", filename=f"{number}.pdf")
        original = receive(client, message)
        assert original.attachment_count == 11  # received whole

        response = api_client.post(
            "/api/send_email",
            {"forward_of": str(original.id), "to_email": "accounts@example.com"},
            format="json",
        )

        assert response.status_code == 400
        assert "at most 10" in response.json()["fields"]["forward_of"][0]
        assert Email.objects.count() == 1

    @pytest.mark.parametrize(
        ("fields", "field", "words"),
        [
            ({"in_reply_to": "00000000-0000-4000-8000-000000000000"}, "in_reply_to", "no email"),
            ({"forward_of": "00000000-0000-4000-8000-000000000000"}, "forward_of", "no email"),
            ({"in_reply_to": "not-a-uuid"}, "in_reply_to", "valid UUID"),
            ("both", "forward_of", "not both"),
        ],
    )
    def test_an_unknown_parent_or_both_is_a_400_naming_the_problem(
        self, api_client, fields, field, words
    ):
        ours = first_email(api_client)
        if fields == "both":
            fields = {"in_reply_to": str(ours.id), "forward_of": str(ours.id)}

        response = api_client.post(
            "/api/send_email", {"body": "x", "to_email": CUSTOMER, **fields}, format="json"
        )

        assert response.status_code == 400
        assert words in response.json()["error"] + str(response.json()["fields"])
        assert field in response.json()["fields"]
        assert Email.objects.count() == 1


class TestHeaderInjection:
    """A CR or LF in anything that becomes a header is refused, never sent."""

    @pytest.mark.parametrize(
        ("overrides", "field"),
        [
            ({"to_email": "ada@example.com\r\nBcc: victim@example.com"}, "to_email"),
            ({"to_email": "ada@example.com\n"}, "to_email"),
            ({"to_email": "\r\nada@example.com"}, "to_email"),
            ({"subject": "Hello\r\nBcc: victim@example.com"}, "subject"),
            ({"subject": "Hello\n"}, "subject"),
            ({"cc": ["bob@example.com\r\nBcc: victim@example.com"]}, "cc"),
            ({"cc": ["bob@example.com\n"]}, "cc"),
            ({"cc": "bob@example.com,\r\nvictim@example.com"}, "cc"),
            ({"bcc": ["audit@example.com\r"]}, "bcc"),
            ({"reply_to": "help@hatch.test\r\nX-Evil: 1"}, "reply_to"),
            ({"reply_to": "help@hatch.test\n"}, "reply_to"),
            ({"from_email": "team@hatch.test\r\n"}, "from_email"),
        ],
    )
    def test_a_line_break_in_a_field_is_a_400_naming_it(
        self, api_client, enqueued_tasks, overrides, field
    ):
        fields = {"to_email": CUSTOMER, "subject": "Hi", "body": "Hello", **overrides}

        response = api_client.post("/api/send_email", fields, format="json")

        assert response.status_code == 400, response.content
        assert field in response.json()["fields"]
        assert Email.objects.count() == 0
        assert enqueued_tasks() == []

    def test_a_line_break_in_a_reply_subject_is_refused_too(self, api_client):
        ours = first_email(api_client)

        response = api_client.post(
            "/api/send_email",
            {"in_reply_to": str(ours.id), "subject": "Thanks\r\nBcc: x@example.com", "body": "."},
            format="json",
        )

        assert response.status_code == 400
        assert "subject" in response.json()["fields"]
        assert Email.objects.count() == 1

    @pytest.mark.django_db(transaction=True)
    @pytest.mark.parametrize(
        "email",
        [
            OutgoingEmail("1", CUSTOMER, HATCH_ADDRESS, "Hi\r\nBcc: victim@example.com", "x"),
            OutgoingEmail("2", CUSTOMER, HATCH_ADDRESS, "Hi", "x", message_id="a@b\r\nBcc: v@e"),
            OutgoingEmail("3", CUSTOMER, HATCH_ADDRESS, "Hi", "x", cc=("v@example.com\n",)),
        ],
        ids=["subject", "message-id", "cc"],
    )
    def test_the_sendgrid_client_never_puts_a_line_break_on_the_wire(self, fake_providers, email):
        provider = SendGridEmailProvider.from_settings()

        with pytest.raises(ProviderError) as refused:
            provider.send(email)

        assert refused.value.permanent
        assert fake_providers.requests == []


class TestRules:
    @pytest.mark.parametrize(
        ("subject", "threaded"),
        [
            ("Re: Order 1234", "Order 1234"),
            ("RE:  Fwd: order   1234", "order 1234"),
            ("AW: WG: Fw: Re[2]: Lieferung", "Lieferung"),
            ("Order 1234", "Order 1234"),
            ("Reorder: socks", "Reorder: socks"),
            ("", ""),
        ],
    )
    def test_the_thread_subject_drops_reply_and_forward_prefixes(self, subject, threaded):
        assert thread_subject(subject) == threaded

    @pytest.mark.parametrize(
        ("subject", "reply"),
        [
            ("Order 1234", "Re: Order 1234"),
            ("Re: Order 1234", "Re: Order 1234"),
            ("RE: Order 1234", "RE: Order 1234"),
            ("AW: Bestellung", "AW: Bestellung"),
            ("Fwd: Order 1234", "Re: Fwd: Order 1234"),
            ("Reorder: socks", "Re: Reorder: socks"),
        ],
    )
    def test_a_reply_subject_has_re_once(self, subject, reply):
        assert reply_subject(subject) == reply

    @pytest.mark.parametrize(
        ("subject", "forward"),
        [
            ("Order 1234", "Fwd: Order 1234"),
            ("Fwd: Order 1234", "Fwd: Order 1234"),
            ("FW: Order 1234", "FW: Order 1234"),
            ("Re: Order 1234", "Fwd: Re: Order 1234"),
        ],
    )
    def test_a_forward_subject_has_fwd_once(self, subject, forward):
        assert forward_subject(subject) == forward

    def test_long_references_keep_the_root_and_the_newest(self):
        ids = [f"m{index}@x.example" for index in range(50)]
        parent = Email(references=" ".join(ids[:-1]), message_id=ids[-1])

        references = reply_references(parent)

        assert len(references) == REFERENCES_MAX
        assert references[0] == ids[0]
        assert references[-1] == ids[-1]
        assert references[1:] == ids[-(REFERENCES_MAX - 1) :]

    def test_unusual_message_ids_are_stored_as_digests_no_usual_id_can_equal(self):
        assert stored_message_id("abc@example.com") == "abc@example.com"
        digest = stored_message_id("no-at-sign")
        assert digest.startswith("sha256:") and "@" not in digest
        assert stored_message_id("x" * 300 + "@example.com").startswith("sha256:")
        # A sender cannot make its Message-ID collide with a digest.
        assert stored_message_id(digest) != digest


@pytest.mark.django_db(transaction=True)
def test_two_posts_of_one_email_at_the_same_moment_store_it_once():
    """The second post misses the first's uncommitted row, inserts, waits on the unique
    Message-ID, and is refused once the first commits: it answers with the stored one."""
    event = InboundEmail(
        from_address=CUSTOMER,
        from_name="Ana Lima",
        to=(HATCH_ADDRESS,),
        envelope_to=(HATCH_ADDRESS,),
        subject="Order 1234",
        text="Where is my order?",
        message_id="race-1@mail.example.com",
    )
    first_stored, release = threading.Event(), threading.Event()
    results = {}

    def first():
        with transaction.atomic():
            results["first"] = services.email_receive(event=event)
            first_stored.set()
            release.wait(10)
        connection.close()

    def second():
        first_stored.wait(10)
        results["second"] = services.email_receive(event=event)
        connection.close()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    first_stored.wait(10)
    threading.Event().wait(0.5)  # the second is now waiting on the first's rows
    release.set()
    for thread in threads:
        thread.join(20)

    (stored, created), (again, created_again) = results["first"], results["second"]
    assert (created, created_again) == (True, False)
    assert again.id == stored.id
    assert Email.objects.count() == 1
    assert Conversation.objects.get().message_count == 1
