"""Searching text in PostgreSQL alone: full-text search and trigram lookups.

Words are found through GIN indexes over ``to_tsvector(SEARCH_CONFIG, ...)`` expressions
(no stored column: adding one would rewrite a large table): ``document()`` builds the one
expression that both an index and its queries use, and PostgreSQL uses the index only
when the two are identical. Parts of names, numbers and addresses are found through
trigram indexes (``pg_trgm``) over ``UPPER(column)``, which serve Django's ``icontains``.

On SQLite (development) the same functions fall back to a plain scan with ``icontains``:
slower, same answers for ordinary words.
"""

import html
import re

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import AddIndexConcurrently
from django.contrib.postgres.search import SearchHeadline, SearchQuery, SearchVector
from django.db import connection
from django.db.migrations.operations import RunPython, SeparateDatabaseAndState
from django.db.models import Expression, Func, Q, Value
from django.db.models.functions import Left, Upper

# Sentinels around each match in ts_headline's answer, replaced by <mark> tags once the
# text around them is escaped: ts_headline's own StartSel would be escaped with the rest.
# Private-use characters, which no message is expected to hold (any that does loses them).
_START, _STOP = "\ue000", "\ue001"
_LT, _GT = "\ue002", "\ue003"
# ts_headline reads the whole document: a snippet is cut from its first part only.
HEADLINE_LENGTH = 20_000

_WORD = re.compile(r"\w+$")
_PHONE_LIKE = re.compile(r"^[\d\s()+.\-/]+$")
# The last word is matched as a prefix from this many characters ("ref" finds "refund").
PREFIX_MIN_LENGTH = 3


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def document(*fields: str | Expression) -> SearchVector:
    """The text search document over ``fields``: the expression of a full-text index and
    of every query that is to use it (the two must be the same)."""
    return SearchVector(*fields, config=settings.SEARCH_CONFIG)


def text_index(*fields: str | Expression, name: str) -> GinIndex:
    """A GIN index over ``document(*fields)``, for the queries of ``text_matches``."""
    return GinIndex(document(*fields), name=name)


def trigram_index(field: str, *, name: str) -> GinIndex:
    """A trigram index over ``UPPER(field)``: what ``field__icontains`` compiles to, so
    that "lovel" finds "Ada Lovelace" and "5552671" finds "+14155552671" through it."""
    return GinIndex(OpClass(Upper(field), name="gin_trgm_ops"), name=name)


class _AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY (writes go on while a large table is indexed), on
    PostgreSQL only: SQLite has neither GIN nor tsvector, and its search scans."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_forwards(app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            super().database_backwards(app_label, schema_editor, from_state, to_state)


