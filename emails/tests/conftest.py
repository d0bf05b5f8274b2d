"""Fixtures the SendGrid webhook tests share."""

import pytest
from django.utils import timezone

from emails import services
from emails.models import Email, EmailStatus
from emails.tests.sendgrid_payloads import CUSTOMER, SigningKey, x_message_id


@pytest.fixture
def key(settings):
    """The key pair SendGrid signs with; its public half is configured in Hatch."""
    signing_key = SigningKey()
    settings.SENDGRID_WEBHOOK_PUBLIC_KEY = signing_key.public_key
    return signing_key


@pytest.fixture
def sent_email():
    """An email SendGrid has accepted: status "sent", its X-Message-Id stored."""
    email = services.email_send(to_email=CUSTOMER, subject="Your receipt", body="Thank you!")
    Email.objects.filter(id=email.id).update(
        status=EmailStatus.SENT, provider_message_id=x_message_id(), sent_at=timezone.now()
    )
    email.refresh_from_db()
    return email


@pytest.fixture
def inbound_credentials(settings):
    """The Basic credentials Inbound Parse posts with (emails.tests.inbound_posts.basic)."""
    from emails.tests.inbound_posts import PASSWORD, USERNAME

    settings.SENDGRID_INBOUND_USERNAME = USERNAME
    settings.SENDGRID_INBOUND_PASSWORD = PASSWORD
