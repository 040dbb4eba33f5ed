"""Subjects: the files of a release and their sha256 digests.

Reads and writes the ``sha256sum`` format (``<64 hex>  <name>``) and its
base64 encoding (slsa-github-generator's ``base64-subjects``). Each file is
hashed through a memory map on a thread of its own, largest first: hashlib
releases the GIL, so OpenSSL's SHA-256 (SHA-NI where the CPU has it) keeps
every core busy.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import glob
import hashlib
import mmap
import os
import re
import stat
import unicodedata
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, SubjectsError

CHUNK = 1 << 20
DEFAULT_PATTERNS = ("dist/*",)
# Files the suite writes beside distributions; a directory or the default glob
# never picks them up as subjects (naming one explicitly still does).
SIDECAR_SUFFIXES = (".intoto.jsonl", ".publish.attestation", ".sigstore", ".sigstore.json")
SIDECAR_NAMES = frozenset({"SHA256SUMS", "SHA256SUMS.txt"})

_SUM_LINE = re.compile(r"^([0-9a-fA-F]{64}) [ *](.+)$")
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Subject:
    """One release file: its base name, sha256 (lower-case hex), and where it lives."""

    name: str
    sha256: str
    path: Path | None = None
    size: int | None = None


def is_sidecar(name: str) -> bool:
    return name in SIDECAR_NAMES or name.endswith(SIDECAR_SUFFIXES)


def sha256_file(path: Path, copy_to: Path | None = None) -> str:
    """The file's sha256; with ``copy_to``, the very bytes hashed are also written there."""
    if copy_to is None:
        return _sha256_mapped(path)
    digest = hashlib.sha256()
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    with contextlib.ExitStack() as stack:
        fh = stack.enter_context(path.open("rb", buffering=0))
        out = stack.enter_context(copy_to.open("xb")) if copy_to is not None else None
        while n := fh.readinto(buffer):
            digest.update(view[:n])
            if out is not None:
                out.write(view[:n])
    return digest.hexdigest()


def _sha256_mapped(path: Path) -> str:
    """The file's sha256 read through a memory map: OpenSSL hashes the page cache in
    place, without copying it into a buffer first (a third of the system time)."""
    with path.open("rb", buffering=0) as fh:
        if os.fstat(fh.fileno()).st_size == 0:
            return hashlib.sha256().hexdigest()
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            if hasattr(mapped, "madvise") and hasattr(mmap, "MADV_SEQUENTIAL"):
                mapped.madvise(mmap.MADV_SEQUENTIAL)
            return hashlib.sha256(mapped).hexdigest()


def _check_name(name: str, where: str) -> None:
    if (
        not name
        or "\\" in name
        or "/" in name
        or any(unicodedata.category(c) == "Cc" for c in name)
    ):
        raise InputError(
            f"{where}: file name {name!r} cannot be written as a subject.",
            "Release files need plain names without slashes, backslashes, line breaks or control characters.",
        )


def _linked_folder(path: Path) -> Path | None:
    """The first folder on ``path`` that is a symbolic link: any below the working
    directory, else the file's own folder (system folders such as macOS's /var
    are links, and are not the release's to choose)."""
    parts = path.parent.absolute().parts
    cwd = Path.cwd().parts
    start = len(cwd) if parts[: len(cwd)] == cwd else len(parts) - 1
    for i in range(start, len(parts)):
        folder = Path(*parts[: i + 1])
        if folder.is_symlink():
            return folder
    return None


def _regular_file(path: Path, shown: str) -> Path:
    linked = _linked_folder(path)
    if linked is not None:
        raise InputError(
            f"{shown}: the folder '{linked.name}' on its path is a symbolic link.",
            "Release files must be real files in a real folder; copy them instead of linking.",
        )
    try:
        info = path.lstat()
    except FileNotFoundError:
        raise InputError(
            f"{shown}: no such file.", "Check the path, or build the project first."
        ) from None
    if stat.S_ISLNK(info.st_mode):
        raise InputError(
            f"{shown}: is a symbolic link, not a regular file.",
            "Release files must be real files inside the dist directory; copy the target instead.",
        )
    if stat.S_ISDIR(info.st_mode):
        raise InputError(
            f"{shown}: is a directory where a file is expected.",
            "Pass the files (or a glob such as 'dist/*'), not a directory inside the dist directory.",
        )
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"{shown}: is not a regular file.",
            "Pass distribution files only (no devices, sockets or pipes).",
        )
    return path


def collect_files(patterns: Sequence[str] = (), *, base: Path | None = None) -> list[Path]:
    """Expand files, directories and globs into a list of regular files.

    A directory contributes the files directly inside it (sidecar files
    excluded); a glob must match something; every path must be a regular
    file. Order is not meaningful: callers sort by name.
    """
    base = base or Path.cwd()
    found: list[Path] = []
    for pattern in patterns or DEFAULT_PATTERNS:
        if not pattern.strip():
            raise InputError(
                "An empty path was given.", "Remove the empty entry or name a file or glob."
            )
        candidate = base / pattern
        if glob.has_magic(pattern):
            matches = sorted(glob.glob(str(candidate), recursive=True))
            files = [
                Path(m) for m in matches if not (Path(m).is_dir() and not Path(m).is_symlink())
            ]
            if not patterns:
                files = [f for f in files if not is_sidecar(f.name)]
            if not files:
                raise InputError(
                    f"'{pattern}' matches no files.",
                    "Build the distributions first, or point the pattern at the directory that holds them.",
                )
            found += [_regular_file(f, str(f)) for f in files]
        elif candidate.is_dir() and not candidate.is_symlink():
            files = sorted(
                p for p in candidate.iterdir() if not is_sidecar(p.name) and not p.is_dir()
            )
            if not files:
                raise InputError(
                    f"'{pattern}' is an empty directory.",
                    "Build the distributions first, or point at the directory that holds them.",
                )
            found += [_regular_file(f, str(f)) for f in files]
        else:
            found.append(_regular_file(candidate, pattern))
    return found


