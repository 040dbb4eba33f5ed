"""A real local package index for tests: pypiserver with an htpasswd file on 127.0.0.1."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PyPIServer:
    url: str  # upload URL (the server's root)
    simple: str  # PEP 503 index URL for pip
    packages: Path
    username: str
    password: str
    pid: int

    def files(self) -> list[str]:
        return sorted(p.name for p in self.packages.iterdir())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _pypi_server() -> str:
    found = Path(sys.executable).parent / "pypi-server"
    return str(found) if found.exists() else (shutil.which("pypi-server") or "pypi-server")


@contextmanager
def pypiserver(tmp: Path, username: str = "uploader") -> Iterator[PyPIServer]:
    password = "pw-" + secrets.token_urlsafe(18)  # a fresh secret per server: tests look for leaks
    with warnings.catch_warnings():
        warnings.simplefilter(
            "ignore", DeprecationWarning
        )  # passlib imports the old 'crypt' module
        from passlib.apache import HtpasswdFile

    packages = tmp / "packages"
    packages.mkdir(parents=True)
    htpasswd = HtpasswdFile(str(tmp / "htpasswd"), new=True)
    htpasswd.set_password(username, password)
    htpasswd.save()
    port = _free_port()
    log = (tmp / "pypiserver.log").open("w")
    proc = subprocess.Popen(
        [_pypi_server(), "run", "-i", "127.0.0.1", "-p", str(port), "-P", str(tmp / "htpasswd"),
         "-a", "update", "--disable-fallback", str(packages)],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url + "simple/", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(
                        f"pypiserver did not start: {(tmp / 'pypiserver.log').read_text()}"
                    ) from None
                time.sleep(0.05)
        yield PyPIServer(url, url + "simple/", packages, username, password, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
