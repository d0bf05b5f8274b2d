from django.core.checks import register

from emails.providers import email_providers
from emails.services import EMAIL_SENDERS


@register()
def email_senders_are_valid(app_configs, **kwargs):
    """Refuse to start with a sender that is neither an address nor an "@domain"."""
    return EMAIL_SENDERS.check(id="emails.E001")


@register()
def email_provider_is_known(app_configs, **kwargs):
    """Refuse to start with an EMAIL_PROVIDER the registry does not know."""
    return email_providers.check(id="emails.E002")
