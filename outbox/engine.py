"""The outbox: how a stored record reaches its provider exactly once, or fails visibly.

The record row is the outbox entry; it exists before any network call. A delivery:

1. claims the record with one compare-and-swap UPDATE (queued -> sending), so two workers
   never send the same record (a worker claims a batch of due records in one statement,
   skipping rows another worker holds);
2. calls the provider outside any transaction, with a timeout, in a pool of threads that
   only talk to the provider: a worker keeps DELIVERY_CONCURRENCY calls in flight, and
   claims more as answers come back (Outbox.drain);
3. records the attempt and the outcome in one short transaction: sent (the successes that
   came back together, together), back to queued with a backoff (transient error), or
   failed (permanent error, or too many attempts).

A worker that dies between 1 and 3 leaves its "sending" rows; the sweeper puts them back
in the queue after OUTBOX_SENDING_TIMEOUT_SECONDS. Nothing is ever lost. Neither Twilio nor
SendGrid takes an idempotency key, so an attempt whose outcome is unknown (the provider may
have accepted the record but its answer never arrived: a read timeout, a connection reset
after the request was written, or a worker that died mid-call) is *ambiguous*. Before
sending again after one, the outbox asks the provider whether the record already arrived
(``find_sent``: Twilio lists the recipient's messages; SendGrid has no such lookup) and
adopts what it finds instead of sending twice. A provider event that arrives first (a
Twilio status callback, SendGrid's "processed") also moves the record out of
"sending"/"queued" and prevents the second send. What remains: an email whose acceptance
was never answered may be sent twice (at most once more per lost answer).

Each channel subclasses Outbox and fills in the provider call (send_jobs: what each call
needs, read from the database before it leaves for the pool) and what a success stores
beside the provider's id (the template-method shape of django-anymail's backends), and
registers its outbox with its delivery task (outbox.registry) so that the sweeper and
``retry_failed`` serve every channel. The engine reads and writes only the columns of
outbox.models.OutboxRecord, and never a provider's vocabulary: a provider package turns
its answers into ProviderError and the send result before the engine sees them.
"""

import logging
import os
import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.db.models import Case, F, Min, Q, Value, When
from django.db.models.functions import Coalesce
from django.dispatch import Signal
from django.tasks import Task, task_backends
from django.utils import timezone

from core.statuses import StatusLadder
from outbox.models import AttemptOutcome

logger = logging.getLogger(__name__)

# The status values every outbox model shares (both apps' TextChoices use these strings).
QUEUED, SENDING, SENT, FAILED = "queued", "sending", "sent", "failed"
# A record asked to go out later ("send_at"): due at next_attempt_at, and claimed then
# straight to "sending" as a queued one is; "canceled" while it waited, it never goes.
SCHEDULED, CANCELED = "scheduled", "canceled"
# What a claim may take once due.
WAITING = (QUEUED, SCHEDULED)
# The record id of a delivery task that names no record: it drains what is due.
DRAIN_ON = ""

# Sent (after the commit) when records sent for broadcasts changed status, with
# ``sender`` the record model and ``broadcast_ids``: the broadcasts app tells open inboxes.
records_progressed = Signal()

# Attempt error codes the outbox itself writes (DeliveryAttempt.error_code):
AMBIGUOUS = "no-answer"  # the provider may have accepted: look it up before sending again
RECONCILED = "reconciled"  # found at the provider, sent by an earlier attempt: adopted
LOOKUP_FAILED = "lookup-failed"  # the look-up before a resend failed: nothing was sent

# How long a draining worker waits for an answer before it looks for more due records.
CLAIM_INTERVAL_SECONDS = 0.1


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


@dataclass(frozen=True)
class SendJob:
    """One claimed record's provider work, made ready by the channel (Outbox.send_jobs).

    ``send`` and ``find_sent`` run in the delivery pool: they reach the provider only,
    never the database (whose connection belongs to the worker's own thread).
    """

    send: Callable[[], SendResult]
    # After an attempt whose outcome is unknown: the provider's record of it, or None.
    find_sent: Callable[[], Any | None] | None = None
    # Known before any call (the recipient withdrew consent): fail with this, send nothing.
    refusal: ProviderError | None = None


