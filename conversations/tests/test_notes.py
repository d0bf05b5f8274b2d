"""Internal notes: what the team writes on a conversation for itself, and its @mentions."""

import pytest

from conversations.models import NOTE_MAX_LENGTH, Conversation, Note
from conversations.tests.conftest import token_client

pytestmark = pytest.mark.django_db


def notes_url(conversation_id, kind="conversations") -> str:
    return f"/api/{kind}/{conversation_id}/notes"


def post_note(client, conversation_id, body, kind="conversations"):
    return client.post(notes_url(conversation_id, kind), {"body": body}, format="json")


class TestWriting:
    def test_a_note_is_answered_with_its_author_and_mentions(
        self, agent_api, ben, ada, conversation
    ):
        response = post_note(agent_api, conversation, "Pinging @ada about table 4")

        assert response.status_code == 201, response.content
        note = response.json()
        assert set(note) == {"id", "conversation_id", "author", "body", "mentions", "created_at"}
        assert note["conversation_id"] == conversation
        assert note["author"] == {"id": ben.pk, "name": "Ben Okafor"}
        assert note["body"] == "Pinging @ada about table 4"
        assert note["mentions"] == [{"id": ada.pk, "name": "Ada Lovelace", "username": "ada"}]
        stored = Note.objects.get()
        assert list(stored.mentions.all()) == [ada]

    @pytest.mark.parametrize("body", ["", "   ", "\n\t"])
    def test_a_blank_note_is_refused_with_a_sentence(self, agent_api, conversation, body):
        response = post_note(agent_api, conversation, body)

        assert response.status_code == 400
        assert response.json() == {
            "error": "Write something in the note: it may not be blank.",
            "fields": {"body": ["Write something in the note: it may not be blank."]},
        }
        assert not Note.objects.exists()

    def test_a_note_without_a_body_is_refused(self, agent_api, conversation):
        response = agent_api.post(notes_url(conversation), {}, format="json")

        assert response.status_code == 400
        assert "body" in response.json()["fields"]

    def test_a_note_may_be_as_long_as_the_limit_and_no_longer(self, agent_api, conversation):
        assert post_note(agent_api, conversation, "x" * NOTE_MAX_LENGTH).status_code == 201

        response = post_note(agent_api, conversation, "x" * (NOTE_MAX_LENGTH + 1))

        assert response.status_code == 400
        assert response.json()["error"] == (
            "The note is 10,001 characters long; a note holds at most 10,000."
        )
        assert Note.objects.count() == 1

    def test_surrounding_space_is_trimmed_and_the_text_kept_as_typed(self, agent_api, conversation):
        body = "  Tom & Jerry <3\n\n  second line  \n"

        note = post_note(agent_api, conversation, body).json()

        assert note["body"] == "Tom & Jerry <3\n\n  second line"

    def test_a_note_is_no_message_of_the_conversation(self, agent_api, conversation):
        before = Conversation.objects.values(
            "message_count", "last_message_preview", "last_message_at"
        ).get(id=conversation)

        post_note(agent_api, conversation, "The customer is a regular")

        after = Conversation.objects.values(
            "message_count", "last_message_preview", "last_message_at"
        ).get(id=conversation)
        assert after == before
        messages = agent_api.get(f"/api/conversation/{conversation}/messages").json()["messages"]
        assert [message["body"] for message in messages] == ["Table 4 is ready"]
        listed = agent_api.get("/api/conversations").json()["conversations"]
        assert [item["preview"] for item in listed] == ["Table 4 is ready"]

    def test_an_unknown_conversation_is_a_404_and_stores_nothing(self, agent_api):
        for conversation_id in ("7b1f0f1e-0000-0000-0000-000000000000", "not-a-uuid"):
            response = post_note(agent_api, conversation_id, "Hello")

            assert response.status_code == 404
            assert response.json() == {"error": "No conversation with this id."}
        assert not Note.objects.exists()

    def test_someone_signed_out_may_neither_read_nor_write_notes(
        self, anonymous_client, conversation
    ):
        assert post_note(anonymous_client, conversation, "Hello").status_code == 401
        assert anonymous_client.get(notes_url(conversation)).status_code == 401


