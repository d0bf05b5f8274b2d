from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from messaging.services import message_send


class Command(BaseCommand):
    help = (
        "Send a message as the API would: a phone number makes a queued SMS, a name makes "
        "an internal message (which then needs --from, as no user is signed in)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, help="Phone number or name.")
        parser.add_argument("--body", required=True)
        parser.add_argument(
            "--from",
            dest="sender",
            help="One of Hatch's sending numbers (default TWILIO_FROM_NUMBER), or a name: "
            "a shared one, never a teammate's (a command sends as nobody).",
        )

    def handle(self, *args, to, body, sender, **options):
        try:
            message = message_send(to=to, body=body, sender=sender, user=None)
        except ApplicationError as err:
            raise CommandError(err.message) from err
        # With the immediate task backend the send has already happened: show where it got.
        message.refresh_from_db()
        self.stdout.write(
            f"Message {message.id}: {message.status} "
            f"({message.get_channel_display()} from {message.from_contact} "
            f"to {message.to_contact})"
        )
