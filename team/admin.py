"""The team in the Django admin: each user's role on their page, and the labels.

Teammates are invited, promoted and deactivated on the Team page (team.services); the
admin is where staff fix what the Team page cannot reach (a superuser's role, a user made
with createsuperuser). The one rule it could break, that the team keeps an active admin,
is checked here too.
"""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from team import selectors
from team.models import Label, Role, Teammate
from team.services import COLOUR_PATTERN


class TeammateForm(forms.ModelForm):
    class Meta:
        model = Teammate
        fields = ["role"]

    def clean_role(self):
        role = self.cleaned_data["role"]
        was_admin = self.instance.pk and self.initial.get("role") == Role.ADMIN
        if was_admin and role != Role.ADMIN and selectors.active_admin_count() <= 1:
            raise forms.ValidationError(
                "This is the team's last active admin: make someone else an admin first."
            )
        return role


class TeammateInline(admin.StackedInline):
    model = Teammate
    form = TeammateForm
    can_delete = False
    min_num = 1
    max_num = 1
    verbose_name = "role in Hatch"
    verbose_name_plural = "role in Hatch"


class HatchUserAdmin(UserAdmin):
    inlines = [TeammateInline]
    list_display = [*UserAdmin.list_display, "role"]
    list_select_related = ["teammate"]
    list_filter = [*UserAdmin.list_filter, "teammate__role"]

    @admin.display(description="Role", ordering="teammate__role")
    def role(self, user) -> str:
        return Role(selectors.role_of(user)).label


admin.site.unregister(get_user_model())
admin.site.register(get_user_model(), HatchUserAdmin)


class LabelForm(forms.ModelForm):
    class Meta:
        model = Label
        fields = ["name", "colour"]

    def clean_name(self):
        # The unique index ignores case; say so in words rather than naming the constraint.
        name = " ".join(self.cleaned_data["name"].split())
        if Label.objects.filter(name__iexact=name).exclude(pk=self.instance.pk).exists():
            raise forms.ValidationError(f"The name “{name}” is taken: another label has it.")
        return name

    def clean_colour(self):
        colour = self.cleaned_data["colour"].strip().lower()
        if not COLOUR_PATTERN.match(colour):
            raise forms.ValidationError("Write the colour as #rrggbb, e.g. #0f766e.")
        return colour


@admin.register(Label)
class LabelAdmin(admin.ModelAdmin):
    form = LabelForm
    list_display = ["name", "colour", "created_at"]
    search_fields = ["name"]
    fields = ["name", "colour", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
