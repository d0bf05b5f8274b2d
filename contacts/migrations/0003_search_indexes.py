"""Trigram indexes for finding contacts by part of a name, number or address (core.search),
built without locking writes."""

from django.contrib.postgres.operations import TrigramExtension
from django.db import migrations

from core.search import add_search_index, trigram_index


class Migration(migrations.Migration):
    # CREATE INDEX CONCURRENTLY cannot run inside a transaction.
    atomic = False

    dependencies = [("contacts", "0002_contact_labels")]

    operations = [
        # pg_trgm (PostgreSQL only; nothing on SQLite). A trusted extension: the database's
        # owner may create it.
        TrigramExtension(),
        # "lovel" finds "Ada Lovelace": /api/search's contacts, the contact list's ?q=.
        add_search_index("contacts.contact", trigram_index("name", name="contact_name_trgm_idx")),
        # "5552671" finds "+14155552671", "example.c" an address.
        add_search_index(
            "contacts.contactpoint", trigram_index("value", name="contact_point_trgm_idx")
        ),
    ]
