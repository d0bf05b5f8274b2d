"""The full-text index of email subjects and bodies (core.search), built without locking
writes."""

from django.db import migrations
from django.db.models.functions import Left

from core.search import add_search_index, text_index
from emails.models import TEXT_INDEXED_LENGTH


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("emails", "0007_due_index")]

    operations = [
        # /api/search's emails and the email thread list's ?q=.
        add_search_index(
            "emails.email",
            text_index("subject", Left("body", TEXT_INDEXED_LENGTH), name="email_text_idx"),
        ),
    ]
