"""The outbox: how a stored record reaches its provider exactly once, or fails visibly.

The record row is the outbox entry; it exists before any network call. A delivery:

1. claims the record with one compare-and-swap UPDATE (queued -> sending), so two workers
   never send the same record;
2. calls the provider outside any transaction, with a timeout;
3. records the attempt and the outcome in one short transaction: sent, back to queued with
   a backoff (transient error), or failed (permanent error, or too many attempts).

A worker that dies between 1 and 3 leaves a "sending" row; the sweeper puts it back in the
queue after OUTBOX_SENDING_TIMEOUT_SECONDS. Nothing is ever lost. Neither Twilio nor
SendGrid takes an idempotency key, so an attempt whose outcome is unknown (the provider may
have accepted the record but its answer never arrived: a read timeout, a connection reset
after the request was written, or a worker that died mid-call) is *ambiguous*. Before
sending again after one, the outbox asks the provider whether the record already arrived
(``find_sent``: Twilio lists the recipient's messages; SendGrid has no such lookup) and
adopts what it finds instead of sending twice. A provider event that arrives first (a
Twilio status callback, SendGrid's "processed") also moves the record out of
"sending"/"queued" and prevents the second send. What remains: an email whose acceptance
was never answered may be sent twice (at most once more per lost answer).

Each channel subclasses Outbox and fills in the provider call and what a success stores
beside the provider's id (the template-method shape of django-anymail's backends), and
registers its outbox with its delivery task (outbox.registry) so that the sweeper and
``retry_failed`` serve every channel. The engine reads and writes only the columns of
outbox.models.OutboxRecord, and never a provider's vocabulary: a provider package turns
its answers into ProviderError and the send result before the engine sees them.
"""

import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Case, F, Q, Value, When
from django.db.models.functions import Coalesce
from django.tasks import Task, task_backends
from django.utils import timezone

from core.statuses import StatusLadder
from outbox.models import AttemptOutcome

logger = logging.getLogger(__name__)

# The status values every outbox model shares (both apps' TextChoices use these strings).
QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"

# Attempt error codes the outbox itself writes (DeliveryAttempt.error_code):
AMBIGUOUS = "no-answer"  # the provider may have accepted: look it up before sending again
RECONCILED = "reconciled"  # found at the provider, sent by an earlier attempt: adopted
LOOKUP_FAILED = "lookup-failed"  # the look-up before a resend failed: nothing was sent


class ProviderError(Exception):
    """A provider call that did not succeed.

    ``permanent`` errors (an invalid number, a refused sender, bad credentials) fail the
    record at once; the others (timeouts, connection errors, 5xx, 429) are retried.

    ``ambiguous`` errors are those after which the provider may nonetheless have accepted
    the record (a read timeout, a connection lost once the request was written): the next
    attempt looks the record up before sending it again.
    """

    def __init__(self, message: str, *, code: str = "", permanent: bool, ambiguous: bool = False):
        super().__init__(message)
        self.message = message
        self.code = str(code or (AMBIGUOUS if ambiguous else ""))
        self.permanent = permanent


class RecipientOptedOut(ProviderError):
    """The recipient withdrew consent (replied STOP, unsubscribed): permanent.

    Raised by a provider that refuses the send for that reason, and by an outbox that finds
    the withdrawal before sending. ``reason`` is what the channel records with the opt-out
    (e.g. "Twilio 21610").
    """

    def __init__(self, message: str, *, code: str = "", reason: str):
        super().__init__(message, code=code, permanent=True)
        self.reason = reason


@dataclass(frozen=True)
class SendResult:
    """What a provider answers when it accepts a record (channels add their own fields)."""

    provider_message_id: str


@dataclass
class RetryResult:
    requeued: list = field(default_factory=list)  # ids put back in the queue (or would be)
    refused: list = field(default_factory=list)  # ids left failed (Outbox.refusal_reason)


def retry_delay(attempt_number: int) -> timedelta:
    """Exponential backoff with jitter: about base * 2^(n-1) seconds, capped."""
    ceiling = min(
        settings.DELIVERY_RETRY_MAX_SECONDS,
        settings.DELIVERY_RETRY_BASE_SECONDS * 2 ** (attempt_number - 1),
    )
    # Jitter spreads the retries of a whole batch failed by one outage.
    return timedelta(seconds=ceiling * random.uniform(0.5, 1.0))


