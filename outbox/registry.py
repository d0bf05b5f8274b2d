"""Every channel's outbox, for what serves them all: the sweeper and retry_failed.

A channel app registers its outbox in ``AppConfig.ready`` together with its delivery task
(the task calls the outbox, so the outbox cannot import it):

    register(sms_outbox, task=send_message)
"""

from django.tasks import Task

from outbox.engine import Outbox

_outboxes: dict[str, Outbox] = {}


def register(outbox: Outbox, *, task: Task) -> None:
    outbox.task = task
    _outboxes[outbox.channel] = outbox


def outboxes() -> list[Outbox]:
    """The registered outboxes, in registration (INSTALLED_APPS) order."""
    return list(_outboxes.values())


def channels() -> list[str]:
    return list(_outboxes)
