from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for development and the benchmark (seed_demo): above both channel apps."""

    name = "demo"
    verbose_name = "Demo data"
