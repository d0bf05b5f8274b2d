from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView
from rest_framework.routers import DefaultRouter

from broadcasts.api import BroadcastViewSet
from contacts.api import ContactViewSet
from conversations.api import SavedReplyViewSet
from emails.api import EmailThreadViewSet, EmailViewSet
from emails.unsubscribe import unsubscribe
from emails.webhooks import SendGridEventsView, SendGridInboundView
from messaging.api import ConversationViewSet, MessageViewSet
from messaging.webhooks import InboundSmsView, StatusCallbackView
from team.api import LabelViewSet, TeammateViewSet
from web import schema, views
from web.throttling import SendRateThrottle

# No ".json" suffix routes: the API answers JSON anyway (or the browsable page, by Accept),
# and the suffix variants crashed list views that take no format argument.
router = DefaultRouter(trailing_slash=False)
router.include_format_suffixes = False
router.register("conversations", ConversationViewSet, basename="conversation")
router.register("messages", MessageViewSet, basename="message")
router.register("emails", EmailViewSet, basename="email")
router.register("email_threads", EmailThreadViewSet, basename="email_thread")
router.register("contacts", ContactViewSet, basename="contact")
router.register("teammates", TeammateViewSet, basename="teammate")
router.register("labels", LabelViewSet, basename="label")
router.register("saved_replies", SavedReplyViewSet, basename="saved_reply")
router.register("broadcasts", BroadcastViewSet, basename="broadcast")

admin.site.site_header = "Hatch administration"
admin.site.site_title = "Hatch"
admin.site.index_title = "Records and settings"

conversation_messages = ConversationViewSet.as_view({"get": "messages"})
conversation_new_messages = ConversationViewSet.as_view({"get": "new_messages"})

urlpatterns = [
    # The seed's endpoints, at the seed's paths.
    # Sends are rate-limited per user (SEND_RATE_LIMIT); reads are not, so only these two.
    path(
        "api/send_message",
        MessageViewSet.as_view({"post": "send"}, throttle_classes=[SendRateThrottle]),
        name="send-message",
    ),
    path(
        "api/send_email",
        EmailViewSet.as_view({"post": "send"}, throttle_classes=[SendRateThrottle]),
        name="send-email",
    ),
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
    # The OpenAPI 3 contract and its Swagger UI (before the router, which would take "schema").
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", schema.api_docs, name="api-docs"),
    path("api/", include(router.urls)),
    path("health", views.health, name="health"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("webhooks/twilio/sms", InboundSmsView.as_view(), name="twilio-inbound"),
    path("webhooks/twilio/status", StatusCallbackView.as_view(), name="twilio-status"),
    path("webhooks/sendgrid/events", SendGridEventsView.as_view(), name="sendgrid-events"),
    # No trailing slash, and none added: SendGrid does not follow redirects.
    path("webhooks/sendgrid/inbound", SendGridInboundView.as_view(), name="sendgrid-inbound"),
    path("unsubscribe/<str:token>", unsubscribe, name="email-unsubscribe"),
    path("admin/", admin.site.urls),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("api-auth/", include("rest_framework.urls")),
    # Stored files: /files/<id>/<name> for signed-in users, /media/<signed token>/<name>
    # for providers (Twilio fetches an MMS's media there). Never a static file handler.
    path("", include("attachments.urls")),
    path("", include("messaging.urls")),
    # The Team page and the invitation links' welcome page.
    path("", include("team.urls")),
    # The Broadcasts page (its API is the router's "broadcasts").
    path("", include("broadcasts.urls")),
    # Search (the inbox's search box and /api/search), the Reports page and its API, exports.
    path("", include("search.urls")),
    path("", include("reports.urls")),
    path("", include("exports.urls")),
]

handler400 = "web.views.bad_request"
handler404 = "web.views.page_not_found"
handler500 = "web.views.server_error"
