# The two foreign keys' own indexes go; step_dossier_handed and step_unit_finished lead with the same columns.
# Written by hand: Django's AlterField(db_index=False) would also drop the unique partial index step_one_open (it
# is on the same single column) and drop and re-add both foreign keys, checking every row again.

import django.db.models.deletion
from django.db import migrations, models

DOSSIER_INDEX = "cases_dossierstep_dossier_id_fbd361c9"
UNIT_INDEX = "cases_dossierstep_unit_id_5fc93073"


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0021_process_messages"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="dossierstep",
                    name="dossier",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="steps",
                        to="cases.dossier",
                    ),
                ),
                migrations.AlterField(
                    model_name="dossierstep",
                    name="unit",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="cases.unit",
                        verbose_name="đơn vị xử lý",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {DOSSIER_INDEX}",
                    f"CREATE INDEX {DOSSIER_INDEX} ON cases_dossierstep (dossier_id)",
                ),
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {UNIT_INDEX}",
                    f"CREATE INDEX {UNIT_INDEX} ON cases_dossierstep (unit_id)",
                ),
            ],
        ),
    ]
