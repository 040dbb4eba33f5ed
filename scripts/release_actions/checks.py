"""Checks a built distribution must pass before it leaves the job.

Metadata follows the rules of ``twine check --strict`` (PyPI would refuse or
mis-render the project page otherwise); wheel contents catch the packaging
mistakes that ship broken releases (stray bytecode, duplicate entries, a
wheel without the package in it).
"""

from __future__ import annotations

import functools
import io
import threading
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from packaging.version import Version

from .errors import DistributionCheckError, UsageError, shown

if TYPE_CHECKING:
    from concurrent.futures import Future

# packaging.utils (file names, project names) costs a build ~25 ms of start-up
# before its environment is under way: the checks import it as they run.

SDIST_SUFFIX = ".tar.gz"

# Checks a maintainer may skip, each by name and with a reason (build --skip-check):
# PyPI takes such files, but they are usually a mistake.
SKIPPABLE = {
    "long-description": "the PyPI page has a description (metapackages may have none)",
    "description-content-type": "the description names its format (legacy metadata may not)",
    "package-inside": "a wheel holds a package or module (a metapackage holds none)",
    "bytecode": "no compiled bytecode (__pycache__, *.pyc) in a distribution",
    "platform-tag": "Linux wheels are manylinux or musllinux, as PyPI requires (a private "
    "index may take others)",
}
# What publish leaves to the build (which may have skipped them, with a reason): the
# files it uploads must still be what PyPI takes (platform tags included).
CHECKED_AT_BUILD = {
    name: "checked (or skipped with a reason) when the distributions were built"
    for name in SKIPPABLE
    if name != "platform-tag"
}
# Checks that always run: PyPI refuses such files, or they are damaged.
ENFORCED = {
    "metadata": "valid core metadata, with the name and version of the file name",
    "readme-renders": "a description PyPI can render",
    "duplicates": "no entry twice in the archive",
    "unsafe-paths": "no absolute or '..' paths in the archive",
}


@dataclass
class DistInfo:
    """What a distribution file says about itself."""

    path: Path
    kind: str  # "sdist" or "wheel"
    name: str
    version: str
    metadata: dict[str, object] = field(default_factory=dict, repr=False)
    raw_metadata: bytes = field(default=b"", repr=False)
    contents: list[str] = field(default_factory=list, repr=False)


def dist_kind(path: Path) -> str:
    if path.name.endswith(".whl"):
        return "wheel"
    if path.name.endswith(SDIST_SUFFIX):
        return "sdist"
    raise DistributionCheckError(
        f"'{path.name}' is not a Python distribution (expected a .whl or .tar.gz file).",
        "Pass only the sdist and wheels that the build produced.",
    )


def _fail(path: Path, problem: str, fix: str) -> DistributionCheckError:
    return DistributionCheckError(f"{path.name}: {problem}", fix)


def read_dist(path: Path) -> DistInfo:
    """Open a wheel or sdist and read its core metadata and file list."""
    # Imported here, as the checks run (while the wheel builds): not at every start-up.
    import tarfile
    import zipfile

    from packaging.metadata import parse_email
    from packaging.utils import (
        InvalidSdistFilename,
        InvalidWheelFilename,
        canonicalize_name,
        parse_sdist_filename,
        parse_wheel_filename,
    )

    kind = dist_kind(path)
    try:
        if kind == "wheel":
            name, version, _build, _tags = parse_wheel_filename(path.name)
            with zipfile.ZipFile(path) as zf:
                contents = zf.namelist()
                meta_path = f"{_dist_info_dir(path, contents)}/METADATA"
                raw = zf.read(meta_path)
        else:
            name, version = parse_sdist_filename(path.name)
            with tarfile.open(path, "r:gz") as tf:
                contents = tf.getnames()
                pkg_info = [n for n in contents if n.count("/") == 1 and n.endswith("/PKG-INFO")]
                _check_pkg_info(path, pkg_info)
                member = tf.extractfile(pkg_info[0])
                raw = member.read() if member else b""
    except (InvalidWheelFilename, InvalidSdistFilename) as exc:
        raise _fail(
            path, f"file name is not valid ({exc}).", "Do not rename built distributions."
        ) from None
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, KeyError) as exc:
        raise _fail(
            path, f"cannot be read ({exc}).", "The file is damaged or truncated; build it again."
        ) from None
    parsed, _unparsed = parse_email(raw)
    info = DistInfo(path, kind, str(name), str(version), dict(parsed), raw, contents)
    meta_name = str(parsed.get("name", ""))
    meta_version = str(parsed.get("version", ""))
    if canonicalize_name(meta_name) != canonicalize_name(info.name):
        raise _fail(
            path,
            f"metadata names the project '{meta_name}', the file name says '{info.name}'.",
            "Do not rename built distributions.",
        )
    if not meta_version or Version(meta_version) != Version(info.version):
        raise _fail(
            path,
            f"metadata says version '{meta_version}', the file name says '{info.version}'.",
            "Do not rename built distributions.",
        )
    return info


