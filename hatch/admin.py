from django.contrib import admin
from django.http import HttpRequest


class ViewOnlyAdmin(admin.ModelAdmin):
    """An admin that shows records and never writes them.

    Services are the only writers (DESIGN.md): a record added or edited here would skip
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
