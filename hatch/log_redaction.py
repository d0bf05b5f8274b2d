"""Keep credentials out of log lines.

The provider SDKs log their requests at DEBUG (SendGrid's client writes every header,
``Authorization: Bearer SG....`` included), exceptions may quote a URL or a header, and a
developer may log a setting by mistake. ``RedactSecrets`` sits on the root handler in
``settings.LOGGING``, so it sees every record any logger writes and rewrites it before it is
formatted: the message with its arguments merged, the traceback and the stack.
"""

import base64
import logging
import re

REDACTED = "[REDACTED]"

# Credentials recognisable by their shape, whatever their value.
_PATTERNS = [
    # SendGrid API keys: "SG." then two base64url parts.
    (re.compile(r"\bSG\.[A-Za-z0-9_\-]{4,}(?:\.[A-Za-z0-9_\-]+)?"), REDACTED),
    # Authorization headers however they are printed: "Authorization: Basic x", a dict repr
    # "'Authorization': 'Bearer x'", or the scheme and credential alone.
    (
        re.compile(
            r"(?i)(authorization['\"]?\s*[:=]\s*['\"]?)(?:(basic|bearer|token)\s+)?[^\s'\",}]+"
        ),
        lambda match: f"{match.group(1)}{match.group(2) + ' ' if match.group(2) else ''}{REDACTED}",
    ),
    # A scheme followed by a credential-length word (an English word is shorter).
    (re.compile(r"\b(Basic|Bearer|Token)\s+[A-Za-z0-9+/=._\-]{16,}"), rf"\1 {REDACTED}"),
]


def _configured_secrets() -> list[str]:
    """The secret values in the settings now (tests change them), longest first."""
    try:
        from django.conf import settings

        values = [
            settings.SECRET_KEY,
            settings.TWILIO_AUTH_TOKEN,
            settings.SENDGRID_API_KEY,
            settings.DATABASES["default"].get("PASSWORD") or "",
        ]
        sid, token = settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN
    except Exception:  # settings not configured yet, or half-configured: patterns only
        return []
    if sid and token:
        # The SDK sends Basic auth: base64 of "sid:token", which hides the token's letters.
        values.append(base64.b64encode(f"{sid}:{token}".encode()).decode())
    return sorted({value for value in values if len(value) >= 4}, key=len, reverse=True)


def redact(text: str) -> str:
    for secret in _configured_secrets():
        text = text.replace(secret, REDACTED)
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


class RedactSecrets(logging.Filter):
    """Rewrites each record with its credentials replaced by ``[REDACTED]``; drops none."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep what can be shown
            message = f"{record.msg} {record.args}"
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
