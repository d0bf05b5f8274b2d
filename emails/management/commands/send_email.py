from django.core.management.base import BaseCommand, CommandError

from core.errors import ApplicationError
from emails.services import email_send


class Command(BaseCommand):
    help = "Send an email as the API would: validated and stored queued for delivery."

    def add_arguments(self, parser):
        parser.add_argument("--to", required=True, help="Recipient address.")
        parser.add_argument("--subject", required=True)
        parser.add_argument(
            "--body", required=True, help='Plain-text part; may be "" when --html is given.'
        )
        parser.add_argument(
            "--from", dest="from_email", help="Sender (default SENDGRID_FROM_EMAIL)."
        )
        parser.add_argument("--cc", action="append", default=[], help="Repeat for more.")
        parser.add_argument("--bcc", action="append", default=[], help="Repeat for more.")
        parser.add_argument("--reply-to", default="")
        parser.add_argument("--html", default="", help="Optional HTML part.")

    def handle(self, *args, **options):
        try:
            email = email_send(
                to_email=options["to"],
                subject=options["subject"],
                body=options["body"],
                from_email=options["from_email"],
                html_content=options["html"],
                cc=options["cc"],
                bcc=options["bcc"],
                reply_to=options["reply_to"],
                user=None,
            )
        except ApplicationError as err:
            raise CommandError(err.message) from err
        # With the immediate task backend the send has already happened: show where it got.
        email.refresh_from_db()
        self.stdout.write(
            f"Email {email.id}: {email.status} (from {email.from_email} to {email.to_email})"
        )
