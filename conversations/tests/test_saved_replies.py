"""Saved replies: the template language (conversations.saved_replies), then the API."""

import pytest

from conversations import saved_replies
from conversations.models import SavedReply
from conversations.saved_replies import Variable
from conversations.tests.conftest import token_client
from core.errors import ValidationError

VALUES = {
    "contact.first_name": "Pat",
    "contact.name": "Pat Smith",
    "agent.first_name": "Casey",
    "agent.name": "Casey Jones",
}


class TestTheTemplateLanguage:
    def test_each_variable_is_filled_with_its_value(self):
        body = "Hi {{contact.first_name}} ({{contact.name}}), {{agent.first_name}} / {{agent.name}}"

        assert saved_replies.fill(body, VALUES) == "Hi Pat (Pat Smith), Casey / Casey Jones"

    def test_spaces_inside_the_braces_and_the_variables_case_do_not_matter(self):
        assert saved_replies.fill("Hi {{ Contact.First_Name }}!", VALUES) == "Hi Pat!"

    @pytest.mark.parametrize(
        "tag",
        [
            '{{contact.first_name|default:"there"}}',
            "{{contact.first_name|default:'there'}}",
            '{{ contact.first_name | default : "there" }}',
            "{{contact.first_name|default:“there”}}",
            "{{contact.first_name|default:\u2018there\u2019}}",
            '{{contact.first_name|DEFAULT:"there"}}',
        ],
    )
    def test_an_empty_value_gives_the_default_in_whatever_quotes_were_typed(self, tag):
        assert saved_replies.fill(f"Hi {tag},", {"contact.first_name": ""}) == "Hi there,"

    def test_a_default_may_hold_the_other_kind_of_quote(self):
        body = (
            '{{contact.first_name|default:"friend\'s friend"}} {{agent.name|default:\'a "pro"\'}}'
        )

        assert saved_replies.fill(body, {}) == 'friend\'s friend a "pro"'

    def test_a_value_wins_over_the_default(self):
        assert saved_replies.fill('{{contact.first_name|default:"there"}}', VALUES) == "Pat"

    def test_an_empty_value_without_a_default_fills_as_nothing(self):
        assert saved_replies.fill("Hi {{contact.first_name}}, hello", {}) == "Hi , hello"

    def test_text_is_never_escaped(self):
        body = "Tom & Jerry <3 {{contact.name}} \"quoted\" 'too' <b>not bold</b>"

        filled = saved_replies.fill(body, {"contact.name": "O'Brien & <Sons>"})

        assert filled == "Tom & Jerry <3 O'Brien & <Sons> \"quoted\" 'too' <b>not bold</b>"

    def test_single_braces_and_template_tags_are_plain_text(self):
        body = "{ok} {% if x %}{{contact.name}}{% endif %} {# not a comment #}"

        assert (
            saved_replies.fill(body, VALUES)
            == "{ok} {% if x %}Pat Smith{% endif %} {# not a comment #}"
        )

    def test_a_body_parses_into_its_text_and_variables(self):
        pieces = saved_replies.parse('Hi {{contact.first_name|default:"there"}}!')

        assert pieces == ["Hi ", Variable("contact.first_name", "there"), "!"]

    def test_a_body_without_variables_is_itself(self):
        assert saved_replies.fill("Thanks, see you soon.", VALUES) == "Thanks, see you soon."

    @pytest.mark.parametrize(
        ("body", "names"),
        [
            ("Hi {{contact.email}}", "{{contact.email}}"),
            ("Hi {{ first_name }}", "{{first_name}}"),
            ("Hi {{contact.first name}}", "{{contact.first name}}"),
        ],
    )
    def test_an_unknown_variable_is_refused_naming_it_and_the_known_ones(self, body, names):
        with pytest.raises(ValidationError) as refused:
            saved_replies.validate(body)

        message = refused.value.message
        assert names in message
        for known in saved_replies.VARIABLES:
            assert "{{" + known + "}}" in message
        assert refused.value.fields == {"body": [message]}

    @pytest.mark.parametrize(
        ("body", "words"),
        [
            ("Hi {{contact.name", ['"{{"', "never closed", "{{contact.name"]),
            ("Hi contact.name}} there", ['"}}"', "closes nothing"]),
            ("Hi {{contact.name}", ['"{{"', "never closed"]),
            ("Hi {contact.name}}", ['"}}"', "closes nothing"]),
            ("Hi {{\ncontact.name}}", ['"{{"', "one line"]),
            ("Hi {{}}", ["names no variable"]),
            ("Hi {{ | default:'x' }}", ["names no variable"]),
        ],
    )
    def test_malformed_braces_are_refused_with_where_they_are(self, body, words):
        with pytest.raises(ValidationError) as refused:
            saved_replies.validate(body)

        for word in words:
            assert word in refused.value.message
        assert "{{contact.first_name}}" in refused.value.message

    def test_a_filter_other_than_default_is_refused(self):
        with pytest.raises(ValidationError, match='"upper" is not something a variable can do'):
            saved_replies.validate("{{contact.name|upper}}")

    @pytest.mark.parametrize(
        "tag",
        [
            "{{contact.name|default:there}}",
            "{{contact.name|default}}",
            '{{contact.name|default:"x}}',
        ],
    )
    def test_a_default_must_be_in_quotes(self, tag):
        with pytest.raises(ValidationError, match="write the default in quotes"):
            saved_replies.validate(tag)


