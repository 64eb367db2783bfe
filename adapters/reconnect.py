"""Reconnect delays for every adapter: exponential with jitter, so a restarted server is not stampeded."""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass(slots=True)
class ReconnectBackoff:
    """Delay before attempt `n` (0-based): uniform in [cap/2, cap], where cap = min(maximum, base * 2**n)."""

    base: float = 0.5
    maximum: float = 30.0
    rng: random.Random = field(default_factory=random.Random)

    def __post_init__(self) -> None:
        if self.base <= 0 or self.maximum < self.base:
            raise ValueError(
                f"reconnect backoff needs 0 < base <= maximum, got base={self.base}, maximum={self.maximum}"
            )

    def delay(self, attempt: int) -> float:
        """Seconds to wait before the given attempt; never more than `maximum`."""
        cap = min(self.maximum, self.base * 2.0 ** min(max(attempt, 0), 60))
        return cap / 2 + self.rng.uniform(0.0, cap / 2)
