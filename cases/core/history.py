"""Change history of catalogue and account records (django-simple-history): who, when, every field before and after."""

from simple_history.models import HistoricalRecords


def kept_history(name, **options):
    """The history of a model whose records are deactivated, never deleted; `name` is its Vietnamese verbose name."""
    return HistoricalRecords(verbose_name=f"lịch sử {name}", verbose_name_plural=f"lịch sử {name}", **options)


def record_bulk_changes(model, created_ids, changed_ids, reason, batch_size=2000):
    """History rows for records written in bulk (an import's bulk_create / bulk_update send no signals).

    Rows are read back first, so each history row is the record as stored, not the partial object the bulk write
    was given.
    """
    for ids, update in ((sorted(created_ids), False), (sorted(set(changed_ids) - set(created_ids)), True)):
        for start in range(0, len(ids), batch_size):
            rows = list(model.objects.filter(pk__in=ids[start : start + batch_size]).order_by("pk"))
            model.history.bulk_history_create(rows, update=update, default_change_reason=reason)
