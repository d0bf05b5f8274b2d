"""The SMS opt-outs move into the one consent record (messaging.OptOut is deleted next)."""

from django.db import migrations


def copy_opt_outs(apps, schema_editor):
    OptOut = apps.get_model("messaging", "OptOut")
    Suppression = apps.get_model("consent", "Suppression")
    ConsentChange = apps.get_model("consent", "ConsentChange")
    for opt_out in OptOut.objects.all().iterator():
        # "keyword STOP" came from the person; anything else ("Twilio 21610") from the carrier.
        if opt_out.reason.startswith("keyword "):
            reason, detail = "stop", "texted " + opt_out.reason.removeprefix("keyword ")
        else:
            reason, detail = "carrier_opt_out", opt_out.reason
        Suppression.objects.get_or_create(
            address=opt_out.phone,
            defaults={
                "channel": "sms",
                "reason": reason,
                "detail": detail,
                "created_at": opt_out.created_at,
            },
        )
        ConsentChange.objects.create(
            address=opt_out.phone,
            channel="sms",
            action="suppressed",
            reason=reason,
            note=detail,
            changed_at=opt_out.created_at,
        )


def copy_back(apps, schema_editor):
    OptOut = apps.get_model("messaging", "OptOut")
    Suppression = apps.get_model("consent", "Suppression")
    for suppression in Suppression.objects.filter(channel="sms").iterator():
        reason = (
            "keyword " + suppression.detail.removeprefix("texted ")
            if suppression.reason == "stop"
            else suppression.detail or "Twilio 21610"
        )
        OptOut.objects.get_or_create(
            phone=suppression.address,
            defaults={"reason": reason, "created_at": suppression.created_at},
        )


class Migration(migrations.Migration):
    dependencies = [
        ("consent", "0001_initial"),
        ("messaging", "0004_lean_message_indexes"),
    ]

    operations = [migrations.RunPython(copy_opt_outs, copy_back)]
