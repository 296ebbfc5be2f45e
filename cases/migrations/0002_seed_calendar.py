from django.db import migrations


def seed(apps, schema_editor):
    # The calendar is data: copied once from the holidays package, then edited by administrators.
    from cases.catalogue.calendar import sync_calendar

    sync_calendar()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