class Outbox:
    """The delivery flow for one kind of record; subclasses fill in the hooks below."""

    channel: str  # the registry's key and --channel's value, e.g. "sms"
    label: str  # how commands name the channel, e.g. "SMS"
    model: type[models.Model]  # an outbox.models.OutboxRecord
    attempt_model: type[models.Model]  # an outbox.models.DeliveryAttempt
    attempt_record_field: str  # the attempt model's foreign key to the record
    status_ladder: StatusLadder  # the record's statuses (core.statuses)
    # Why retry_failed leaves some failed records failed (see refused_ids).
    refusal_reason = ""
    # The delivery task, set by outbox.registry.register: the task module calls deliver(),
    # so the outbox cannot import it.
    task: Task

    # Hooks ----------------------------------------------------------------------------

    def send(self, record) -> SendResult:
        """Call the provider (no transaction is open). Raise ProviderError on failure."""
        raise NotImplementedError

    def success_fields(self, result: SendResult) -> dict:
        """Columns beyond the provider's id and send time that a success stores."""
        return {}

    def find_sent(self, record, since: datetime) -> Any | None:
        """The provider's record of this one if an attempt since ``since`` reached it, as
        ``send`` would have returned it; None if not there or the provider cannot tell.
        Raise ProviderError if the look-up itself fails (no transaction is open)."""
        return None

    def apply_permanent_failure(self, record, error: ProviderError) -> None:
        """Side effects of a permanent failure, e.g. an opt-out (inside a transaction)."""

    def retryable(self) -> models.QuerySet:
        """The failed records retry_failed may put back in the queue."""
        return self.model.objects.filter(status=FAILED)

    def error_code_value(self, error_code: str) -> Any | None:
        """``error_code`` as the record's column holds it; None if no record can have it."""
        return str(error_code)

    def refused_ids(self, record_ids: list) -> set:
        """Of these failed records, those a retry must leave failed (refusal_reason)."""
        return set()

    def retry_cleared_fields(self) -> dict:
        """The channel's own columns describing a previous try, with their empty values."""
        return {}

    def publish(self, record_id) -> None:
        """Tell open inboxes the record changed (called inside the transaction)."""

    def error_fields(self, error: ProviderError) -> dict:
        """The record's columns that keep the provider's error."""
        return {"error_code": error.code, "error_message": error.message}

    # The flow -------------------------------------------------------------------------

    def apply_success(self, record, result: SendResult, now: datetime) -> None:
        """Store what the provider answered (inside a transaction), in one UPDATE.

        It keeps whatever a provider event already wrote (a status callback may outrun the
        worker): the first provider id and send time stay, and the status only moves up to
        "sent".
        """
        self.model.objects.filter(pk=record.pk).update(
            provider_message_id=Coalesce(
                F("provider_message_id"), Value(result.provider_message_id)
            ),
            sent_at=Coalesce(F("sent_at"), Value(now)),
            status=Case(
                When(status__in=self.status_ladder.below(SENT), then=Value(SENT)),
                default=F("status"),
            ),
            updated_at=now,
            **self.success_fields(result),
        )

    def deliver(self, record_id: str) -> str:
        """Claim, send and record one record; return what happened (for logs and tests)."""
        if connection.in_atomic_block:
            raise RuntimeError("A provider call must never run inside a database transaction.")
        record = self.claim(record_id)
        if record is None:
            return "skipped"  # already sent, failed, claimed by another worker, or not due
        started_at = timezone.now()
        clock = time.monotonic()
        try:
            found = self._look_up_after_ambiguous_attempt(record)
            if found is not None:
                return self._adopt(record, found, started_at, clock)
            result = self.send(record)
        except ProviderError as error:
            return self._record_failure(record, error, started_at, clock)
        except Exception as error:
            # A bug or an SDK surprise must not strand the record in "sending".
            logger.exception("Unexpected error sending %s %s", self.model.__name__, record.pk)
            wrapped = ProviderError(f"Unexpected error: {type(error).__name__}", permanent=False)
            return self._record_failure(record, wrapped, started_at, clock)
        with transaction.atomic():
            self.apply_success(record, result, timezone.now())
            self._attempt(record, started_at, clock, AttemptOutcome.SENT)
            self.publish(record.pk)
        return SENT

    def ambiguous_since(self, record) -> datetime | None:
        """When the first attempt with an unknown outcome started, if there was one.

        Asked on every claim, the first included: a failed record put back in the queue by
        hand starts a fresh attempt count but keeps its history.
        """
        return (
            self.attempt_model.objects.filter(**{self.attempt_record_field: record})
            .filter(Q(outcome=AttemptOutcome.INTERRUPTED) | Q(error_code=AMBIGUOUS))
            .order_by("started_at")
            .values_list("started_at", flat=True)
            .first()
        )

    def claim(self, record_id: str):
        """Move a due queued record to "sending" and return it; None if it is not ours.

        A compare-and-swap: of two workers holding the same task only one matches. One
        statement that answers the claimed row (UPDATE ... RETURNING), since every send
        pays for it.
        """
        # A raw query's values as the fields would write them: SQLite (development) takes
        # neither a UUID nor an aware datetime as they are.
        pk = self.model._meta.pk
        record_id = pk.get_db_prep_value(pk.to_python(record_id), connection)
        now = self.model._meta.get_field("claimed_at").get_db_prep_value(timezone.now(), connection)
        table = self.model._meta.db_table
        claimed = self.model.objects.raw(
            f'UPDATE "{table}" SET status = %s, claimed_at = %s, '  # noqa: S608 (model names)
            "attempt_count = attempt_count + 1, updated_at = %s "
            "WHERE id = %s AND status = %s AND (next_attempt_at IS NULL OR next_attempt_at <= %s) "
            "RETURNING *",
            [SENDING, now, now, record_id, QUEUED, now],
        )
        return next(iter(claimed), None)

    def enqueue(self, record_id: str, *, run_after: datetime | None = None) -> None:
        """Queue a delivery; with a time, as a deferred task where the backend can defer."""
        task = self.task
        if run_after is not None:
            if not task_backends[task.backend].supports_defer:
                return  # e.g. the immediate backend; the sweeper picks the record up when due
            task = task.using(run_after=run_after)
        task.enqueue(str(record_id))

    def retry_failed(
        self,
        *,
        ids: list | None = None,
        error_code: str | int | None = None,
        since: datetime | None = None,
        dry_run: bool = False,
    ) -> RetryResult:
        """Put failed records back in the queue, due now; enqueue each after commit.

        Only ``failed`` records (``retryable``) are considered, narrowed by ``ids``, the
        provider's ``error_code`` and ``since`` (failed, that is last changed, at or after
        that time). Those ``refused_ids`` names stay failed (an SMS whose recipient has
        opted out: sending it would override the person's STOP). With ``dry_run`` nothing
        changes; the result says what would have.

        A retry is the one move backwards a status makes, and only staff ask for it. The
        record gets a fresh attempt budget and loses the columns that describe the previous
        try (error, provider id, sent_at), so that the next try and its provider events
        write their own; the previous tries stay in its attempts and events.
        """
        failed = self.retryable()
        if ids is not None:
            failed = failed.filter(id__in=ids)
        if error_code not in (None, ""):
            code = self.error_code_value(str(error_code))
            if code is None:
                return RetryResult()
            failed = failed.filter(error_code=code)
        if since is not None:
            failed = failed.filter(updated_at__gte=since)

        with transaction.atomic():
            # Locked, so that two retries of the same records at once re-queue each once.
            candidates = list(
                (failed if dry_run else failed.select_for_update())
                .order_by("created_at", "id")
                .values_list("id", flat=True)
            )
            refused = self.refused_ids(candidates) if candidates else set()
            result = RetryResult(
                requeued=[pk for pk in candidates if pk not in refused],
                refused=[pk for pk in candidates if pk in refused],
            )
            if result.requeued and not dry_run:
                self.requeue(result.requeued)
        return result

    def requeue(self, record_ids: list) -> None:
        """Put records back in the queue, due now, with a fresh attempt budget; enqueue each
        after commit and tell open inboxes. Call inside the transaction that chose them."""
        now = timezone.now()
        self.model.objects.filter(id__in=record_ids).update(
            status=QUEUED,
            next_attempt_at=now,
            attempt_count=0,
            error_message="",
            provider_message_id=None,
            sent_at=None,
            updated_at=now,
            **self.retry_cleared_fields(),
        )
        for record_id in record_ids:
            transaction.on_commit(lambda pk=record_id: self.enqueue(pk), robust=True)
            self.publish(record_id)

    def sweep(self) -> dict[str, int]:
        """Re-enqueue lost queued records and re-queue records stuck in "sending"."""
        now = timezone.now()
        overdue = now - timedelta(seconds=settings.OUTBOX_QUEUED_GRACE_SECONDS)
        lost = list(
            self.model.objects.filter(status=QUEUED)
            .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=overdue))
            .values_list("id", flat=True)[:10_000]
        )
        # Due again from now: a record whose task only waits in a slow queue is then not
        # enqueued once more on every sweep.
        self.model.objects.filter(id__in=lost, status=QUEUED).update(next_attempt_at=now)
        for record_id in lost:
            self.enqueue(record_id)

        stale = now - timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS)
        stuck = list(self.model.objects.filter(status=SENDING, claimed_at__lte=stale)[:10_000])
        requeued = reconciled = 0
        for record in stuck:
            if record.attempt_count >= settings.DELIVERY_MAX_ATTEMPTS and self._reconcile_stuck(
                record
            ):
                # Its last attempt did reach the provider: sent, not failed.
                reconciled += 1
                continue
            error = ProviderError(
                "The worker stopped during the provider call; the outcome is unknown.",
                permanent=False,
            )
            if self._record_failure(record, error, record.claimed_at, None) == QUEUED:
                requeued += 1
        return {
            "requeued_lost": len(lost),
            "requeued_stuck": requeued,
            "reconciled_stuck": reconciled,
        }

    # Internals ------------------------------------------------------------------------

    def _look_up_after_ambiguous_attempt(self, record) -> Any | None:
        since = self.ambiguous_since(record)
        if since is None:
            return None
        try:
            return self.find_sent(record, since)
        except ProviderError as error:
            # Sending now could send twice: wait and look again on the next attempt.
            raise ProviderError(
                f"Could not check whether an earlier attempt arrived: {error.message}",
                code=LOOKUP_FAILED,
                permanent=False,
            ) from error

    def _adopt(self, record, found: Any, started_at: datetime, clock: float | None) -> str:
        """An earlier attempt reached the provider: record its answer instead of resending."""
        with transaction.atomic():
            still_ours = self.model.objects.filter(
                id=record.pk, status=SENDING, claimed_at=record.claimed_at
            ).exists()
            if still_ours:
                self.apply_success(record, found, timezone.now())
                self.publish(record.pk)
            self._attempt(
                record,
                started_at,
                clock,
                AttemptOutcome.SENT,
                ProviderError(
                    "Found at the provider: an earlier attempt had arrived. Not sent again.",
                    code=RECONCILED,
                    permanent=False,
                ),
            )
        logger.info("%s %s: adopted an earlier attempt's send", self.model.__name__, record.pk)
        return SENT

    def _reconcile_stuck(self, record) -> bool:
        """For a record left "sending" at its last attempt: adopt it if it did arrive."""
        # The claim being given up has no attempt row yet: it counts as ambiguous too.
        since = min(self.ambiguous_since(record) or record.claimed_at, record.claimed_at)
        try:
            found = self.find_sent(record, since)
        except ProviderError as error:
            logger.warning("Could not look %s %s up: %s", self.model.__name__, record.pk, error)
            return False
        if found is None:
            return False
        self._adopt(record, found, record.claimed_at, None)
        return True

    def _record_failure(
        self, record, error: ProviderError, started_at: datetime, clock: float | None
    ) -> str:
        gives_up = error.permanent or record.attempt_count >= settings.DELIVERY_MAX_ATTEMPTS
        interrupted = clock is None
        outcome = (
            AttemptOutcome.INTERRUPTED
            if interrupted
            else AttemptOutcome.FAILED
            if gives_up
            else AttemptOutcome.RETRY
        )
        now = timezone.now()
        next_attempt_at = None if gives_up else now + retry_delay(record.attempt_count)
        with transaction.atomic():
            # Only the claim holder moves the record on: a callback may already have.
            still_ours = self.model.objects.filter(
                id=record.pk, status=SENDING, claimed_at=record.claimed_at
            )
            changes = self.error_fields(error)
            if gives_up:
                moved = still_ours.update(status=FAILED, updated_at=now, **changes)
                if moved and error.permanent:
                    self.apply_permanent_failure(record, error)
            else:
                moved = still_ours.update(
                    status=QUEUED, next_attempt_at=next_attempt_at, updated_at=now, **changes
                )
            self._attempt(record, started_at, clock, outcome, error)
            if moved:
                self.publish(record.pk)
            if moved and not gives_up:
                transaction.on_commit(
                    lambda: self.enqueue(record.pk, run_after=next_attempt_at), robust=True
                )
        log = logger.warning if gives_up else logger.info
        log(
            "%s %s attempt %s: %s (%s)%s",
            self.model.__name__,
            record.pk,
            record.attempt_count,
            error.message,
            error.code or "no code",
            "; giving up" if gives_up else f"; retrying at {next_attempt_at:%H:%M:%S}",
        )
        return FAILED if gives_up else QUEUED

    def _attempt(self, record, started_at, clock, outcome, error: ProviderError | None = None):
        self.attempt_model.objects.create(
            **{self.attempt_record_field: record},
            started_at=started_at,
            duration_ms=None if clock is None else round((time.monotonic() - clock) * 1000),
            outcome=outcome,
            error_code=error.code if error else "",
            error_message=error.message if error else "",
        )
