"""Outcome "sending" goes: no version writes it any more (a row waits until its answer is
recorded). Rows an early version left marked so read as waiting, as the pages counted them.
Thulium's recorded answers (RowOutcome) are evidence and keep what they say."""

from django.db import migrations, models


def sending_rows_wait(apps, schema_editor):
    apps.get_model("campaigns", "Row").objects.filter(outcome="sending").update(outcome="waiting")


class Migration(migrations.Migration):

    dependencies = [
        ('campaigns', '0025_grid_column_types'),
    ]

    operations = [
        migrations.RunPython(sending_rows_wait, migrations.RunPython.noop),
        migrations.AlterField(
            model_name='row',
            name='outcome',
            field=models.CharField(blank=True, choices=[('', 'Not sent yet'), ('not_sent', 'Not sent'), ('waiting', 'Waiting'), ('updated', 'Updated'), ('rejected', 'Rejected'), ('not_found', 'Not found'), ('transport_error', 'Not confirmed: no answer'), ('unknown', 'Not confirmed: unclear answer'), ('added', 'Added'), ('already_exists', 'Already exists'), ('failed', 'Failed'), ('removed', 'Removed'), ('not_exist', 'Did not exist'), ('in_call', 'In a call')], default='', max_length=20),
        ),
        migrations.AlterField(
            model_name='rowoutcome',
            name='outcome',
            field=models.CharField(choices=[('', 'Not sent yet'), ('not_sent', 'Not sent'), ('waiting', 'Waiting'), ('updated', 'Updated'), ('rejected', 'Rejected'), ('not_found', 'Not found'), ('transport_error', 'Not confirmed: no answer'), ('unknown', 'Not confirmed: unclear answer'), ('added', 'Added'), ('already_exists', 'Already exists'), ('failed', 'Failed'), ('removed', 'Removed'), ('not_exist', 'Did not exist'), ('in_call', 'In a call')], max_length=20),
        ),
    ]