@dataclass
class _Call:
    """A claimed record on its way: its job, and when it set out (for its attempt row)."""

    record: Any
    job: SendJob
    started_at: datetime = field(default_factory=timezone.now)
    clock: float = field(default_factory=time.monotonic)

    def run(self) -> tuple[bool, Any]:
        """In the pool: ``(adopted, answer)``: an earlier attempt's record found at the
        provider, or this send's answer. Raises ProviderError."""
        job = self.job
        if job.refusal is not None:
            raise job.refusal
        if job.find_sent is not None:
            try:
                found = job.find_sent()
            except ProviderError as error:
                # Sending now could send twice: wait and look again on the next attempt.
                raise ProviderError(
                    f"Could not check whether an earlier attempt arrived: {error.message}",
                    code=LOOKUP_FAILED,
                    permanent=False,
                ) from error
            if found is not None:
                return True, found
        return False, job.send()


_pool_lock = threading.Lock()
_pool: tuple[tuple[int, int], ThreadPoolExecutor] | None = None


def _delivery_pool() -> ThreadPoolExecutor:
    """The process's provider-call threads (DELIVERY_CONCURRENCY of them), kept for its
    life: each keeps its own HTTP connections to the provider alive between tasks."""
    global _pool
    # A forked child inherits no threads: it starts its own (as does a changed setting).
    key = (os.getpid(), settings.DELIVERY_CONCURRENCY)
    with _pool_lock:
        if _pool is None or _pool[0] != key:
            if _pool is not None and _pool[0][0] == key[0]:
                _pool[1].shutdown(wait=False)
            executor = ThreadPoolExecutor(max_workers=key[1], thread_name_prefix="delivery")
            _pool = (key, executor)
        return _pool[1]


