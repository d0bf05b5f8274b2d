from django.core.checks import register

from messaging.providers import sms_providers
from messaging.services import SMS_SENDERS


@register()
def sms_provider_is_known(app_configs, **kwargs):
    return sms_providers.check(id="messaging.E002")


@register()
def sms_senders_are_valid(app_configs, **kwargs):
    """Refuse to start with a sending number that is not a valid phone number."""
    return SMS_SENDERS.check(id="messaging.E001")
