"""Every user gets a Teammate row, whoever creates them (the Team page, createsuperuser,
the Django admin, a test)."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from team.models import Role, Teammate


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def teammate_for_new_user(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        role = Role.ADMIN if instance.is_superuser else Role.AGENT
        Teammate.objects.get_or_create(user=instance, defaults={"role": role})