def _skip_locked() -> str:
    # SQLite (development) has one writer at a time and no row locks to skip.
    return " FOR UPDATE SKIP LOCKED" if connection.vendor == "postgresql" else ""


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

    def send_jobs(self, records: list, ambiguous_since: dict) -> list["SendJob"]:
        """Each claimed record's SendJob, in order: what its provider call needs, read now
        (in the worker's own thread, the one that reaches the database; a few queries for
        the whole batch), the call itself left to the delivery pool.

        ``ambiguous_since`` maps the ids of records an earlier attempt may have reached to
        when that attempt started: their job looks them up first (``SendJob.find_sent``).
        """
        raise NotImplementedError

    def success_fields(self, result: SendResult) -> dict:
        """Columns beyond the provider's id and send time that a success stores."""
        return {}

    def find_sent(self, record, since: datetime) -> Any | None:
        """The provider's record of this one if an attempt since ``since`` reached it, as
        a send would have returned it; None if not there or the provider cannot tell.
        Raise ProviderError if the look-up itself fails (no transaction is open). The
        sweeper's look-up; a delivery's goes through its SendJob."""
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

    def concurrency(self) -> int:
        """How many of this channel's provider calls a worker keeps in flight."""
        return settings.DELIVERY_CONCURRENCY

    def publish(self, record_id) -> None:
        """Tell open inboxes the record changed (called inside the transaction)."""

    def publish_many(self, record_ids: list) -> None:
        """Tell open inboxes these records changed (inside the transaction): a channel
        builds their events together, after the commit, from one query."""
        for record_id in record_ids:
            self.publish(record_id)

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

    def apply_successes(self, sent: list[tuple[Any, SendResult]], now: datetime) -> None:
        """apply_success for each of many records: on PostgreSQL one UPDATE joined to a
        VALUES list of their answers (a batch of answers costs one round trip)."""
        if connection.vendor != "postgresql" or len(sent) == 1:
            for record, result in sent:
                self.apply_success(record, result, now)
            return
        # The channel's own columns, from what each answer stores; one an answer leaves out
        # (an SMS whose segments Twilio did not count) keeps its value (COALESCE).
        extra = sorted({name for _, result in sent for name in self.success_fields(result)})
        fields = [self.model._meta.get_field(name) for name in ["id", *extra]]
        pid = self.model._meta.get_field("provider_message_id")
        row = ", ".join(
            f"%s::{field.db_type(connection)}" for field in [fields[0], pid, *fields[1:]]
        )
        values = []
        for record, result in sent:
            answered = self.success_fields(result)
            values += [
                fields[0].get_db_prep_value(record.pk, connection),
                result.provider_message_id,
                *(
                    field.get_db_prep_save(answered.get(field.name), connection)
                    for field in fields[1:]
                ),
            ]
        below = self.status_ladder.below(SENT)
        time = self.model._meta.get_field("sent_at").get_db_prep_value(now, connection)
        table = self.model._meta.db_table
        columns = ", ".join(f'"{field.column}"' for field in [fields[0], pid, *fields[1:]])
        kept = "".join(
            f', "{field.column}" = COALESCE(v."{field.column}", t."{field.column}")'
            for field in fields[1:]
        )
        with connection.cursor() as cursor:
            cursor.execute(
                # Names from the models; every value is a parameter.
                f'UPDATE "{table}" AS t SET '  # noqa: S608
                'provider_message_id = COALESCE(t.provider_message_id, v."provider_message_id"), '
                "sent_at = COALESCE(t.sent_at, %s), updated_at = %s, "
                f"status = CASE WHEN t.status IN ({', '.join(['%s'] * len(below))}) "
                f"THEN %s ELSE t.status END{kept} "
                f"FROM (VALUES {', '.join([f'({row})'] * len(sent))}) AS v({columns}) "
                "WHERE t.id = v.id",
                [time, time, *below, SENT, *values],
            )

    def deliver(self, record_id) -> str:
        """Claim, send and record this one record; return what happened (for logs and
        tests): "sent", "queued" (to retry), "failed", or "skipped" (already sent, failed,
        claimed by another worker, or not due)."""
        outcomes = self._deliver(self.claim(record_id), claim_more=False)
        return outcomes.get(str(record_id), "skipped")

    def drain(self) -> dict[str, int]:
        """Deliver every due record of the channel, DELIVERY_CONCURRENCY provider calls at
        a time, until none is left or DELIVERY_DRAIN_SECONDS have passed (a busy queue
        gives its worker back now and then: what is left is drained by the next task, one
        enqueued here if need be). The delivery task runs this: its own record is one of
        those due, or another worker holds it already.

        A provider answers in 100-300 ms: a worker that waited for each answer in turn
        delivered 9 SMS a second. Calls run side by side in a pool of threads that only
        talk to the provider; claims, look-ups and outcomes stay in this thread, a batch
        at a time. Answers how many records ended how.
        """
        limit = self.concurrency()
        outcomes = Counter(self._deliver(self.claim_due(limit=limit), claim_more=True).values())
        if self.due_exists():
            # Given back with work left (a broadcast's records have no task each): the
            # next task goes on with it.
            self.enqueue(DRAIN_ON)
        return dict(outcomes)

    def due_exists(self) -> bool:
        """Whether a record waits that is due now (one probe of the outbox index)."""
        return (
            self.model.objects.filter(status__in=WAITING, next_attempt_at__lte=timezone.now())
            .order_by("next_attempt_at")  # the due index's order: see claim_due
            .only("pk")
            .exists()
        )

    def ambiguous_since(self, record) -> datetime | None:
        """When the first attempt with an unknown outcome started, if there was one."""
        return self.ambiguous_since_many([record.pk]).get(record.pk)

    def ambiguous_since_many(self, record_ids: list) -> dict:
        """For those of these records that had an attempt with an unknown outcome, when
        the first one started (one query).

        Asked on every claim, the first included: a failed record put back in the queue by
        hand starts a fresh attempt count but keeps its history.
        """
        if not record_ids:
            return {}
        field = self.attempt_record_field
        return dict(
            self.attempt_model.objects.filter(**{f"{field}__in": record_ids})
            .filter(Q(outcome=AttemptOutcome.INTERRUPTED) | Q(error_code=AMBIGUOUS))
            .values(field)
            .annotate(first=Min("started_at"))
            .values_list(field, "first")
        )

    def claim(self, record_id) -> list:
        """Move this record to "sending" if it is queued or scheduled and due, and return it
        (a list of none or one); a compare-and-swap, so of two workers holding it only one
        gets it. One statement that answers the claimed row (UPDATE ... RETURNING)."""
        pk = self.model._meta.pk
        record_id = pk.get_db_prep_value(pk.to_python(record_id), connection)
        sql, params = self._claim_sql()
        return list(
            self.model.objects.raw(
                sql.format(chosen="id = %s"), [*params[:3], record_id, *params[3:]]
            )
        )

    def claim_due(self, *, limit: int) -> list:
        """Move up to ``limit`` due records (queued, or scheduled for now or earlier) to
        "sending" and return them. One
        statement; rows another transaction holds are skipped (SKIP LOCKED), so workers
        claiming at once each get their own.

        The rows are picked in a materialized CTE: as a subquery of ``id IN (...)`` the
        planner may run the pick again for each row it updates, and with SKIP LOCKED each
        run finds other rows, so the LIMIT would not bound the claim (measured: a claim of
        32 took 200). They are picked oldest due first, in the order of the due index
        (message_due_idx, email_due_idx), which also keeps the planner on it: without the
        order it read all 1M rows of the table (250 ms a claim) whenever its statistics
        guessed that many rows were waiting, and a worker then claimed 10 records a second.
        """
        sql, params = self._claim_sql()
        table = self.model._meta.db_table
        materialized = "MATERIALIZED " if connection.vendor == "postgresql" else ""
        # Names from the models, values as parameters.
        picked = (
            f'WITH picked AS {materialized}(SELECT id FROM "{table}" '  # noqa: S608
            "WHERE status IN (%s, %s) AND next_attempt_at <= %s "
            f"ORDER BY next_attempt_at LIMIT %s{_skip_locked()}) "
        )
        return list(
            self.model.objects.raw(
                picked + sql.format(chosen="id IN (SELECT id FROM picked)"),
                [*WAITING, params[-1], limit, *params],
            )
        )

    def _claim_sql(self) -> tuple[str, list]:
        """The claim's UPDATE, with ``{chosen}`` for the rows it may take, and its
        parameters (the three of SET, then the three of the due check: a queued record, or
        a scheduled one, due now)."""
        # A raw query's values as the fields would write them: SQLite (development) takes
        # neither a UUID nor an aware datetime as they are.
        now = self.model._meta.get_field("claimed_at").get_db_prep_value(timezone.now(), connection)
        table = self.model._meta.db_table
        sql = (
            f'UPDATE "{table}" SET status = %s, claimed_at = %s, '  # noqa: S608 (model names)
            "attempt_count = attempt_count + 1, updated_at = %s "
            "WHERE {chosen} AND status IN (%s, %s) "
            "AND next_attempt_at <= %s RETURNING *"
        )
        return sql, [SENDING, now, now, *WAITING, now]

    def enqueue(self, record_id: str, *, run_after: datetime | None = None) -> None:
        """Queue a delivery; with a time, as a deferred task where the backend can defer."""
        task = self.task
        if run_after is not None:
            if not task_backends[task.backend].supports_defer:
                return  # e.g. the immediate backend; the sweeper picks the record up when due
            task = task.using(run_after=run_after)
        task.enqueue(str(record_id))

    def schedule(self, record_id, send_at: datetime) -> None:
        """Enqueue a scheduled record's delivery for its time, once the transaction that
        stored or moved it commits. A task for an earlier time finds it not yet due and
        does nothing; one that is lost is made up for by the sweeper."""
        transaction.on_commit(lambda: self.enqueue(record_id, run_after=send_at), robust=True)

    def cancel(self, record_id) -> bool:
        """Cancel a record while it is scheduled: one compare-and-swap UPDATE, so a cancel
        and a worker's claim never both win. False once its sending has begun (or it was
        never scheduled). Tells open inboxes."""
        return self.change_scheduled(record_id, {"status": CANCELED, "next_attempt_at": None})

    def change_scheduled(self, record_id, changes: dict, *, due_at: datetime | None = None) -> bool:
        """Write ``changes`` to a record while it is scheduled (the same compare-and-swap
        as a cancel), and enqueue its delivery for ``due_at`` when given; False once its
        sending has begun. Tells open inboxes."""
        with transaction.atomic():
            moved = self.model.objects.filter(id=record_id, status=SCHEDULED).update(
                updated_at=timezone.now(), **changes
            )
            if moved:
                self.publish(record_id)
                if due_at is not None:
                    self.schedule(record_id, due_at)
        return bool(moved)

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
        """Re-enqueue lost records (queued, or scheduled, and OUTBOX_QUEUED_GRACE_SECONDS
        past their time: their task was lost; at once when due if the task backend holds
        no task for later) and re-queue records stuck in "sending"."""
        now = timezone.now()
        overdue = now - timedelta(seconds=settings.OUTBOX_QUEUED_GRACE_SECONDS)
        if not task_backends[self.task.backend].supports_defer:
            # Nothing holds a task for later (the immediate backend, in development): the
            # sweeper sends what falls due, scheduled sends and retries, as it falls due.
            overdue = now
        waiting = self.model.objects.filter(status__in=WAITING)
        # Two reads of the due index (see claim_due): an OR would let the planner scan.
        lost = list(waiting.filter(next_attempt_at__isnull=True).values_list("id", flat=True))
        lost += (
            waiting.filter(next_attempt_at__lte=overdue)
            .order_by("next_attempt_at")
            .values_list("id", flat=True)[:10_000]
        )
        # Due again from now: a record whose task only waits in a slow queue is then not
        # enqueued once more on every sweep.
        self.model.objects.filter(id__in=lost, status__in=WAITING).update(next_attempt_at=now)
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

    def _deliver(self, records: list, *, claim_more: bool) -> dict[str, str]:
        """Send ``records`` (claimed) side by side and record how each went; with
        ``claim_more``, claim more due records as calls finish (see drain)."""
        if connection.in_atomic_block:
            raise RuntimeError("A provider call must never run inside a database transaction.")
        outcomes: dict[str, str] = {}
        pool = _delivery_pool()
        deadline = time.monotonic() + settings.DELIVERY_DRAIN_SECONDS
        look_again_at = 0.0
        in_flight: dict[Future, _Call] = {}
        while True:
            for call in self._calls(records):
                in_flight[pool.submit(call.run)] = call
            if not in_flight:
                return outcomes
            done, _ = wait(in_flight, timeout=CLAIM_INTERVAL_SECONDS, return_when=FIRST_COMPLETED)
            outcomes.update(self._record([(in_flight.pop(future), future) for future in done]))
            room = self.concurrency() - len(in_flight)
            now = time.monotonic()
            records = []
            if claim_more and room > 0 and now < deadline and now >= look_again_at:
                records = self.claim_due(limit=room)
                if len(records) < room:
                    # Nothing more is due for now: look again in a moment, not at every
                    # answer (each sent record's own task comes by anyway).
                    look_again_at = now + CLAIM_INTERVAL_SECONDS

    def _calls(self, records: list) -> list["_Call"]:
        if not records:
            return []
        ambiguous = self.ambiguous_since_many([record.pk for record in records])
        jobs = self.send_jobs(records, ambiguous)
        return [_Call(record, job) for record, job in zip(records, jobs, strict=True)]

    def _record(self, finished: list[tuple["_Call", Future]]) -> dict[str, str]:
        """Record the outcome of each finished call: the sends that succeeded together, in
        one transaction; failures and adoptions each in their own, as before."""
        outcomes: dict[str, str] = {}
        sent: list[tuple[_Call, SendResult]] = []
        for call, future in finished:
            record = call.record
            try:
                adopted, result = future.result()
            except ProviderError as error:
                outcomes[str(record.pk)] = self._record_failure(
                    record, error, call.started_at, call.clock
                )
                continue
            except Exception as error:
                # A bug or an SDK surprise must not strand the record in "sending".
                logger.exception("Unexpected error sending %s %s", self.model.__name__, record.pk)
                wrapped = ProviderError(
                    f"Unexpected error: {type(error).__name__}", permanent=False
                )
                outcomes[str(record.pk)] = self._record_failure(
                    record, wrapped, call.started_at, call.clock
                )
                continue
            if adopted:
                outcomes[str(record.pk)] = self._adopt(record, result, call.started_at, call.clock)
            else:
                sent.append((call, result))
        if sent:
            now = timezone.now()
            with transaction.atomic():
                self.apply_successes([(call.record, result) for call, result in sent], now)
                self.attempt_model.objects.bulk_create(
                    self._attempt_row(call.record, call.started_at, call.clock, AttemptOutcome.SENT)
                    for call, _ in sent
                )
                self._tell([call.record for call, _ in sent])
            outcomes.update((str(call.record.pk), SENT) for call, _ in sent)
        return outcomes

    def _tell(self, records: list) -> None:
        """Tell open inboxes these records changed (inside the transaction): each one, or,
        for those sent for a broadcast, the broadcast (records_progressed; its receiver
        sends progress about once a second, not an event per record)."""
        own = [record.pk for record in records if record.broadcast_id is None]
        if own:
            self.publish_many(own)
        broadcasts = {record.broadcast_id for record in records} - {None}
        if broadcasts:
            transaction.on_commit(
                lambda: records_progressed.send(sender=self.model, broadcast_ids=broadcasts),
                robust=True,
            )

    def _adopt(self, record, found: Any, started_at: datetime, clock: float | None) -> str:
        """An earlier attempt reached the provider: record its answer instead of resending."""
        with transaction.atomic():
            still_ours = self.model.objects.filter(
                id=record.pk, status=SENDING, claimed_at=record.claimed_at
            ).exists()
            if still_ours:
                self.apply_success(record, found, timezone.now())
                self._tell([record])
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
                self._tell([record])
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
        self._attempt_row(record, started_at, clock, outcome, error).save()

    def _attempt_row(
        self, record, started_at, clock, outcome, error: ProviderError | None = None
    ) -> models.Model:
        return self.attempt_model(
            **{self.attempt_record_field: record},
            started_at=started_at,
            duration_ms=None if clock is None else round((time.monotonic() - clock) * 1000),
            outcome=outcome,
            error_code=error.code if error else "",
            error_message=error.message if error else "",
        )
