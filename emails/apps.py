from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = "Emails"

    def ready(self):
        from emails import checks, signals  # noqa: F401  (registers checks and handlers)
        from emails.delivery import email_outbox
        from emails.tasks import send_email
        from outbox import registry

        registry.register(email_outbox, task=send_email)

        from contacts import timeline
        from emails.selectors import contact_timeline_emails

        # A contact's timeline shows their emails (contacts sits below emails and cannot
        # ask for them itself).
        timeline.register("emails", contact_timeline_emails)
