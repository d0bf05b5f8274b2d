from django.db import migrations


def teammates_create(apps, schema_editor):
    """Every existing user gets a role: superusers admin, anyone else agent."""
    User = apps.get_model("auth", "User")
    Teammate = apps.get_model("team", "Teammate")
    Teammate.objects.bulk_create(
        [
            Teammate(user_id=user.pk, role="admin" if user.is_superuser else "agent")
            for user in User.objects.filter(teammate__isnull=True).only("pk", "is_superuser")
        ]
    )


class Migration(migrations.Migration):
    dependencies = [
        ("team", "0001_initial"),
    ]

    operations = [migrations.RunPython(teammates_create, migrations.RunPython.noop)]
