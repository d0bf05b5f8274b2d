"""One search over SMS and internal messages, emails, contacts and internal notes.

Each kind is read by its own query through its own index (core.search): the full-text
indexes of message bodies, email subjects and bodies and notes; the trigram indexes of
contact names and of numbers and addresses. Newest first, each kind's query fetches one
page after the cursor and the pages are merged: every match is reachable, however old,
and a page costs the same at the end of a large result as at its start.

Messages and emails are read in two steps, because no one index gives both the words and
the order: first the newest WALK_ROWS rows after the cursor through the time index, the
words checked row by row (a common word fills the page there at once); then, only if the
page is not full, the rest through the text index, sorted (a rare word, a phrase). Left
to itself, PostgreSQL cannot tell a rare phrase or a prefix from a common word and may
check every row of the table in time order: seconds at a million rows.

Relevance ranks the newest RELEVANCE_POOL matches of each kind (ranking every match of a
common word would read each of its rows) and pages through the best RELEVANCE_MAX.
"""

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.contrib.postgres.search import SearchRank, TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import (
    DateTimeField,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Left, Upper

from contacts.models import Contact, ContactPoint
from conversations import models as conversations_models
from conversations.models import Conversation, Note
from conversations.selectors import labels_named, team_filtered
from core.errors import ValidationError
from core.search import (
    HEADLINE_LENGTH,
    document,
    headline,
    highlight_substring,
    highlighted,
    is_postgres,
    phone_digits,
    text_matches,
    text_query,
)
from emails import models as emails_models
from emails.models import Email
from messaging import models as messaging_models
from messaging.models import Direction, Message

KINDS = ("message", "email", "contact", "note")
WALK_ROWS = 2_000
RELEVANCE_POOL = 5_000
RELEVANCE_MAX = 1_000

MESSAGE_TEXT = messaging_models.SEARCHED_TEXT
EMAIL_TEXT = emails_models.SEARCHED_TEXT
NOTE_TEXT = conversations_models.NOTE_SEARCHED_TEXT


@dataclass(frozen=True)
class SearchFilters:
    """What narrows a search besides its words. A filter that does not apply to a kind
    leaves that kind out (a direction filter: no contacts, no notes)."""

    kinds: tuple[str, ...] = KINDS
    channel: str = ""
    direction: str = ""
    status: str = ""
    assignee: str = ""
    label: str = ""
    after: datetime | None = None
    before: datetime | None = None

    def wants(self, kind: str) -> bool:
        if kind not in self.kinds:
            return False
        if kind == "contact":
            return not (self.channel or self.direction or self.status or self.assignee)
        if kind == "note":
            return not (self.direction or self.status)
        if kind == "email":
            return self.channel in ("", "email")
        return self.channel != "email"  # message


@dataclass
class _Hit:
    kind: str
    id: uuid.UUID
    at: datetime
    conversation_id: uuid.UUID | None
    contact_id: uuid.UUID | None
    channel: str | None
    direction: str | None
    title: str
    text: str  # what a snippet is cut from when no headline is made
    rank: float = 0.0
    snippet: str = field(default="")

    def data(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": str(self.id),
            "conversation_id": str(self.conversation_id) if self.conversation_id else None,
            "contact_id": str(self.contact_id) if self.contact_id else None,
            "channel": self.channel,
            "direction": self.direction,
            "title": self.title,
            "snippet": self.snippet,
            "at": self.at,
        }


def search_newest(
    *,
    user,
    query: str,
    filters: SearchFilters,
    cursor: tuple[datetime, uuid.UUID] | None,
    size: int,
) -> tuple[list[dict[str, Any]], tuple[datetime, uuid.UUID] | None]:
    """One page of matches, newest first, after ``cursor``; and the cursor of the next
    page (None at the end)."""
    hits: list[_Hit] = []
    for kind, matching in _kinds(user=user, query=query, filters=filters).items():
        rows = _newest(kind, matching, filters, cursor, size + 1)
        hits.extend(_HITS[kind](row) for row in rows)
    hits.sort(key=lambda hit: (hit.at, hit.id), reverse=True)
    following = None
    if len(hits) > size:
        hits = hits[:size]
        following = (hits[-1].at, hits[-1].id)
    _add_snippets(hits, query)
    return [hit.data() for hit in hits], following


def search_ranked(
    *, user, query: str, filters: SearchFilters, offset: int, size: int
) -> tuple[list[dict[str, Any]], int | None]:
    """One page of the best matches (at most RELEVANCE_MAX), from ``offset``; and the
    offset of the next page (None at the end)."""
    wanted = min(offset + size + 1, RELEVANCE_MAX)
    hits: list[_Hit] = []
    for kind, matching in _kinds(user=user, query=query, filters=filters).items():
        with _text_index_only():
            rows = list(_ranked(kind, matching, query).order_by("-rank", "-at", "-id")[:wanted])
        hits.extend(_HITS[kind](row) for row in rows)
    hits.sort(key=lambda hit: (hit.rank, hit.at, hit.id), reverse=True)
    hits = hits[:wanted]
    page = hits[offset : offset + size]
    following = offset + size if len(hits) > offset + size else None
    _add_snippets(page, query)
    return [hit.data() for hit in page], following


# ---------------------------------------------------------------------------- per kind


def _kinds(*, user, query: str, filters: SearchFilters) -> dict[str, QuerySet]:
    """For each kind the search reads: its matching rows, as values with the keys _HITS
    reads and "at", their time."""
    conversations = _conversations(user=user, filters=filters)
    makers = {
        "message": lambda: _messages(query, filters, conversations),
        "email": lambda: _emails(query, filters, conversations),
        "note": lambda: _notes(query, filters, conversations),
        "contact": lambda: _contacts(query, filters),
    }
    return {kind: make() for kind, make in makers.items() if filters.wants(kind)}


_WALKED = {"message": Message, "email": Email}


def _newest(kind: str, matching: QuerySet, filters: SearchFilters, cursor, count: int) -> list:
    """The newest ``count`` rows of ``matching`` after ``cursor``, in two steps for the
    large tables (the module's docstring says why)."""
    model = _WALKED.get(kind)
    if model is None or not is_postgres():
        return list(_after(matching, cursor, time="at").order_by("-at", "-id")[:count])
    # The time of the WALK_ROWS-th row after the cursor: a walk of the time index alone.
    everything = _narrowed(model.objects.all(), filters, time="created_at")
    walked = _after(everything, cursor, time="created_at").order_by("-created_at", "-id")
    bound = walked.values_list("created_at", flat=True)[WALK_ROWS - 1 : WALK_ROWS].first()
    newest = _after(matching, cursor, time="at")
    if bound is None:  # no more than WALK_ROWS rows left to read: no plan goes far wrong
        return list(newest.order_by("-at", "-id")[:count])
    rows = list(newest.filter(at__gte=bound).order_by("-at", "-id")[:count])
    if len(rows) == count:
        return rows
    # Every match after the cursor from the text index, sorted. The cursor compares a time
    # no index serves: ANDed with a range of the time index (most of the table, when the
    # cursor is recent), PostgreSQL would first read that whole range.
    unindexed = ExpressionWrapper(F("created_at") + Value(timedelta(0)), DateTimeField())
    rest = _after(matching.annotate(unindexed_at=unindexed), cursor, time="unindexed_at")
    with _text_index_only():
        return list(rest.order_by("-at", "-id")[:count])


@contextmanager
def _text_index_only():
    """Queries that PostgreSQL plans without walking a table or an ordered index: what is
    left is a bitmap of the text index (or the trigram index), whose matches are then
    sorted. Settings of this transaction only."""
    with transaction.atomic(), connection.cursor() as cursor:
        if is_postgres():
            # And no parallel workers: starting them took 6 ms of a 9 ms query (the planner
            # guesses a prefix's matches at 2.5 % of the rows, however few there are).
            cursor.execute(
                "SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off;"
                " SET LOCAL max_parallel_workers_per_gather = 0"
            )
        yield


def _conversations(*, user, filters: SearchFilters) -> QuerySet | None:
    """The conversations the assignee and label filters allow; None: all of them."""
    if not (filters.assignee or filters.label):
        return None
    return team_filtered(
        Conversation.objects.all(), user=user, assignee=filters.assignee, label=filters.label
    ).values("id")


def _narrowed(rows: QuerySet, filters: SearchFilters, *, time: str) -> QuerySet:
    if filters.after:
        rows = rows.filter(**{f"{time}__gte": filters.after})
    if filters.before:
        rows = rows.filter(**{f"{time}__lt": filters.before})
    return rows


def _after(rows: QuerySet, cursor, *, time: str) -> QuerySet:
    if not cursor:
        return rows
    moment, row_id = cursor
    # The first condition bounds the index range; the second breaks ties on time.
    return rows.filter(
        Q(**{f"{time}__lte": moment}) & (Q(**{f"{time}__lt": moment}) | Q(id__lt=row_id))
    )


def _messages(query, filters, conversations) -> QuerySet:
    rows = text_matches(Message.objects.all(), MESSAGE_TEXT, query)
    if filters.channel:
        rows = rows.filter(channel=filters.channel)
    if filters.direction:
        inbound = filters.direction == "inbound"
        rows = rows.filter(direction=Direction.INBOUND if inbound else Direction.OUTBOUND)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if conversations is not None:
        rows = rows.filter(conversation_id__in=Subquery(conversations))
    rows = _narrowed(rows, filters, time="created_at")
    return rows.values(
        "id",
        "channel",
        "direction",
        "body",
        "to_contact",
        "from_contact",
        "conversation_id",
        contact_id=F("conversation__contact_id"),
        contact_name=F("conversation__contact_name"),
        at=F("created_at"),
    )


def _emails(query, filters, conversations) -> QuerySet:
    rows = text_matches(Email.objects.all(), EMAIL_TEXT, query)
    if filters.direction:
        rows = rows.filter(direction=filters.direction)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if conversations is not None:
        rows = rows.filter(thread_id__in=Subquery(conversations))
    rows = _narrowed(rows, filters, time="created_at")
    return rows.values(
        "id",
        "direction",
        "subject",
        "from_email",
        contact_id=F("thread__contact_id"),
        conversation_id=F("thread_id"),
        text=Left("body", HEADLINE_LENGTH),
        at=F("created_at"),
    )


def _notes(query, filters, conversations) -> QuerySet:
    rows = text_matches(Note.objects.all(), NOTE_TEXT, query)
    if filters.channel:
        rows = rows.filter(conversation__channel=filters.channel)
    if conversations is not None:
        rows = rows.filter(conversation_id__in=Subquery(conversations))
    rows = _narrowed(rows, filters, time="created_at")
    return rows.values(
        "id",
        "body",
        "conversation_id",
        channel=F("conversation__channel"),
        contact_id=F("conversation__contact_id"),
        author_first=F("author__first_name"),
        author_last=F("author__last_name"),
        author_username=F("author__username"),
        at=F("created_at"),
    )


def _contacts(query, filters) -> QuerySet:
    """Contacts whose name, or one of whose numbers or addresses, holds the query (a part
    of a word: trigram indexes), or whose number holds its digits ("(415) 555-26")."""
    digits = phone_digits(query)
    points = ContactPoint.objects.filter(value__icontains=digits or query)
    matches = Q(id__in=Subquery(points.values("contact_id")))
    if not digits:
        # A set of ids too, not a condition on the row: PostgreSQL reads each set through
        # its trigram index, where an OR with the name would read every contact.
        named = Contact.objects.filter(name__icontains=query)
        matches |= Q(id__in=Subquery(named.values("id")))
    rows = Contact.objects.filter(matches)
    if filters.label:
        label = labels_named([filters.label]).get(filters.label.strip().lower())
        if label is None:
            name = filters.label.strip()
            raise ValidationError(f"There is no label named {name!r}.", field="label")
        rows = rows.filter(labels=label)
    rows = _narrowed(rows, filters, time="created_at")
    first_point = ContactPoint.objects.filter(contact_id=OuterRef("pk")).order_by("position", "id")
    matched_point = points.filter(contact_id=OuterRef("pk")).order_by("position", "id")
    return rows.values(
        "id",
        "name",
        first=Subquery(first_point.values("value")[:1]),
        matched=Subquery(matched_point.values("value")[:1]),
        needle=Value(digits or query),
        at=F("created_at"),
    )


def _ranked(kind: str, rows: QuerySet, query: str) -> QuerySet:
    """``rows`` with a ``rank``: the newest RELEVANCE_POOL of them, ranked."""
    if not is_postgres():
        return rows.annotate(rank=Value(0.0))
    pool = rows.order_by("-at", "-id").values("id")[:RELEVANCE_POOL]
    rows = rows.filter(id__in=Subquery(pool))
    if kind == "contact":
        needle = rows.query.annotations["needle"].value
        return rows.annotate(
            rank=Coalesce(TrigramWordSimilarity(Value(needle.upper()), Upper("name")), 0.0)
        )
    fields = {"message": MESSAGE_TEXT, "email": EMAIL_TEXT, "note": NOTE_TEXT}[kind]
    # Normalisation 32: rank / (rank + 1), between 0 and 1 like a contact's similarity.
    return rows.annotate(rank=SearchRank(document(*fields), text_query(query), normalization=32))


# ---------------------------------------------------------------------------- results


def _message_hit(row: dict) -> _Hit:
    inbound = row["direction"] == Direction.INBOUND
    other = row["from_contact"] if inbound else row["to_contact"]
    return _Hit(
        kind="message",
        id=row["id"],
        at=row["at"],
        conversation_id=row["conversation_id"],
        contact_id=row["contact_id"],
        channel=row["channel"],
        direction="inbound" if inbound else "outbound",
        title=row["contact_name"] or other,
        text=row["body"],
        rank=row.get("rank", 0.0),
    )


def _email_hit(row: dict) -> _Hit:
    return _Hit(
        kind="email",
        id=row["id"],
        at=row["at"],
        conversation_id=row["conversation_id"],
        contact_id=row["contact_id"],
        channel="email",
        direction=row["direction"],
        title=row["subject"] or "(no subject)",
        text=row["text"],
        rank=row.get("rank", 0.0),
    )


def _note_hit(row: dict) -> _Hit:
    author = " ".join(filter(None, [row["author_first"], row["author_last"]]))
    author = author or row["author_username"] or "a former teammate"
    return _Hit(
        kind="note",
        id=row["id"],
        at=row["at"],
        conversation_id=row["conversation_id"],
        contact_id=row["contact_id"],
        channel=row["channel"],
        direction=None,
        title=f"Note by {author}",
        text=row["body"],
        rank=row.get("rank", 0.0),
    )


def _contact_hit(row: dict) -> _Hit:
    name, needle = row["name"], row["needle"]
    if row["matched"] and not (name and needle.lower() in name.lower()):
        snippet = highlight_substring(row["matched"], needle)
        if name:
            snippet = f"{highlight_substring(name, '')} · {snippet}"
    else:
        snippet = highlight_substring(name, needle)
    return _Hit(
        kind="contact",
        id=row["id"],
        at=row["at"],
        conversation_id=None,
        contact_id=row["id"],
        channel=None,
        direction=None,
        title=name or row["first"] or "Unnamed contact",
        text="",
        rank=row.get("rank", 0.0),
        snippet=snippet,
    )


_HITS = {"message": _message_hit, "email": _email_hit, "note": _note_hit, "contact": _contact_hit}

_HEADLINED = {
    "message": (Message, "body"),
    "email": (Email, "body"),
    "note": (Note, "body"),
}


def _add_snippets(hits: list[_Hit], query: str) -> None:
    """Each hit's snippet: its text around the matched words, the words in <mark>. Made
    for the page's rows alone (one query per kind): ts_headline reads the whole text, and
    made before the LIMIT it would run for every match."""
    for kind, (model, column) in _HEADLINED.items():
        page = {hit.id: hit for hit in hits if hit.kind == kind}
        if not page:
            continue
        if not is_postgres():
            for hit in page.values():
                hit.snippet = highlight_substring(hit.text, query.strip('"- '))
            continue
        headlines = model.objects.filter(id__in=list(page)).annotate(
            snippet=headline(column, query)
        )
        for row_id, snippet in headlines.values_list("id", "snippet"):
            page[row_id].snippet = highlighted(snippet)
