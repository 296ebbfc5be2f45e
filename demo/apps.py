from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run` and the benchmarks: outside the product's apps, writing through their rules."""

    name = "demo"
    verbose_name = "Dữ liệu mẫu"
