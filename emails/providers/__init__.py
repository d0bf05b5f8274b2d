from django.conf import settings

from emails.providers.base import EmailProvider


def get_email_provider() -> EmailProvider:
    """The provider EMAIL_PROVIDER names (settings refuse to start without a usable one)."""
    if settings.EMAIL_PROVIDER == "sendgrid":
        from emails.providers.sendgrid import SendGridEmailProvider

        return SendGridEmailProvider(
            api_key=settings.SENDGRID_API_KEY,
            host=settings.SENDGRID_API_HOST,
            timeout=settings.PROVIDER_TIMEOUT_SECONDS,
        )
    from emails.providers.console import ConsoleEmailProvider

    return ConsoleEmailProvider()
