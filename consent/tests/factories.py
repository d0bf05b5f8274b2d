from datetime import UTC, datetime

import factory

from consent.models import ConsentChannel, Suppression, SuppressionReason

# A fixed day, so that refusal sentences can be compared whole.
DECEMBER_FIRST = datetime(2026, 12, 1, 15, 30, tzinfo=UTC)


class SuppressionFactory(factory.django.DjangoModelFactory):
    """A suppression row as it stands; consent.services.address_suppress also writes the
    history, and is what tests of that history use."""

    class Meta:
        model = Suppression

    address = factory.Sequence(lambda n: f"person{n}@example.com")
    channel = ConsentChannel.EMAIL
    reason = SuppressionReason.SPAM_REPORT
    created_at = DECEMBER_FIRST
