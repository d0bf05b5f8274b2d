from django.db import models
from django.utils import timezone


class TimestampedModel(models.Model):
    """Creation and last-change times, timezone-aware, for every Hatch record."""

    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
