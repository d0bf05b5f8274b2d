"""ASGI entry point: HTTP through Django, the inbox's websocket through Channels.

Serve it with daphne (`daphne hatch.asgi:application`); `manage.py runserver` does the
same in development because daphne is the first installed app.
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "hatch.settings")

# Django must be set up before anything imports models.
django_asgi_application = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.urls import path  # noqa: E402

from messaging.consumers import InboxConsumer  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_application,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter([path("ws/inbox/", InboxConsumer.as_asgi())]))
        ),
    }
)
