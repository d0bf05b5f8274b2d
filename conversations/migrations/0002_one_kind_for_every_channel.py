"""Conversations of every channel: SMS, internal and (new) email threads, each with a contact."""

import uuid

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0001_initial"),
        ("messaging", "0005_conversation_and_consent_move_down"),
        ("contacts", "0001_initial"),
    ]

    operations = [
        # messaging_conversation -> conversations_conversation (PostgreSQL keeps the
        # foreign keys pointing at it).
        migrations.AlterModelTable(name="conversation", table=None),
        migrations.AddField(
            model_name="conversation",
            name="channel",
            field=models.CharField(
                choices=[("sms", "SMS"), ("internal", "Internal"), ("email", "Email")],
                default="sms",
                max_length=16,
            ),
            preserve_default=False,
        ),
        migrations.RunSQL(
            "UPDATE conversations_conversation SET channel = 'internal' "
            "WHERE NOT has_phone_numbers",
            reverse_sql=migrations.RunSQL.noop,
        ),
        migrations.RemoveField(model_name="conversation", name="has_phone_numbers"),
        migrations.AlterField(
            model_name="conversation",
            name="id",
            field=models.UUIDField(
                default=uuid.uuid4, editable=False, primary_key=True, serialize=False
            ),
        ),
        migrations.AddField(
            model_name="conversation",
            name="contact",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="conversations",
                to="contacts.contact",
            ),
        ),
        migrations.AddField(
            model_name="conversation",
            name="subject",
            field=models.CharField(blank=True, max_length=998),
        ),
        migrations.RemoveConstraint(model_name="conversation", name="conversation_unique_pair"),
        migrations.AddConstraint(
            model_name="conversation",
            constraint=models.UniqueConstraint(
                condition=models.Q(("channel", "email"), _negated=True),
                fields=("participant_a", "participant_b"),
                name="conversation_unique_pair",
            ),
        ),
        migrations.AddConstraint(
            model_name="conversation",
            constraint=models.CheckConstraint(
                condition=models.Q(("channel__in", ["sms", "internal", "email"])),
                name="conversation_channel_valid",
            ),
        ),
        migrations.AddIndex(
            model_name="conversation",
            index=models.Index(
                condition=models.Q(("channel", "email")),
                fields=["-last_message_at", "-id"],
                name="email_thread_activity_idx",
            ),
        ),
    ]