def hash_files(paths: Iterable[Path], *, copy_to: Path | None = None) -> list[Subject]:
    """Hash files (in parallel) and merge them by base name.

    The same name twice with the same bytes (one file reached through two
    patterns, or identical artifacts of two matrix jobs) is one subject; the
    same name with different bytes is an error. With ``copy_to`` (a private
    folder) each file is copied there as it is hashed, and the subjects point
    at the copies: whatever happens to the originals afterwards, the copies
    hold exactly the bytes that were hashed.
    """
    unique = list(dict.fromkeys(p.resolve() for p in paths))
    for path in unique:
        _check_name(path.name, str(path))
    copies: list[Path | None] = [None] * len(unique)
    if copy_to is not None:
        for i, path in enumerate(unique):
            folder = copy_to / str(i)
            folder.mkdir(mode=0o700)
            copies[i] = folder / path.name
    workers = min(len(unique), os.cpu_count() or 1) or 1
    # The largest files start first, so no core is left with a big one at the end.
    order = sorted(range(len(unique)), key=lambda i: -unique[i].stat().st_size)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        done = dict(zip(order, pool.map(sha256_file, [unique[i] for i in order],
                                         [copies[i] for i in order]), strict=True))  # fmt: skip
    digests = [done[i] for i in range(len(unique))]
    by_name: dict[str, Subject] = {}
    for path, copy, digest in zip(unique, copies, digests, strict=True):
        path = copy or path
        subject = Subject(path.name, digest, path, path.stat().st_size)
        seen = by_name.get(path.name)
        if seen is None:
            by_name[path.name] = subject
        elif seen.sha256 != digest:
            raise SubjectsError(
                f"Two different files are both named '{path.name}': {seen.path} and {path}.",
                "Each release file needs a unique name; check that matrix jobs do not build the same file differently.",
            )
    return sorted(by_name.values(), key=lambda s: s.name)


def format_sums(subjects: Iterable[Subject]) -> str:
    """Lines byte-for-byte as ``sha256sum`` prints them, sorted by name."""
    return "".join(f"{s.sha256}  {s.name}\n" for s in sorted(subjects, key=lambda s: s.name))


def encode_base64(subjects: Iterable[Subject]) -> str:
    return base64.b64encode(format_sums(subjects).encode()).decode("ascii")


def parse_sums(text: str, source: str = "subjects") -> list[Subject]:
    """Parse ``sha256sum`` output strictly; the same name twice must agree."""
    by_name: dict[str, Subject] = {}
    # Lines end at "\n" only, as sha256sum writes them (str.splitlines would also
    # split at characters such as U+001E or U+2028 that a name may contain).
    for number, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r")
        if not line.strip():
            continue
        match = _SUM_LINE.match(line)
        if not match:
            raise SubjectsError(
                f"{source}, line {number}: not a sha256sum line: {line[:80]!r}.",
                "Each line must be '<64 hex digits>  <file name>', as 'sha256sum' or 'release-actions hash' writes it.",
            )
        digest, name = match.group(1).lower(), match.group(2)
        if name.startswith("./"):
            name = name[2:]
        if "/" in name or "\\" in name or name in ("", ".", ".."):
            raise SubjectsError(
                f"{source}, line {number}: '{name}' is not a plain file name.",
                "Subjects name files by their base name only; regenerate them with 'release-actions hash'.",
            )
        seen = by_name.get(name)
        if seen is not None and seen.sha256 != digest:
            raise SubjectsError(
                f"{source}: '{name}' is listed twice with different digests.",
                "Regenerate the subjects with 'release-actions hash'.",
            )
        by_name[name] = Subject(name, digest)
    if not by_name:
        raise SubjectsError(
            f"{source} lists no files.",
            "Pass the output of 'release-actions hash' (a SHA256SUMS file or its base64 form).",
        )
    return sorted(by_name.values(), key=lambda s: s.name)


def parse_subjects(text: str, source: str = "subjects") -> list[Subject]:
    """Read subjects in either form: ``sha256sum`` lines or their base64 encoding."""
    stripped = text.strip()
    if stripped and not _SUM_LINE.match(stripped.split("\n")[0].removesuffix("\r")):
        try:
            decoded = base64.b64decode("".join(stripped.split()), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise SubjectsError(
                f"{source} is neither sha256sum lines nor their base64 encoding.",
                "Pass the 'subjects' output or the SHA256SUMS file of the hash action unchanged.",
            ) from None
        return parse_sums(decoded, f"{source} (base64)")
    return parse_sums(text, source)


def is_sha256_hex(value: str) -> bool:
    return bool(_HEX64.match(value))


def match_files(subjects: Sequence[Subject], files: Sequence[Subject]) -> None:
    """Every file must be a subject with the same digest (the integrity gate)."""
    expected = {s.name: s.sha256 for s in subjects}
    for f in files:
        want = expected.get(f.name)
        if want is None:
            raise SubjectsError(
                f"'{f.name}' is not among the hashed subjects.",
                "Only files hashed by the build job can be released; rebuild, or pass the matching subjects.",
            )
        if want != f.sha256:
            raise SubjectsError(
                f"'{f.name}' does not match its hashed subject (sha256 {f.sha256} here, {want} in the subjects).",
                "The file changed after it was hashed; do not release it. Rebuild and hash again.",
            )
