from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        from messaging import checks, signals  # noqa: F401  (registers checks and handlers)
        from messaging.delivery import sms_outbox
        from messaging.tasks import send_message
        from outbox.registry import register

        register(sms_outbox, task=send_message)
