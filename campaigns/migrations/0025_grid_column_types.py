from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0024_campaign_listing"),
    ]

    operations = [
        migrations.AddField(
            model_name="grid",
            name="column_types",
            field=models.JSONField(blank=True, default=list),
        ),
    ]
