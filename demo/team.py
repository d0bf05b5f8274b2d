"""The demo's team: a second teammate, labels, saved replies, and conversations divided
between them (some assigned, some closed, one snoozed, a few notes), so that the inbox
shows a team at work from the first sign-in.

Rows are written directly, as the rest of the demo's are: what services would record
(an activity per change) is written alongside, so the thread's history matches the state.
"""

import random
from datetime import UTC, datetime, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from conversations.models import (
    Activity,
    ActivityKind,
    Conversation,
    ConversationLabel,
    ConversationState,
    Note,
    SavedReply,
)
from conversations.services import label_summary
from messaging.models import Channel, Message
from team.models import Label, Role, Teammate
from team.representation import label_data
from team.selectors import display_name

TEAMMATE = {"username": "amara", "first_name": "Amara", "last_name": "Walsh"}

LABELS = [
    ("Billing", "#1d4ed8"),
    ("Urgent", "#b91c1c"),
    ("VIP", "#7e22ce"),
    ("Follow-up", "#047857"),
]

SAVED_REPLIES = [
    (
        "Greeting",
        'Hi {{contact.first_name|default:"there"}}, this is {{agent.first_name}} from the '
        "team. How can I help?",
    ),
    (
        "Opening hours",
        "We're open Monday to Friday, 9:00 to 18:00, and Saturday 10:00 to 14:00.",
    ),
    (
        "Thanks, all done",
        'Thanks {{contact.first_name|default:"again"}}! That\'s all sorted. Reply here any '
        "time if anything else comes up.",
    ),
]

NOTES = [
    "Called them back, no answer. Trying again after lunch.",
    "They asked about the invoice from March: @{username} can you check it?",
    "VIP customer: reply within the hour, please.",
]


def teammate_ensure(password: str) -> AbstractBaseUser:
    """The demo's second teammate, an agent, signing in with the demo's password."""
    user_model = get_user_model()
    teammate, _ = user_model.objects.get_or_create(
        username=TEAMMATE["username"],
        defaults={"first_name": TEAMMATE["first_name"], "last_name": TEAMMATE["last_name"]},
    )
    teammate.is_active = True
    teammate.set_password(password)
    teammate.save()
    Teammate.objects.update_or_create(user=teammate, defaults={"role": Role.AGENT})
    return teammate


def admin_ensure(user: AbstractBaseUser) -> None:
    Teammate.objects.update_or_create(user=user, defaults={"role": Role.ADMIN})


def team_seed(*, rng: random.Random, now: datetime, admin, agent) -> None:
    """Labels, saved replies, and the demo's conversations divided between two people."""
    labels = [
        Label.objects.update_or_create(name=name, defaults={"colour": colour})[0]
        for name, colour in LABELS
    ]
    for title, body in SAVED_REPLIES:
        SavedReply.objects.update_or_create(
            title=title, defaults={"body": body, "created_by": admin}
        )
    _internal_authors(agent)
    people = [admin, agent]
    conversations = list(Conversation.objects.order_by("-last_message_at", "id"))
    activities, links, notes = [], [], []
    for index, conversation in enumerate(conversations):
        actor = rng.choice(people)
        at = conversation.last_message_at + timedelta(minutes=rng.randint(1, 30))
        at = min(at, now)
        if conversation.channel != Channel.INTERNAL and rng.random() < 0.55:
            conversation.assignee = rng.choice(people)
            conversation.assignee_name = display_name(conversation.assignee)
            activities.append(
                _activity(conversation, actor, ActivityKind.ASSIGNED, at, conversation.assignee)
            )
        if index >= 4 and rng.random() < 0.3:
            # Older conversations, done with: the newest few stay open for the screenshots.
            conversation.state = ConversationState.CLOSED
            activities.append(_activity(conversation, actor, ActivityKind.CLOSED, at))
        elif index == 5:
            conversation.state = ConversationState.SNOOZED
            conversation.snoozed_until = (now + timedelta(days=1)).replace(
                hour=9, minute=0, second=0, microsecond=0
            )
            activities.append(
                _activity(
                    conversation,
                    actor,
                    ActivityKind.SNOOZED,
                    at,
                    snoozed_until=conversation.snoozed_until.astimezone(UTC).isoformat(),
                )
            )
        if conversation.channel != Channel.INTERNAL and rng.random() < 0.4:
            label = rng.choice(labels)
            links.append(ConversationLabel(conversation=conversation, label=label))
            conversation.label_summary = label_summary([label])
            activities.append(
                _activity(conversation, actor, ActivityKind.LABELLED, at, label=label_data(label))
            )
        if index in (0, 2, 3):
            author = agent if index == 2 else admin
            notes.append(
                Note(
                    conversation=conversation,
                    author=author,
                    body=NOTES[index % len(NOTES)].format(username=admin.get_username()),
                    created_at=at,
                )
            )
    Conversation.objects.bulk_update(
        conversations,
        ["assignee", "assignee_name", "state", "snoozed_until", "label_summary"],
    )
    ConversationLabel.objects.bulk_create(links, ignore_conflicts=True)
    Activity.objects.bulk_create(activities)
    for note in Note.objects.bulk_create(notes):
        if "@" in note.body:
            note.mentions.add(admin)


def _activity(conversation, actor, kind, at, assignee=None, **detail) -> Activity:
    if assignee is not None:
        detail = {"assignee": {"id": assignee.pk, "name": display_name(assignee)}}
    return Activity(conversation=conversation, actor=actor, kind=kind, detail=detail, created_at=at)


def _internal_authors(agent) -> None:
    """The demo's internal messages written under the teammate's name are theirs."""
    Message.objects.filter(channel=Channel.INTERNAL, from_contact=display_name(agent)).update(
        sent_by=agent
    )


def teammate_name() -> str:
    return f"{TEAMMATE['first_name']} {TEAMMATE['last_name']}"
