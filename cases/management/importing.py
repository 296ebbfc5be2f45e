"""What every import command does: validate, report, write (or not), exit non-zero when refused."""

from django.core.management.base import CommandError

from cases.core.formats import number

MAX_PRINTED_WARNINGS = 200


def run_import(command, importer, path, *, dry_run=False, skip_invalid=False):
    """What every import command does: validate, report, write (or not), exit non-zero when refused."""
    result = importer.validate()
    shown = result.warnings[:MAX_PRINTED_WARNINGS]
    for warning in shown:
        command.stdout.write(command.style.WARNING(f"Cảnh báo — {warning}"))
    if len(result.warnings) > len(shown):
        command.stdout.write(command.style.WARNING(f"… và {number(len(result.warnings) - len(shown))} cảnh báo khác."))
    refused_whole = bool(result.errors) and (not skip_invalid or importer.sheet is None or not importer.validated)
    if refused_whole:
        result.created = result.updated = result.unchanged = 0
        result.refused = result.rows_read
        problems = "\n".join(result.errors)
        raise CommandError(
            f"Tệp bị từ chối, không ghi gì ({number(len(result.errors))} lỗi):\n{problems}\n{result.summary()}"
        )
    if result.errors:
        for error in result.errors:
            command.stderr.write(f"Bỏ qua — {error}")
        rejected = importer.rejected_path(path)
        if not dry_run:
            importer.write_rejected(rejected)
            command.stdout.write(f"Các dòng bị từ chối đã ghi vào {rejected} (cột «loi»).")
    if dry_run:
        command.stdout.write("Chạy thử (--dry-run): không ghi gì.")
    else:
        importer.write()
        if not result.written:
            raise CommandError("\n".join(result.errors[-1:]) + "\n" + result.summary())
    command.stdout.write(command.style.SUCCESS(result.summary()) if result.written else result.summary())
    return result
