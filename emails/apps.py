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

        from conversations import live as conversation_live
        from conversations.models import ConversationChannel
        from emails.live import publish_email_thread_changed

        # What the team does with an email thread (conversations.services) goes to the
        # inbox as emails' email_thread.updated.
        conversation_live.register([ConversationChannel.EMAIL], publish_email_thread_changed)
