from django.apps import AppConfig


class BroadcastsConfig(AppConfig):
    name = "broadcasts"
    verbose_name = "Broadcasts"

    def ready(self):
        from broadcasts import signals  # noqa: F401  (its receiver: the outbox's progress)
        from broadcasts.services import broadcasts_sweep
        from outbox.registry import register_sweep

        # A preparation whose task was lost (a worker killed) goes on at the next sweep.
        register_sweep("broadcasts being prepared", broadcasts_sweep)
