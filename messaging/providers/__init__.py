"""The SMS providers Hatch can send through, by the name SMS_PROVIDER gives them.

A provider is a module or package here implementing messaging.providers.base.SmsProvider;
adding one is its package and one line below.
"""

from core.providers import ProviderRegistry

sms_providers = ProviderRegistry(
    "SMS_PROVIDER",
    {
        "twilio": "messaging.providers.twilio.TwilioSmsProvider",
        "console": "messaging.providers.console.ConsoleSmsProvider",
    },
)
