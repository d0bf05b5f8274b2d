"""The full-text index of internal notes (core.search), built without locking writes."""

from django.db import migrations

from core.search import add_search_index, text_index


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("conversations", "0005_list_copies")]

    operations = [
        # /api/search's notes.
        add_search_index("conversations.note", text_index("body", name="note_text_idx")),
    ]
