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
