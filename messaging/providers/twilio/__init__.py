"""Twilio Programmable Messaging: the client (client.py), its webhooks' signature check and
payloads (webhooks.py), and its statuses and error codes (vocabulary.py)."""

from messaging.providers.twilio.client import TwilioSmsProvider

__all__ = ["TwilioSmsProvider"]
