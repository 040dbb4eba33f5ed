"""Fetch the uv pinned in requirements/uv.txt, check it against the pin's hashes, unpack it.

Usage: python -I -S fetch_uv.py PIN_FILE FOLDER            fetch, check, unpack
       python -I -S fetch_uv.py --unpack FOLDER               unpack FOLDER/wheel/*.whl

Standard library only, so the base interpreter runs it before anything is
installed (pip would cost a second of start-up for one file). It reads the
package index's project page (PEP 691 JSON, else PEP 503 HTML; ``PIP_INDEX_URL``
if set, else PyPI), keeps only the files whose SHA-256 the pin lists, takes the
wheel for this machine, and checks the bytes it received against the pin before
anything is unpacked. It writes FOLDER/wheel/<the wheel> and FOLDER/uv (uv.exe on
Windows). Exit 3 means "no wheel for this machine was recognised": the caller
falls back to pip, which knows every platform tag.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import platform
import re
import sys
import urllib.parse
import urllib.request
import zipfile
from html.parser import HTMLParser

PYPI = "https://pypi.org/simple/"
TIMEOUT = 60
UNRECOGNISED = 3


def read_pin(path: str) -> tuple[str, str, set[str]]:
    with open(path, encoding="utf-8") as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        match = re.match(r"\s*([A-Za-z0-9._-]+)==(\S+)", line)
        if match:
            hashes = set(re.findall(r"--hash=sha256:([0-9a-f]{64})", line))
            return match.group(1), match.group(2), hashes
    raise SystemExit(f"{path}: no pinned requirement")


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.links.append(href)


def _request(url: str, accept: str | None = None) -> urllib.request.Request:
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"the index URL must be http(s), not {parts.scheme or 'a bare path'}")
    headers = {"User-Agent": "release-actions-bootstrap"}
    if accept:
        headers["Accept"] = accept
    if parts.username is not None:  # a mirror with credentials in its URL, as pip takes it
        login = (
            f"{urllib.parse.unquote(parts.username)}:{urllib.parse.unquote(parts.password or '')}"
        )
        headers["Authorization"] = "Basic " + base64.b64encode(login.encode()).decode()
        host = parts.netloc.rpartition("@")[2]
        url = urllib.parse.urlunsplit(parts._replace(netloc=host))
    return urllib.request.Request(url, headers=headers)  # noqa: S310 (http(s) only, above)


def index_files(index: str, name: str) -> dict[str, tuple[str, str]]:
    """filename → (url, sha256) from the project page, for files that state their SHA-256."""
    page = urllib.parse.urljoin(index.rstrip("/") + "/", name.lower() + "/")
    accept = "application/vnd.pypi.simple.v1+json, text/html;q=0.1"
    with urllib.request.urlopen(_request(page, accept), timeout=TIMEOUT) as response:  # noqa: S310
        kind = response.headers.get_content_type()
        body = response.read().decode("utf-8")
        base = response.geturl()
    files = {}
    if kind == "application/vnd.pypi.simple.v1+json":
        for entry in json.loads(body)["files"]:
            digest = entry.get("hashes", {}).get("sha256")
            if digest:
                files[entry["filename"]] = (urllib.parse.urljoin(base, entry["url"]), digest)
        return files
    parser = _Links()
    parser.feed(body)
    for href in parser.links:
        url, _, fragment = urllib.parse.urljoin(base, href).partition("#")
        if fragment.startswith("sha256="):
            files[url.rsplit("/", 1)[-1]] = (url, fragment[len("sha256=") :])
    return files


def _glibc() -> tuple[int, int] | None:
    try:
        found = os.confstr("CS_GNU_LIBC_VERSION")  # "glibc 2.39"
    except (AttributeError, ValueError, OSError):
        return None
    match = re.fullmatch(r"glibc (\d+)\.(\d+)", found or "")
    return (int(match.group(1)), int(match.group(2))) if match else None


def fits(platform_tag: str) -> bool:
    """Whether a wheel's platform tag (one of its dot-separated tags) runs on this machine."""
    machine = platform.machine().lower()
    if sys.platform == "win32":
        return platform_tag == {"amd64": "win_amd64", "arm64": "win_arm64", "x86": "win32"}.get(
            machine
        )
    if sys.platform == "darwin":
        match = re.fullmatch(r"macosx_(\d+)_(\d+)_(\w+)", platform_tag)
        release = tuple(int(p) for p in platform.mac_ver()[0].split(".")[:2] if p.isdigit())
        arch = "arm64" if machine == "arm64" else "x86_64"
        return (
            bool(match)
            and (int(match[1]), int(match[2])) <= release
            and match[3] in (arch, "universal2")
        )
    if sys.platform.startswith("linux"):
        glibc = _glibc()
        arch = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
        legacy = {"manylinux2014": (2, 17), "manylinux2010": (2, 12), "manylinux1": (2, 5)}
        match = re.fullmatch(r"manylinux_(\d+)_(\d+)_(\w+)", platform_tag)
        if match:
            needed, tag_arch = (int(match[1]), int(match[2])), match[3]
        else:
            family, _, tag_arch = platform_tag.partition("_")
            if family not in legacy:
                return False  # musllinux and the rest: pip decides
            needed = legacy[family]
        return glibc is not None and needed <= glibc and tag_arch == arch
    return False


