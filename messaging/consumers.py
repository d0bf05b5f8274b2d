import json
import time
import uuid

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.realtime import INBOX_GROUP, user_group
from team.selectors import display_name

# Close code for a connection without a signed-in user (4000-4999 are the application's).
UNAUTHENTICATED = 4401

# What a page may say about itself: which thread it has open, that its person is typing
# in it, that it closed it. Nothing is stored; every inbox hears it and forgets it.
PRESENCE_ACTIVITIES = frozenset({"viewing", "typing", "left"})
# A page sends about one frame a second (a heartbeat every 3 s, typing every 2 s); a
# token bucket lets a quick run of thread switches through and drops a flood, so one
# socket cannot make every inbox busy.
FRAMES_PER_SECOND = 5
FRAME_BURST = 10


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """Pushes inbox events (core.realtime) to a signed-in user's open page, and passes the
    page's presence (which thread its person is viewing or typing in) to every inbox."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        # Named once: presence is sent every few seconds, and always as the signed-in user,
        # whatever a frame claims.
        name = await database_sync_to_async(display_name)(user)
        self.presence_user = {"id": user.pk, "name": name}
        self.reported_conversation = None
        self.frame_allowance = FRAME_BURST
        self.allowance_at = time.monotonic()
        self.joined_groups = [INBOX_GROUP, user_group(user.pk)]
        for group in self.joined_groups:
            await self.channel_layer.group_add(group, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        # A closed tab says nothing; its teammates should not see it viewing until expiry.
        if getattr(self, "reported_conversation", None):
            await self._broadcast_presence(self.reported_conversation, "left")
        for group in getattr(self, "joined_groups", ()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        # A frame that is not JSON text is ignored rather than allowed to close the socket:
        # the page's live updates matter more than one bad frame.
        if not text_data or not self._frame_allowed():
            return
        try:
            content = json.loads(text_data)
        except ValueError:
            return
        if isinstance(content, dict):
            await self.receive_json(content, **kwargs)

    async def receive_json(self, content, **kwargs):
        # Besides ping and presence, the page writes through the HTTP API (CSRF, validation,
        # auth); anything else is ignored.
        kind = content.get("type")
        if kind == "ping":
            await self.send_json({"type": "pong"})
        elif kind in PRESENCE_ACTIVITIES:
            conversation_id = _uuid_or_none(content.get("conversation_id"))
            if conversation_id is None:
                return
            if kind == "left":
                if conversation_id == self.reported_conversation:
                    self.reported_conversation = None
            else:
                self.reported_conversation = conversation_id
            await self._broadcast_presence(conversation_id, kind)

    async def inbox_event(self, message):
        event = message["event"]
        await self.send_json(event)
        if event.get("type") == "account.deactivated":
            # An admin deactivated this user: the open page loses its live updates now,
            # not when it next reconnects (which the session check then refuses).
            await self.close(code=UNAUTHENTICATED)

    async def _broadcast_presence(self, conversation_id: str, activity: str) -> None:
        event = {
            "type": "presence",
            "conversation_id": conversation_id,
            "user": self.presence_user,
            "activity": activity,
        }
        await self.channel_layer.group_send(INBOX_GROUP, {"type": "inbox.event", "event": event})

    def _frame_allowed(self) -> bool:
        now = time.monotonic()
        refill = (now - self.allowance_at) * FRAMES_PER_SECOND
        self.frame_allowance = min(FRAME_BURST, self.frame_allowance + refill)
        self.allowance_at = now
        if self.frame_allowance < 1:
            return False
        self.frame_allowance -= 1
        return True


def _uuid_or_none(value) -> str | None:
    """The conversation id in its canonical form, or None when it is not a UUID."""
    if not isinstance(value, str):
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError:
        return None
