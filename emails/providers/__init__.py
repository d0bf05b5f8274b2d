"""Email providers, by the name EMAIL_PROVIDER gives them.

Each provider is a package (or module) here implementing emails.providers.base.EmailProvider;
adding one is that package and one line below (and, when it reports failures, its table in
FAILURE_TABLES). The registry imports a provider only when it is the one configured, and
emails.checks refuses to start with a name it does not know.
"""

from collections.abc import Mapping
from functools import cache
from importlib import import_module

from core.failures import FailureReason
from core.providers import ProviderRegistry

email_providers = ProviderRegistry(
    "EMAIL_PROVIDER",
    {
        "sendgrid": "emails.providers.sendgrid.SendGridEmailProvider",
        "console": "emails.providers.console.ConsoleEmailProvider",
    },
)

# Each provider's table of failures: a module with PROVIDER (its name, as people know it) and
# FAILURE_REASONS (Email.error_code -> core.failures.FailureReason). Imported on first use,
# like the providers themselves.
FAILURE_TABLES = {
    "sendgrid": "emails.providers.sendgrid.errors",
}


def failure_reason(code: int | str | None) -> FailureReason | None:
    """Why an email failed with ``code`` (Email.error_code: an HTTP status or Hatch's word for
    a bounce or drop), in words a person acts on; None for no code or one no table explains."""
    key = str(code).strip() if code is not None else ""
    if not key:
        return None
    for _provider, reasons in failure_tables():
        if key in reasons:
            return reasons[key]
    return None


def failure_tables() -> list[tuple[str, Mapping[str, FailureReason]]]:
    """Every provider's table, as (provider's name, code -> reason), the configured
    provider's first.

    Every registered provider's table is read, not only the configured one's: a stored
    code was written by whichever provider sent that email, which need not be the one
    configured now (a development setup on "console" reading emails SendGrid sent, or a
    team that changed providers). Codes name no provider, so on a clash the configured
    provider's meaning wins.
    """
    configured = email_providers.configured_name()
    names = sorted(FAILURE_TABLES, key=lambda name: name != configured)
    return [_failure_table(FAILURE_TABLES[name]) for name in names]


@cache
def _failure_table(path: str) -> tuple[str, Mapping[str, FailureReason]]:
    # Importing the table imports its provider's package (and SDK) once per process.
    module = import_module(path)
    return module.PROVIDER, module.FAILURE_REASONS