# --------------------------------------------------------------------------------- the API

URL = "/api/saved_replies"
GREETING = 'Hi {{contact.first_name|default:"there"}}, {{agent.first_name}} here.'


def save(client, title="Greeting", body=GREETING):
    return client.post(URL, {"title": title, "body": body}, format="json")


@pytest.fixture
def greeting(admin_api) -> dict:
    response = save(admin_api)
    assert response.status_code == 201, response.content
    return response.json()


def contact_of(client, conversation_id) -> str:
    listed = client.get("/api/conversations").json()["conversations"]
    (item,) = [item for item in listed if item["conversation_id"] == conversation_id]
    return item["contact"]["id"]


@pytest.mark.django_db
class TestWritingSavedReplies:
    def test_an_admin_saves_a_reply(self, admin_api, ada):
        response = save(admin_api)

        assert response.status_code == 201
        reply = response.json()
        assert reply == {"id": reply["id"], "title": "Greeting", "body": GREETING}
        assert SavedReply.objects.get().created_by == ada

    def test_the_body_is_kept_as_typed(self, admin_api):
        body = "  Tom & Jerry <3\n\n{{contact.name}}  "

        assert save(admin_api, body=body).json()["body"] == body

    def test_an_agent_may_read_but_not_write(self, agent_api, greeting):
        refusals = [
            save(agent_api, title="Mine"),
            agent_api.patch(f"{URL}/{greeting['id']}", {"title": "Renamed"}, format="json"),
            agent_api.delete(f"{URL}/{greeting['id']}"),
        ]

        for response in refusals:
            assert response.status_code == 403
            assert response.json()["error"].startswith("Only team admins may do this.")
        assert agent_api.get(URL).json() == [greeting]

    def test_an_unknown_variable_is_a_400_naming_it_and_saves_nothing(self, admin_api):
        response = save(admin_api, body="Hi {{contact.nickname}}")

        assert response.status_code == 400
        error = response.json()["fields"]["body"][0]
        assert "{{contact.nickname}} is not a variable Hatch knows" in error
        assert "{{contact.first_name}}, {{contact.name}}, {{agent.first_name}}" in error
        assert not SavedReply.objects.exists()

    def test_malformed_braces_are_a_400(self, admin_api):
        response = save(admin_api, body="Hi {{contact.first_name")

        assert response.status_code == 400
        assert "never closed" in response.json()["error"]
        assert not SavedReply.objects.exists()

    @pytest.mark.parametrize("title", ["greeting", "GREETING", "  Greeting "])
    def test_a_title_is_unique_whatever_its_case(self, admin_api, greeting, title):
        response = save(admin_api, title=title)

        assert response.status_code == 400
        assert response.json()["fields"] == {
            "title": ["A saved reply is already called “Greeting”. Choose another title."]
        }
        assert SavedReply.objects.count() == 1

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"title": "", "body": "Hi"}, "title"),
            ({"title": "   ", "body": "Hi"}, "title"),
            ({"title": "x" * 101, "body": "Hi"}, "title"),
            ({"title": "Hi", "body": ""}, "body"),
            ({"title": "Hi", "body": " \n "}, "body"),
            ({"title": "Hi", "body": "x" * 5001}, "body"),
            ({"title": "Hi"}, "body"),
            ({"body": "Hi"}, "title"),
        ],
    )
    def test_a_missing_blank_or_too_long_title_or_body_is_a_400(self, admin_api, data, field):
        response = admin_api.post(URL, data, format="json")

        assert response.status_code == 400
        assert list(response.json()["fields"]) == [field]
        assert not SavedReply.objects.exists()

    def test_an_admin_changes_a_reply(self, admin_api, greeting):
        response = admin_api.patch(
            f"{URL}/{greeting['id']}", {"body": "Hello {{contact.name}}"}, format="json"
        )

        assert response.status_code == 200
        assert response.json() == {**greeting, "body": "Hello {{contact.name}}"}

    def test_a_reply_may_change_its_titles_case(self, admin_api, greeting):
        response = admin_api.patch(f"{URL}/{greeting['id']}", {"title": "GREETING"}, format="json")

        assert response.json()["title"] == "GREETING"

    def test_a_change_is_held_to_the_same_rules(self, admin_api, greeting):
        save(admin_api, title="Goodbye", body="Bye")

        taken = admin_api.patch(f"{URL}/{greeting['id']}", {"title": "goodbye"}, format="json")
        unknown = admin_api.patch(f"{URL}/{greeting['id']}", {"body": "{{x}}"}, format="json")

        assert taken.status_code == unknown.status_code == 400
        assert SavedReply.objects.get(pk=greeting["id"]).title == "Greeting"
        assert SavedReply.objects.get(pk=greeting["id"]).body == GREETING

    def test_an_admin_deletes_a_reply(self, admin_api, greeting):
        assert admin_api.delete(f"{URL}/{greeting['id']}").status_code == 204
        assert admin_api.delete(f"{URL}/{greeting['id']}").status_code == 404
        assert admin_api.get(URL).json() == []

    @pytest.mark.parametrize("reply_id", ["999999", "abc", "99999999999999999999999"])
    def test_an_unknown_reply_is_a_404(self, admin_api, reply_id):
        response = admin_api.patch(f"{URL}/{reply_id}", {"title": "x"}, format="json")

        assert response.status_code == 404
        assert response.json() == {"error": "No saved reply with this id."}


