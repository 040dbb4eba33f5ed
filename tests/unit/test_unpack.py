"""Unpacking the sdist the wheel is built from: as tarfile's "data" filter does, or refused."""

from __future__ import annotations

import io
import os
import stat
import tarfile
from pathlib import Path

import pytest

from release_actions.errors import BuildError
from release_actions.frontend import unpack_sdist
from support.platform import needs_symlinks

MTIME = 1_700_000_000


def _sdist(path: Path, members: list[tuple[str, str, int, bytes | str]]) -> Path:
    """A .tar.gz of (name, kind, mode, data or link target) members, in that order."""
    with tarfile.open(path, "w:gz") as archive:
        for name, kind, mode, payload in members:
            info = tarfile.TarInfo(name)
            info.mode, info.mtime = mode, MTIME
            if kind == "dir":
                info.type = tarfile.DIRTYPE
                archive.addfile(info)
            elif kind == "file":
                assert isinstance(payload, bytes)
                info.size = len(payload)
                archive.addfile(info, io.BytesIO(payload))
            else:
                assert isinstance(payload, str)
                info.type = tarfile.SYMTYPE if kind == "symlink" else tarfile.LNKTYPE
                info.linkname = payload
                archive.addfile(info)
    return path


def _tree(root: Path) -> dict[str, tuple[str, int | None, int | None, bytes | str]]:
    """Every path under root: its kind, mode and mtime (files) and contents or link target."""
    found: dict[str, tuple[str, int | None, int | None, bytes | str]] = {}
    for path in sorted(root.rglob("*")):
        name = path.relative_to(root).as_posix()
        if path.is_symlink():
            found[name] = ("symlink", None, None, os.readlink(path))
        elif path.is_dir():
            found[name] = ("dir", None, None, b"")
        else:
            info = path.stat()
            found[name] = (
                "file",
                stat.S_IMODE(info.st_mode),
                int(info.st_mtime),
                path.read_bytes(),
            )
    return found


def _by_filter(sdist: Path, into: Path) -> Path:
    with tarfile.open(sdist) as archive:
        archive.extractall(into, filter="data")
    return into


MODES = [0o600, 0o644, 0o664, 0o666, 0o700, 0o750, 0o755, 0o775, 0o777, 0o4755, 0o2750, 0o1644]


def test_plain_files_are_written_as_the_data_filter_writes_them(tmp_path: Path) -> None:
    members: list[tuple[str, str, int, bytes | str]] = [("demo-1.0", "dir", 0o755, b"")]
    members += [
        (f"demo-1.0/src/demo/m{mode:o}.py", "file", mode, b"x = %d\n" % mode) for mode in MODES
    ]
    members += [("demo-1.0/PKG-INFO", "file", 0o644, b"Metadata-Version: 2.1\n")]
    sdist = _sdist(tmp_path / "demo-1.0.tar.gz", members)

    top = unpack_sdist(sdist, tmp_path / "ours")

    assert top == tmp_path / "ours" / "demo-1.0"
    ours, theirs = _tree(tmp_path / "ours"), _tree(_by_filter(sdist, tmp_path / "filter"))
    assert ours == theirs
    assert ours["demo-1.0/src/demo/m4755.py"][1] == 0o755  # no setuid
    assert ours["demo-1.0/src/demo/m600.py"][1:3] == (0o600, MTIME)


def test_a_duplicate_member_is_written_over_as_tarfile_does(tmp_path: Path) -> None:
    # The distribution check reports the duplicate; unpacking keeps the last one.
    sdist = _sdist(
        tmp_path / "demo-1.0.tar.gz",
        [("demo-1.0/a.py", "file", 0o644, b"first\n"), ("demo-1.0/a.py", "file", 0o644, b"last\n")],
    )
    assert (unpack_sdist(sdist, tmp_path / "out") / "a.py").read_bytes() == b"last\n"


