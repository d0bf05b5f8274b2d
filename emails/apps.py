from django.apps import AppConfig


class EmailsConfig(AppConfig):
    name = "emails"
    verbose_name = "Emails"

    def ready(self):
        from emails import checks, signals  # noqa: F401  (registers checks and handlers)
