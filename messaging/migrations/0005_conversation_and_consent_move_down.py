"""Conversations and opt-outs now live below both channel apps.

Message.conversation points at conversations.Conversation (the same table: only Django's
state changes), and messaging.OptOut, copied into consent.Suppression by
consent.0002, is dropped.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0004_lean_message_indexes"),
        ("conversations", "0001_initial"),
        ("consent", "0002_from_messaging_optout"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="message",
                    name="conversation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="messages",
                        to="conversations.conversation",
                    ),
                ),
                migrations.DeleteModel(name="Conversation"),
            ],
            database_operations=[],
        ),
        migrations.DeleteModel(name="OptOut"),
    ]