def _check_pkg_info(path: Path, found: list[str]) -> None:
    if not found:
        raise _fail(
            path,
            "has no top-level PKG-INFO, so no installer or index can read its metadata.",
            "Build the sdist with a standard build backend.",
        )
    if len(set(found)) == 1 and len(found) > 1:
        # hatchling with hatch-vcs (or any backend that packs every file it finds) run on
        # an unpacked sdist packs the old PKG-INFO beside the one it writes.
        raise _fail(
            path,
            f"contains '{found[0]}' {len(found)} times: it was built from an unpacked sdist, "
            "and the backend packed that sdist's PKG-INFO again beside the one it wrote.",
            "Build from the project's source tree (the git checkout), not from an unpacked sdist.",
        )
    if len(found) > 1:
        raise _fail(
            path,
            f"has {len(found)} top-level PKG-INFO files ({', '.join(found)}); an sdist holds "
            "one project folder.",
            "Build the sdist with a standard build backend, from the project's source tree.",
        )


def _dist_info_dir(path: Path, names: list[str]) -> str:
    dirs = {n.split("/", 1)[0] for n in names if n.split("/", 1)[0].endswith(".dist-info")}
    if len(dirs) != 1:
        raise _fail(
            path,
            f"has {len(dirs)} .dist-info directories; a wheel has exactly one.",
            "Build the wheel with a standard build backend.",
        )
    return dirs.pop()


def preload_renderers(kinds: Collection[str] = ("md", "rst")) -> None:
    """Import readme renderers ahead of time (a build calls this while it waits).

    ``kinds`` names those the project's readme needs ("md", "rst"):
    reStructuredText's alone costs about 0.2 s.
    """
    if "md" in kinds:
        import readme_renderer.markdown
    if "rst" in kinds:
        import readme_renderer.rst  # noqa: F401


def check_metadata(info: DistInfo, skip: Mapping[str, str] | None = None) -> None:
    """The rules of ``twine check --strict``: valid metadata and a description PyPI renders."""
    import email.message

    from packaging.metadata import Metadata, parse_email

    skip = skip or {}
    try:
        Metadata.from_raw(parse_email(info.raw_metadata)[0], validate=True)
    except Exception as exc:  # packaging raises an ExceptionGroup of InvalidMetadata
        problems = "; ".join(str(e) for e in getattr(exc, "exceptions", [exc]))
        raise _fail(
            info.path,
            f"invalid core metadata: {problems}.",
            "Fix the [project] table of pyproject.toml.",
        ) from None
    description = info.metadata.get("description")
    if not isinstance(description, str) or description.strip() in ("", "UNKNOWN"):
        if "long-description" in skip:
            return
        raise _fail(
            info.path,
            "has no long description, so its PyPI page would be empty.",
            "Set 'readme' in the [project] table of pyproject.toml; for a metapackage, "
            + _skip_hint("long-description"),
        )
    content_type = info.metadata.get("description_content_type")
    if not isinstance(content_type, str) or not content_type.strip():
        if "description-content-type" not in skip:
            raise _fail(
                info.path,
                "long description has no content type (PyPI would guess reStructuredText).",
                "Name the readme file with its extension (README.md or README.rst) or set its "
                "content-type; for legacy metadata PyPI still takes, "
                + _skip_hint("description-content-type"),
            )
        content_type = "text/x-rst"  # what PyPI assumes; the description must still render
    message = email.message.Message()
    message["content-type"] = content_type
    mime = message.get_content_type()
    params = dict((message.get_params() or [])[1:])
    if mime == "text/plain":
        return
    if mime not in ("text/x-rst", "text/markdown"):
        raise _fail(
            info.path,
            f"long description content type '{mime}' is not one PyPI renders.",
            "Use text/markdown, text/x-rst or text/plain.",
        )
    detail = _render_problems(description, mime, params.get("variant", "GFM"))
    if detail is not None:
        raise _fail(
            info.path,
            "long description has markup errors and would not render on PyPI"
            + (f": {detail}" if detail else "."),
            "Fix the readme (run 'python -m readme_renderer README.rst' to see every problem).",
        )


def _render_problems(description: str, mime: str, variant: str) -> str | None:
    """None when the description renders; else the renderer's first warning (maybe "").

    An sdist and its wheel carry the same description: it is rendered once, even
    when their checks run at the same time (the second waits for the first).
    """
    with _RENDERING:
        return _render_once(description, mime, variant)


_RENDERING = threading.Lock()


@functools.lru_cache(maxsize=8)
def _render_once(description: str, mime: str, variant: str) -> str | None:
    warnings = io.StringIO()
    if mime == "text/x-rst":
        from readme_renderer import rst

        rendered = rst.render(description, stream=warnings)
    else:
        from readme_renderer import markdown

        rendered = markdown.render(description, variant=variant)
    if rendered is not None:
        return None
    lines = warnings.getvalue().strip().splitlines()
    return lines[0] if lines else ""


def _skip_hint(name: str) -> str:
    return f"skip the check with a reason: --skip-check '{name}: WHY' (the skip-checks input)."


# PyPI takes Linux wheels only with these platform tags (PEP 600 and PEP 656).
_LINUX_OK = ("manylinux", "musllinux")


