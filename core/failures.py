"""Why a message failed, in words a person acts on.

Each provider package keeps the table of its own error codes (the provider's vocabulary);
the channel's provider registry answers ``failure_reason(code)`` with one of these, which
the reports and the inbox show beside the code.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class FailureReason:
    code: str
    # What happened, in a few plain words: "The phone is off or out of coverage".
    title: str
    # What the team can do about it: "Try again later; if it keeps failing, call them."
    action: str
    # The provider's own page for the code ("" when it has none).
    url: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "title": self.title, "action": self.action, "url": self.url}
