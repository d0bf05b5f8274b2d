"""Who Hatch may send as, per channel: an allow-list read from two settings.

Each channel names a default sender setting and a setting of extra senders (SMS: numbers;
email: addresses, or whole domains written "@example.com"). A send may come only from an
entry of its channel's list; each channel's system check refuses to start with an entry
that cannot be one.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.checks import Error

from core.errors import ValidationError


@dataclass(frozen=True)
class SenderAllowList:
    default_setting: str  # e.g. "TWILIO_FROM_NUMBER"
    extra_setting: str  # e.g. "TWILIO_EXTRA_FROM_NUMBERS"
    # An entry in its one spelling; raises ValidationError for one that cannot be a sender.
    normalise: Callable[[str], str]
    what: str  # what each entry must be, for the check's message
    hint: str

    def configured(self) -> list[str]:
        """The settings' entries as written, the default first."""
        entries = [getattr(settings, self.default_setting), *getattr(settings, self.extra_setting)]
        return [entry.strip() for entry in entries if entry and entry.strip()]

    def senders(self) -> list[str]:
        """The allowed senders, normalised, the default first (the check refuses invalid
        entries at start-up, so here every entry is valid)."""
        return [self.normalise(entry) for entry in self.configured()]

    def default(self) -> str | None:
        """The normalised default sender, or None when the channel has none configured."""
        entry = (getattr(settings, self.default_setting) or "").strip()
        return self.normalise(entry) if entry else None

    def allows(self, sender: str) -> bool:
        """Whether a normalised ``sender`` is on the list, itself or by its "@domain"."""
        allowed = self.senders()
        return sender in allowed or ("@" in sender and "@" + sender.rsplit("@", 1)[1] in allowed)

    def check(self, *, id: str) -> list[Error]:
        """One system-check error per entry that cannot be a sender (the valid ones are
        not named: they need no fixing)."""
        errors = []
        for entry in self.configured():
            try:
                self.normalise(entry)
            except ValidationError:
                errors.append(
                    Error(
                        f"{self.default_setting} / {self.extra_setting} hold {entry!r}, "
                        f"which is not {self.what}.",
                        hint=self.hint,
                        id=id,
                    )
                )
        return errors
