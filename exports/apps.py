from django.apps import AppConfig


class ExportsConfig(AppConfig):
    name = "exports"
    verbose_name = "Exports"

    def ready(self):
        from exports.services import export_jobs_sweep
        from outbox.registry import register_sweep

        # A job whose task was lost or whose worker died is taken again; old files go.
        register_sweep("Export jobs", export_jobs_sweep)
