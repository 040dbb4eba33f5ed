"""The one session factory: the environment's proxy and CA settings, no netrc, a timeout."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from release_actions.errors import InputError
from release_actions.webclient import WebClient, describe, session


def test_every_session_honours_the_proxy_and_ca_settings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    bundle = tmp_path / "corporate-ca.pem"
    bundle.write_text("not read until a TLS connection is made\n")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example:3128")
    monkeypatch.setenv("NO_PROXY", "internal.example")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
    with session() as http:
        through = http.merge_environment_settings("https://pypi.org/simple/", {}, None, None, None)
        direct = http.merge_environment_settings("https://internal.example/x", {}, None, None, None)
    assert through["proxies"]["https"] == "http://proxy.example:3128"
    assert through["verify"] == str(bundle)
    assert "https" not in direct["proxies"]  # NO_PROXY


def test_no_password_is_taken_from_netrc(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine index.example login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    plain = requests.Session().prepare_request(requests.Request("GET", "https://index.example/"))
    assert "Authorization" in plain.headers  # the file is read by a session left as it comes
    with session() as http:
        prepared = http.prepare_request(requests.Request("GET", "https://index.example/"))
    assert "Authorization" not in prepared.headers
    assert prepared.headers["User-Agent"].startswith("release-actions/")


def test_the_transport_never_retries_on_its_own_and_has_a_timeout() -> None:
    with session(timeout=7.0) as http:
        adapter = http.get_adapter("https://pypi.org/")
    assert adapter.max_retries.total == 0  # type: ignore[attr-defined]
    assert adapter.timeout == 7.0  # type: ignore[attr-defined]


def test_failures_are_described_without_the_url_noise() -> None:
    refused = requests.ConnectionError(ConnectionRefusedError(111, "Connection refused"))
    assert describe(refused) == "Connection refused"
    assert describe(requests.ReadTimeout("read timed out")) == "timed out"
    assert describe(requests.ConnectionError("odd")) == "ConnectionError"


def test_http_settings_from_the_environment() -> None:
    web = WebClient.from_env(
        {"RA_HTTP_ATTEMPTS": "2", "RA_HTTP_TIMEOUT": "5", "RA_HTTP_DEADLINE": "9"}
    )
    assert (web.policy.attempts, web.timeout, web.deadline) == (2, 5.0, 9.0)
    with pytest.raises(InputError) as err:
        WebClient.from_env({"RA_HTTP_DEADLINE": "0"})
    assert err.value.message() == (
        "RA_HTTP_DEADLINE='0' is below 0.001. "
        "Set RA_HTTP_DEADLINE to a number of at least 0.001, or unset it for the default (300)."
    )
