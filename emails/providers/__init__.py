"""Email providers, by the name EMAIL_PROVIDER gives them.

Each provider is a package (or module) here implementing emails.providers.base.EmailProvider;
adding one is that package and one line below (and, when it reports failures, its table in
the registry's failure_tables). The registry imports a provider only when it is the one
configured, and emails.checks refuses to start with a name it does not know.
"""

from core.providers import ProviderRegistry

email_providers = ProviderRegistry(
    "EMAIL_PROVIDER",
    {
        "sendgrid": "emails.providers.sendgrid.SendGridEmailProvider",
        "console": "emails.providers.console.ConsoleEmailProvider",
    },
    # Each provider's table of failures (Email.error_code: an HTTP status, or Hatch's word
    # for a bounce or a drop).
    failure_tables={"sendgrid": "emails.providers.sendgrid.errors"},
)

# Why an email failed, and every table of reasons: core.providers.ProviderRegistry.
failure_reason = email_providers.failure_reason
failure_tables = email_providers.failure_tables
