from channels.generic.websocket import AsyncJsonWebsocketConsumer

from core.realtime import INBOX_GROUP

# Close code for a connection without a signed-in user (4000-4999 are the application's).
UNAUTHENTICATED = 4401


class InboxConsumer(AsyncJsonWebsocketConsumer):
    """Pushes inbox events (core.realtime) to a signed-in user's open page."""

    async def connect(self):
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=UNAUTHENTICATED)
            return
        await self.channel_layer.group_add(INBOX_GROUP, self.channel_name)
        await self.accept()

    async def disconnect(self, code):
        await self.channel_layer.group_discard(INBOX_GROUP, self.channel_name)

    async def receive_json(self, content, **kwargs):
        # The page only listens; it writes through the HTTP API (CSRF, validation, auth).
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def inbox_event(self, message):
        await self.send_json(message["event"])
