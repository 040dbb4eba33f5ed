"""publish against a real pypiserver and a strict fake of PyPI (Trusted Publishing, PEP 740, faults)."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from release_actions import publish as publish_module
from release_actions.build import build
from release_actions.hashing import format_sums, hash_files
from support.cli import CliResult, run_cli
from support.fake_oidc import FakeRunnerOidc, default_claims
from support.fake_pypi import FakePyPI, Publisher
from support.paths import PROJECTS
from support.pypiserver import PyPIServer, pypiserver

API_TOKEN = "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZmdoLTEyMzQtNTY3OC05YWJjLWRlZmdoaWprbG1ubwACKlsz"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PyPIServer]:
    with pypiserver(tmp_path / "index") as s:
        yield s


def _secrets_absent(result: CliResult, *secrets: str) -> None:
    for secret in secrets:
        visible = result.text.replace(f"::add-mask::{secret}\n", "")
        assert secret not in visible


def _pws(server: PyPIServer, password: str | None = None) -> dict[str, str]:
    return {"TWINE_USERNAME": server.username, "TWINE_PASSWORD": password or server.password}


# -- a real index: pypiserver ----------------------------------------------------------------------


def test_upload_then_pip_install(dist: Path, server: PyPIServer, capsys, tmp_path) -> None:
    result = run_cli(
        ["publish", "--repository-url", server.url], capsys, tmp_path, env=_pws(server)
    )
    assert result.code == 0, result.text
    assert json.loads(result.outputs["uploaded"]) == [
        "flit_demo-1.2.3-py3-none-any.whl",
        "flit_demo-1.2.3.tar.gz",
    ]
    assert json.loads(result.outputs["skipped"]) == []
    assert server.files() == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]
    progress = [line for line in result.err.splitlines() if "uploaded in" in line]
    assert len(progress) == 2
    assert "KiB" in progress[0]
    assert f"{server.url}simple/flit-demo/" in result.summary
    _secrets_absent(result, server.password)
    target = tmp_path / "site"
    pip = subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-cache-dir", "--target", str(target),
         "--index-url", server.simple, "flit_demo==1.2.3"], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert pip.returncode == 0, pip.stderr
    assert (target / "flit_demo" / "__init__.py").is_file()


def test_a_rerun_skips_what_is_there_and_completes(
    dist: Path, server: PyPIServer, capsys, tmp_path
) -> None:
    wheel = next(dist.glob("*.whl"))
    assert (
        run_cli(
            ["publish", str(wheel), "--repository-url", server.url],
            capsys,
            tmp_path,
            env=_pws(server),
        ).code
        == 0
    )
    result = run_cli(
        ["publish", "--repository-url", server.url], capsys, tmp_path, env=_pws(server)
    )
    assert result.code == 0, result.text
    assert json.loads(result.outputs["uploaded"]) == ["flit_demo-1.2.3.tar.gz"]
    assert json.loads(result.outputs["skipped"]) == [wheel.name]
    assert (
        f"::notice title=Already published::{wheel.name} is already on the index with the same sha256"
        in result.out
    )


def test_same_name_other_content_fails_loudly(
    dist: Path, server: PyPIServer, capsys, tmp_path, built: Path
) -> None:
    assert (
        run_cli(
            ["publish", "--repository-url", server.url], capsys, tmp_path, env=_pws(server)
        ).code
        == 0
    )
    # Rebuild with another epoch: same names, other bytes.
    other = tmp_path / "other"
    build(
        PROJECTS / "flit_demo",
        other,
        clean=True,
        env={**os.environ, "SOURCE_DATE_EPOCH": "1700000000"},
    )
    sdist = next(other.glob("*.tar.gz"))
    before = (server.packages / sdist.name).read_bytes()
    result = run_cli(
        ["publish", str(sdist), "--repository-url", server.url], capsys, tmp_path, env=_pws(server)
    )
    assert result.code == 1
    assert f"The index already has {sdist.name} with other content" in result.text
    assert "bump the version" in result.text
    assert (server.packages / sdist.name).read_bytes() == before


def test_tampered_file_against_subjects_uploads_nothing(
    dist: Path, server: PyPIServer, capsys, tmp_path
) -> None:
    (dist.parent / "SHA256SUMS").write_text(format_sums(hash_files(sorted(dist.iterdir()))))
    sdist = next(dist.glob("*.tar.gz"))
    sdist.write_bytes(sdist.read_bytes() + b"\0")
    result = run_cli(["publish", "--subjects", "SHA256SUMS", "--repository-url", server.url], capsys, tmp_path,
                     env=_pws(server))  # fmt: skip
    assert result.code == 1
    assert f"'{sdist.name}' does not match its hashed subject" in result.text
    assert server.files() == []


def test_subject_missing_here_uploads_nothing(
    dist: Path, server: PyPIServer, capsys, tmp_path
) -> None:
    sums = format_sums(hash_files(sorted(dist.iterdir())))
    encoded = base64.b64encode(sums.encode()).decode()
    (dist.parent / "subjects.b64").write_text(encoded)
    next(dist.glob("*.whl")).unlink()
    result = run_cli(["publish", "--subjects", "subjects.b64", "--repository-url", server.url], capsys, tmp_path,
                     env=_pws(server))  # fmt: skip
    assert result.code == 1
    assert "is in the subjects but not here to publish" in result.text
    assert server.files() == []


def test_wrong_password_is_refused_and_never_echoed(
    dist: Path, server: PyPIServer, capsys, tmp_path
) -> None:
    wrong = "not-the-Password-42"
    result = run_cli(
        ["publish", "--repository-url", server.url], capsys, tmp_path, env=_pws(server, wrong)
    )
    assert result.code == 1
    assert "The index refused the credentials" in result.text
    assert "HTTP 403" in result.text
    assert (
        "not uploaded: flit_demo-1.2.3-py3-none-any.whl, flit_demo-1.2.3.tar.gz" in result.summary
    )
    _secrets_absent(result, wrong)
    assert server.files() == []


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda d: [p.unlink() for p in d.iterdir()], "'dist/*' matches no files"),
        (lambda d: (d / "README.txt").write_text("hello"), "README.txt"),
        (
            lambda d: (d / "flit_demo-1.2.3-py3-none-any.whl").write_bytes(b"not a zip"),
            "cannot be read",
        ),
    ],
    ids=["no-files", "not-a-distribution", "damaged-wheel"],
)
def test_bad_files_upload_nothing(
    dist: Path, server: PyPIServer, capsys, tmp_path, setup, message
) -> None:
    setup(dist)
    result = run_cli(
        ["publish", "--repository-url", server.url], capsys, tmp_path, env=_pws(server)
    )
    assert result.code == 1
    assert message in result.text
    assert server.files() == []


def test_leftover_attestations_do_not_break_the_upload(
    dist: Path, server: PyPIServer, capsys, tmp_path
) -> None:
    for p in list(dist.iterdir()):
        (dist / (p.name + ".publish.attestation")).write_text('{"from": "an earlier run"}')
    result = run_cli(
        ["publish", "--repository-url", server.url], capsys, tmp_path, env=_pws(server)
    )
    assert result.code == 0, result.text
    assert server.files() == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]


# -- PyPI's behaviour: the strict fake -------------------------------------------------------------


@pytest.fixture
def pypi() -> Iterator[tuple[FakePyPI, FakeRunnerOidc]]:
    with FakeRunnerOidc(default_claims()) as runner, FakePyPI(runner=runner) as fake:
        fake.publishers.append(Publisher("octo/demo", "release.yml", "pypi"))
        yield fake, runner


def _fake_signer(calls: list[tuple[list[Path], str]]):
    def sign(paths, token):
        calls.append((list(paths), token))
        return {p: json.dumps({"version": 1, "for": p.name}) for p in paths}

    return sign


def test_trusted_publishing_with_attestations(
    dist: Path, pypi, capsys, tmp_path, monkeypatch
) -> None:
    fake, runner = pypi
    calls: list[tuple[list[Path], str]] = []
    monkeypatch.setattr(publish_module, "sign_attestations", _fake_signer(calls))
    monkeypatch.setattr(
        publish_module, "is_pypi", lambda url: True
    )  # the fake stands in for pypi.org
    env = {**runner.env, "GITHUB_EVENT_PATH": _event(tmp_path, "public")}
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path, env=env)
    assert result.code == 0, result.text
    assert runner.audiences == ["pypi", "sigstore"]
    assert sorted(fake.files) == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]
    for stored in fake.files.values():
        assert stored.attestations == [{"version": 1, "for": stored.filename}]
    [(signed, token)] = calls
    assert sorted(p.name for p in signed) == [
        "flit_demo-1.2.3-py3-none-any.whl",
        "flit_demo-1.2.3.tar.gz",
    ]
    assert token == runner.issued[1]
    minted = next(iter(fake.minted))
    _secrets_absent(result, minted, *runner.issued)
    assert f"::add-mask::{minted}\n" in result.out


def _event(tmp_path: Path, visibility: str) -> str:
    """The event payload of a push to a repository of this visibility."""
    path = tmp_path / f"event-{visibility}.json"
    repository = {
        "full_name": "octo/demo",
        "private": visibility != "public",
        "visibility": visibility,
    }
    path.write_text(json.dumps({"ref": "refs/tags/v1.2.3", "repository": repository}))
    return str(path)


@pytest.mark.parametrize("visibility", ["private", "internal", None])
def test_attestations_of_a_non_public_repository_need_an_explicit_opt_in(
    dist: Path, pypi, capsys, tmp_path, monkeypatch, visibility: str | None
) -> None:
    """Keyless signing writes the repository's name to Sigstore's public log: not by default."""
    fake, runner = pypi
    calls: list[tuple[list[Path], str]] = []
    monkeypatch.setattr(publish_module, "sign_attestations", _fake_signer(calls))
    monkeypatch.setattr(publish_module, "is_pypi", lambda url: True)
    env = dict(runner.env)
    if visibility:
        env["GITHUB_EVENT_PATH"] = _event(tmp_path, visibility)
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path, env=env)
    assert result.code == 0, result.text
    assert calls == []
    assert runner.audiences == ["pypi"]
    assert all(f.attestations is None for f in fake.files.values())
    assert "this repository is not public" in result.out
    # Under its own title: it used to be shown as "Already published".
    assert "::notice title=No PEP 740 attestations::Not sending PEP 740 attestations" in result.out
    fake.files.clear()
    result = run_cli(["publish", "--attestations", "--repository-url", fake.upload_url], capsys,
                     tmp_path, env=env)  # fmt: skip
    assert result.code == 0, result.text
    assert len(calls) == 1
    assert all(f.attestations for f in fake.files.values())


def test_attestations_off_for_other_indexes_by_default(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, runner = pypi
    result = run_cli(
        ["publish", "--repository-url", fake.upload_url], capsys, tmp_path, env=runner.env
    )
    assert result.code == 0, result.text
    assert runner.audiences == ["pypi"]
    assert all(f.attestations is None for f in fake.files.values())


def test_attestations_with_an_api_token_are_refused_upfront(
    dist: Path, pypi, capsys, tmp_path
) -> None:
    fake, _ = pypi
    fake.api_tokens.add(API_TOKEN)
    result = run_cli(["publish", "--attestations", "--repository-url", fake.upload_url], capsys, tmp_path,
                     env={"TWINE_PASSWORD": API_TOKEN})  # fmt: skip
    assert result.code == 2
    assert "accepted only with Trusted Publishing" in result.text
    assert fake.files == {}
    _secrets_absent(result, API_TOKEN)


def test_invalid_publisher_shows_what_pypi_matches(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, runner = pypi
    fake.publishers[:] = [Publisher("octo/demo", "publish.yml", "pypi")]
    result = run_cli(
        ["publish", "--repository-url", fake.upload_url], capsys, tmp_path, env=runner.env
    )
    assert result.code == 1
    assert "has no trusted publisher matching this job" in result.text
    assert "repository: octo/demo" in result.text
    assert (
        "workflow: release.yml (octo/demo/.github/workflows/release.yml@refs/tags/v1.2.3)"
        in result.text
    )
    assert "environment: pypi" in result.text
    assert ("/manage/project/flit-demo/settings/publishing/?provider=github&owner=octo&repository=demo"
            "&workflow_filename=release.yml&environment=pypi") in result.text  # fmt: skip
    assert fake.files == {}
    _secrets_absent(result, *runner.issued)


def test_index_without_trusted_publishing(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, runner = pypi
    fake.trusted_publishing = False
    result = run_cli(
        ["publish", "--repository-url", fake.upload_url], capsys, tmp_path, env=runner.env
    )
    assert result.code == 1
    assert "does not offer Trusted Publishing" in result.text
    assert "TWINE_PASSWORD" in result.text
    assert fake.files == {}


def test_missing_id_token_permission(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, _ = pypi
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path, env={})
    assert result.code == 1
    assert "lacks the 'id-token: write' permission" in result.text
    assert "::error title=Credentials refused::" in result.out
    assert fake.files == {}


def test_pull_request_from_a_fork(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, _ = pypi
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"head": {"repo": {"full_name": "someone/demo"}},
                                                  "base": {"repo": {"full_name": "octo/demo"}}}}))  # fmt: skip
    env = {"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event)}
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path, env=env)
    assert result.code == 1
    assert "pull request from a fork" in result.text


def test_minted_token_rejected_mid_upload(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, runner = pypi
    fake.revoke_after_uploads = 1
    result = run_cli(
        ["publish", "--repository-url", fake.upload_url], capsys, tmp_path, env=runner.env
    )
    assert result.code == 1
    assert (
        "The index refused the credentials while uploading flit_demo-1.2.3.tar.gz (HTTP 403"
        in result.text
    )
    assert "- uploaded: flit_demo-1.2.3-py3-none-any.whl" in result.summary
    assert "- not uploaded: flit_demo-1.2.3.tar.gz" in result.summary
    assert sorted(fake.files) == ["flit_demo-1.2.3-py3-none-any.whl"]
    # The re-run (a fresh token) completes it, skipping the wheel.
    fake.revoke_after_uploads = None
    again = run_cli(
        ["publish", "--skip-existing", "--repository-url", fake.upload_url],
        capsys,
        tmp_path,
        env=runner.env,
    )
    assert again.code == 0, again.text
    assert json.loads(again.outputs["uploaded"]) == ["flit_demo-1.2.3.tar.gz"]
    assert sorted(fake.files) == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]


# -- faults -----------------------------------------------------------------------------------------


def test_transient_failures_are_retried(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, runner = pypi
    fake.failures += [("status", 503), ("drop", None), ("status", 502)]
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path,
                     env={**runner.env, "RA_PUBLISH_BACKOFF": "0"})  # fmt: skip
    assert result.code == 0, result.text
    assert sorted(fake.files) == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]
    assert result.text.count("retrying in") == 3


def test_accepted_then_connection_lost_counts_as_on_the_index(
    dist: Path, pypi, capsys, tmp_path
) -> None:
    fake, runner = pypi
    fake.failures.append(("accept-then-drop", None))
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path,
                     env={**runner.env, "RA_PUBLISH_BACKOFF": "0"})  # fmt: skip
    assert result.code == 0, result.text
    assert sorted(fake.files) == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]
    # PyPI answers an identical re-upload with 200: the retry completes it, stored once.
    assert fake.uploads == 2
    assert "ConnectionError; retrying" in result.text


def test_index_down_reports_what_is_where(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, runner = pypi
    fake.failures += [("status", 503)] * 4
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path,
                     env={**runner.env, "RA_PUBLISH_BACKOFF": "0"})  # fmt: skip
    assert result.code == 1
    assert "failed 4 times: HTTP 503 Service Unavailable" in result.text
    assert "- uploaded: nothing" in result.summary
    assert (
        "- not uploaded: flit_demo-1.2.3-py3-none-any.whl, flit_demo-1.2.3.tar.gz" in result.summary
    )
    assert fake.files == {}


def test_slow_index_times_out_then_retries(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, runner = pypi
    fake.failures.append(("delay", 2.0))
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path,
                     env={**runner.env, "RA_PUBLISH_BACKOFF": "0", "RA_PUBLISH_TIMEOUT": "0.5"})  # fmt: skip
    assert result.code == 0, result.text
    assert "ReadTimeout" in result.text
    assert sorted(fake.files) == ["flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz"]


def test_killed_mid_publish_then_rerun_completes_with_the_right_bytes(
    dist: Path, pypi, tmp_path
) -> None:
    import time

    fake, _ = pypi
    fake.api_tokens.add(API_TOKEN)
    fake.failures += [("pass", None), ("delay", 3.0)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "ACTIONS_"))}
    env.update(TWINE_PASSWORD=API_TOKEN)
    command = [
        sys.executable,
        "-m",
        "release_actions",
        "publish",
        "--repository-url",
        fake.upload_url,
    ]
    proc = subprocess.Popen(
        command, env=env, cwd=dist.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 20
    while fake.log.count("POST /legacy/") < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.kill()  # mid-upload of the second file
    proc.communicate(timeout=10)
    assert sorted(fake.files) == ["flit_demo-1.2.3-py3-none-any.whl"]

    rerun = subprocess.run([*command, "--skip-existing"], env=env, cwd=dist.parent, capture_output=True, text=True,
                           check=False, timeout=60)  # fmt: skip
    assert rerun.returncode == 0, rerun.stderr
    assert (
        "flit_demo-1.2.3-py3-none-any.whl is already on the index with the same sha256: skipped"
        in rerun.stderr
    )
    local = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in dist.iterdir()}
    assert {name: f.sha256 for name, f in fake.files.items()} == local
    assert API_TOKEN not in rerun.stdout + rerun.stderr


# -- retries: Retry-After, settings, the OIDC exchange -------------------------------------------


def test_the_index_s_retry_after_is_waited_for(dist: Path, pypi) -> None:
    """Regression: publish ignored Retry-After (its own backoff on a 503, a refusal on a 429)."""
    import email.utils
    import time

    from release_actions.reporter import Recorded
    from release_actions.retry import Policy

    fake, runner = pypi
    when = email.utils.formatdate(time.time() + 30, usegmt=True)  # an HTTP-date, 30 s ahead
    fake.failures += [("status", (429, {"Retry-After": "7"})),
                      ("status", (503, {"Retry-After": when}))]  # fmt: skip
    sleeps: list[float] = []
    settings = publish_module.UploadSettings(policy=Policy(backoff=0.01), sleep=sleeps.append)
    said = Recorded()
    env = {**runner.env, "GITHUB_ACTIONS": "true"}
    outcome = publish_module.publish(sorted(dist.iterdir()), fake.upload_url, env=env,
                                     reporter=said, settings=settings)  # fmt: skip
    assert sorted(outcome.uploaded) == sorted(fake.files)
    assert len(fake.files) == 2
    assert sleeps[0] == 7.0
    assert 27.0 < sleeps[1] <= 30.0
    assert len(sleeps) == 2
    assert any("HTTP 429" in text and "retrying in 7.0 s" in text for text in said.texts("info"))


def test_a_retry_after_beyond_the_budget_fails_at_once(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, runner = pypi
    fake.failures += [("status", (429, {"Retry-After": "3600"}))]
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path,
                     env=runner.env)  # fmt: skip
    assert result.code == 1
    assert "::error title=Service unavailable::The index is rate-limiting uploads of " in result.out
    assert "for another 3600 s (HTTP 429" in result.out
    assert "Re-run the job after that time." in result.out
    assert fake.files == {}
    assert "retrying" not in result.text


@pytest.mark.parametrize(
    ("variable", "value", "cause"),
    [
        ("RA_PUBLISH_BACKOFF", "fast", "RA_PUBLISH_BACKOFF='fast' is not a number."),
        ("RA_PUBLISH_ATTEMPTS", "0", "RA_PUBLISH_ATTEMPTS='0' is below 1."),
        ("RA_PUBLISH_DEADLINE", "30m", "RA_PUBLISH_DEADLINE='30m' is not a number."),
    ],
)
def test_a_malformed_publish_setting_is_one_clear_error(
    dist: Path, pypi, capsys, tmp_path, variable: str, value: str, cause: str
) -> None:
    """Regression: a malformed RA_PUBLISH_* value crashed with a traceback."""
    fake, runner = pypi
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path,
                     env={**runner.env, variable: value})  # fmt: skip
    assert result.code == 1
    assert f"::error title=Invalid input::{cause} Set {variable} to " in result.out
    assert "Traceback" not in result.text
    assert fake.log == []  # not even the OIDC audience was asked
    assert fake.files == {}
    assert sorted(p.name for p in dist.iterdir()) == [
        "flit_demo-1.2.3-py3-none-any.whl",
        "flit_demo-1.2.3.tar.gz",
    ]  # nothing written beside the files


def test_the_oidc_exchange_is_retried_with_a_fresh_identity(
    dist: Path, pypi, capsys, tmp_path
) -> None:
    """Regression: the mint had no retry. A 503, a reset, then a mint whose answer was lost
    (its identity token is used up, as PyPI records the jti): each retry sends a new token."""
    fake, runner = pypi
    fake.oidc_failures += [("status", 503), ("pass", None), ("drop", None), ("mint-then", 502)]
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path,
                     env={**runner.env, "RA_PUBLISH_BACKOFF": "0"})  # fmt: skip
    assert result.code == 0, result.text
    assert len(fake.files) == 2
    assert [line for line in fake.log if "/_/oidc/" in line] == [
        "GET /_/oidc/audience",  # 503
        "GET /_/oidc/audience",
        "POST /_/oidc/mint-token",  # dropped
        "POST /_/oidc/mint-token",  # minted, answer lost
        "POST /_/oidc/mint-token",
    ]
    assert runner.audiences == ["pypi"] * 3
    assert len(set(runner.issued)) == 3
    _secrets_absent(result, *runner.issued, *fake.minted)


def test_the_oidc_exchange_is_never_retried_after_a_refusal(
    dist: Path, pypi, capsys, tmp_path
) -> None:
    fake, runner = pypi
    fake.publishers.clear()  # 422 invalid-publisher: final
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path,
                     env={**runner.env, "RA_PUBLISH_BACKOFF": "0"})  # fmt: skip
    assert result.code == 1
    assert "has no trusted publisher matching this job" in result.text
    assert fake.log.count("POST /_/oidc/mint-token") == 1


def test_an_index_whose_oidc_exchange_stays_down(dist: Path, pypi, capsys, tmp_path) -> None:
    fake, runner = pypi
    fake.oidc_failures += [("status", 503)] * 4
    result = run_cli(["publish", "--repository-url", fake.upload_url], capsys, tmp_path,
                     env={**runner.env, "RA_PUBLISH_BACKOFF": "0"})  # fmt: skip
    assert result.code == 1
    assert f"{fake.base} is unreachable: HTTP 503 (after 4 attempts)." in result.text
    assert fake.log == ["GET /_/oidc/audience"] * 4
    assert fake.files == {}
