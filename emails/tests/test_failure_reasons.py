"""Why an email failed, in words: the SendGrid package's classification of bounce and drop
events (Email.error_code), and the email provider registry's explanation of every code an
email can carry (emails.providers.failure_reason).

Events are posted to the real webhook as SendGrid sends them (captured batches' shape,
emails.tests.sendgrid_payloads), signed with a real key.
"""

import pytest

from emails.models import Email, EmailEvent, EmailStatus
from emails.providers import failure_reason, failure_tables
from emails.tests.sendgrid_payloads import event, post_signed, tracking_events

# A hard bounce and a block arrive as the same "bounce" event; "type" tells them apart.
HARD_BOUNCE = {
    "reason": "550 5.1.1 The email account that you tried to reach does not exist.",
    "status": "5.1.1",
    "type": "bounce",
    "bounce_classification": "Invalid Address",
}
BLOCK = {
    "reason": "550 5.7.1 Service unavailable; client host [149.72.1.1] blocked using Spamhaus",
    "status": "5.7.1",
    "type": "blocked",
    "bounce_classification": "Reputation",
}


def event_for(email: Email, kind: str, **fields) -> dict:
    return event(
        kind,
        email=email.to_email,
        message_id=email.provider_message_id,
        hatch_email_id=str(email.id),
        **fields,
    )


@pytest.mark.django_db
class TestClassification:
    """What Email.error_code keeps once SendGrid reports an email not delivered."""

    def test_a_hard_bounce_is_a_bounce(self, client, key, sent_email):
        post_signed(client, key, [event_for(sent_email, "bounce", **HARD_BOUNCE)])

        sent_email.refresh_from_db()
        assert (sent_email.status, sent_email.error_code) == (EmailStatus.BOUNCED, "bounce")
        assert sent_email.error_message == HARD_BOUNCE["reason"]

    def test_a_bounce_event_of_type_blocked_is_a_block_not_a_bounce(self, client, key, sent_email):
        post_signed(client, key, [event_for(sent_email, "bounce", **BLOCK)])

        sent_email.refresh_from_db()
        assert (sent_email.status, sent_email.error_code) == (EmailStatus.BOUNCED, "blocked")

    def test_an_older_bounce_without_a_type_is_a_hard_bounce(self, client, key, sent_email):
        older = event_for(sent_email, "bounce", **HARD_BOUNCE)
        del older["type"]

        post_signed(client, key, [older])

        sent_email.refresh_from_db()
        assert sent_email.error_code == "bounce"

    @pytest.mark.parametrize(
        ("reason", "code"),
        [
            ("Bounced Address", "dropped-bounced"),
            ("Unsubscribed Address", "dropped-unsubscribed"),
            ("Spam Reporting Address", "dropped-spam-report"),
            ("Invalid", "dropped-invalid"),
            ("Invalid SMTPAPI header", "dropped"),
            ("Spam Content (if Spam Checker app is enabled)", "dropped"),
            ("Recipient List over Package Quota", "dropped"),
            ("", "dropped"),
        ],
    )
    def test_a_drop_is_classified_by_its_reason(self, client, key, sent_email, reason, code):
        post_signed(client, key, [event_for(sent_email, "dropped", reason=reason)])

        sent_email.refresh_from_db()
        assert (sent_email.status, sent_email.error_code) == (EmailStatus.DROPPED, code)

    def test_a_spam_report_after_delivery_is_no_failure_of_that_email(
        self, client, key, sent_email
    ):
        # It was delivered; the complaint is kept as an event and withdraws consent, and a
        # later email to the person fails with its own code.
        post_signed(
            client,
            key,
            [
                event_for(sent_email, "delivered", timestamp=1732890000),
                event_for(sent_email, "spamreport", timestamp=1732890600),
            ],
        )

        sent_email.refresh_from_db()
        assert (sent_email.status, sent_email.error_code) == (EmailStatus.DELIVERED, "")
        assert EmailEvent.objects.filter(email=sent_email, event="spamreport").exists()

    def test_a_late_bounce_after_a_drop_leaves_the_first_failure_in_place(
        self, client, key, sent_email
    ):
        post_signed(
            client,
            key,
            [
                event_for(sent_email, "dropped", reason="Invalid", timestamp=1732890000),
                event_for(sent_email, "bounce", timestamp=1732890600, **HARD_BOUNCE),
            ],
        )

        sent_email.refresh_from_db()
        assert sent_email.status == EmailStatus.DROPPED
        assert sent_email.error_code == "dropped-invalid"

    @pytest.mark.parametrize(
        "kind", ["processed", "deferred", "delivered", "open", "click", "unsubscribe"]
    )
    def test_events_that_are_no_failure_carry_no_code(self, kind):
        [tracking] = tracking_events([event(kind, email="pat@example.com", message_id="m")])

        assert tracking.error_code == ""


CODES = [
    # A send SendGrid refused, by HTTP status (client.py), and Hatch's own refusal.
    "400",
    "401",
    "403",
    "413",
    "429",
    "500",
    "502",
    "503",
    "header_injection",
    # Not delivered, as the events report it.
    "bounce",
    "blocked",
    "dropped-bounced",
    "dropped-unsubscribed",
    "dropped-spam-report",
    "dropped-invalid",
    "dropped",
]


@pytest.mark.parametrize("code", CODES)
def test_each_code_an_email_can_carry_says_what_happened_and_what_to_do(code):
    reason = failure_reason(code)

    assert reason is not None
    assert reason.code == code
    assert reason.title and reason.action
    # SendGrid's docs, except for Hatch's own refusal, which no SendGrid page describes.
    if code == "header_injection":
        assert reason.url == ""
    else:
        assert reason.url.startswith("https://www.twilio.com/docs/sendgrid/")


@pytest.mark.parametrize(
    ("code", "words"),
    [
        ("bounce", "does not exist"),
        ("blocked", "turned the email away"),
        ("dropped-bounced", "bounced before"),
        ("dropped-unsubscribed", "unsubscribed"),
        ("dropped-spam-report", "spam"),
        ("dropped-invalid", "not a valid email address"),
    ],
)
def test_a_title_names_the_failure_in_plain_words(code, words):
    assert words in failure_reason(code).title


@pytest.mark.parametrize("code", [None, "", "no-answer", "30007"])
def test_no_code_or_one_no_table_knows_has_no_explanation(code):
    assert failure_reason(code) is None


def test_sendgrid_codes_are_explained_when_email_goes_through_the_console_provider(settings):
    settings.EMAIL_PROVIDER = "console"

    assert failure_reason("bounce").title == "The address does not exist (hard bounce)"
    assert [provider for provider, _ in failure_tables()] == ["SendGrid"]
