import json
import re
from functools import reduce
from operator import or_

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.auth import get_permission_codename
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html


class PhoneSearchMixin:
    """Let "(415) 555-2671" find "+14155552671", as the inbox search does.

    Contacts are stored in E.164, and the admin's word-by-word search would look for
    "(415)" and "555-2671" separately; the digits of the term are matched as well.
    """

    phone_search_fields: list[str] = []

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        digits = re.sub(r"\D", "", search_term)
        if len(digits) >= 3 and digits != search_term.strip():
            matches = [Q(**{f"{name}__contains": digits}) for name in self.phone_search_fields]
            results |= queryset.filter(reduce(or_, matches))
        return results, may_have_duplicates


class ViewOnlyAdmin(admin.ModelAdmin):
    """An admin that shows records and never writes them.

    Services are the only writers (docs/architecture.md): a record added or edited here would skip
    validation, the delivery pipeline and the conversation summary, and a deleted one would
    leave a summary counting something that is gone. So: no add, no change, no delete, for
    superusers too.
    """

    # The list counts the filtered rows only; counting the whole table again on every
    # filtered page costs a full scan of a table that only grows.
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_retry_permission(self, request: HttpRequest) -> bool:
        """Whether the user may ask a service to act on the records (e.g. re-send them).

        The admin never edits a record itself, but asking the delivery pipeline to send
        again is a change: it takes the model's "change" permission from the auth system,
        which superusers have and view-only staff do not.
        """
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.{get_permission_codename('change', opts)}")


class ViewOnlyTabularInline(admin.TabularInline):
    """Rows that belong to the record on the page (attempts, events), shown read-only.

    Declare ``fields``; each is read-only. Only list columns of the inline's own model:
    a field that follows a relation would cost one query per row.
    """

    extra = 0
    can_delete = False
    show_change_link = False

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        return self.fields

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


class KnownValuesFilter(admin.FieldListFilter):
    """A filter offering a fixed set of a column's values, plus "any" and "none".

    Django's default filter for a plain column lists its distinct values, which costs a
    scan of the whole table on every page of the list. Subclass with ``known_values``
    (value -> label), or ``get_known_values`` where they come from elsewhere (the
    configured provider's error codes); ``?<field>=<value>`` still takes any value, and
    shows it as chosen.
    """

    known_values: dict[str, str] = {}
    ANY, NONE = "_any", "_none"

    def __init__(self, field, request, params, model, model_admin, field_path):
        self.parameter_name = field_path
        super().__init__(field, request, params, model, model_admin, field_path)

    def expected_parameters(self):
        return [self.parameter_name]

    def get_known_values(self) -> dict[str, str]:
        return self.known_values

    def value(self) -> str | None:
        values = self.used_parameters.get(self.parameter_name)
        return values[-1] if values else None

    def lookups(self) -> list[tuple[str, str]]:
        lookups = [(self.ANY, "Any"), (self.NONE, "None")]
        lookups += [
            (value, f"{value} ({label})") for value, label in self.get_known_values().items()
        ]
        chosen = self.value()
        if chosen is not None and chosen not in dict(lookups):
            lookups.append((chosen, chosen))
        return lookups

    def condition(self, value: str) -> models.Q:
        none = models.Q(**{f"{self.field_path}__isnull": True})
        if isinstance(self.field, models.CharField | models.TextField):
            none |= models.Q(**{self.field_path: ""})
        if value == self.NONE:
            return none
        if value == self.ANY:
            return ~none
        return models.Q(**{self.field_path: value})

    def queryset(self, request, queryset):
        chosen = self.value()
        if chosen is None:
            return queryset
        try:
            return queryset.filter(self.condition(chosen))
        except (ValueError, ValidationError) as error:  # e.g. letters for a number column
            raise IncorrectLookupParameters(error) from error

    def get_facet_counts(self, pk_attname, filtered_qs):
        return {
            f"{index}__c": models.Count(pk_attname, filter=self.condition(value))
            for index, (value, _) in enumerate(self.lookups())
        }

    def choices(self, changelist):
        counts = self.get_facet_queryset(changelist) if changelist.add_facets else None
        yield {
            "selected": self.value() is None,
            "query_string": changelist.get_query_string(remove=[self.parameter_name]),
            "display": "All",
        }
        for index, (value, label) in enumerate(self.lookups()):
            yield {
                "selected": self.value() == value,
                "query_string": changelist.get_query_string({self.parameter_name: value}),
                "display": label if counts is None else f"{label} ({counts[f'{index}__c']})",
            }


def json_block(value) -> str:
    """A provider payload, folded so that a row stays one line until it is opened."""
    if value in (None, "", [], {}):
        return "-"
    return format_html(
        "<details><summary>{} fields</summary><pre>{}</pre></details>",
        len(value) if isinstance(value, dict | list) else 1,
        json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False),
    )


class DeliveryAttemptInline(ViewOnlyTabularInline):
    """A record's provider calls (outbox.models.DeliveryAttempt); subclasses name the model."""

    fields = ["started_at", "outcome", "duration_ms", "error_code", "error_message"]
    verbose_name = "delivery attempt"


class ProviderEventInline(ViewOnlyTabularInline):
    """What a provider reported about a record, with its raw payload."""

    @admin.display(description="Payload")
    def payload_json(self, event) -> str:
        return json_block(event.payload)
