"""The inbox events messaging publishes (see hatch.realtime)."""

from hatch.realtime import publish_on_commit


def publish_message_changed(message_id, *, created: bool = False) -> None:
    """A message was created or its status changed; its conversation's summary goes along."""

    def build():
        from messaging.api import ConversationSerializer, MessageSerializer
        from messaging.models import Message

        message = Message.objects.select_related("conversation").filter(pk=message_id).first()
        if message is None:
            return None
        return {
            "type": "message.created" if created else "message.updated",
            "message": MessageSerializer(message).data,
            "conversation": ConversationSerializer(message.conversation).data,
        }

    publish_on_commit(build)


def publish_conversation_changed(conversation_id) -> None:
    def build():
        from messaging.api import ConversationSerializer
        from messaging.models import Conversation

        conversation = Conversation.objects.filter(pk=conversation_id).first()
        if conversation is None:
            return None
        return {
            "type": "conversation.updated",
            "conversation": ConversationSerializer(conversation).data,
        }

    publish_on_commit(build)
