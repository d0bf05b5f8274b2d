"""The conversation moves from messaging to this app, below both channel apps.

Only Django's state moves here: the table stays where it is (``messaging_conversation``)
until 0002 renames it, and messaging.0005 points Message.conversation at the new model.
"""

import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("messaging", "0004_lean_message_indexes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="Conversation",
                    fields=[
                        (
                            "created_at",
                            models.DateTimeField(
                                default=django.utils.timezone.now, editable=False
                            ),
                        ),
                        ("updated_at", models.DateTimeField(auto_now=True)),
                        (
                            "id",
                            models.UUIDField(editable=False, primary_key=True, serialize=False),
                        ),
                        ("participant_a", models.CharField(max_length=254)),
                        ("participant_b", models.CharField(max_length=254)),
                        ("reply_to", models.CharField(max_length=254)),
                        ("own_contact", models.CharField(max_length=254)),
                        ("has_phone_numbers", models.BooleanField()),
                        ("last_message_at", models.DateTimeField()),
                        ("last_message_preview", models.CharField(blank=True, max_length=120)),
                        ("message_count", models.PositiveIntegerField(default=0)),
                        ("unread_count", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "messaging_conversation",
                        "indexes": [
                            models.Index(
                                fields=["-last_message_at", "-id"],
                                name="conversation_activity_idx",
                            )
                        ],
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("participant_a", "participant_b"),
                                name="conversation_unique_pair",
                            ),
                            models.CheckConstraint(
                                condition=models.Q(("message_count__gte", 0)),
                                name="conversation_count_not_negative",
                            ),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
