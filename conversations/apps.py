from django.apps import AppConfig


class ConversationsConfig(AppConfig):
    name = "conversations"
    verbose_name = "Conversations"

    def ready(self):
        from conversations import signals  # noqa: F401  (connects the receivers)
        from conversations.services import snooze_ends, snoozes_due_sweep
        from conversations.tasks import end_snoozes
        from outbox.registry import register_sweep

        # A snooze ends by a task deferred to its time (the worker runs it within a moment
        # of it); the sweeper enqueues it again for any snooze found past its end.
        snooze_ends.task = end_snoozes
        register_sweep("Snoozes due", snoozes_due_sweep)
