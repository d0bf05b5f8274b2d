from django.conf import settings

from messaging.providers.base import SmsProvider


def get_sms_provider() -> SmsProvider:
    """The provider SMS_PROVIDER names (settings refuse to start without a usable one)."""
    if settings.SMS_PROVIDER == "twilio":
        from messaging.providers.twilio import TwilioSmsProvider

        return TwilioSmsProvider(
            account_sid=settings.TWILIO_ACCOUNT_SID,
            auth_token=settings.TWILIO_AUTH_TOKEN,
            base_url=settings.TWILIO_API_BASE_URL,
            timeout=settings.PROVIDER_TIMEOUT_SECONDS,
            messaging_service_sid=settings.TWILIO_MESSAGING_SERVICE_SID,
        )
    from messaging.providers.console import ConsoleSmsProvider

    return ConsoleSmsProvider()
