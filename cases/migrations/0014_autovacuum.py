"""Autovacuum settings of the big tables, so that no page depends on a manual VACUUM or ANALYZE.

PostgreSQL's defaults wait until 20% of a table changed (10% for ANALYZE): at 1M dossiers, 200.000 rows. After a
bulk import or an overdue run of 100.000 rows the planner kept stale counts and the visibility map went stale, so
the lists' COUNT and the dashboard turned into sequential scans until someone ran VACUUM. A few percent of the
table, as for any large, busy table; the bulk jobs also ANALYZE at once (cases.core.copy.analyze).
"""

from django.db import migrations

SETTINGS = {
    "cases_dossier": (
        "autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.01, "
        "autovacuum_vacuum_insert_scale_factor = 0.02"
    ),
    "cases_dossierevent": (
        "autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02, "
        "autovacuum_vacuum_insert_scale_factor = 0.05"
    ),
    "cases_clockstop": "autovacuum_vacuum_scale_factor = 0.05, autovacuum_analyze_scale_factor = 0.02",
}
NAMES = (
    "autovacuum_vacuum_scale_factor",
    "autovacuum_analyze_scale_factor",
    "autovacuum_vacuum_insert_scale_factor",
)


def set_options(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table, options in SETTINGS.items():
        schema_editor.execute(f"ALTER TABLE {table} SET ({options})")


def reset_options(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in SETTINGS:
        schema_editor.execute(f"ALTER TABLE {table} RESET ({', '.join(NAMES)})")


class Migration(migrations.Migration):
    dependencies = [("cases", "0013_dossier_search")]

    operations = [migrations.RunPython(set_options, reset_options)]
