from django.core.management.base import BaseCommand

from cases.followup import appraisal
from reports.documents import appraisal as appraisal_workbook
from reports.management.commands.official_report import add_period_arguments, period_and_scope


class Command(BaseCommand):
    help = "Bảng đánh giá, xếp loại (Nội vụ): số liệu từng đơn vị, từng cán bộ và xếp loại theo APPRAISAL_RULES."

    def add_arguments(self, parser):
        add_period_arguments(parser)

    def handle(self, *args, **options):
        period, scope = period_and_scope(options)
        result = appraisal.appraise(period, scope=scope)
        appraisal_workbook.workbook(result).save(options["output"])
        self.stdout.write(
            f"Đã ghi {options['output']}: {len(result.units)} đơn vị, {len(result.officials)} dòng cán bộ."
        )
