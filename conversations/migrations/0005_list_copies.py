from django.db import migrations, models


def fill_copies(apps, schema_editor):
    """The assignee's name (team.selectors.display_name) and the labels (as
    conversations.services.label_summary writes them) of every conversation that has any."""
    Conversation = apps.get_model("conversations", "Conversation")
    ConversationLabel = apps.get_model("conversations", "ConversationLabel")
    for conversation in Conversation.objects.filter(assignee__isnull=False).select_related(
        "assignee"
    ):
        user = conversation.assignee
        conversation.assignee_name = (
            f"{user.first_name} {user.last_name}".strip() or user.username
        )
        conversation.save(update_fields=["assignee_name"])
    summaries: dict = {}
    for link in ConversationLabel.objects.select_related("label"):
        label = link.label
        summaries.setdefault(link.conversation_id, []).append(
            {"id": label.pk, "name": label.name, "colour": label.colour}
        )
    for conversation_id, labels in summaries.items():
        labels.sort(key=lambda label: (label["name"].lower(), label["id"]))
        Conversation.objects.filter(pk=conversation_id).update(label_summary=labels)


class Migration(migrations.Migration):
    dependencies = [
        ("conversations", "0004_team_state"),
    ]

    operations = [
        migrations.AddField(
            model_name="conversation",
            name="assignee_name",
            field=models.CharField(blank=True, db_default="", default="", max_length=301),
        ),
        migrations.AddField(
            model_name="conversation",
            name="label_summary",
            field=models.JSONField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_copies, migrations.RunPython.noop),
    ]
