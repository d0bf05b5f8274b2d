import re
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from emails.models import Email, EmailStatus

pytestmark = pytest.mark.django_db


def send_email(*args: str) -> str:
    out = StringIO()
    call_command("send_email", *args, stdout=out)
    return out.getvalue()


def test_send_email_stores_a_queued_email_with_every_part():
    output = send_email(
        "--to", "Ada@Example.COM",
        "--subject", "Your receipt",
        "--body", "Thanks for your order.",
        "--from", "orders@sales.hatch.test",
        "--cc", "one@example.com",
        "--cc", "two@example.com",
        "--bcc", "audit@example.com",
        "--reply-to", "help@example.com",
        "--html", "<p>Thanks for your order.</p>",
    )  # fmt: skip

    email = Email.objects.get()
    assert email.status == EmailStatus.QUEUED
    assert email.to_email == "Ada@example.com"
    assert email.from_email == "orders@sales.hatch.test"
    assert email.subject == "Your receipt"
    assert email.cc == ["one@example.com", "two@example.com"]
    assert email.bcc == ["audit@example.com"]
    assert email.reply_to == "help@example.com"
    assert email.html_content == "<p>Thanks for your order.</p>"
    assert email.sent_by is None
    assert str(email.id) in output
    assert "queued" in output


def test_send_email_defaults_the_sender_and_the_lists():
    send_email("--to", "ada@example.com", "--subject", "Hi", "--body", "Hello")

    email = Email.objects.get()
    assert email.from_email == "team@hatch.test"
    assert email.cc == []
    assert email.bcc == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--to", "not-an-address"], "'to_email' is not a valid email address: 'not-an-address'."),
        (["--to", "ada@example.com", "--cc", "nope"], "'cc' is not a valid email address"),
        (
            ["--to", "ada@example.com", "--from", "ceo@elsewhere.test"],
            "'from_email' must be an allowed sender",
        ),
    ],
)
def test_send_email_refuses_bad_addresses_with_the_service_message(args, message):
    with pytest.raises(CommandError, match=re.escape(message)):
        send_email(*args, "--subject", "Hi", "--body", "Hello")

    assert not Email.objects.exists()


def test_send_email_refuses_a_multi_line_subject():
    with pytest.raises(CommandError, match=re.escape("'subject' must be a single line.")):
        send_email("--to", "ada@example.com", "--subject", "Hi\nBcc: x@y.test", "--body", "Hi")

    assert not Email.objects.exists()


def test_send_email_requires_a_recipient():
    with pytest.raises(CommandError, match="--to"):
        send_email("--subject", "Hi", "--body", "Hello")
