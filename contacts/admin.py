"""Contacts in the admin, read-only: people are named, merged and imported in the inbox
and the API (contacts.services), which keep every number and address with one contact."""

from django.contrib import admin

from contacts.models import Contact, ContactPoint
from web.admin import PhoneSearchMixin, ViewOnlyAdmin, ViewOnlyTabularInline


class ContactPointInline(ViewOnlyTabularInline):
    model = ContactPoint
    fields = ["kind", "value", "position", "created_at"]
    verbose_name = "number or address"
    verbose_name_plural = "numbers and addresses"


@admin.register(Contact)
class ContactAdmin(PhoneSearchMixin, ViewOnlyAdmin):
    list_display = ["name", "first_name", "time_zone", "created_at"]
    search_fields = ["name", "points__value", "notes"]
    phone_search_fields = ["points__value"]
    # The order of contact_recent_idx, so a page is an index scan.
    ordering = ["-created_at", "-id"]
    fields = ["id", "name", "first_name", "time_zone", "notes", "created_at", "updated_at"]
    readonly_fields = fields
    inlines = [ContactPointInline]
