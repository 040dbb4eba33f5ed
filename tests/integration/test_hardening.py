"""Regression tests for the second hardening pass: one test per class of attack that broke.

Each test failed before its fix. The catalogue in docs/bad-inputs.md lists them
("Held-out attacks"); the property test that drives random values through every
command on a simulated runner is in test_injection_properties.py.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from release_actions import gha
from release_actions.build import build
from support.cli import run_cli
from support.loopback import Handler, Loopback
from support.paths import DATA, PROJECTS, ROOT
from support.platform import needs_owners, needs_symlinks

RUNNER = {"GITHUB_ACTIONS": "true"}


def _forged(text: str) -> list[str]:
    """Lines the runner would read as a workflow command."""
    return [
        line
        for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        if line.strip().startswith("::") or "##[" in line
    ]


# -- tokens and identities -----------------------------------------------------------------------

BACKEND = """
import json, os
def _record():
    with open(os.environ["RA_TEST_SEEN"], "w") as fh:
        json.dump(sorted(os.environ), fh)
    raise RuntimeError("recorded")
def build_sdist(directory, config_settings=None):
    _record()
def build_wheel(directory, config_settings=None, metadata_directory=None):
    _record()
"""


def test_the_build_backend_never_sees_tokens_or_the_runner_files(tmp_path: Path) -> None:
    """A backend runs arbitrary code: it must not mint OIDC tokens or poison later steps."""
    project = tmp_path / "spy"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "spy_backend"\nbackend-path = ["."]\n'
        '[project]\nname = "spy"\nversion = "1.0"\n'
    )
    (project / "spy_backend.py").write_text(BACKEND)
    seen = tmp_path / "seen.json"
    secret_env = {
        "ACTIONS_ID_TOKEN_REQUEST_URL": "http://127.0.0.1:9/token",
        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "request-token",
        "ACTIONS_RUNTIME_TOKEN": "runtime-token",
        "GITHUB_ENV": str(tmp_path / "env"),
        "GITHUB_PATH": str(tmp_path / "path"),
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STATE": str(tmp_path / "state"),
        "BASH_ENV": str(tmp_path / "bashenv"),
        "GITHUB_TOKEN": "ghs_secret",
        "TWINE_PASSWORD": "pypi-secret",
        "RA_SIGNING_KEY": "-----BEGIN PRIVATE KEY-----",
    }
    env = {**os.environ, **secret_env, "RA_TEST_SEEN": str(seen)}
    with pytest.raises(Exception, match="build backend failed"):
        build(project, tmp_path / "dist", sdist=True, wheel=False, env=env)
    visible = set(json.loads(seen.read_text()))
    assert "RA_TEST_SEEN" in visible  # the spy ran, with an ordinary environment
    assert "PATH" in visible
    assert not visible & set(secret_env), visible & set(secret_env)


def test_clean_deletes_only_the_projects_own_distributions(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = tmp_path / "flit_demo"
    shutil.copytree(PROJECTS / "flit_demo", src)
    out = tmp_path / "out"
    out.mkdir()
    for name in ("backup.tar.gz", "other_project-2.0.tar.gz"):
        (out / name).write_bytes(b"keep me")
        result = run_cli(["build", str(src), "--out-dir", str(out), "--clean"], capsys, tmp_path)
        assert result.code == 1, result.text
        assert f"holds {name}" in result.text
        assert "--clean leaves it alone" in result.text
        assert (out / name).read_bytes() == b"keep me"
        assert sorted(p.name for p in out.iterdir()) == [name]
        (out / name).unlink()
    (out / "flit_demo-1.2.2.tar.gz").write_bytes(b"old")
    (out / "notes.txt").write_text("not a distribution")
    result = run_cli(["build", str(src), "--out-dir", str(out), "--clean"], capsys, tmp_path)
    assert result.code == 0, result.text
    assert sorted(p.name for p in out.iterdir()) == [
        "flit_demo-1.2.3-py3-none-any.whl", "flit_demo-1.2.3.tar.gz", "notes.txt"
    ]  # fmt: skip


# -- a scriptable index on loopback ----------------------------------------------------------------


class Index(Loopback):
    """A tiny HTTP server; ``answer(method, path, body)`` returns (status, headers, body)
    or None to dribble a reply one byte every 0.2 s."""

    def __init__(self, answer) -> None:  # type: ignore[no-untyped-def]
        self.answer = answer
        self.requests: list[tuple[str, str, bytes]] = []
        index = self

        class Scripted(Handler):
            def _serve(self) -> None:
                body = self.body()
                index.requests.append((self.command, self.path, body))
                reply = index.answer(self.command, self.path, body)
                if reply is None:  # a server that never quite finishes
                    with_headers = b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"
                    try:
                        for byte in with_headers + b"x" * 100:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                            time.sleep(0.2)
                    except OSError:
                        pass
                    return
                status, headers, data = reply
                self.reply(status, data, headers)

            do_GET = do_POST = _serve

        super().__init__(Scripted)


def _uploaded(body: bytes) -> bytes:
    """The file part of a multipart upload."""
    _head, _, rest = body.partition(b'name="content"')
    content = rest.split(b"\r\n\r\n", 1)[1]
    return content.rsplit(b"\r\n--", 1)[0]


def _sums(dist: Path) -> str:
    from release_actions.hashing import format_sums, hash_files

    return format_sums(hash_files(sorted(dist.iterdir())))


def test_publish_uploads_exactly_the_bytes_it_hashed(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file swapped during the --skip-existing lookup must not be what is sent."""
    from release_actions import publish as publish_module

    wheel = next(dist.glob("*.whl"))
    (tmp_path / "SHA256SUMS").write_text(_sums(dist).split("\n")[0] + "\n")
    original = wheel.read_bytes()

    def swap_then_look(*args: object, **kwargs: object) -> None:
        wheel.write_bytes(b"PK" + b"swapped" * 100)  # the attacker's bytes, same name
        return None

    monkeypatch.setattr(publish_module, "remote_sha256", swap_then_look)
    with Index(lambda method, path, body: (200, {}, b"")) as index:
        result = run_cli(["publish", str(wheel), "--skip-existing", "--subjects", str(tmp_path / "SHA256SUMS"),
                          "--repository-url", index.url + "/legacy/"], capsys, tmp_path,
                         env={"TWINE_PASSWORD": "pw"})  # fmt: skip
    assert result.code == 0, result.text
    [(_, _, body)] = [r for r in index.requests if r[0] == "POST"]
    assert _uploaded(body) == original