class TestMentions:
    @pytest.mark.parametrize(
        "body",
        [
            "@ada can you call them?",
            "Can @ADA call them?",
            "Thanks @Ada.",
            "(@ada, @ada) twice",
            "@ada: please",
        ],
    )
    def test_a_teammate_is_mentioned_by_username_in_any_case(
        self, agent_api, ada, conversation, body
    ):
        note = post_note(agent_api, conversation, body).json()

        assert [mention["username"] for mention in note["mentions"]] == ["ada"]

    @pytest.mark.parametrize(
        "body",
        [
            "@nobody is no teammate",
            "Write to ada@example.com",
            "An @ alone",
            "email@ada",
        ],
    )
    def test_what_names_no_teammate_is_plain_text(self, agent_api, ada, conversation, body):
        note = post_note(agent_api, conversation, body).json()

        assert note["mentions"] == []
        assert note["body"] == body

    def test_an_inactive_teammate_is_not_mentioned(self, agent_api, make_user, conversation):
        make_user("cleo", is_active=False)

        note = post_note(agent_api, conversation, "@cleo left last year").json()

        assert note["mentions"] == []

    def test_usernames_with_dots_and_dashes_are_mentioned_whole(
        self, agent_api, make_user, conversation
    ):
        make_user("mary.ann-lee", first_name="Mary Ann", last_name="Lee")
        make_user("mary")

        note = post_note(agent_api, conversation, "Over to @mary.ann-lee.").json()

        assert [mention["username"] for mention in note["mentions"]] == ["mary.ann-lee"]
        assert note["mentions"][0]["name"] == "Mary Ann Lee"

    def test_several_teammates_are_listed_by_username(
        self, agent_api, ada, make_user, conversation
    ):
        make_user("zoe")

        note = post_note(agent_api, conversation, "@zoe and @ada, see this").json()

        assert [mention["username"] for mention in note["mentions"]] == ["ada", "zoe"]


class TestEvents:
    def test_everyone_hears_of_the_note_and_the_mentioned_hear_their_mention(
        self,
        agent_api,
        ada,
        ben,
        make_user,
        conversation,
        inbox,
        django_capture_on_commit_callbacks,
    ):
        zoe = make_user("zoe")
        for user in (ada, ben, zoe):
            inbox.listen_as(user)

        with django_capture_on_commit_callbacks(execute=True):
            note = post_note(agent_api, conversation, "@ada have a look (and @ben)").json()

        assert inbox.events() == [{"type": "note.created", "note": note}]
        # Ada is mentioned; Ben wrote it (no need to tell him); Zoe is not mentioned.
        assert inbox.of(ada) == [
            {
                "type": "mention",
                "note": note,
                "conversation": {
                    "id": conversation,
                    "channel": "internal",
                    "reply_to": "Front desk",
                    "contact": None,
                    "subject": "",
                },
            }
        ]
        assert inbox.of(ben) == []
        assert inbox.of(zoe) == []

    def test_a_mention_in_an_email_thread_names_the_thread(
        self, agent_api, ada, email_thread, inbox, django_capture_on_commit_callbacks
    ):
        inbox.listen_as(ada)

        with django_capture_on_commit_callbacks(execute=True):
            post_note(agent_api, email_thread, "@ada", kind="email_threads")

        (mention,) = inbox.of(ada)
        conversation = mention["conversation"]
        assert (conversation["id"], conversation["channel"]) == (email_thread, "email")
        assert conversation["subject"] == "Your order"
        assert conversation["contact"]["id"]

    def test_nothing_is_heard_before_the_commit_nor_of_a_refused_note(
        self, agent_api, ada, conversation, inbox, django_capture_on_commit_callbacks
    ):
        inbox.listen_as(ada)

        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            post_note(agent_api, conversation, "@ada")
            assert inbox.events() == [] and inbox.of(ada) == []
        assert len(callbacks) == 2
        with django_capture_on_commit_callbacks(execute=True):
            assert post_note(agent_api, conversation, "   ").status_code == 400

        assert inbox.events() == [] and inbox.of(ada) == []


