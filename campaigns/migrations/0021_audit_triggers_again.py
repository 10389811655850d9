"""The audit table's append-only triggers, put on again; the audit actions of issue 26.

On SQLite, 0017 rebuilt the table (AlterField) and a rebuild drops its triggers, so a database
migrated from zero had none. On PostgreSQL this also adds the refusal of TRUNCATE. Any later
migration that rebuilds the table must end the same way (set_triggers(on=True)); the system
check (campaigns.E003) refuses to start without them.
"""

from django.db import migrations, models

from campaigns.migrations._audit_sql import set_triggers


def forwards(apps, schema_editor):
    set_triggers(schema_editor, on=True)


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0020_grid_version")]

    operations = [
        migrations.AlterField(
            model_name="auditentry",
            name="action",
            field=models.CharField(choices=[('upload', 'File uploaded'), ('mapping', 'Columns confirmed'), ('fields', 'Campaign fields added'), ('pull', 'Records pulled from Thulium'), ('grid_created', 'Empty grid created'), ('cell', 'Cells edited'), ('bulk', 'Rows changed in bulk'), ('paste', 'Block pasted'), ('replace', 'Text replaced in a column'), ('add', 'Rows added'), ('delete', 'Rows deleted'), ('undo', 'Change undone'), ('redo', 'Change made again'), ('submission_queued', 'Sending queued'), ('submission_started', 'Sending started'), ('submission_finished', 'Sending finished'), ('submission_cancelled', 'Sending cancelled'), ('submission_failed', 'Sending stopped'), ('outcomes', 'Thulium answered'), ('revert', 'Revert grid made'), ('export', 'History exported'), ('grid_export', 'Grid exported'), ('login', 'Logged in'), ('login_failed', 'Login failed'), ('audit_rekeyed', 'Audit log keyed'), ('fields_learned', 'Thulium told us about fields'), ('remap', 'Column remapped'), ('submission_paused', 'Sending paused'), ('sending_options', 'Sending options changed'), ('value_rule', 'Value rule set'), ('value_rule_forgotten', 'Value rule forgotten'), ('audit_details_split', 'Personal details moved out of the chain'), ('personal_data_purged', 'Personal data removed (retention)'), ('person_found', "A person's data searched"), ('person_exported', "A person's data exported"), ('person_erased', "A person's data erased"), ('admin_added', 'Added in the admin'), ('admin_changed', 'Changed in the admin'), ('admin_deleted', 'Deleted in the admin'), ('password_changed', 'Password changed'), ('user_added', 'User added'), ('role_rights_changed', "A role's rights changed")], max_length=30),
        ),
        # Last, after anything above that could rebuild the table. Going back keeps them: an
        # earlier release's log is append-only too.
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
