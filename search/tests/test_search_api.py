"""GET /api/search: what a teammate finds, how it is shown, and that PostgreSQL finds it
through the indexes."""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from contacts.services import contact_create
from conversations.models import Conversation
from conversations.services import note_create
from emails.tests.factories import EmailFactory
from messaging.models import Direction, MessageStatus
from messaging.tests.factories import ConversationFactory, MessageFactory, UserFactory
from search import selectors
from team.services import label_create

pytestmark = pytest.mark.django_db

URL = "/api/search"


def search(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200, response.json()
    return response.json()


def message(body, *, ago=timedelta(0), conversation=None, **fields):
    record = MessageFactory(body=body, conversation=conversation or ConversationFactory(), **fields)
    moment = timezone.now() - ago
    type(record).objects.filter(pk=record.pk).update(created_at=moment)
    record.created_at = moment
    return record


def ids(page):
    return [result["id"] for result in page["results"]]


class TestWhatIsFound:
    def test_a_word_finds_messages_emails_and_notes_each_where_it_lives(self, api_client, user):
        sms = message("Your refund was approved today")
        thread = ConversationFactory(channel="email", reply_to="ada@example.com")
        email = EmailFactory(thread=thread, subject="Refund request", body="Please advise.")
        noted = ConversationFactory()
        note = note_create(conversation=noted, author=user, body="Customer asked for a refund")
        message("Nothing to see here")

        results = {r["kind"]: r for r in search(api_client, q="refund")["results"]}

        assert set(results) == {"message", "email", "note"}
        assert results["message"]["id"] == str(sms.id)
        assert results["message"]["conversation_id"] == str(sms.conversation_id)
        assert results["message"]["channel"] == "sms"
        assert results["email"]["id"] == str(email.id)
        assert results["email"]["conversation_id"] == str(thread.id)
        assert results["email"]["title"] == "Refund request"
        assert results["note"]["id"] == str(note.id)
        assert results["note"]["conversation_id"] == str(noted.id)
        assert results["note"]["title"] == "Note by Casey Jones"

    def test_words_match_their_other_forms(self, api_client):
        sms = message("We refunded the order")
        assert ids(search(api_client, q="refunds")) == [str(sms.id)]

    def test_the_last_word_matches_as_a_prefix_while_it_is_typed(self, api_client):
        sms = message("Your refund was approved")
        assert ids(search(api_client, q="refu")) == [str(sms.id)]
        assert ids(search(api_client, q="approved refu")) == [str(sms.id)]
        assert ids(search(api_client, q="re")) == []  # too short to be a prefix

    def test_a_quoted_phrase_needs_its_words_together(self, api_client):
        together = message("the parcel left the depot")
        message("the depot has your parcel; it left")
        assert ids(search(api_client, q='"parcel left"')) == [str(together.id)]

    def test_a_minus_excludes_a_word_and_or_takes_either(self, api_client):
        card = message("refund to your card")
        cash = message("refund in cash")
        assert ids(search(api_client, q="refund -cash")) == [str(card.id)]
        assert set(ids(search(api_client, q="card or cash"))) == {str(card.id), str(cash.id)}

    @pytest.mark.parametrize(
        "query", ['"unclosed', "-", "or or", "&|!():*<>", "a:*", "'", "\\", "((", "-refund -"]
    )
    def test_broken_syntax_never_errors(self, api_client, query):
        message("refund")
        search(api_client, q=query)  # 200: what cannot be read is taken as plain words

    def test_part_of_a_number_finds_its_contact(self, api_client):
        ada = contact_create(name="Ada Lovelace", phones=["+14155552671"])
        contact_create(name="Someone Else", phones=["+14155550000"])
        for query in ["5552671", "(415) 555-2671", "415 555 26"]:
            page = search(api_client, q=query, type="contact")
            assert ids(page) == [str(ada.id)], query
            assert "<mark>" in page["results"][0]["snippet"]

    def test_part_of_a_name_or_an_address_finds_the_contact(self, api_client):
        ada = contact_create(name="Ada Lovelace", emails=["countess@analytical.example"])
        assert ids(search(api_client, q="lovel", type="contact")) == [str(ada.id)]
        result = search(api_client, q="analytical.ex", type="contact")["results"][0]
        assert result["id"] == str(ada.id)
        assert result["title"] == "Ada Lovelace"
        assert "<mark>analytical.ex</mark>" in result["snippet"]


class TestSnippets:
    def test_the_snippet_marks_the_words_and_escapes_everything_else(self, api_client):
        message('<img src=x onerror="alert(1)"> please refund me & my friend')
        snippet = search(api_client, q="refund")["results"][0]["snippet"]
        assert "<mark>refund</mark>" in snippet
        assert "<img" not in snippet
        assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in snippet
        assert "&amp; my friend" in snippet
        message('say "refund" <3 & go')
        snippets = [r["snippet"] for r in search(api_client, q="refund")["results"]]
        assert "say &quot;<mark>refund</mark>&quot; &lt;3 &amp; go" in snippets, snippets

    def test_a_snippet_of_a_long_text_is_cut_around_the_match(self, api_client, user):
        text = " ".join(["filler"] * 700) + " the refund is here " + " ".join(["more"] * 700)
        note_create(conversation=ConversationFactory(), author=user, body=text)
        snippet = search(api_client, q="refund")["results"][0]["snippet"]
        assert "<mark>refund</mark>" in snippet
        assert len(snippet) < 400

    def test_the_markers_cannot_be_forged_by_the_text(self, api_client):
        message("refund \ue000sneaky\ue001 </mark><b>bold</b>")
        snippet = search(api_client, q="refund")["results"][0]["snippet"]
        assert "<b>" not in snippet
        assert snippet.count("<mark>") == snippet.count("</mark>")


class TestOrderAndPaging:
    @pytest.mark.parametrize("walk_rows", [3, 2000])
    def test_pages_reach_every_match_newest_first(self, api_client, monkeypatch, walk_rows):
        # A walk shorter than the matches makes the second step (the text index) serve
        # most pages; the default walk serves them all in the first.
        monkeypatch.setattr(selectors, "WALK_ROWS", walk_rows)
        conversation = ConversationFactory()
        expected = []
        for n in range(47):
            expected.append(
                message(f"invoice {n}", ago=timedelta(minutes=n), conversation=conversation)
            )
            message(f"other {n}", ago=timedelta(minutes=n, seconds=30), conversation=conversation)
        thread = ConversationFactory(channel="email", reply_to="bo@example.com")
        for n in range(5):
            email = EmailFactory(thread=thread, subject=f"invoice {n}")
            moment = timezone.now() - timedelta(minutes=10 * n + 5)
            type(email).objects.filter(pk=email.pk).update(created_at=moment)
            expected.append(type(email).objects.get(pk=email.pk))
        expected.sort(key=lambda record: (record.created_at, record.id), reverse=True)

        seen, url = [], f"{URL}?q=invoice&page_size=10"
        while url:
            page = api_client.get(url).json()
            seen += ids(page)
            url = page["next"]

        assert seen == [str(record.id) for record in expected]

    def test_relevance_puts_the_closest_match_first_and_pages_to_the_end(self, api_client):
        best = message("refund refund: the refund", ago=timedelta(days=30))
        others = [message(f"a refund maybe, {n} other words here") for n in range(4)]
        page = search(api_client, q="refund", sort="relevance", page_size=1)
        assert ids(page) == [str(best.id)]
        seen = ids(page)
        url = page["next"]
        while url:
            page = api_client.get(url).json()
            seen += ids(page)
            url = page["next"]
        assert sorted(seen) == sorted([str(best.id)] + [str(m.id) for m in others])

    def test_a_search_costs_a_fixed_number_of_queries(
        self, api_client, monkeypatch, django_assert_num_queries
    ):
        monkeypatch.setattr(selectors, "WALK_ROWS", 3)
        for n in range(30):
            message(f"refund {n}" if n % 10 == 0 else f"other {n}")
        EmailFactory(subject="refund")
        # The token; for messages: the bound of the walk, the walk, then (the page is not
        # full) the text index: the settings and the query in a savepoint and its release;
        # emails: the bound (none: fewer rows than a walk) and one query; notes; contacts;
        # one snippet query per kind on the page.
        with django_assert_num_queries(13):
            search(api_client, q="refund", page_size=5)


class TestFilters:
    def test_type_channel_direction_and_status_narrow_the_results(self, api_client):
        inbound = message("refund please", direction=Direction.INBOUND, status="received")
        failed = message("refund sent", status=MessageStatus.FAILED)
        internal = message("refund approved", channel="internal", status="delivered")
        EmailFactory(subject="refund")

        assert ids(search(api_client, q="refund", type="message", direction="inbound")) == [
            str(inbound.id)
        ]
        assert ids(search(api_client, q="refund", status="failed")) == [str(failed.id)]
        assert ids(search(api_client, q="refund", channel="internal")) == [str(internal.id)]
        kinds = {r["kind"] for r in search(api_client, q="refund", channel="email")["results"]}
        assert kinds == {"email"}

    def test_assignee_and_label_keep_their_conversations(self, api_client, user):
        mine = ConversationFactory(assignee=user)
        message("refund", conversation=mine)
        message("refund", conversation=ConversationFactory())
        vip = label_create(name="VIP")
        labelled = ConversationFactory()
        labelled.labels.add(vip)
        message("refund", conversation=labelled)
        customer = contact_create(name="Refund Rita", labels=["VIP"])

        assert {
            r["conversation_id"] for r in search(api_client, q="refund", assignee="me")["results"]
        } == {str(mine.id)}
        by_label = search(api_client, q="refund", label="vip")["results"]
        assert {(r["kind"], r["conversation_id"] or r["id"]) for r in by_label} == {
            ("message", str(labelled.id)),
            ("contact", str(customer.id)),
        }

    def test_after_and_before_bound_the_time(self, api_client):
        old = message("refund", ago=timedelta(days=10))
        new = message("refund", ago=timedelta(days=1))
        day = (timezone.now() - timedelta(days=5)).date().isoformat()
        assert ids(search(api_client, q="refund", after=day)) == [str(new.id)]
        assert ids(search(api_client, q="refund", before=day)) == [str(old.id)]

    @pytest.mark.parametrize(
        ("params", "field", "words"),
        [
            ({"q": "  "}, "q", "Type something to search for"),
            ({"q": ""}, "q", "Type something to search for"),
            ({}, "q", "Type something to search for"),
            ({"q": "x" * 501}, "q", "at most 500 characters"),
            ({"q": "x", "type": "fax"}, "type", "fax"),
            ({"q": "x", "after": "last tuesday"}, "after", "2026-12-01"),
            ({"q": "x", "after": "2026-12-01T09:00"}, "after", "offset"),
            ({"q": "x", "label": "No such label"}, "label", "no label named"),
            ({"q": "x", "assignee": "nobody"}, "assignee", "'me', 'none'"),
            ({"q": "x", "page_size": "500"}, "page_size", "100"),
        ],
    )
    def test_unusable_parameters_are_a_400_saying_what_to_do(
        self, api_client, params, field, words
    ):
        response = api_client.get(URL, params)
        assert response.status_code == 400
        body = response.json()
        assert field in body["fields"]
        assert words.lower() in str(body).lower()


def test_signed_out_is_refused(anonymous_client):
    assert anonymous_client.get(URL, {"q": "x"}).status_code in (401, 403)


class TestIndexes:
    """The queries use the indexes the migrations made: if an expression drifts from its
    index, PostgreSQL silently reads every row instead."""

    @pytest.mark.parametrize(
        ("kind", "index"),
        [
            ("message", "message_text_idx"),
            ("email", "email_text_idx"),
            ("note", "note_text_idx"),
            ("contact", "contact_point_trgm_idx"),
            ("contact", "contact_name_trgm_idx"),
        ],
    )
    def test_each_kind_is_read_through_its_index(self, user, kind, index):
        rows = selectors._kinds(user=user, query="refund", filters=selectors.SearchFilters())[kind]
        sql, params = rows.query.sql_with_params()
        with connection.cursor() as cursor:
            # As selectors._text_index_only: no table walk, no ordered index walk.
            cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert index in plan

    def test_the_conversation_list_finds_words_through_the_message_index(self, user):
        from messaging.selectors import conversation_list

        sql, params = conversation_list(user=user, query="refund").query.sql_with_params()
        with connection.cursor() as cursor:
            # As selectors._text_index_only: no table walk, no ordered index walk.
            cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "message_text_idx" in plan


def test_the_conversation_list_search_finds_words_and_names(api_client):
    conversation = ConversationFactory(contact_name="Ada Lovelace")
    message("We refunded the order", conversation=conversation)
    other = ConversationFactory()
    message("Hello", conversation=other)
    listed = api_client.get("/api/conversations", {"q": "refunds"}).json()["conversations"]
    assert [c["conversation_id"] for c in listed] == [str(conversation.id)]
    listed = api_client.get("/api/conversations", {"q": "lovel"}).json()["conversations"]
    assert [c["conversation_id"] for c in listed] == [str(conversation.id)]
    assert Conversation.objects.count() == 2


def test_another_users_note_names_its_author(api_client):
    author = UserFactory(username="bo", first_name="Bo", last_name="Diddley")
    note_create(conversation=ConversationFactory(), author=author, body="refund noted")
    assert search(api_client, q="refund")["results"][0]["title"] == "Note by Bo Diddley"


def test_an_email_longer_than_the_index_reads_is_stored_and_found_by_its_start(api_client):
    # 300,000 different words: a tsvector past PostgreSQL's 1 MB limit, which would refuse
    # the row if the index read the whole body rather than its first part.
    body = "invoice attached " + " ".join(f"w{n}" for n in range(300_000))
    email = EmailFactory(subject="Big one", body=body)
    assert ids(search(api_client, q="invoice", type="email")) == [str(email.id)]
