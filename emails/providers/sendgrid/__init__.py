"""SendGrid: the Mail Send client (client.py), the Event Webhook's signature check and
events (webhooks.py), and SendGrid's words in Hatch's (vocabulary.py)."""

from emails.providers.sendgrid.client import SendGridEmailProvider

__all__ = ["SendGridEmailProvider"]
