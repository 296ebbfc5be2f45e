from django.db import migrations


def seed(apps, schema_editor):
    # The calendar is data: copied once from the holidays package, then edited by administrators. Written with this
    # migration's models (not the current ones, which have columns added by later migrations).
    from django.conf import settings

    from cases.catalogue.calendar import package_calendar

    days_off, worked = package_calendar(*settings.CALENDAR_YEARS)
    for model_name, days in (("Holiday", days_off), ("WorkdayOverride", worked)):
        model = apps.get_model("cases", model_name)
        decided = set(model.objects.values_list("date", flat=True))
        model.objects.bulk_create(
            model(date=day, name=name[:255], source="package") for day, name in sorted(days.items()) if day not in decided
        )


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]
    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
