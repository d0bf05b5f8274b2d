"""Every channel's outbox, for what serves them all: the sweeper and retry_failed.

A channel app registers its outbox in ``AppConfig.ready`` together with its delivery task
(the task calls the outbox, so the outbox cannot import it):

    register(sms_outbox, task=send_message)
"""

from collections.abc import Callable

from django.tasks import Task

from outbox.engine import Outbox

_outboxes: dict[str, Outbox] = {}
_sweeps: dict[str, Callable[[], int]] = {}


def register(outbox: Outbox, *, task: Task) -> None:
    outbox.task = task
    _outboxes[outbox.channel] = outbox


def outboxes() -> list[Outbox]:
    """The registered outboxes, in registration (INSTALLED_APPS) order."""
    return list(_outboxes.values())


def channels() -> list[str]:
    return list(_outboxes)


def register_sweep(label: str, sweep: Callable[[], int]) -> None:
    """Other background work the sweeper looks after besides the outboxes (an inbound MMS's
    media downloads): ``sweep()`` enqueues again what a lost task or a dead worker left
    behind and returns how many; sweep_outbox reports it under ``label``."""
    _sweeps[label] = sweep


def sweeps() -> dict[str, Callable[[], int]]:
    return dict(_sweeps)