@needs_symlinks
def test_links_inside_the_sdist_go_through_the_data_filter(tmp_path: Path) -> None:
    sdist = _sdist(
        tmp_path / "demo-1.0.tar.gz",
        [
            ("demo-1.0/CHANGES.rst", "file", 0o644, b"changes\n"),
            ("demo-1.0/docs/changes.rst", "symlink", 0o777, "../CHANGES.rst"),
            ("demo-1.0/docs/again.rst", "hardlink", 0o644, "demo-1.0/CHANGES.rst"),
            ("demo-1.0/later.py", "file", 0o755, b"after the link\n"),
        ],
    )
    unpack_sdist(sdist, tmp_path / "ours")
    assert _tree(tmp_path / "ours") == _tree(_by_filter(sdist, tmp_path / "filter"))
    assert (tmp_path / "ours" / "demo-1.0" / "docs" / "changes.rst").read_bytes() == b"changes\n"


@pytest.mark.parametrize(
    ("member", "problem"),
    [
        (("demo-1.0/../../escaped.py", "file", 0o644, b"x\n"), "cannot be unpacked: "),
        # The filter strips the leading slash: a second top folder inside the destination.
        (("/escaped/absolute.py", "file", 0o644, b"x\n"), "holds 2 top-level folders"),
        (("demo-1.0/out", "symlink", 0o777, "../../escaped"), "cannot be unpacked: "),
        (("demo-1.0/abs", "symlink", 0o777, "/etc/passwd"), "cannot be unpacked: "),
        (("demo-1.0/device", "char", 0o644, b""), "cannot be unpacked: "),
    ],
    ids=["dot-dot", "absolute", "link-outside", "absolute-link", "device"],
)
def test_a_member_the_data_filter_refuses_fails_the_build_by_name(
    tmp_path: Path, member: tuple[str, str, int, bytes | str], problem: str
) -> None:
    name, kind, mode, payload = member
    members: list[tuple[str, str, int, bytes | str]] = [
        ("demo-1.0/PKG-INFO", "file", 0o644, b"Metadata-Version: 2.1\n")
    ]
    if kind == "char":
        with tarfile.open(tmp_path / "demo-1.0.tar.gz", "w:gz") as archive:
            archive.addfile(tarfile.TarInfo(members[0][0]), io.BytesIO(b""))
            device = tarfile.TarInfo(name)
            device.type = tarfile.CHRTYPE
            archive.addfile(device)
        sdist = tmp_path / "demo-1.0.tar.gz"
    else:
        sdist = _sdist(tmp_path / "demo-1.0.tar.gz", [*members, (name, kind, mode, payload)])
    into = tmp_path / "deep" / "into"

    with pytest.raises(BuildError) as caught:
        unpack_sdist(sdist, into)

    assert caught.value.cause.startswith(f"demo-1.0.tar.gz {problem}")
    if problem.startswith("cannot"):
        assert name.split("/")[-1] in caught.value.cause
    assert not (tmp_path / "deep" / "escaped.py").exists()
    assert not (tmp_path / "escaped").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "demo-1.0.tar.gz"]


def test_an_sdist_with_two_top_folders_is_refused(tmp_path: Path) -> None:
    sdist = _sdist(
        tmp_path / "demo-1.0.tar.gz",
        [("demo-1.0/a.py", "file", 0o644, b""), ("other-1.0/b.py", "file", 0o644, b"")],
    )
    with pytest.raises(BuildError, match="holds 2 top-level folders; an sdist holds one"):
        unpack_sdist(sdist, tmp_path / "out")


@pytest.mark.parametrize("data", [b"not a tar.gz at all", b""], ids=["garbage", "empty"])
def test_a_damaged_sdist_fails_the_build_with_a_message(tmp_path: Path, data: bytes) -> None:
    sdist = tmp_path / "demo-1.0.tar.gz"
    sdist.write_bytes(data)
    with pytest.raises(BuildError) as caught:
        unpack_sdist(sdist, tmp_path / "out")
    assert "cannot be unpacked" in caught.value.cause or "top-level folders" in caught.value.cause
    assert "build backend" in caught.value.fix
