"""A broadcast's text: its variables ({{contact.first_name}}, and a CSV's own columns as
{{contact.<column>}}), checked once when it is created and filled for each recipient, with
the SMS footer (BROADCAST_SMS_FOOTER) below each SMS."""

from dataclasses import dataclass, field

from django.conf import settings

from broadcasts.models import Broadcast, BroadcastChannel
from conversations import saved_replies
from core.errors import ValidationError

# What every recipient has, a contact or not (empty when unknown: use a default).
CONTACT_VARIABLES = ("contact.first_name", "contact.name")


@dataclass
class BroadcastText:
    channel: str
    body: str
    subject: str = ""
    recipients: list = field(default_factory=list)  # Recipient or BroadcastRecipient

    @classmethod
    def of(cls, broadcast: Broadcast) -> "BroadcastText":
        return cls(channel=broadcast.channel, body=broadcast.body, subject=broadcast.subject)

    @property
    def is_sms(self) -> bool:
        return self.channel == BroadcastChannel.SMS

    def variables(self) -> tuple[str, ...]:
        names = set(CONTACT_VARIABLES)
        for recipient in self.recipients:
            names.update(recipient.variables)
        return tuple(sorted(names))

    def check(self) -> None:
        """Raise ValidationError naming the field for a blank text or subject, or a
        variable that no recipient has."""
        if not self.body.strip():
            raise ValidationError("Write the text the broadcast sends.", field="body")
        saved_replies.validate(self.body, self.variables())
        if self.channel == BroadcastChannel.EMAIL:
            if not self.subject.strip():
                raise ValidationError("An email broadcast needs a subject.", field="subject")
            try:
                saved_replies.validate(self.subject, self.variables())
            except ValidationError as error:
                raise ValidationError(error.message, field="subject") from None

    def body_for(self, values: dict) -> str:
        """The text one recipient gets (any variable, since the check: a default or "")."""
        body = saved_replies.fill(self.body, values, _ANY)
        footer = settings.BROADCAST_SMS_FOOTER.strip()
        if self.is_sms and footer:
            body = f"{body.rstrip()}\n{footer}"
        return body

    def subject_for(self, values: dict) -> str:
        return " ".join(saved_replies.fill(self.subject, values, _ANY).split())


class _AnyVariable(tuple):
    """Every name is a variable: a text is checked against its recipients' names when the
    broadcast is created, and filled later with whatever each recipient has."""

    def __contains__(self, name) -> bool:
        return True


_ANY = _AnyVariable()
