"""The github module without a server: name matching, error mapping, capped waits, settings."""

from __future__ import annotations

import email.utils
import time

import pytest
import requests
from github import GithubException
from github.GithubException import RateLimitExceededExceedsMaxWait

from release_actions.errors import (
    AuditError,
    CredentialError,
    InputError,
    NetworkError,
    ReleasePageError,
)
from release_actions.github import (
    CappedRetry,
    ClientSettings,
    rate_limit_wait,
    transient,
    wrap,
)
from release_actions.retry import Policy
from release_actions.versions import names_of


@pytest.mark.parametrize(
    ("names", "version", "found"),
    [
        (["v1.2.3", "1.2.3", "1.2.30"], "1.2.3", ["1.2.3", "v1.2.3"]),  # as written, bare first
        (["1.2.3.0", "V1.2.3", "2.0"], "1.2.3", ["V1.2.3"]),  # as written, a capital V too
        (["1.2.3.0", "V1.2.3.0", "2.0"], "1.2.3", ["1.2.3.0", "V1.2.3.0"]),  # PEP 440 equal
        (["v2.0.0-RC1", "2.0.0"], "2.0.0rc1", ["v2.0.0-RC1"]),
        (["release-1.2.3", "1.2"], "1.2.3", []),
        (["anything"], "not a version", []),
    ],
)
def test_one_rule_names_a_version(names: list[str], version: str, found: list[str]) -> None:
    assert names_of(names, version) == found


def _refusal(status: int, message: str = "no", **headers: str) -> GithubException:
    return GithubException(status, {"message": message}, headers)


def test_refusals_become_our_errors_with_the_fix() -> None:
    assert isinstance(wrap(_refusal(401), "listing the releases", "o/r"), CredentialError)
    forbidden = wrap(
        _refusal(403, "Resource not accessible"), "uploading", "o/r", fix_403="Grant it."
    )
    assert forbidden.message() == (
        "The token lacks the permission for uploading in o/r (403 Resource not accessible). Grant it."
    )
    assert isinstance(wrap(_refusal(404), "reading", "o/r"), ReleasePageError)
    assert isinstance(wrap(_refusal(404), "reading", "o/r", refused=AuditError), AuditError)
    assert isinstance(wrap(_refusal(502), "reading", "o/r"), NetworkError)
    lost = wrap(requests.ConnectionError("reset"), "reading", "o/r", unreachable_fix="Retry.")
    assert lost.message() == "Could not reach GitHub while reading: ConnectionError. Retry."


def test_a_rate_limit_says_how_long() -> None:
    limited = _refusal(403, "You have exceeded a secondary rate limit", **{"Retry-After": "90"})
    error = wrap(limited, "listing the tags", "o/r")
    assert isinstance(error, NetworkError)
    assert (
        error.cause
        == "GitHub is rate-limiting this token while listing the tags, for another 90 s."
    )
    date = email.utils.formatdate(time.time() + 600, usegmt=True)
    wait = rate_limit_wait(_refusal(429, **{"Retry-After": date}))
    assert wait is not None
    assert 590 < wait <= 600
    assert transient(limited, Policy(max_wait=120)) is True
    assert transient(limited, Policy(max_wait=60)) is False  # too long: fail now, saying when
    assert transient(_refusal(422), Policy()) is False


class _Answer:
    status = 403

    def __init__(self, retry_after: str) -> None:
        self.headers = {"Retry-After": retry_after}


def test_the_transport_retry_never_sleeps_past_the_cap() -> None:
    """Regression: GithubRetry slept whatever Retry-After said (the audit's client used it bare)."""
    retry = CappedRetry(max_rate_limit_wait=60.0, total=3)
    assert retry.get_retry_after(_Answer("30")) == 30.0
    with pytest.raises(RateLimitExceededExceedsMaxWait) as err:
        retry.get_retry_after(_Answer("3600"))
    assert err.value.wait == 3600.0
    assert retry.new(total=2).max_rate_limit_wait == 60.0  # urllib3 remakes it after each try


def test_github_settings_from_the_environment() -> None:
    settings = ClientSettings.from_env({"RA_GITHUB_ATTEMPTS": "2", "RA_GITHUB_WRITE_INTERVAL": "0"})
    assert (settings.policy.attempts, settings.seconds_between_writes) == (2, 0.0)
    with pytest.raises(InputError) as err:
        ClientSettings.from_env({"RA_GITHUB_UPLOAD_WORKERS": "four"})
    assert err.value.cause == "RA_GITHUB_UPLOAD_WORKERS='four' is not a number."


@pytest.mark.parametrize(
    ("server_url", "host"),
    [
        ("https://github.com", "github.com"),
        ("https://GHE.example.com/", "ghe.example.com"),
        ("https://octocorp.ghe.com", "octocorp.ghe.com"),
        ("", "github.com"),
    ],
)
def test_the_host_provenance_names(server_url: str, host: str) -> None:
    from release_actions.github import Target

    assert Target("https://api.example", "o/r", "t", server_url).host == host
