import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from core.contacts import conversation_id_for
from messaging.models import Channel, Conversation, Direction, Message, MessageStatus

DEFAULT_PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda user: f"{user.username}@hatch.test")
    password = factory.django.Password(DEFAULT_PASSWORD)


class ConversationFactory(factory.django.DjangoModelFactory):
    """A conversation row with a consistent summary; prefer services for real threads."""

    class Meta:
        model = Conversation

    own_contact = "+15005550006"
    reply_to = factory.Sequence(lambda n: f"+1415555{n % 10000:04d}")
    id = factory.LazyAttribute(lambda c: conversation_id_for(c.own_contact, c.reply_to))
    participant_a = factory.LazyAttribute(lambda c: min(c.own_contact, c.reply_to))
    participant_b = factory.LazyAttribute(lambda c: max(c.own_contact, c.reply_to))
    channel = "sms"
    last_message_at = factory.LazyFunction(timezone.now)
    last_message_preview = "Hello"
    message_count = 0


class MessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Message

    conversation = factory.SubFactory(ConversationFactory)
    to_contact = factory.LazyAttribute(lambda m: m.conversation.reply_to)
    from_contact = factory.LazyAttribute(lambda m: m.conversation.own_contact)
    body = factory.Faker("sentence")
    channel = Channel.SMS
    direction = Direction.OUTBOUND
    status = MessageStatus.QUEUED
