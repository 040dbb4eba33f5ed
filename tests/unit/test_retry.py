"""The retry leaf: backoff, Retry-After (seconds and HTTP-date), the total wait, settings."""

from __future__ import annotations

import email.utils
from collections.abc import Callable

import pytest

from release_actions.errors import InputError, NetworkError
from release_actions.retry import (
    GiveUp,
    Policy,
    Retries,
    Transient,
    call,
    number,
    retry_after,
)


class Clock:
    """A fake clock whose sleep advances time instead of waiting."""

    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now
        self.slept: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def flaky(times: int, wait: float | None = None) -> tuple[Callable[[], str], list[int]]:
    """A call that fails ``times`` times, then answers; counts its calls."""
    calls = [0]

    def attempt() -> str:
        calls[0] += 1
        if calls[0] <= times:
            raise Transient(f"HTTP 503 (attempt {calls[0]})", wait)
        return "done"

    return attempt, calls


def test_backoff_doubles_is_capped_and_jittered_within_half_to_full() -> None:
    policy = Policy(backoff=1.0, max_backoff=5.0, jitter=False)
    assert [policy.backoff_delay(n) for n in range(1, 6)] == [1.0, 2.0, 4.0, 5.0, 5.0]
    jittered = Policy(backoff=1.0, max_backoff=5.0)
    assert jittered.backoff_delay(3, rand=lambda: 0.0) == 2.0
    assert jittered.backoff_delay(3, rand=lambda: 1.0) == 4.0
    assert Policy(backoff=0).backoff_delay(4) == 0.0
    assert Policy(backoff=1.0, max_backoff=30.0).backoff_delay(10_000, rand=lambda: 1.0) == 30.0


def test_call_retries_transient_failures_then_returns() -> None:
    clock = Clock()
    attempt, calls = flaky(2)
    assert (
        call("GET x", attempt, Policy(attempts=3, backoff=1.0, jitter=False), sleep=clock.sleep)
        == "done"
    )
    assert calls == [3]
    assert clock.slept == [1.0, 2.0]


def test_call_gives_up_after_the_attempts_with_the_last_reason() -> None:
    clock = Clock()
    attempt, calls = flaky(10)
    with pytest.raises(NetworkError) as err:
        call("GET x", attempt, Policy(attempts=3, backoff=0.5), sleep=clock.sleep)
    assert calls == [3]
    assert len(clock.slept) == 2
    assert err.value.cause == "GET x failed after 3 attempts: HTTP 503 (attempt 3)."
    assert "run the command again later" in err.value.fix


def test_a_server_wait_replaces_the_backoff() -> None:
    clock = Clock()
    attempt, _ = flaky(1, wait=7.0)
    call("GET x", attempt, Policy(backoff=1.0), sleep=clock.sleep)
    assert clock.slept == [7.0]


def test_a_server_wait_beyond_the_budget_fails_at_once_saying_when() -> None:
    clock = Clock()
    attempt, calls = flaky(1, wait=3600.0)
    with pytest.raises(NetworkError) as err:
        call("GET x", attempt, Policy(max_wait=60.0), sleep=clock.sleep)
    assert calls == [1]
    assert clock.slept == []
    assert err.value.cause == "GET x is rate-limited for another 3600 s (the server's Retry-After)."
    assert err.value.fix == "Run the command again after that time."


def test_the_waits_of_one_call_together_stay_within_the_budget() -> None:
    """Each wait is allowed on its own; the third would pass the total: stop before it."""
    clock = Clock()
    attempt, calls = flaky(10, wait=40.0)
    with pytest.raises(NetworkError) as err:
        call("GET x", attempt, Policy(attempts=10, max_wait=100.0), sleep=clock.sleep)
    assert clock.slept == [40.0, 40.0]
    assert calls == [3]
    assert "rate-limited for another 40 s" in err.value.cause


def test_retries_object_lets_the_caller_log_before_waiting() -> None:
    clock = Clock()
    retries = Retries(Policy(attempts=2, backoff=2.0, jitter=False), clock.sleep)
    assert retries.next() == 2.0
    assert clock.slept == []  # next() only decides
    retries.sleep(2.0)
    with pytest.raises(GiveUp) as stop:
        retries.next()
    assert stop.value.asked is None
    assert retries.made == 2


def test_retry_after_in_seconds_and_as_an_http_date() -> None:
    now = 1_700_000_000.0
    assert retry_after({"Retry-After": "120"}, now) == 120.0
    assert retry_after({"retry-after": " 5 "}, now) == 5.0
    date = email.utils.formatdate(now + 90, usegmt=True)  # "Tue, 14 Nov 2023 22:14:50 GMT"
    assert retry_after({"Retry-After": date}, now) == pytest.approx(90.0)
    past = email.utils.formatdate(now - 90, usegmt=True)
    assert retry_after({"Retry-After": past}, now) == 0.0


def test_retry_after_github_rate_limit_reset_and_nonsense() -> None:
    now = 1000.0
    headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset": "1030"}
    assert retry_after(headers, now) == 30.0
    assert retry_after({"x-ratelimit-remaining": "4", "x-ratelimit-reset": "1030"}, now) is None
    for nonsense in ("soon", "-5", "1e9", "Tue, 99 Foo 2023", ""):
        assert retry_after({"Retry-After": nonsense}, now) is None
    assert retry_after({}, now) is None


def test_settings_from_the_environment() -> None:
    env = {"RA_X_ATTEMPTS": "3", "RA_X_BACKOFF": "0.25", "RA_X_MAX_WAIT": " 10 "}
    assert Policy.from_env(env, "RA_X_") == Policy(attempts=3, backoff=0.25, max_wait=10.0)
    default = Policy(attempts=9)
    assert Policy.from_env({"RA_X_ATTEMPTS": ""}, "RA_X_", default) == default


@pytest.mark.parametrize(
    ("value", "cause"),
    [
        ("lots", "RA_X_ATTEMPTS='lots' is not a number."),
        ("2.5", "RA_X_ATTEMPTS='2.5' is not a number."),
        ("0", "RA_X_ATTEMPTS='0' is below 1."),
        ("nan", "RA_X_ATTEMPTS='nan' is not a number."),
    ],
)
def test_a_malformed_attempts_setting_names_the_variable_and_the_fix(
    value: str, cause: str
) -> None:
    with pytest.raises(InputError) as err:
        Policy.from_env({"RA_X_ATTEMPTS": value}, "RA_X_")
    assert err.value.cause == cause
    assert err.value.fix == (
        "Set RA_X_ATTEMPTS to a whole number of at least 1, or unset it for the default (5)."
    )


@pytest.mark.parametrize("value", ["1,5", "inf", "-1", "0x10", "1\n2"])
def test_a_malformed_number_is_one_clear_error(value: str) -> None:
    with pytest.raises(InputError) as err:
        number({"RA_Y": value}, "RA_Y", 2.0)
    assert err.value.cause.startswith("RA_Y=")
    assert "\n" not in err.value.message()
    assert "Set RA_Y to a number of at least 0" in err.value.fix
