"""Slowing down guessing: failed attempts are counted per key (a dossier code, a client address) within a
window, and too many lock the key for a while.

Pure rules; the counters live behind records.ports.AttemptLimitRepository.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class AttemptPolicy:
    """At most `max_failures` failures within `window`; the one that reaches it locks for `lockout`."""

    max_failures: int
    window: timedelta
    lockout: timedelta


@dataclass
class AttemptLimit:
    key: str
    window_started_at: datetime
    failures: int = 0
    locked_until: datetime | None = None

    def locked(self, now: datetime) -> bool:
        return self.locked_until is not None and now < self.locked_until

    def retry_after_seconds(self, now: datetime) -> int:
        """Whole seconds until the lock ends (0 when not locked)."""
        if self.locked_until is None or now >= self.locked_until:
            return 0
        return math.ceil((self.locked_until - now).total_seconds())

    def fail(self, now: datetime, policy: AttemptPolicy) -> None:
        """Counts one failure; a finished window or a lock that has run out starts the count over."""
        lock_over = self.locked_until is not None and now >= self.locked_until
        if lock_over or now >= self.window_started_at + policy.window or now < self.window_started_at:
            self.window_started_at = now
            self.failures = 0
            self.locked_until = None
        self.failures += 1
        if self.failures >= policy.max_failures and self.locked_until is None:
            self.locked_until = now + policy.lockout


def retry_after_seconds(limits: list[AttemptLimit], now: datetime) -> int:
    """How long until every lock among `limits` is over (0: none is locked)."""
    return max((limit.retry_after_seconds(now) for limit in limits), default=0)
