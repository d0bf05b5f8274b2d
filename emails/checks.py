from django.core.checks import Error, register
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from emails.services import email_senders


@register()
def email_senders_are_valid(app_configs, **kwargs):
    """Refuse to start with a sender that is neither an address nor an "@domain"."""
    errors = []
    for entry in email_senders():
        try:
            validate_email(f"x{entry}" if entry.startswith("@") else entry)
        except ValidationError:
            errors.append(
                Error(
                    f"SENDGRID_FROM_EMAIL / SENDGRID_EXTRA_FROM_EMAILS hold {entry!r}, "
                    "which is neither an email address nor an '@domain'.",
                    id="emails.E001",
                )
            )
    return errors
