"""Retrying a call that may fail for a while: one policy for every service the suite talks to.

A ``Policy`` says how many attempts a call gets, how the pause between them
grows (exponential backoff from ``backoff`` seconds, capped at
``max_backoff``, with jitter so parallel workers do not retry in step), and
how long one call may spend waiting in all (``max_wait``). A server that says
when to come back (``Retry-After`` in seconds or as an HTTP-date, or GitHub's
``x-ratelimit-reset``) is waited for instead of the backoff, but never beyond
``max_wait``: a call asked to wait longer fails at once with a message saying
when to try again, instead of holding a job for an hour.

``Retries`` is the state of one call (attempts made, time waited); ``call``
runs a function under a policy, retrying what it marks ``Transient``.
Settings come from the environment (``RA_HTTP_*``, ``RA_GITHUB_*``,
``RA_PUBLISH_*``) through ``number``: a malformed value is one clear error
naming the variable, never a traceback.
"""

from __future__ import annotations

import email.utils
import math
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TypeVar

from .errors import InputError, NetworkError, shown

T = TypeVar("T")

MSG_GAVE_UP = "{what} failed after {attempts} attempts: {reason}."
FIX_GAVE_UP = (
    "The service is unavailable or rate-limiting this runner; run the command again later."
)
MSG_WAIT_TOO_LONG = "{what} is rate-limited for another {seconds:.0f} s (the server's Retry-After)."
FIX_WAIT_TOO_LONG = "Run the command again after that time."
MSG_NOT_A_NUMBER = "{name}={value} is not a number."
MSG_TOO_SMALL = "{name}={value} is below {minimum:g}."
FIX_SETTING = (
    "Set {name} to {kind} of at least {minimum:g}, or unset it for the default ({default:g})."
)


@dataclass(frozen=True)
class Policy:
    """How one call is retried."""

    attempts: int = 5  # in all, the first included
    backoff: float = 0.5  # seconds before the first retry; doubles after each
    max_backoff: float = 30.0  # the longest pause of our own choosing
    max_wait: float = 120.0  # all the pauses of one call together, a server's included
    jitter: bool = True

    def backoff_delay(self, retry: int, rand: Callable[[], float] = random.random) -> float:
        """The pause before retry number ``retry`` (1-based): capped, and jittered to 50-100 %."""
        if self.backoff <= 0:
            return 0.0
        delay = min(self.max_backoff, self.backoff * 2.0 ** min(retry - 1, 62))
        return delay * (0.5 + rand() / 2) if self.jitter else delay

    @classmethod
    def from_env(cls, env: Mapping[str, str], prefix: str, default: Policy | None = None) -> Policy:
        """``default`` with ``{prefix}ATTEMPTS``, ``BACKOFF``, ``MAX_BACKOFF``, ``MAX_WAIT`` applied."""
        base = default or cls()
        return replace(
            base,
            attempts=int(number(env, f"{prefix}ATTEMPTS", base.attempts, integer=True, minimum=1)),
            backoff=number(env, f"{prefix}BACKOFF", base.backoff),
            max_backoff=number(env, f"{prefix}MAX_BACKOFF", base.max_backoff),
            max_wait=number(env, f"{prefix}MAX_WAIT", base.max_wait),
        )


class GiveUp(Exception):
    """No further attempt. ``asked`` is set when a server asked for a wait beyond the budget."""

    def __init__(self, asked: float | None = None) -> None:
        super().__init__("gave up")
        self.asked = asked


@dataclass
class Retries:
    """One call's retries: after a failed attempt, ``pause()`` sleeps or raises ``GiveUp``.

    ``next()`` and ``sleep`` apart let a caller say what it waits for before it waits.
    """

    policy: Policy
    sleep: Callable[[float], None] = time.sleep
    made: int = 1  # attempts made so far (the first is under way when this is created)
    waited: float = 0.0

    def next(self, asked: float | None = None) -> float:
        """The pause before the next attempt (the server's ``asked`` seconds, else our backoff),
        counted as waited; ``GiveUp`` when no attempt is left or the wait would pass the budget."""
        if self.made >= self.policy.attempts:
            raise GiveUp()
        delay = asked if asked is not None else self.policy.backoff_delay(self.made)
        if self.waited + delay > self.policy.max_wait:
            raise GiveUp(asked)
        self.waited += delay
        self.made += 1
        return delay

    def pause(self, asked: float | None = None) -> float:
        delay = self.next(asked)
        if delay > 0:
            self.sleep(delay)
        return delay


class Transient(Exception):
    """An attempt that may succeed if made again; ``wait`` is what the server asked for."""

    def __init__(self, reason: str, wait: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def call(
    what: str,
    attempt: Callable[[], T],
    policy: Policy,
    *,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[Transient, float], None] | None = None,
) -> T:
    """``attempt()`` until it returns, retrying ``Transient``; a ``NetworkError`` when it never does."""
    retries = Retries(policy, sleep)
    while True:
        try:
            return attempt()
        except Transient as exc:
            try:
                delay = retries.pause(exc.wait)
            except GiveUp as stop:
                raise gave_up(what, retries, exc.reason, stop) from None
            if on_retry is not None:
                on_retry(exc, delay)


def gave_up(what: str, retries: Retries, reason: str, stop: GiveUp) -> NetworkError:
    """The error for a call that stopped retrying: too long a wait asked, or out of attempts."""
    if stop.asked is not None:
        return NetworkError(
            MSG_WAIT_TOO_LONG.format(what=what, seconds=stop.asked), FIX_WAIT_TOO_LONG
        )
    return NetworkError(
        MSG_GAVE_UP.format(what=what, attempts=retries.made, reason=reason), FIX_GAVE_UP
    )


def retry_after(headers: Mapping[str, str], now: float) -> float | None:
    """Seconds a server asked us to wait, if it said: ``Retry-After`` (seconds or an
    HTTP-date), or a rate limit used up until ``x-ratelimit-reset`` (GitHub)."""
    folded = {k.lower(): v for k, v in headers.items()}
    value = (folded.get("retry-after") or "").strip()
    if value:
        if value.isdigit():
            return float(value)
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # "-0000": UTC by RFC 5322
            return None
        return max(0.0, when.timestamp() - now)
    if folded.get("x-ratelimit-remaining", "").strip() == "0":
        reset = folded.get("x-ratelimit-reset", "").strip()
        if reset.isdigit():
            return max(0.0, float(reset) - now)
    return None


def number(
    env: Mapping[str, str],
    name: str,
    default: float,
    *,
    integer: bool = False,
    minimum: float = 0.0,
) -> float:
    """A numeric setting from the environment: ``default`` when unset or empty; an
    ``InputError`` naming the variable and the fix when it is malformed or too small."""
    raw = env.get(name, "").strip()
    if not raw:
        return default
    kind = "a whole number" if integer else "a number"
    fix = FIX_SETTING.format(name=name, kind=kind, minimum=minimum, default=default)
    try:
        value = float(int(raw)) if integer else float(raw)
    except ValueError:
        raise InputError(MSG_NOT_A_NUMBER.format(name=name, value=_quoted(raw)), fix) from None
    if not math.isfinite(value):
        raise InputError(MSG_NOT_A_NUMBER.format(name=name, value=_quoted(raw)), fix)
    if value < minimum:
        raise InputError(MSG_TOO_SMALL.format(name=name, value=_quoted(raw), minimum=minimum), fix)
    return value


def _quoted(raw: str) -> str:
    return f"'{shown(raw)}'"
