"""Time the due-time rule: 100.000 receipts with 0–30 working days, on the seeded calendar.

.venv/bin/python bench/due_times.py     (SQLite or DATABASE_URL; reads the calendar once)
"""

import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from cases.catalogue.calendar import calendar  # noqa: E402


def main(count=100_000):
    rng = random.Random(1)
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    start = datetime(2023, 1, 1, tzinfo=tz)
    cases = [(start + timedelta(minutes=rng.randrange(4 * 365 * 24 * 60)), rng.randint(0, 30)) for _ in range(count)]
    work_calendar = calendar()
    began = time.perf_counter()
    for received_at, days in cases:
        work_calendar.due_at(received_at, days)
    seconds = time.perf_counter() - began
    rate = f"{count / seconds:,.0f}".replace(",", ".")
    print(f"{count:,}".replace(",", ".") + f" due times in {seconds:.2f}".replace(".", ",") + f" s ({rate}/s)")


if __name__ == "__main__":
    main()
