"""The consent record in the admin: read-only, but for one thing staff may do.

Staff with the "change suppression" permission may lift an email suppression, saying why
(the "Lift suppression" page, through consent.services.address_lift, which keeps their name
and reason in the history). An SMS opt-out is never lifted here: only the person lifts it,
by texting START.
"""

from functools import update_wrapper

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from consent.models import (
    ConsentAction,
    ConsentChange,
    ConsentChannel,
    Suppression,
    SuppressionReason,
)
from consent.selectors import consent_by_address, suppression_sentence
from consent.services import address_lift
from core.errors import ApplicationError
from web.admin import PhoneSearchMixin, ViewOnlyAdmin

# What staff must know before lifting an email suppression, on its page and the lift page.
SENDGRID_KEEPS_ITS_OWN_LIST = (
    "SendGrid keeps its own suppression list (bounces, spam reports, unsubscribes). Lifting "
    "the suppression here lets Hatch send again, but until the address is removed from "
    "SendGrid's list too, the next email to it may still come back “dropped”."
)
ONLY_THE_PERSON_LIFTS_SMS = (
    "An SMS opt-out cannot be lifted here: only the person can, by texting START to your "
    "number (the carriers' rules, and in the US the TCPA, require it)."
)


class LiftForm(forms.Form):
    note = forms.CharField(
        label="Reason",
        max_length=ConsentChange._meta.get_field("note").max_length,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        help_text="Why Hatch may email this address again (e.g. “they wrote to ask, the "
        "mailbox works again”). Kept in its history with your name.",
    )


@admin.register(Suppression)
class SuppressionAdmin(PhoneSearchMixin, ViewOnlyAdmin):
    """The numbers and addresses Hatch must not message, and why.

    Not deletable: that would let Hatch message someone who asked not to be. An SMS opt-out
    is lifted only by the person, by texting START (the carriers' rules, and in the US the
    TCPA, say to honour it until they do); an email suppression also by staff, with a reason
    (lift_view).
    """

    list_display = ["address", "channel", "reason_label", "detail", "created_at"]
    list_filter = ["channel", "reason"]
    search_fields = ["address"]
    phone_search_fields = ["address"]
    ordering = ["-created_at", "-id"]
    fields = ["address", "channel", "reason", "detail", "created_at", "refusal", "history"]
    readonly_fields = fields

    @admin.display(description="Reason", ordering="reason")
    def reason_label(self, suppression: Suppression) -> str:
        return suppression.get_reason_display()

    @admin.display(description="A send is refused with")
    def refusal(self, suppression: Suppression) -> str:
        return suppression_sentence(suppression)

    @admin.display(description="History")
    def history(self, suppression: Suppression) -> str:
        changes = consent_by_address([suppression.address])[suppression.address]["history"]
        if not changes:
            return "-"
        return format_html(
            "<ul>{}</ul>",
            format_html_join(
                "",
                "<li>{}: {} ({}){}{}</li>",
                (
                    (
                        f"{timezone.localtime(change['at']):%Y-%m-%d %H:%M %Z}",
                        ConsentAction(change["action"]).label,
                        SuppressionReason(change["reason"]).label,
                        f" by {change['by']}" if change["by"] else "",
                        f": {change['note']}" if change["note"] else "",
                    )
                    for change in changes
                ),
            ),
        )

    def has_lift_permission(self, request: HttpRequest) -> bool:
        """Lifting is a change to the record: the model's "change" permission, as retrying
        a send is (ViewOnlyAdmin.has_retry_permission)."""
        return self.has_retry_permission(request)

    def get_urls(self):
        def wrap(view):
            # As ModelAdmin.get_urls wraps its own pages: signed-in staff only, and marked
            # as this model's page.
            def wrapper(*args, **kwargs):
                return self.admin_site.admin_view(view)(*args, **kwargs)

            wrapper.model_admin = self
            return update_wrapper(wrapper, view)

        name = f"{self.opts.app_label}_{self.opts.model_name}_lift"
        # Before the model's own URLs: "<object_id>/" would take ".../lift/" too.
        return [
            path("<path:object_id>/lift/", wrap(self.lift_view), name=name),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        suppression = self.get_object(request, unquote(object_id))
        extra_context = {
            **(extra_context or {}),
            "is_sms": suppression is not None and suppression.channel == ConsentChannel.SMS,
            "can_lift": suppression is not None
            and suppression.channel == ConsentChannel.EMAIL
            and self.has_lift_permission(request),
            "sendgrid_note": SENDGRID_KEEPS_ITS_OWN_LIST,
            "sms_note": ONLY_THE_PERSON_LIFTS_SMS,
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def lift_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Ask for the reason, then lift the email suppression (address_lift)."""
        suppression = self.get_object(request, unquote(object_id))
        if suppression is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_lift_permission(request):
            raise PermissionDenied
        change_url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change", args=[suppression.pk]
        )
        if suppression.channel == ConsentChannel.SMS:
            self.message_user(request, ONLY_THE_PERSON_LIFTS_SMS, messages.ERROR)
            return HttpResponseRedirect(change_url)

        form = LiftForm(request.POST if request.method == "POST" else None)
        if form.is_valid():
            try:
                lifted = address_lift(
                    address=suppression.address, note=form.cleaned_data["note"], user=request.user
                )
            except ApplicationError as error:
                form.add_error("note", error.message)
            else:
                if lifted:
                    self.message_user(
                        request,
                        f"Lifted the suppression of {suppression.address}: Hatch may email "
                        f"it again. {SENDGRID_KEEPS_ITS_OWN_LIST}",
                        messages.SUCCESS,
                    )
                else:
                    self.message_user(
                        request,
                        f"{suppression.address} was no longer suppressed.",
                        messages.INFO,
                    )
                return HttpResponseRedirect(
                    reverse(f"admin:{self.opts.app_label}_{self.opts.model_name}_changelist")
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Lift the suppression of {suppression.address}",
            "opts": self.opts,
            "original": suppression,
            "refusal": suppression_sentence(suppression),
            "sendgrid_note": SENDGRID_KEEPS_ITS_OWN_LIST,
            "form": form,
            "change_url": change_url,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/consent/suppression/lift.html", context)


@admin.register(ConsentChange)
class ConsentChangeAdmin(PhoneSearchMixin, ViewOnlyAdmin):
    """The history of every number's and address's consent: read-only, for everyone."""

    list_display = ["address", "channel", "action", "reason", "note", "changed_by", "changed_at"]
    list_filter = ["channel", "action", "reason"]
    search_fields = ["address"]
    phone_search_fields = ["address"]
    ordering = ["-changed_at", "-id"]
    list_select_related = ["changed_by"]