def test_no_metadata_is_parsed_before_the_digest_matches(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A padded METADATA costs seconds and memory: an untrusted file is refused on its hash alone."""
    from release_actions import checks

    (tmp_path / "SHA256SUMS").write_text(_sums(dist))
    wheel = next(dist.glob("*.whl"))
    wheel.write_bytes(wheel.read_bytes() + b"\0")

    def never(*args: object) -> None:
        raise AssertionError("metadata parsed before the hash gate")

    monkeypatch.setattr(checks, "read_dist", never)
    result = run_cli(["publish", "--subjects", str(tmp_path / "SHA256SUMS"),
                      "--repository-url", "http://127.0.0.1:9/"], capsys, tmp_path,
                     env={"TWINE_PASSWORD": "pw"})  # fmt: skip
    assert result.code == 1
    assert "does not match its hashed subject" in result.text


@needs_symlinks
def test_attestations_never_follow_a_link_planted_in_dist(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from release_actions import publish as publish_module
    from support.fake_oidc import FakeRunnerOidc, default_claims
    from support.fake_pypi import FakePyPI, Publisher

    victim = tmp_path / "victim.txt"
    victim.write_text("untouched")
    for path in list(dist.iterdir()):
        (dist / (path.name + ".publish.attestation")).symlink_to(victim)
    monkeypatch.setattr(publish_module, "sign_attestations",
                        lambda paths, token: {p: json.dumps({"for": p.name}) for p in paths})  # fmt: skip
    with FakeRunnerOidc(default_claims()) as runner, FakePyPI(runner=runner) as fake:
        fake.publishers.append(Publisher("octo/demo", "release.yml", "pypi"))
        result = run_cli(["publish", "--attestations", "--repository-url", fake.upload_url],
                         capsys, tmp_path, env=runner.env)  # fmt: skip
    assert result.code == 0, result.text
    assert victim.read_text() == "untouched"
    written = sorted(dist.glob("*.publish.attestation"))
    assert len(written) == 2
    assert all(not p.is_symlink() and json.loads(p.read_text())["for"] in p.name for p in written)


def test_skip_existing_copes_with_html_from_the_json_api(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An index whose JSON API answers HTML: no traceback, the upload goes on."""
    page = b"<html><body>Welcome to our index</body></html>"
    answers = {"GET": (200, {"Content-Type": "text/html"}, page), "POST": (200, {}, b"")}
    with Index(lambda method, path, body: answers[method]) as index:
        result = run_cli(["publish", "--skip-existing", "--repository-url", index.url + "/legacy/"],
                         capsys, tmp_path, env={"TWINE_PASSWORD": "pw"})  # fmt: skip
    assert result.code == 0, result.text
    assert len(json.loads(result.outputs["uploaded"])) == 2


def test_a_password_in_the_repository_url_is_never_printed(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    secret = "s3cr3t-in-url"
    with Index(lambda method, path, body: (200, {}, b"")) as index:
        url = index.url.replace("http://", f"http://alice:{secret}@") + "/legacy/"
        result = run_cli(["publish", "--repository-url", url], capsys, tmp_path,
                         env={"TWINE_PASSWORD": "pw"})  # fmt: skip
    assert result.code == 0, result.text
    assert f"::add-mask::{secret}\n" in result.out
    visible = result.text.replace(f"::add-mask::{secret}\n", "")
    assert secret not in visible
    assert "alice:***@" in result.summary


def test_a_server_that_dribbles_bytes_meets_a_total_deadline(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Per-read timeouts never fire on a server that sends a byte every 0.2 s."""
    posts: list[int] = []

    def answer(method: str, path: str, body: bytes):  # type: ignore[no-untyped-def]
        posts.append(1)
        return None if len(posts) == 1 else (200, {}, b"")

    wheel = next(dist.glob("*.whl"))
    env = {"TWINE_PASSWORD": "pw", "RA_PUBLISH_DEADLINE": "1", "RA_PUBLISH_TIMEOUT": "5",
           "RA_PUBLISH_BACKOFF": "0"}  # fmt: skip
    with Index(answer) as index:
        start = time.monotonic()
        result = run_cli(["publish", str(wheel), "--repository-url", index.url + "/legacy/"],
                         capsys, tmp_path, env=env)  # fmt: skip
        took = time.monotonic() - start
    assert result.code == 0, result.text
    assert "no answer within 1 s; retrying" in result.err
    assert len(posts) == 2
    assert took < 4


def test_the_oidc_token_is_never_sent_after_a_redirect(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from support.fake_oidc import FakeRunnerOidc, default_claims

    with Index(lambda method, path, body: (200, {}, b"{}")) as thief:

        def answer(method: str, path: str, body: bytes):  # type: ignore[no-untyped-def]
            if path == "/_/oidc/audience":
                return 200, {"Content-Type": "application/json"}, b'{"audience": "pypi"}'
            return 307, {"Location": thief.url + "/steal"}, b""

        with FakeRunnerOidc(default_claims()) as runner, Index(answer) as index:
            result = run_cli(["publish", "--repository-url", index.url + "/legacy/"], capsys,
                             tmp_path, env=runner.env)  # fmt: skip
    assert result.code == 1
    assert "redirect" in result.text
    assert thief.requests == []
    assert not any(method == "POST" and path == "/legacy/" for method, path, _ in index.requests)


# -- release-page: the gate covers every file it attaches -------------------------------------------

PYPI_ATTESTATIONS = DATA / "pypi-attestations"
PEP740 = "pypi_attestations-0.0.19.tar.gz.publish.attestation"
PEP740_SUBJECT = "9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3  pypi_attestations-0.0.19.tar.gz\n"


@pytest.fixture
def github() -> Iterator[object]:
    from support.fake_github import FakeGitHub

    with FakeGitHub({"ghs_gate": "write"}) as server:
        server.add_repo("trailofbits/pypi-attestations")
        yield server


def _release_page(github, capsys, tmp_path: Path, *files: str, server: str = ""):  # type: ignore[no-untyped-def]
    env = {"GITHUB_API_URL": github.api_url, "GITHUB_REPOSITORY": "trailofbits/pypi-attestations",
           "GITHUB_TOKEN": "ghs_gate", "RA_GITHUB_WRITE_INTERVAL": "0", "GITHUB_SERVER_URL": server}  # fmt: skip
    return run_cli(["release-page", "--tag", "v0.0.19", "--notes-file", "notes.md", "--subjects",
                    "subjects.txt", *files], capsys, tmp_path, env=env)  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "why"),
    [
        ("pypi_attestations-0.0.19.tar.gz.sigstore.json", b'{"payload": "x"}', "not an attestation that can be verified"),
        ("pypi_attestations-0.0.19.tar.gz.publish.attestation", b"not json", "not an attestation that can be verified"),
        ("other-1.0.tar.gz.publish.attestation", None, "is not among the hashed subjects"),
        ("SHA256SUMS", ("a" * 64 + "  evil.tar.gz\n").encode(), "does not list exactly the hashed subjects"),
    ],
    ids=["bundle-garbage", "attestation-garbage", "attestation-of-a-stranger", "sums-not-the-subjects"],
)  # fmt: skip
def test_release_page_attaches_sidecars_only_when_they_are_what_they_claim(
    github, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
    name: str, content: bytes | None, why: str,
) -> None:  # fmt: skip
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text("Notes.\n")
    (tmp_path / "subjects.txt").write_text(PEP740_SUBJECT)
    (tmp_path / name).write_bytes(
        content if content is not None else (PYPI_ATTESTATIONS / PEP740).read_bytes()
    )
    result = _release_page(github, capsys, tmp_path, name)
    assert result.code == 1, result.text
    assert why in result.text
    assert [r for r in github.requests if r[0] != "GET"] == []


def test_release_page_attaches_a_verifiable_attestation_of_a_subject(
    github, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A real PEP 740 attestation (trailofbits/pypi-attestations v0.0.19) for a subject passes."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text("Notes.\n")
    (tmp_path / "subjects.txt").write_text(PEP740_SUBJECT)
    shutil.copy(PYPI_ATTESTATIONS / PEP740, tmp_path / PEP740)
    (tmp_path / "SHA256SUMS").write_text(PEP740_SUBJECT)
    result = _release_page(github, capsys, tmp_path, PEP740, "SHA256SUMS")
    assert result.code == 0, result.text
    assert sorted(a.name for a in github.repo("trailofbits/pypi-attestations").releases[0].assets) == [
        "SHA256SUMS", PEP740
    ]  # fmt: skip


def test_on_github_enterprise_an_attestation_from_github_com_is_not_attached(
    github, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same repository name on another GitHub server is another repository."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text("Notes.\n")
    (tmp_path / "subjects.txt").write_text(PEP740_SUBJECT)
    shutil.copy(PYPI_ATTESTATIONS / PEP740, tmp_path / PEP740)
    result = _release_page(github, capsys, tmp_path, PEP740, server="https://ghe.example.com")
    assert result.code == 1
    assert "expected ghe.example.com/trailofbits/pypi-attestations" in result.text
    assert github.repo("trailofbits/pypi-attestations").releases == []


# -- workflow commands: one escaping function, and a guard on both streams --------------------------


def test_neutral_keeps_untrusted_text_on_one_inert_line() -> None:
    name = "x\n::stop-commands::hide\r\n.sigstore"
    shown = gha.neutral(name)
    assert shown == "x\\n::stop-commands::hide\\r\\n.sigstore"
    assert _forged(shown) == []
    assert _forged(gha.neutral("  ::error::x")) == []
    assert _forged(gha.neutral("a ##[group]b")) == []
    assert gha.neutral("dé mo-1.0.tar.gz") == "dé mo-1.0.tar.gz"  # ordinary text unchanged
    assert gha.neutral("a\u2028b\x85c") == "a\\u2028b\\x85c"


def test_the_guard_lets_no_line_through_as_a_command() -> None:
    out = io.StringIO()
    stream = gha.GuardedStream(out)
    # A command split over writes, and after a bare CR, is still caught.
    for piece in ["ok\n", "  :", ":stop-commands::x\n", "a\r::add-mask::y\n", "##", "[group]z"]:
        stream.write(piece)
    assert out.getvalue().count("\n") == 3  # whole lines only; the last one waits
    stream.drain()
    assert _forged(out.getvalue()) == []
    assert (
        out.getvalue().replace("\u200b", "")
        == "ok\n  ::stop-commands::x\na\r::add-mask::y\n##[group]z"
    )


def test_on_a_runner_the_cli_prints_nothing_raw(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The notes command prints the change log: a hostile line in it stays inert."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "CHANGES.md").write_text("## 1.0\n\n::stop-commands::x\n\n- ##[add-mask]y\n")
    result = run_cli(["notes", "--version", "1.0", "CHANGES.md"], capsys, tmp_path)
    assert result.code == 0, result.text
    assert _forged(result.out + result.err) == []
    assert "::stop-commands::x" in result.outputs["notes"]  # the output itself is unchanged
    off = run_cli(["notes", "--version", "1.0", "CHANGES.md"], capsys, tmp_path, on_runner=False)
    assert off.out.splitlines()[0] == "::stop-commands::x"  # off a runner, printed as it is


def test_publish_masks_secrets_before_printing_any_file_name(
    dist: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (dist / "x\n::stop-commands::hide\n.sigstore").write_text("{}")
    with Index(lambda method, path, body: (200, {}, b"")) as index:
        result = run_cli(["publish", "--repository-url", index.url + "/legacy/", "dist/*"], capsys,
                         tmp_path, env={"TWINE_PASSWORD": "pw-hidden"})  # fmt: skip
    assert result.code == 0, result.text
    assert result.out.startswith("::add-mask::pw-hidden\n")
    assert "not uploading x\\n::stop-commands::hide\\n.sigstore" in result.err
    assert _forged(result.err) == []


# -- step scripts and the bootstrap -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "variable"),
    [("lib.sh", None), ("build.sh", "RA_INPUT_DISTS"), ("publish.sh", "RA_INPUT_ATTESTATIONS")],
)
def test_step_scripts_never_print_an_input_value(
    tmp_path: Path, script: str, variable: str | None
) -> None:
    value = "x\n::add-mask::y\n::stop-commands::z"
    env = {"PATH": os.environ["PATH"], "RA_PYTHON": "/bin/false", "RA_INPUT_PROJECT_DIR": ".",
           "GITHUB_REF": "refs/heads/main",
           "RA_INPUT_REPOSITORY_URL": "u", "RA_INPUT_SKIP_EXISTING": "true",
           "RA_INPUT_ATTESTATIONS": "auto", "RA_INPUT_DISTS": "both"}  # fmt: skip
    steps = ROOT / "scripts" / "steps"
    if variable is None:
        command = ["bash", "-c", f'. "{steps}/lib.sh"; boolean draft "$V"']
        env["V"] = value
    else:
        command = ["bash", str(steps / script)]
        env[variable] = value
    proc = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    assert proc.stdout.startswith("::error title=Invalid input::")
    assert "::add-mask::y" not in proc.stdout + proc.stderr
    assert "stop-commands" not in proc.stdout + proc.stderr


@needs_owners
def test_bootstrap_refuses_a_shared_folder_it_did_not_make(tmp_path: Path) -> None:
    """Without RUNNER_TEMP the venv lives in a private folder; a planted one is never used."""
    import sys

    uid = os.getuid()
    planted = tmp_path / f"release-actions-{uid}"
    (planted / "venv-planted").mkdir(parents=True)
    (planted / "venv-planted" / ".ready").touch()
    planted.chmod(0o777)
    env = {k: v for k, v in os.environ.items() if k not in ("RUNNER_TEMP", "GITHUB_OUTPUT")}
    env.update(TMPDIR=str(tmp_path), RA_BASE_PYTHON=sys.executable, RA_RUNTIME="publish")
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "bootstrap.sh")], env=env,
                          capture_output=True, text=True, check=False, timeout=60)  # fmt: skip
    assert proc.returncode == 1
    assert "::error title=Unsafe environment folder::" in proc.stdout
    assert stat.S_IMODE(planted.stat().st_mode) == 0o777  # left as it was
    assert list(planted.iterdir()) == [planted / "venv-planted"]


@pytest.mark.index  # installs the lock from the package index
@pytest.mark.slow
def test_bootstrap_runs_the_uv_of_the_lock_by_its_path(tmp_path: Path) -> None:
    """uv's find_uv_bin prefers a uv in the base interpreter's scripts folder: never that one."""
    import sys
    import venv

    base = tmp_path / "base"
    venv.create(base, system_site_packages=True, with_pip=False, symlinks=True)
    called = tmp_path / "impostor-ran"
    impostor = base / "bin" / "uv"
    impostor.write_text(f"#!/bin/sh\ntouch '{called}'\nexit 1\n")
    impostor.chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("GITHUB_OUTPUT",)}
    env.update(
        RUNNER_TEMP=str(tmp_path / "runner-temp"),
        RA_BASE_PYTHON=str(base / "bin" / "python"),
        RA_RUNTIME="publish",
    )
    (tmp_path / "runner-temp").mkdir()
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "bootstrap.sh")], env=env,
                          capture_output=True, text=True, check=False, timeout=300)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not called.exists()
    python = proc.stdout.strip()
    check = subprocess.run([python, "-I", "-c", "import twine"], check=False)
    assert check.returncode == 0
    assert sys.executable  # the base interpreter's pip (system site) fetched uv from its pin


# -- symbolic links on the way to a release file --------------------------------------------------


@needs_symlinks
def test_hash_refuses_a_symlinked_folder_on_the_path(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "demo-1.0.tar.gz").write_bytes(b"not from this build")
    work = tmp_path / "work"
    work.mkdir()
    (work / "dist").symlink_to(elsewhere)
    monkeypatch.chdir(work)
    for args in (["hash", "dist/demo-1.0.tar.gz"], ["hash", "dist/*"]):
        result = run_cli([*args, "--output", "SUMS"], capsys, tmp_path)
        assert result.code == 1, result.text
        assert "the folder 'dist' on its path is a symbolic link" in result.text
        assert not (work / "SUMS").exists()


def test_the_catalogue_names_a_real_test_for_every_held_out_attack() -> None:
    import re

    doc = (ROOT / "docs" / "bad-inputs.md").read_text()
    section = doc.split("## Held-out attacks", 1)[1]
    rows = re.findall(
        r"^\| `([a-z0-9-]+)` \| \w+ \| `(test_\w+)`(?: \((test_\w+\.py)\))? \|", section, re.M
    )
    assert len(rows) >= 25
    for case, test, module in rows:
        found = (ROOT / "tests").rglob(module or "test_hardening.py")
        assert any(f"def {test}(" in path.read_text() for path in found), (case, test, module)


def test_a_github_api_that_dribbles_bytes_meets_a_total_deadline(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "notes.md").write_text("Notes.\n")
    with Index(lambda method, path, body: None) as api:
        env = {"GITHUB_API_URL": api.url + "/api/v3", "GITHUB_REPOSITORY": "o/r",
               "GITHUB_TOKEN": "ghs_x", "RA_GITHUB_DEADLINE": "1", "RA_GITHUB_ATTEMPTS": "1"}  # fmt: skip
        start = time.monotonic()
        result = run_cli(["release-page", "--tag", "v1.0", "--notes-file", "notes.md"], capsys,
                         tmp_path, env=env)  # fmt: skip
        took = time.monotonic() - start
    assert result.code == 1
    assert "Could not reach GitHub" in result.text
    assert took < 6