def add_search_index(model: str, index: GinIndex) -> SeparateDatabaseAndState:
    """The migration operations that create a search index on ``model`` ("app.model"), in
    a migration with ``atomic = False``, then gather the statistics of its expression.

    Without those statistics (ANALYZE; autovacuum gathers them only once enough rows have
    changed) PostgreSQL guesses how many rows a word matches, and on a large table it may
    guess many and check every row in time order instead of reading the index.

    The index is in the database only, not in the model's state (nor its Meta): SQLite
    rebuilds a table from the state's indexes on many schema changes, and could not create
    this one. The model's Meta says in a comment which indexes it has here."""
    app_label, model_name = model.split(".")

    def analyze(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            table = apps.get_model(app_label, model_name)._meta.db_table
            schema_editor.execute(f"ANALYZE {schema_editor.quote_name(table)}")

    return SeparateDatabaseAndState(
        database_operations=[
            _AddIndexConcurrentlyOnPostgres(model_name=model_name, index=index),
            RunPython(analyze, RunPython.noop, elidable=True),
        ]
    )


def clean(query: str) -> str:
    """The query as searched: trimmed, NUL removed (PostgreSQL refuses it in a parameter,
    and no stored text holds one)."""
    return query.replace("\x00", "").strip()


def text_query(query: str) -> SearchQuery:
    """``query`` in web-search syntax ("a phrase", -word, or), which never fails to parse:
    what it cannot read it takes as plain words. The last word also matches as a prefix,
    so that results come while a word is being typed."""
    config = settings.SEARCH_CONFIG
    words = SearchQuery(query, search_type="websearch", config=config)
    last = _WORD.search(query)
    if last is None or len(last.group()) < PREFIX_MIN_LENGTH or query.rstrip() != query:
        return words
    before = query[: last.start()]
    if before.count('"') % 2 or before.rstrip().endswith("-"):
        # Inside a phrase, or an excluded word: exactly as typed.
        return words
    # \w+ holds no tsquery operators; to_tsquery normalises it like the document's words.
    prefix = SearchQuery(f"{last.group()}:*", search_type="raw", config=config)
    if not before.strip():
        return words | prefix
    return words | (SearchQuery(before, search_type="websearch", config=config) & prefix)


def text_matches(queryset, fields: tuple[str | Expression, ...], query: str):
    """``queryset`` narrowed to the rows whose ``fields`` hold ``query``'s words."""
    if not is_postgres():
        return queryset.filter(_contains_any(fields, query))
    return queryset.annotate(_document=document(*fields)).filter(_document=text_query(query))


def _contains_any(fields: tuple[str | Expression, ...], query: str) -> Q:
    matches = Q()
    for field in fields:
        if isinstance(field, str):
            matches |= Q(**{f"{field}__icontains": query})
    return matches


def phone_digits(query: str) -> str:
    """The digits of a query that looks like (part of) a phone number, e.g. "(415) 555-26"
    gives "41555526"; "" for anything else or fewer than 3 digits."""
    if not _PHONE_LIKE.match(query):
        return ""
    digits = re.sub(r"\D", "", query)
    return digits if len(digits) >= 3 else ""


def headline(column: str, query: str) -> SearchHeadline:
    """The snippet of ``column`` around ``query``'s words, for ``highlighted``."""
    # PostgreSQL's parser reads "<" as the start of a tag and leaves what follows out of
    # the headline ("love you <3 see you" loses its end): angle brackets go in as
    # private-use characters, and come back escaped.
    text = Func(Left(column, HEADLINE_LENGTH), Value("<>"), Value(_LT + _GT), function="translate")
    return SearchHeadline(
        text,
        text_query(query),
        config=settings.SEARCH_CONFIG,
        start_sel=_START,
        stop_sel=_STOP,
        max_words=30,
        min_words=12,
    )


def highlighted(headline: str) -> str:
    """A ``headline()`` answer as HTML: the text escaped, the matched words in <mark>."""
    text = html.escape(" ".join(headline.split()))
    text = text.replace(_LT, "&lt;").replace(_GT, "&gt;")
    opened = 0
    parts = []
    for char in text:
        if char == _START and not opened:
            parts.append("<mark>")
            opened = 1
        elif char == _STOP and opened:
            parts.append("</mark>")
            opened = 0
        elif char not in (_START, _STOP):
            parts.append(char)
    if opened:
        parts.append("</mark>")
    return "".join(parts)


def highlight_substring(text: str, needle: str, *, width: int = 120) -> str:
    """``text`` escaped, around the first case-insensitive occurrence of ``needle`` in
    <mark> (trigram matches, and every match on SQLite)."""
    text = " ".join(text.split())
    found = text.lower().find(needle.lower()) if needle else -1
    if found < 0:
        return html.escape(text[:width])
    start = max(0, found - width // 2)
    end = min(len(text), found + len(needle) + width // 2)
    before = ("…" if start else "") + text[start:found]
    after = text[found + len(needle) : end] + ("…" if end < len(text) else "")
    match = text[found : found + len(needle)]
    return f"{html.escape(before)}<mark>{html.escape(match)}</mark>{html.escape(after)}"
