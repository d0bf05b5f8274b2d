"""The SMS opt-outs kept in messaging.OptOut move into the consent record (consent.0002)."""

from datetime import UTC, datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from consent.models import ConsentChange, Suppression

# Migrations change the schema: no per-test transaction around them.
pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("messaging", "0004_lean_message_indexes"), ("consent", "0001_initial")]
COPIED = [("messaging", "0004_lean_message_indexes"), ("consent", "0002_from_messaging_optout")]


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor


@pytest.fixture
def before_the_move():
    """The database as it was with messaging.OptOut; put back to the latest afterwards."""
    executor = migrate(BEFORE)
    try:
        yield executor.loader.project_state(BEFORE).apps
    finally:
        executor = MigrationExecutor(connection)
        migrate(executor.loader.graph.leaf_nodes())


def test_every_opt_out_is_copied_with_its_reason_detail_and_time(before_the_move):
    OptOut = before_the_move.get_model("messaging", "OptOut")
    stop_at = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
    carrier_at = datetime(2026, 4, 2, 17, 5, tzinfo=UTC)
    for phone, reason, at in [
        ("+14155552671", "keyword STOPALL", stop_at),
        ("+14155550111", "Twilio 21610", carrier_at),
    ]:
        opt_out = OptOut.objects.create(phone=phone, reason=reason)
        # created_at is not editable: set as the row had it.
        OptOut.objects.filter(pk=opt_out.pk).update(created_at=at)

    migrate(COPIED)
    migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    assert set(
        Suppression.objects.values_list("address", "channel", "reason", "detail", "created_at")
    ) == {
        ("+14155552671", "sms", "stop", "texted STOPALL", stop_at),
        ("+14155550111", "sms", "carrier_opt_out", "Twilio 21610", carrier_at),
    }
    assert set(
        ConsentChange.objects.values_list(
            "address", "action", "reason", "note", "changed_by", "changed_at"
        )
    ) == {
        ("+14155552671", "suppressed", "stop", "texted STOPALL", None, stop_at),
        ("+14155550111", "suppressed", "carrier_opt_out", "Twilio 21610", None, carrier_at),
    }
