import factory

from emails.models import Email, EmailStatus
from messaging.tests.factories import UserFactory

__all__ = ["EmailFactory", "UserFactory"]


class EmailFactory(factory.django.DjangoModelFactory):
    """A stored email row; prefer emails.services.email_send where validation matters."""

    class Meta:
        model = Email

    to_email = factory.Sequence(lambda n: f"customer{n}@example.com")
    from_email = "team@hatch.test"
    subject = factory.Faker("sentence", nb_words=5)
    body = factory.Faker("paragraph")
    status = EmailStatus.QUEUED