@pytest.mark.django_db
class TestReadingSavedReplies:
    def test_replies_are_listed_by_title_whatever_its_case(self, admin_api, agent_api):
        for title in ("zebra", "Apple", "mango"):
            save(admin_api, title=title, body="Hi")

        titles = [reply["title"] for reply in agent_api.get(URL).json()]

        assert titles == ["Apple", "mango", "zebra"]

    def test_without_a_conversation_a_reply_has_no_text(self, agent_api, greeting):
        assert "text" not in agent_api.get(URL).json()[0]

    def test_for_a_conversation_each_reply_is_filled_for_its_contact_and_me(
        self, admin_api, agent_api, sms_conversation
    ):
        contact = contact_of(agent_api, sms_conversation)
        agent_api.patch(f"/api/contacts/{contact}", {"name": "Pat Smith"}, format="json")
        save(admin_api, title="Full", body="{{contact.name}} / {{agent.name}}")
        save(admin_api)

        replies = agent_api.get(URL, {"conversation": sms_conversation}).json()

        assert [(reply["title"], reply["text"]) for reply in replies] == [
            ("Full", "Pat Smith / Ben Okafor"),
            ("Greeting", "Hi Pat, Ben here."),
        ]

    def test_the_contacts_own_first_name_wins_over_their_names_first_word(
        self, admin_api, agent_api, sms_conversation
    ):
        contact = contact_of(agent_api, sms_conversation)
        agent_api.patch(
            f"/api/contacts/{contact}",
            {"name": "Dr Patricia Smith", "first_name": "Pat"},
            format="json",
        )
        save(admin_api)

        (reply,) = agent_api.get(URL, {"conversation": sms_conversation}).json()

        assert reply["text"] == "Hi Pat, Ben here."

    def test_a_nameless_contact_gets_the_default_or_nothing(
        self, admin_api, agent_api, sms_conversation
    ):
        save(admin_api)
        save(admin_api, title="No default", body="Dear {{contact.first_name}},")

        replies = agent_api.get(URL, {"conversation": sms_conversation}).json()

        assert [reply["text"] for reply in replies] == ["Hi there, Ben here.", "Dear ,"]

    def test_an_internal_conversation_names_whom_it_is_with(
        self, admin_api, agent_api, conversation
    ):
        save(admin_api, body="{{contact.first_name}} ({{contact.name}})")

        (reply,) = agent_api.get(URL, {"conversation": conversation}).json()

        assert reply["text"] == "Front (Front desk)"

    def test_an_email_thread_is_filled_too(self, admin_api, agent_api, email_thread):
        save(admin_api)

        (reply,) = agent_api.get(URL, {"conversation": email_thread}).json()

        assert reply["text"] == "Hi there, Ben here."

    def test_an_agent_without_a_first_name_is_named_by_username(
        self, admin_api, make_user, conversation
    ):
        save(admin_api)
        reader = token_client(make_user("sam"))

        (reply,) = reader.get(URL, {"conversation": conversation}).json()

        assert reply["text"] == "Hi Front, sam here."

    def test_nothing_is_escaped(self, admin_api, agent_api, sms_conversation):
        contact = contact_of(agent_api, sms_conversation)
        agent_api.patch(f"/api/contacts/{contact}", {"name": "O'Brien <&> Sons"}, format="json")
        save(admin_api, body='Tom & Jerry <3 {{contact.name}} "ok"')

        response = agent_api.get(URL, {"conversation": sms_conversation})

        assert response.json()[0]["text"] == 'Tom & Jerry <3 O\'Brien <&> Sons "ok"'
        assert b"Tom & Jerry <3" in response.content

    @pytest.mark.parametrize("conversation_id", ["7b1f0f1e-0000-0000-0000-000000000000", "x"])
    def test_an_unknown_conversation_is_a_404(self, agent_api, greeting, conversation_id):
        response = agent_api.get(URL, {"conversation": conversation_id})

        assert response.status_code == 404
        assert response.json() == {"error": "No conversation with this id."}

    def test_the_list_costs_the_same_however_many_replies(
        self, admin_api, agent_api, conversation, django_assert_num_queries
    ):
        for number in range(10):
            save(admin_api, title=f"Reply {number}")

        # The token, the conversation with its contact, the replies.
        with django_assert_num_queries(3):
            response = agent_api.get(URL, {"conversation": conversation})
        assert len(response.json()) == 10
