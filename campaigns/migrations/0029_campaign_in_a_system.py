import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("campaigns", "0028_first_thulium_system")]

    operations = [
        migrations.AlterField(
            model_name="campaign",
            name="system",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="campaigns",
                to="campaigns.thuliumsystem",
                verbose_name="Thulium system",
            ),
        ),
        migrations.AddConstraint(
            model_name="campaign",
            constraint=models.UniqueConstraint(
                fields=("system", "thulium_id"), name="one_campaign_per_id_in_a_system"
            ),
        ),
    ]