def check_platform_tags(info: DistInfo) -> None:
    """A Linux wheel PyPI would refuse: a plain ``linux_*`` tag, as a compiler gives it."""
    if info.kind != "wheel":
        return
    from packaging.utils import parse_wheel_filename

    _name, _version, _build, tags = parse_wheel_filename(info.path.name)
    refused = sorted(
        {t.platform for t in tags if "linux" in t.platform and not t.platform.startswith(_LINUX_OK)}
    )
    if refused:
        raise _fail(
            info.path,
            f"has the platform tag {', '.join(refused)}, which PyPI refuses: it takes Linux "
            "wheels only as manylinux or musllinux.",
            "Repair the wheel with auditwheel ('auditwheel repair'), or build the Linux wheels "
            "with cibuildwheel, which does that for you (the matrix template); for a private "
            "index that takes such wheels, " + _skip_hint("platform-tag"),
        )


def check_contents(info: DistInfo, skip: Mapping[str, str] | None = None) -> None:
    """No bytecode, no duplicate entries, and (for wheels) the package really inside."""
    skip = skip or {}
    seen: set[str] = set()
    for name in info.contents:
        if name in seen:
            raise _fail(
                info.path,
                f"contains '{name}' twice.",
                "Build again from a clean tree; a build backend that writes duplicates needs fixing.",
            )
        seen.add(name)
        parts = PurePosixPath(name).parts
        if ("__pycache__" in parts or name.endswith((".pyc", ".pyo"))) and "bytecode" not in skip:
            raise _fail(
                info.path,
                f"contains compiled bytecode '{name}'.",
                "Exclude __pycache__ and *.pyc from the distribution (e.g. clean the tree, check "
                "MANIFEST.in or the backend's exclude setting), or " + _skip_hint("bytecode"),
            )
        if ".." in parts or name.startswith("/"):
            raise _fail(
                info.path,
                f"contains an unsafe path '{name}'.",
                "Build the distribution with a standard build backend.",
            )
    if info.kind == "wheel" and "package-inside" not in skip:
        code = [
            n
            for n in info.contents
            if not n.split("/", 1)[0].endswith((".dist-info", ".data")) and not n.endswith("/")
        ]
        if not code:
            raise _fail(
                info.path,
                "contains no package or module, only metadata.",
                "Tell the build backend where the package lives (e.g. [tool.setuptools.packages.find] "
                "or [tool.hatch.build.targets.wheel] packages); for a metapackage, "
                + _skip_hint("package-inside"),
            )


def check_set(infos: list[DistInfo]) -> None:
    """An sdist and the wheels built with it must be of one project and version."""
    from packaging.utils import canonicalize_name

    names = {canonicalize_name(i.name) for i in infos}
    versions = {Version(i.version) for i in infos}
    if len(names) > 1 or len(versions) > 1:
        listing = ", ".join(f"{i.path.name} ({i.name} {i.version})" for i in infos)
        raise DistributionCheckError(
            f"The distributions disagree on name or version: {listing}.",
            "Release one project version at a time; remove stale files from the dist directory.",
        )


def parse_skips(values: Sequence[str]) -> dict[str, str]:
    """``NAME: REASON`` lines (the --skip-check option, the skip-checks input) as a mapping."""
    skips: dict[str, str] = {}
    for value in values:
        name, _, reason = value.partition(":")
        name, reason = name.strip().lower(), " ".join(reason.split())
        if name in ENFORCED:
            raise UsageError(
                f"The '{name}' check ({ENFORCED[name]}) cannot be skipped: PyPI refuses files "
                "that fail it, or they are damaged.",
                f"Fix the distribution instead. Checks that can be skipped: {', '.join(SKIPPABLE)}.",
            )
        if name not in SKIPPABLE:
            raise UsageError(
                f"There is no check named '{shown(name)}' to skip.",
                f"Name one of: {', '.join(SKIPPABLE)}.",
            )
        if not reason:
            raise UsageError(
                f"Skipping the '{name}' check needs a reason, for the log.",
                f"Write it after the name: '{name}: a metapackage, it holds no code'.",
            )
        skips[name] = reason
    return skips


def check_dist(path: Path, skip: Mapping[str, str] | None = None) -> DistInfo:
    """Read one distribution and run every check on it that needs no other file."""
    skip = skip or {}
    info = read_dist(path)
    check_metadata(info, skip)
    check_contents(info, skip)
    if "platform-tag" not in skip:
        check_platform_tags(info)
    return info


def check_dists(
    paths: list[Path],
    skip: Mapping[str, str] | None = None,
    *,
    early: Mapping[Path, Future[DistInfo]] | None = None,
) -> list[DistInfo]:
    """Check every distribution, then check that they belong together.

    ``skip`` maps names of SKIPPABLE checks to the maintainer's reason for skipping them;
    ``early`` holds checks already started (the sdist's, while its wheel was built). The
    first failure in the order of ``paths`` is the one raised.
    """
    early = early or {}
    infos = [early[p].result() if p in early else check_dist(p, skip) for p in paths]
    check_set(infos)
    return infos
