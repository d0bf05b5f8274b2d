"""Fixtures the consent tests share: the SendGrid webhook's, reused as they are."""

from emails.tests.conftest import key, sent_email

__all__ = ["key", "sent_email"]
