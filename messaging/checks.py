from django.conf import settings
from django.core.checks import Error, register

from hatch.errors import ValidationError
from messaging.services import sms_senders


@register()
def sms_senders_are_valid(app_configs, **kwargs):
    """Refuse to start with a sending number that is not a valid phone number."""
    try:
        sms_senders()
    except ValidationError:
        numbers = [settings.TWILIO_FROM_NUMBER, *settings.TWILIO_EXTRA_FROM_NUMBERS]
        return [
            Error(
                f"A configured SMS sender is not a valid phone number: {numbers}.",
                hint="Write each number in E.164, e.g. +14155552671.",
                id="messaging.E001",
            )
        ]
    return []
