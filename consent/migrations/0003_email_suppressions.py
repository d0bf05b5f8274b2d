"""Email suppressions: a dropped email's reason says why (bounced, invalid, unsubscribed or
spam-reporting address), and addresses are kept in lower case (consent.models.consent_address).

No row needs rewriting: until now only SMS opt-outs (E.164 numbers) were recorded.
"""

import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('consent', '0002_from_messaging_optout'),
    ]

    operations = [
        migrations.AlterField(
            model_name='consentchange',
            name='reason',
            field=models.CharField(choices=[('stop', 'replied STOP'), ('carrier_opt_out', 'opted out with their carrier'), ('bounce', 'bounced'), ('dropped', 'was dropped by the email provider'), ('spamreport', 'reported your email as spam'), ('unsubscribe', 'unsubscribed'), ('group_unsubscribe', 'unsubscribed from an email group')], max_length=32),
        ),
        migrations.AlterField(
            model_name='suppression',
            name='reason',
            field=models.CharField(choices=[('stop', 'replied STOP'), ('carrier_opt_out', 'opted out with their carrier'), ('bounce', 'bounced'), ('dropped', 'was dropped by the email provider'), ('spamreport', 'reported your email as spam'), ('unsubscribe', 'unsubscribed'), ('group_unsubscribe', 'unsubscribed from an email group')], max_length=32),
        ),
        migrations.AddConstraint(
            model_name='suppression',
            constraint=models.CheckConstraint(condition=models.Q(('channel', 'sms'), ('address', django.db.models.functions.text.Lower('address')), _connector='OR'), name='suppression_email_lower_case'),
        ),
    ]
