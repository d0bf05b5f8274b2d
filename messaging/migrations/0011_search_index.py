"""The full-text index of message bodies (core.search), built without locking writes."""

from django.db import migrations

from core.search import add_search_index, text_index


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("messaging", "0010_due_index")]

    operations = [
        # /api/search's messages and the conversation list's ?q=.
        add_search_index("messaging.message", text_index("body", name="message_text_idx")),
    ]
