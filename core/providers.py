"""A registry of one channel's providers: a setting's value names the class that sends.

Each channel keeps one, listing its providers by name and dotted path (imported only when
chosen, so a console development setup never imports an SDK it does not use):

    sms_providers = ProviderRegistry(
        "SMS_PROVIDER",
        {
            "twilio": "messaging.providers.twilio.TwilioSmsProvider",
            "console": "messaging.providers.console.ConsoleSmsProvider",
        },
    )

Adding a provider is one package and one line here. A provider class builds itself from
settings (``from_settings``); the channel's system check refuses to start with a name the
registry does not know.
"""

from functools import cache

from django.conf import settings
from django.core.checks import Error
from django.utils.module_loading import import_string


class ProviderRegistry:
    def __init__(self, setting: str, providers: dict[str, str]):
        self.setting = setting
        self._paths = providers

    def names(self) -> list[str]:
        return list(self._paths)

    def configured_name(self) -> str:
        """The name the setting holds: the API reports it as a send's ``method``."""
        return getattr(settings, self.setting)

    def get(self):
        """The configured provider, built from settings."""
        return self._configured_class().from_settings()

    def error_descriptions(self) -> dict[str, str]:
        """The configured provider's common error codes, each in a few words."""
        return self._configured_class().error_descriptions

    def _configured_class(self):
        return _provider_class(self._paths[self.configured_name()])

    def check(self, *, id: str) -> list[Error]:
        name = self.configured_name()
        if name in self._paths:
            return []
        return [
            Error(
                f"{self.setting}={name!r} names no provider.",
                hint=f"Set {self.setting} to one of: {', '.join(self._paths)}.",
                id=id,
            )
        ]


@cache
def _provider_class(path: str):
    return import_string(path)
