"""A registry of one channel's providers: a setting's value names the class that sends.

Each channel keeps one, listing its providers by name and dotted path (imported only when
chosen, so a console development setup never imports an SDK it does not use):

    sms_providers = ProviderRegistry(
        "SMS_PROVIDER",
        {
            "twilio": "messaging.providers.twilio.TwilioSmsProvider",
            "console": "messaging.providers.console.ConsoleSmsProvider",
        },
        failure_tables={"twilio": "messaging.providers.twilio.errors"},
    )

Adding a provider is one package and one line here. A provider class builds itself from
settings (``from_settings``); the channel's system check refuses to start with a name the
registry does not know. A provider that reports error codes also names, in
``failure_tables``, the module of its table: PROVIDER (its name, as people know it) and
FAILURE_REASONS (code -> core.failures.FailureReason), imported on first use too.
"""

from collections.abc import Mapping
from functools import cache
from importlib import import_module

from django.conf import settings
from django.core.checks import Error
from django.utils.module_loading import import_string

from core.failures import FailureReason


class ProviderRegistry:
    def __init__(self, setting: str, providers: dict[str, str], *, failure_tables: dict[str, str]):
        self.setting = setting
        self._paths = providers
        self._failure_tables = failure_tables

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

    def failure_reason(self, code: int | str | None) -> FailureReason | None:
        """Why a record failed with ``code`` (its error_code column, or that as text), in
        words a person acts on; None for no code or one no table explains."""
        key = str(code).strip() if code is not None else ""
        if not key:
            return None
        for _provider, reasons in self.failure_tables():
            if key in reasons:
                return reasons[key]
        return None

    def failure_tables(self) -> list[tuple[str, Mapping[str, FailureReason]]]:
        """Every provider's table, as (provider's name, code -> reason), the configured
        provider's first.

        Every registered provider's table is read, not only the configured one's: a stored
        code was written by whichever provider sent that record, which need not be the one
        configured now (a development setup on "console" reading messages Twilio sent, or a
        team that changed providers). Codes name no provider, so on a clash the configured
        provider's meaning wins.
        """
        configured = self.configured_name()
        names = sorted(self._failure_tables, key=lambda name: name != configured)
        return [_failure_table(self._failure_tables[name]) for name in names]

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


@cache
def _failure_table(path: str) -> tuple[str, Mapping[str, FailureReason]]:
    # Importing the table imports its provider's package (and SDK) once per process.
    module = import_module(path)
    return module.PROVIDER, module.FAILURE_REASONS