class TestReading:
    def test_notes_are_listed_oldest_first(self, agent_api, conversation):
        for body in ("first", "second", "third"):
            post_note(agent_api, conversation, body)

        page = agent_api.get(notes_url(conversation)).json()

        assert [note["body"] for note in page["notes"]] == ["first", "second", "third"]
        assert page["next"] is None

    def test_pages_lead_from_the_newest_notes_to_older_ones(self, agent_api, conversation):
        for number in range(5):
            post_note(agent_api, conversation, f"note {number}")

        first = agent_api.get(notes_url(conversation), {"page_size": 2}).json()
        second = agent_api.get(first["next"]).json()
        third = agent_api.get(second["next"]).json()

        pages = [[note["body"] for note in page["notes"]] for page in (first, second, third)]
        assert pages == [["note 3", "note 4"], ["note 1", "note 2"], ["note 0"]]
        assert third["next"] is None

    def test_a_listed_note_reads_as_it_was_answered(self, agent_api, ada, conversation):
        answered = post_note(agent_api, conversation, "For @ada").json()

        (listed,) = agent_api.get(notes_url(conversation)).json()["notes"]

        assert listed == answered

    def test_each_conversation_lists_its_own_notes(self, agent_api, conversation, sms_conversation):
        post_note(agent_api, conversation, "internal")
        post_note(agent_api, sms_conversation, "sms")

        notes = agent_api.get(notes_url(sms_conversation)).json()["notes"]

        assert [note["body"] for note in notes] == ["sms"]

    def test_a_note_whose_author_was_deleted_has_no_author(
        self, agent_api, ben, make_user, conversation
    ):
        post_note(agent_api, conversation, "Still here")
        ben.delete()

        reader = token_client(make_user("reader"))
        (note,) = reader.get(notes_url(conversation)).json()["notes"]

        assert note["author"] is None

    def test_a_page_costs_the_same_whatever_its_length(
        self, agent_api, ada, make_user, conversation, django_assert_num_queries
    ):
        zoe = make_user("zoe")
        for number in range(12):
            post_note(agent_api, conversation, f"note {number} for @ada and @{zoe.username}")

        for size in (1, 1000):
            # The token, the conversation, the page (authors joined), the page's mentions.
            with django_assert_num_queries(4):
                response = agent_api.get(notes_url(conversation), {"page_size": size})
            assert response.status_code == 200
        assert len(response.json()["notes"]) == 12

    def test_a_bad_cursor_or_page_size_is_a_400(self, agent_api, conversation):
        assert agent_api.get(notes_url(conversation), {"cursor": "nope"}).status_code == 400
        assert agent_api.get(notes_url(conversation), {"page_size": 0}).status_code == 400


class TestEmailThreads:
    def test_an_email_thread_has_notes_too(self, agent_api, email_thread):
        response = post_note(agent_api, email_thread, "Refund approved", kind="email_threads")

        assert response.status_code == 201
        listed = agent_api.get(notes_url(email_thread, "email_threads")).json()["notes"]
        assert [note["body"] for note in listed] == ["Refund approved"]
        emails = agent_api.get(f"/api/email_threads/{email_thread}").json()["emails"]
        assert [email["body"] for email in emails] == ["It shipped."]

    def test_each_list_finds_only_its_own_kind_of_conversation(
        self, agent_api, email_thread, conversation
    ):
        refused = post_note(agent_api, conversation, "x", kind="email_threads")
        also_refused = post_note(agent_api, email_thread, "x", kind="conversations")

        assert refused.status_code == 404
        assert refused.json() == {"error": "No email thread with this id."}
        assert also_refused.status_code == 404
        assert not Note.objects.exists()
