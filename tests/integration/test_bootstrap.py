"""The actions' runtime: bootstrap.sh (one runtime per action group), entry.py, the step library."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from support.paths import PROJECTS, ROOT

BOOTSTRAP = ROOT / "scripts" / "bootstrap.sh"
STEPS = ROOT / "scripts" / "steps"


def _env(**extra: str) -> dict[str, str]:
    """The test's environment without the runner's variables (as on a laptop)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("GITHUB_", "RUNNER_", "RA_", "PYTHON"))
    }
    env.update(extra)
    return env


def _bootstrap(
    runtime: str, runner_temp: Path, base: str = sys.executable
) -> subprocess.CompletedProcess[str]:
    env = _env(RUNNER_TEMP=str(runner_temp), RA_BASE_PYTHON=base, RA_RUNTIME=runtime)
    return subprocess.run(["bash", str(BOOTSTRAP)], env=env, capture_output=True, text=True,
                          check=False, timeout=600)  # fmt: skip


@pytest.mark.parametrize("runtime", ["", "nope", "../requirements/build", "uv "])
def test_a_runtime_that_names_no_lock_is_refused(tmp_path: Path, runtime: str) -> None:
    proc = _bootstrap(runtime, tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith(
        "::error title=Bootstrap failed::No runtime lock named by RA_RUNTIME"
    )
    assert list(tmp_path.iterdir()) == []


def test_hash_runs_on_the_base_interpreter_with_nothing_installed(tmp_path: Path) -> None:
    """stdlib: no venv, no download; the hash step runs our package from the checkout, isolated."""
    bare = tmp_path / "bare"
    venv.create(bare, with_pip=False, symlinks=True)  # no site packages but its own (empty)
    python = str(bare / "bin" / "python")
    proc = _bootstrap("stdlib", tmp_path / "temp", base=python)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == python
    assert not (tmp_path / "temp").exists()  # nothing made, nothing fetched

    # A release_actions on the caller's PYTHONPATH or in the working directory is never imported.
    for decoy in (tmp_path / "decoy", tmp_path / "work"):
        (decoy / "release_actions").mkdir(parents=True)
        (decoy / "release_actions" / "__init__.py").write_text("raise SystemExit('decoy imported')")
    (tmp_path / "work" / "dist").mkdir()
    payload = b"a release file\n" * 1000
    (tmp_path / "work" / "dist" / "demo-1.0.tar.gz").write_bytes(payload)
    outputs = tmp_path / "outputs"
    env = _env(RA_PYTHON=python, RA_INPUT_FILES="  dist/*  \n\n", RA_INPUT_SUMS_FILE="SUMS",
               PYTHONPATH=str(tmp_path / "decoy"), GITHUB_OUTPUT=str(outputs), GITHUB_ACTIONS="true")  # fmt: skip
    proc = subprocess.run(["bash", str(STEPS / "hash.sh")], cwd=tmp_path / "work", env=env,
                          capture_output=True, text=True, check=False, timeout=60)  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    digest = hashlib.sha256(payload).hexdigest()
    assert (tmp_path / "work" / "SUMS").read_text() == f"{digest}  demo-1.0.tar.gz\n"
    assert "subjects" in outputs.read_text()


def test_the_step_library_copes_with_set_u_and_no_github_ref(tmp_path: Path) -> None:
    """Off a tag push (or off a runner) GITHUB_REF* are unset: no 'unbound variable'."""
    script = (
        f'set -euo pipefail; . "{STEPS}/lib.sh"; lines RA_INPUT_X; printf "<%s>" "${{ITEMS[@]}}"'
    )
    env = _env(RA_INPUT_X="  one  \n\n two\t\n")
    proc = subprocess.run(["bash", "-c", script], env=env, capture_output=True, text=True,
                          check=False, timeout=30)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "<one><two>"
    assert proc.stderr == ""

    # A whole step script under set -u with no GITHUB_REF: the CLI gets no --tag.
    stub = tmp_path / "python"
    stub.write_text('#!/bin/sh\nshift 3\nprintf "%s\\n" "$@"\n')  # drops -I -S entry.py
    stub.chmod(0o755)
    env = _env(RA_PYTHON=str(stub), RA_INPUT_PROJECT_DIR="proj", RA_INPUT_DISTS="both",
               RA_INPUT_SKIP_CHECKS="bytecode: vendored .pyc\n\n  platform-tag: private index ")  # fmt: skip
    proc = subprocess.run(["bash", str(STEPS / "build.sh")], env=env, capture_output=True,
                          text=True, check=False, timeout=30)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == [
        "build", "--out-dir=proj/dist", "--skip-check=bytecode: vendored .pyc",
        "--skip-check=platform-tag: private index", "--", "proj",
    ]  # fmt: skip
    # The tag input is passed on; the pushed tag is the CLI's to find (one rule, in git.py).
    env.update(RA_INPUT_TAG="v2.0", GITHUB_REF="refs/tags/v9.9")
    proc = subprocess.run(["bash", str(STEPS / "build.sh")], env=env, capture_output=True,
                          text=True, check=False, timeout=30)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "--tag=v2.0" in proc.stdout.splitlines()
    assert "v9.9" not in proc.stdout


@pytest.mark.parametrize(
    ("require", "expected"), [("true", []), ("false", ["--missing-ok"]), (None, [])]
)
def test_the_notes_step_maps_require_notes(
    tmp_path: Path, require: str | None, expected: list[str]
) -> None:
    """Unset (the umbrella action) keeps the old rule: a missing section fails."""
    args = tmp_path / "args"
    stub = tmp_path / "python"
    stub.write_text(f'#!/bin/sh\nshift 3\nprintf "%s\\n" "$@" > "{args}"\n')  # drops -I -S entry.py
    stub.chmod(0o755)
    notes = tmp_path / "notes.md"
    env = _env(RA_PYTHON=str(stub), RA_INPUT_VERSION="1.2.3", RA_INPUT_PROJECT_DIR=".",
               RA_NOTES_FILE=str(notes))  # fmt: skip
    if require is not None:
        env["RA_INPUT_REQUIRE_NOTES"] = require
    proc = subprocess.run(["bash", str(STEPS / "notes.sh")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False, timeout=30)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert args.read_text().splitlines() == [
        "notes",
        "--version=1.2.3",
        f"--output={notes}",
        *expected,
    ]


def test_the_notes_step_refuses_a_require_notes_that_is_not_a_boolean(tmp_path: Path) -> None:
    env = _env(RA_PYTHON="/nonexistent", RA_INPUT_VERSION="1.2.3", RA_INPUT_PROJECT_DIR=".",
               RA_INPUT_REQUIRE_NOTES="maybe")  # fmt: skip
    proc = subprocess.run(["bash", str(STEPS / "notes.sh")], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=False, timeout=30)  # fmt: skip
    assert proc.returncode == 1
    assert (
        proc.stdout
        == "::error title=Invalid input::The require-notes input must be true or false.\n"
    )
    assert "maybe" not in proc.stdout + proc.stderr


def test_no_shell_code_uses_a_variable_named_lines() -> None:
    """bash and terminals own LINES (the screen's height); our scripts use a name of their own."""
    sources = [
        *ROOT.glob("scripts/**/*.sh"),
        ROOT / "action.yml",
        *ROOT.glob("actions/*/action.yml"),
    ]
    assert len(sources) > 10
    for path in sources:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0] if path.suffix == ".sh" else line
            assert not re.search(r"\bLINES\b", code), f"{path.name}:{number}: {line}"


def test_shell_scripts_and_locks_check_out_with_lf_endings() -> None:
    files = [
        *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("scripts/**/*.sh")),
        *sorted(str(p.relative_to(ROOT)) for p in ROOT.glob("scripts/requirements/*.txt")),
    ]
    proc = subprocess.run(["git", "check-attr", "eol", "--", *files], cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    attributes = dict(line.rsplit(": eol: ", 1) for line in proc.stdout.splitlines())
    assert attributes == {name: "lf" for name in files}
    for name in files:
        assert b"\r" not in (ROOT / name).read_bytes(), name


@pytest.mark.index  # fetches uv and the locks' wheels from the package index
@pytest.mark.slow
def test_one_job_fetches_uv_once_and_each_runtime_holds_only_its_lock(tmp_path: Path) -> None:
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    pythons = {}
    for runtime in ("build", "signing", "build"):
        proc = _bootstrap(runtime, temp)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        pythons[runtime] = proc.stdout.strip()
    root = temp / "release-actions"
    (uv_dir,) = root.glob("uv-*")  # one uv for the job, reused by the second runtime
    assert len(list((uv_dir / "wheel").iterdir())) == 1
    assert sorted(p.name.rsplit("-", 1)[0] for p in root.glob("venv-*")) == [
        "venv-build", "venv-signing",
    ]  # fmt: skip

    def imports(python: str, module: str) -> bool:
        proc = subprocess.run([python, "-I", "-c", f"import {module}"], capture_output=True,
                              check=False)  # fmt: skip
        return proc.returncode == 0

    build, signing = pythons["build"], pythons["signing"]
    assert all(imports(build, m) for m in ("build", "readme_renderer.markdown", "packaging", "uv"))
    assert not any(imports(build, m) for m in ("sigstore", "github", "twine", "cryptography"))
    assert all(
        imports(signing, m) for m in ("sigstore.sign", "pypi_attestations", "securesystemslib")
    )
    assert not any(imports(signing, m) for m in ("build", "github", "twine", "uv"))

    # The build runtime builds a real project with its own uv, run from the checkout.
    out = tmp_path / "dist"
    proc = subprocess.run(
        [build, "-I", str(ROOT / "scripts" / "entry.py"), "build", f"--out-dir={out}",
         str(PROJECTS / "flit_demo")],
        env=_env(), capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "with uv" in proc.stdout + proc.stderr
    assert sorted(p.suffix for p in out.iterdir()) == [".gz", ".whl"]


# -- fetch_uv.py: the job's one uv, standard library only ---------------------------------------


def _fetch_uv_module():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("fetch_uv", ROOT / "scripts" / "fetch_uv.py")
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Index:
    """A loopback simple index serving one project page (JSON or HTML) and its files."""

    def __init__(self, files: dict[str, bytes], digests: dict[str, str], html: bool) -> None:
        import http.server
        import threading

        index = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def do_GET(self) -> None:
                if self.path == "/simple/uv/":
                    if html:
                        links = "".join(
                            f'<a href="/files/{n}#sha256={d}">{n}</a>' for n, d in digests.items()
                        )
                        body, kind = f"<html><body>{links}</body></html>".encode(), "text/html"
                    else:
                        entries = [{"filename": n, "url": f"/files/{n}", "hashes": {"sha256": d}}
                                   for n, d in digests.items()]  # fmt: skip
                        body = json.dumps({"files": entries}).encode()
                        kind = "application/vnd.pypi.simple.v1+json"
                elif self.path.startswith("/files/") and self.path[7:] in files:
                    body, kind = files[self.path[7:]], "application/octet-stream"
                    index.downloads += 1
                else:
                    self.send_error(404)
                    return
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.downloads = 0
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/simple/"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _fake_uv_wheel(tag: str) -> tuple[str, bytes]:
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("uv/__init__.py", f"# {tag}\n")
        archive.writestr("uv-0.9.9.data/scripts/uv", "#!/bin/sh\necho fake uv\n")
    return f"uv-0.9.9-py3-none-{tag}.whl", buffer.getvalue()


def _this_machines_tag() -> str:
    fetch_uv = _fetch_uv_module()
    import platform

    for tag in (f"manylinux_2_17_{platform.machine()}", "macosx_11_0_arm64",
                "macosx_10_12_x86_64", "win_amd64"):  # fmt: skip
        if fetch_uv.fits(tag):
            return str(tag)
    pytest.skip("no uv wheel tag this test knows for this machine")


def _fetch(tmp_path: Path, index: _Index, pinned: list[str]) -> subprocess.CompletedProcess[str]:
    pin = tmp_path / "uv.txt"
    pin.write_text("uv==0.9.9 \\\n" + " \\\n".join(f"    --hash=sha256:{h}" for h in pinned) + "\n")
    return subprocess.run(
        [sys.executable, "-I", "-S", str(ROOT / "scripts" / "fetch_uv.py"), str(pin), str(tmp_path / "uv")],
        env=_env(PIP_INDEX_URL=index.url), capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip


@pytest.mark.parametrize("html", [False, True], ids=["pep691-json", "pep503-html"])
def test_fetch_uv_takes_this_machines_pinned_wheel_and_unpacks_the_program(
    tmp_path: Path, html: bool
) -> None:
    name, wheel = _fake_uv_wheel(_this_machines_tag())
    other, other_wheel = _fake_uv_wheel(
        "win_arm64" if "win" not in name else "manylinux_2_17_s390x"
    )
    digest = hashlib.sha256(wheel).hexdigest()
    files = {name: wheel, other: other_wheel}
    index = _Index(files, {n: hashlib.sha256(b).hexdigest() for n, b in files.items()}, html)
    try:
        proc = _fetch(tmp_path, index, [digest, hashlib.sha256(other_wheel).hexdigest()])
    finally:
        index.close()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert index.downloads == 1
    assert (tmp_path / "uv" / "wheel" / name).read_bytes() == wheel
    program = tmp_path / "uv" / "uv"
    assert program.read_text() == "#!/bin/sh\necho fake uv\n"
    assert os.access(program, os.X_OK)


def test_fetch_uv_refuses_bytes_that_match_no_pinned_hash(tmp_path: Path) -> None:
    """The index may lie about a file's hash: the bytes received are what is checked."""
    name, wheel = _fake_uv_wheel(_this_machines_tag())
    pinned = hashlib.sha256(wheel).hexdigest()
    index = _Index({name: wheel + b"tampered"}, {name: pinned}, html=False)
    try:
        proc = _fetch(tmp_path, index, [pinned])
    finally:
        index.close()
    assert proc.returncode == 1
    assert proc.stdout.startswith(f"::error title=Bootstrap failed::{name} from the package index "
                                  "does not match any hash of uv.txt; nothing was installed.")  # fmt: skip
    assert list((tmp_path / "uv" / "wheel").iterdir()) == []
    assert not (tmp_path / "uv" / "uv").exists()


def test_fetch_uv_leaves_an_unknown_platform_or_unpinned_file_to_pip(tmp_path: Path) -> None:
    """Exit 3: nothing pinned for this machine was recognised; the bootstrap asks pip instead."""
    name, wheel = _fake_uv_wheel(_this_machines_tag())
    foreign, foreign_wheel = _fake_uv_wheel(
        "manylinux_2_17_s390x" if "s390x" not in name else "win_arm64"
    )
    index = _Index({name: wheel, foreign: foreign_wheel},
                   {n: hashlib.sha256(b).hexdigest() for n, b in ((name, wheel), (foreign, foreign_wheel))},
                   html=False)  # fmt: skip
    try:
        # Only the foreign wheel is pinned: this machine's (unpinned) file is never taken.
        proc = _fetch(tmp_path, index, [hashlib.sha256(foreign_wheel).hexdigest()])
    finally:
        index.close()
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert index.downloads == 0


def test_fetch_uv_names_an_unreachable_index(tmp_path: Path) -> None:
    index = _Index({}, {}, html=False)
    index.close()  # nothing listens there any more
    proc = _fetch(tmp_path, index, ["0" * 64])
    assert proc.returncode == 1
    assert proc.stdout.startswith(
        "::error title=Bootstrap failed::Could not fetch uv from the package index ("
    )
    assert "Traceback" not in proc.stderr
