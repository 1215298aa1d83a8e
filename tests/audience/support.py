"""Helpers of the audience tests."""

import random

SENT: list[dict] = []


class RecordingSender:
    """A code sender (AUDIENCE_CODE_SENDER) that keeps what it was asked to send in SENT."""

    def send(self, *, channel: str, destination: str, code: str, minutes: int) -> None:
        SENT.append({"channel": channel, "destination": destination, "code": code})


def seed_failing_nth(n: int, rate: float = 0.5) -> int:
    """A Faults seed with which, at `error_rate=rate`, the first n-1 matching calls pass and
    the n-th fails (each matching call draws one number from random.Random(seed))."""
    for seed in range(10_000):
        rng = random.Random(seed)
        draws = [rng.random() for _ in range(n)]
        if all(d >= rate for d in draws[:-1]) and draws[-1] < rate:
            return seed
    raise AssertionError("no seed found")
