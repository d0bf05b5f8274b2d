"""`make run` without DATABASE_URL stores data in SQLite: the development path still works.

Tests otherwise run on PostgreSQL only, and the hot write paths use PostgreSQL-only SQL
(one-statement sends, COPY in seed_demo), each with a SQLite branch for this case. This
runs the commands `make run` runs, plus sends (delivered through the console providers, as
`make run` delivers them) and a receive, on a throwaway SQLite file, in a fresh interpreter
with development settings.
"""

import os

from testing.live_server import run_manage_command

SCRIPT = """
from messaging import services
from messaging.models import Conversation, Message
from messaging.events import InboundMessage

before = Message.objects.count()
services.message_send(to="Dana Scully", body="Internal note", sender="Fox Mulder")
services.message_send(to="Dana Scully", body="Second note", sender="Fox Mulder")
shipped = services.message_send(to="+1 415 555 2671", body="Your order shipped")
services.message_receive(
    event=InboundMessage(from_contact="+14155552671", to_contact="+15005550006", body="Thanks")
)
conversation = Conversation.objects.get(participant_a="Dana Scully")
assert conversation.message_count == 2, conversation.message_count
assert conversation.last_message_preview == "Second note"
sms = Conversation.objects.get(participant_a="+14155552671")
assert (sms.message_count, sms.inbound_count, sms.reply_to) == (2, 1, "+14155552671")
assert Message.objects.count() == before + 4
# TASK_BACKEND=immediate: the outbox claimed and sent it through the console provider.
shipped.refresh_from_db()
assert shipped.status == "sent", shipped.status
from emails.services import email_send
email = email_send(to_email="pat@example.com", subject="Hi", body="Hello")
email.refresh_from_db()
assert email.status == "sent", email.status
print("ok")
"""


def test_the_development_commands_run_on_sqlite(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DATABASE", "DJANGO"))},
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DEBUG": "true",
        "TASK_BACKEND": "immediate",
        "SMS_PROVIDER": "console",
        "EMAIL_PROVIDER": "console",
        "TWILIO_FROM_NUMBER": "+15005550006",
    }

    def manage(*args: str) -> str:
        result = run_manage_command(*args, env=env)
        assert result.returncode == 0, result.stderr[-3000:]
        return result.stdout

    manage("migrate", "--no-input")
    seeded = manage(
        "seed_demo", "--conversations", "6", "--messages-per-conversation", "5", "--emails", "2"
    )
    assert "Demo login" in seeded
    assert manage("shell", "-c", SCRIPT).strip().endswith("ok")
