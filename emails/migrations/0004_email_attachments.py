"""Email.attachments: from a JSON list of metadata to the stored files themselves.

The JSON column was always empty for what the API sent (it took no files). A received email
kept there each stored file's metadata (its attachments.Attachment id, and the cid an inline
image is shown by) and each refused file's name and reason; both are carried over, into
EmailAttachment links and ``refused_attachments``, before the column is dropped.
"""

import django.db.models.deletion
from django.db import migrations, models


def carry_over(apps, schema_editor):
    Email = apps.get_model("emails", "Email")
    EmailAttachment = apps.get_model("emails", "EmailAttachment")
    Attachment = apps.get_model("attachments", "Attachment")
    emails = Email.objects.exclude(legacy_attachments=[]).only("id", "legacy_attachments")
    for email in emails.iterator(chunk_size=500):
        items = [item for item in email.legacy_attachments or [] if isinstance(item, dict)]
        ids = [item["id"] for item in items if item.get("id") and not item.get("refused")]
        existing = set(
            str(pk) for pk in Attachment.objects.filter(id__in=ids).values_list("id", flat=True)
        )
        links, refused = [], []
        for item in items:
            if str(item.get("id")) in existing:
                links.append(
                    EmailAttachment(
                        email_id=email.id,
                        attachment_id=item["id"],
                        position=len(links),
                        content_id=item.get("content_id") or "",
                    )
                )
            else:
                refused.append(
                    {
                        "filename": item.get("filename", ""),
                        "content_type": item.get("content_type", ""),
                        "size": item.get("size", 0),
                        "reason": item.get("refused") or "The file was not kept.",
                    }
                )
        EmailAttachment.objects.bulk_create(links)
        Email.objects.filter(id=email.id).update(
            attachment_count=len(links), refused_attachments=refused
        )


class Migration(migrations.Migration):
    dependencies = [
        ("attachments", "0001_initial"),
        ("emails", "0003_inbound_and_threads"),
    ]

    operations = [
        migrations.RenameField(
            model_name="email", old_name="attachments", new_name="legacy_attachments"
        ),
        migrations.AddField(
            model_name="email",
            name="attachment_count",
            field=models.PositiveSmallIntegerField(default=0),
        ),
        migrations.AddField(
            model_name="email",
            name="refused_attachments",
            field=models.JSONField(blank=True, default=list),
        ),
        migrations.CreateModel(
            name="EmailAttachment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField()),
                ("content_id", models.TextField(blank=True)),
                (
                    "attachment",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="attachments.attachment",
                    ),
                ),
                (
                    "email",
                    models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="attachment_links",
                        to="emails.email",
                    ),
                ),
            ],
            options={
                "ordering": ["email", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("email", "position"), name="email_attachment_position_unique"
                    )
                ],
            },
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop, elidable=True),
        migrations.RemoveField(model_name="email", name="legacy_attachments"),
        migrations.AddField(
            model_name="email",
            name="attachments",
            field=models.ManyToManyField(
                blank=True,
                related_name="+",
                through="emails.EmailAttachment",
                to="attachments.attachment",
            ),
        ),
    ]
