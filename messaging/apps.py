from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self):
        from messaging import checks, signals  # noqa: F401  (registers checks and handlers)
        from messaging.delivery import inbound_media, sms_outbox
        from messaging.services import message_media_sweep
        from messaging.tasks import download_message_media, send_message
        from outbox.registry import register, register_sweep

        register(sms_outbox, task=send_message)
        # An inbound MMS's media are downloaded by a task of their own, which the sweeper
        # enqueues again when it was lost.
        inbound_media.task = download_message_media
        register_sweep("MMS media downloads", message_media_sweep)

        from contacts import timeline
        from messaging.selectors import contact_timeline_messages

        # A contact's timeline shows their SMS and internal messages (contacts sits below
        # messaging and cannot ask for them itself).
        timeline.register("messaging", contact_timeline_messages)

        from conversations import live as conversation_live
        from messaging.live import publish_conversation_changed
        from messaging.models import Channel

        # What the team does with an SMS or internal conversation (conversations.services)
        # goes to the inbox as messaging's conversation.updated.
        conversation_live.register([Channel.SMS, Channel.INTERNAL], publish_conversation_changed)