def choose(
    files: dict[str, tuple[str, str]], name: str, version: str, pinned: set[str]
) -> str | None:
    prefix = f"{name.replace('-', '_')}-{version}-"
    for filename, (_url, digest) in sorted(files.items()):
        if digest in pinned and filename.startswith(prefix) and filename.endswith(".whl"):
            platforms = filename[: -len(".whl")].split("-")[-1].split(".")
            if any(fits(tag) for tag in platforms):
                return filename
    return None


def main(pin: str, folder: str) -> int:
    name, version, pinned = read_pin(pin)
    index = os.environ.get("PIP_INDEX_URL") or PYPI
    files = index_files(index, name)
    filename = choose(files, name, version, pinned)
    if filename is None:
        return UNRECOGNISED
    url, _digest = files[filename]
    os.makedirs(os.path.join(folder, "wheel"), exist_ok=True)
    wheel = os.path.join(folder, "wheel", filename)
    digest = hashlib.sha256()
    with (
        urllib.request.urlopen(_request(url), timeout=TIMEOUT) as response,  # noqa: S310
        open(wheel, "wb") as out,
    ):
        while chunk := response.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() not in pinned:
        os.unlink(wheel)
        print(
            f"::error title=Bootstrap failed::{filename} from the package index does not match any "
            f"hash of {os.path.basename(pin)}; nothing was installed. Check the index (PIP_INDEX_URL) "
            "and re-run the job.",
        )
        return 1
    unpack(folder)
    return 0


def unpack(folder: str) -> None:
    """The uv program out of the (checked) wheel in FOLDER/wheel, as FOLDER/uv or uv.exe."""
    (wheel,) = [n for n in os.listdir(os.path.join(folder, "wheel")) if n.endswith(".whl")]
    with zipfile.ZipFile(os.path.join(folder, "wheel", wheel)) as archive:
        for member in archive.namelist():
            parts = member.split("/")
            if (
                len(parts) == 3
                and parts[0].endswith(".data")
                and parts[1] == "scripts"
                and parts[2] in ("uv", "uv.exe")
            ):
                target = os.path.join(folder, parts[2])
                with archive.open(member) as src, open(target, "wb") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
                os.chmod(target, 0o755)  # noqa: S103 (a program: everyone may run it)


if __name__ == "__main__":
    if sys.argv[1] == "--unpack":
        unpack(sys.argv[2])
        sys.exit(0)
    try:
        sys.exit(main(sys.argv[1], sys.argv[2]))
    except (OSError, ValueError, KeyError) as error:  # network, TLS, a malformed index page
        reason = str(error).replace("\n", " ").replace("::", ": ")[:300]
        print(
            f"::error title=Bootstrap failed::Could not fetch uv from the package index ({reason}); "
            "nothing was installed. Re-run the job; if it persists, check PIP_INDEX_URL and the "
            "runner's network."
        )
        sys.exit(1)
