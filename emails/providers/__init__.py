"""Email providers, by the name EMAIL_PROVIDER gives them.

Each provider is a package (or module) here implementing emails.providers.base.EmailProvider;
adding one is that package and one line below. The registry imports a provider only when it
is the one configured, and emails.checks refuses to start with a name it does not know.
"""

from core.providers import ProviderRegistry

email_providers = ProviderRegistry(
    "EMAIL_PROVIDER",
    {
        "sendgrid": "emails.providers.sendgrid.SendGridEmailProvider",
        "console": "emails.providers.console.ConsoleEmailProvider",
    },
)
