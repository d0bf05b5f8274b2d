from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from rest_framework.routers import DefaultRouter

from emails.api import EmailViewSet
from emails.webhooks import SendGridEventsView
from hatch import views
from messaging.api import ConversationViewSet, MessageViewSet
from messaging.webhooks import InboundSmsView, StatusCallbackView

router = DefaultRouter(trailing_slash=False)
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("messages", MessageViewSet, basename="message")
router.register("emails", EmailViewSet, basename="email")

conversation_messages = ConversationViewSet.as_view({"get": "messages"})
conversation_new_messages = ConversationViewSet.as_view({"get": "new_messages"})

urlpatterns = [
    # The seed's endpoints, at the seed's paths.
    path("api/send_message", MessageViewSet.as_view({"post": "send"}), name="send-message"),
    path("api/send_email", EmailViewSet.as_view({"post": "send"}), name="send-email"),
    path(
        "api/conversation/<str:pk>/messages",
        conversation_messages,
        name="seed-conversation-messages",
    ),
    path(
        "api/conversation/<str:pk>/new_messages",
        conversation_new_messages,
        name="seed-conversation-new-messages",
    ),
    path("api/", include(router.urls)),
    path("health", views.health, name="health"),
    path("webhooks/twilio/sms", InboundSmsView.as_view(), name="twilio-inbound"),
    path("webhooks/twilio/status", StatusCallbackView.as_view(), name="twilio-status"),
    path("webhooks/sendgrid/events", SendGridEventsView.as_view(), name="sendgrid-events"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api-auth/", include("rest_framework.urls")),
    path("", include("messaging.urls")),
]

handler404 = "hatch.views.page_not_found"
handler500 = "hatch.views.server_error"
