"""What the OS running the tests can do: Windows has no FIFOs and no POSIX owners, and
makes symbolic links only with developer mode. Tests of those refusals skip there."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest


def _can_symlink() -> bool:
    with tempfile.TemporaryDirectory() as folder:
        try:
            (Path(folder) / "link").symlink_to(folder)
        except (OSError, NotImplementedError):
            return False
    return True


FIFOS = hasattr(os, "mkfifo")
SYMLINKS = _can_symlink()
OWNERS = hasattr(os, "getuid")
NO_FIFOS = "this OS has no FIFOs"
NO_SYMLINKS = "this account cannot make symbolic links"

needs_fifos = pytest.mark.skipif(not FIFOS, reason=NO_FIFOS)
needs_symlinks = pytest.mark.skipif(not SYMLINKS, reason=NO_SYMLINKS)
needs_owners = pytest.mark.skipif(not OWNERS, reason="no POSIX file owners here")
