"""Unpacking the sdist the wheel is built from, as the wheel's interpreter does it."""

from __future__ import annotations

import io
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from release_actions.frontend import HOOKS
from support.platform import needs_symlinks


def _unpack() -> Callable[[str, str], dict[str, Any]]:
    """The script's unpack function, loaded without running the script."""
    namespace: dict[str, Any] = {"__name__": "hooks"}
    exec(compile(HOOKS, "hooks.py", "exec"), namespace)  # noqa: S102 (our own script)
    unpack: Callable[[str, str], dict[str, Any]] = namespace["unpack"]
    return unpack


def _sdist(path: Path, members: list[tuple[str, str, bytes | str]]) -> Path:
    """A .tar.gz of (name, kind, data or link target) members, in that order."""
    with tarfile.open(path, "w:gz") as archive:
        for name, kind, payload in members:
            info = tarfile.TarInfo(name)
            if kind == "file":
                assert isinstance(payload, bytes)
                info.size = len(payload)
                archive.addfile(info, io.BytesIO(payload))
                continue
            info.type = {"symlink": tarfile.SYMTYPE, "hardlink": tarfile.LNKTYPE,
                         "device": tarfile.CHRTYPE}[kind]  # fmt: skip
            info.linkname = str(payload)
            archive.addfile(info)
    return path


PKG_INFO = ("demo-1.0/PKG-INFO", "file", b"Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n")


def test_an_sdist_unpacks_to_its_top_folder(tmp_path: Path) -> None:
    sdist = _sdist(
        tmp_path / "demo-1.0.tar.gz", [PKG_INFO, ("demo-1.0/src/demo.py", "file", b"x = 1\n")]
    )
    reply = _unpack()(str(sdist), str(tmp_path / "out"))
    assert reply == {"unpacked": ["demo-1.0"]}
    assert (tmp_path / "out" / "demo-1.0" / "src" / "demo.py").read_bytes() == b"x = 1\n"


@needs_symlinks
def test_links_that_stay_inside_the_sdist_unpack(tmp_path: Path) -> None:
    sdist = _sdist(
        tmp_path / "demo-1.0.tar.gz",
        [
            PKG_INFO,
            ("demo-1.0/CHANGES.rst", "file", b"changes\n"),
            ("demo-1.0/docs/changes.rst", "symlink", "../CHANGES.rst"),
            ("demo-1.0/docs/again.rst", "hardlink", "demo-1.0/CHANGES.rst"),
        ],
    )
    assert _unpack()(str(sdist), str(tmp_path / "out")) == {"unpacked": ["demo-1.0"]}
    docs = tmp_path / "out" / "demo-1.0" / "docs"
    assert (docs / "changes.rst").read_bytes() == (docs / "again.rst").read_bytes() == b"changes\n"


def test_every_top_folder_is_reported_for_the_caller_to_refuse(tmp_path: Path) -> None:
    # The data filter strips a leading slash: an absolute name lands in a second top folder.
    sdist = _sdist(tmp_path / "demo-1.0.tar.gz", [PKG_INFO, ("/escaped/absolute.py", "file", b"")])
    assert _unpack()(str(sdist), str(tmp_path / "out")) == {"unpacked": ["demo-1.0", "escaped"]}
    assert not Path("/escaped").exists()


@pytest.mark.parametrize(
    "member",
    [
        ("demo-1.0/../../escaped.py", "file", b"x\n"),
        ("demo-1.0/out", "symlink", "../../escaped"),
        ("demo-1.0/abs", "symlink", "/etc/passwd"),
        ("demo-1.0/device", "device", ""),
    ],
    ids=["dot-dot", "link-outside", "absolute-link", "device"],
)
def test_a_member_the_data_filter_refuses_is_named(
    tmp_path: Path, member: tuple[str, str, bytes | str]
) -> None:
    sdist = _sdist(tmp_path / "demo-1.0.tar.gz", [PKG_INFO, member])
    reply = _unpack()(str(sdist), str(tmp_path / "deep" / "out"))
    assert set(reply) == {"error"}
    assert member[0].split("/")[-1] in reply["error"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep", "demo-1.0.tar.gz"]


@pytest.mark.parametrize("data", [b"not a tar.gz at all", b""], ids=["garbage", "empty"])
def test_a_damaged_sdist_is_an_error_not_a_crash(tmp_path: Path, data: bytes) -> None:
    sdist = tmp_path / "demo-1.0.tar.gz"
    sdist.write_bytes(data)
    reply = _unpack()(str(sdist), str(tmp_path / "out"))
    assert set(reply) == {"error"}
    assert reply["error"]
