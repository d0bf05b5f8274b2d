"""The one rule every record status follows: it only moves forward.

Providers report progress late, twice and out of order (a "sent" after a "delivered", the
same callback ten times). A status therefore climbs a ladder of rungs and never steps down:
an event for a lower or equal rung is kept as an event and changes nothing. Terminal
statuses share the top rung, so the first of them to arrive wins.
"""

from collections.abc import Mapping


class StatusLadder:
    def __init__(self, rungs: Mapping[str, int]):
        self.rungs = dict(rungs)

    def advances(self, current: str, new: str | None) -> bool:
        """Whether moving from ``current`` to ``new`` is a step up (None never is)."""
        return new is not None and self.rungs[new] > self.rungs[current]

    def below(self, status: str) -> list[str]:
        """The statuses from which ``status`` is a step up: for an UPDATE's WHERE or CASE."""
        return [name for name, rung in self.rungs.items() if rung < self.rungs[status]]
