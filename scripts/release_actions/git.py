"""git, run one way, and what the suite reads from a checkout: which repository it is
(the ``origin`` remote as OWNER/REPO, on github.com or a GitHub Enterprise host) and which
tag is being released (the pushed tag on a runner, the tag at HEAD on a laptop).

Turning a tag into a version is ``versions.version_from_tag``.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, shown

# Variables that point git at another repository than the folder asked about: a git hook
# sets GIT_DIR, so a release rehearsed from one would otherwise read the hook's repository.
_REDIRECTS = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_COMMON_DIR",
    "GIT_NAMESPACE",
    "GIT_PREFIX",
)

MSG_NO_GIT = "git is not installed (or not on PATH), so {folder} cannot be read as a checkout."
FIX_NO_GIT = "Install git (https://git-scm.com/downloads) and run the command again."
MSG_CANNOT_RUN = "git could not be started: {cause}."
MSG_DUBIOUS = (
    "git refuses to read the checkout at {top}: it belongs to another user "
    "(git calls this 'dubious ownership')."
)
FIX_DUBIOUS = "If you trust it, run 'git config --global --add safe.directory {top}', then run the command again."
MSG_TAGS = "git could not list the tags of {folder}: {cause}."
FIX_TAGS = "Run the command inside a complete clone of the repository."
MSG_SEVERAL_TAGS = "HEAD carries several tags ({tags})."
FIX_SEVERAL_TAGS = "Say which one is the release with --tag."


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.code == 0


def environment(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment git runs in: nothing redirects it, it never prompts, its messages
    are in English (so they can be recognised) and reading takes no lock."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in _REDIRECTS}
    env.update(GIT_TERMINAL_PROMPT="0", GIT_OPTIONAL_LOCKS="0", LC_ALL="C", LANGUAGE="")
    return env


def run(folder: Path, *args: str, timeout: float | None = None) -> Result:
    """``git -C folder args``; a failing git is a Result, a missing git an InputError.

    Output is decoded as UTF-8; bytes that are not (a file name in another encoding)
    survive as surrogates, as ``os.fsdecode`` would keep them.
    """
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args],
            capture_output=True,
            stdin=subprocess.DEVNULL,
            env=environment(),
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError:
        raise InputError(MSG_NO_GIT.format(folder=folder), FIX_NO_GIT) from None
    except subprocess.TimeoutExpired:
        raise InputError(
            MSG_CANNOT_RUN.format(
                cause=f"'git {args[0]}' took longer than {timeout:g} s in {folder}"
            ),
            "Check that the folder is on a responsive disk, then run the command again.",
        ) from None
    except OSError as exc:
        raise InputError(MSG_CANNOT_RUN.format(cause=exc.strerror or exc), FIX_NO_GIT) from None
    return Result(done.returncode, _text(done.stdout), _text(done.stderr))


def _text(data: bytes) -> str:
    return data.decode("utf-8", "surrogateescape")


def read(folder: Path, *args: str, timeout: float | None = 60) -> str | None:
    """What git prints, stripped, for facts a command can do without: None when git fails,
    prints nothing, or is not installed."""
    try:
        result = run(folder, *args, timeout=timeout)
    except InputError:
        return None
    text = result.out.strip()
    return text if result.ok and text else None


# -- the checkout ------------------------------------------------------------------------------


def top_level(folder: Path) -> Path | None:
    """The root of the work tree ``folder`` is in; None outside one (or without git).

    Since 2.35.2 git will not read a repository another user owns ("dubious ownership":
    a checkout mounted into a container, or made by another account). Every git command
    then fails, which would read as "not a checkout" and quietly drop the repository and
    the tag, so that is an InputError here.
    """
    try:
        result = run(folder, "rev-parse", "--show-toplevel")
    except InputError:
        return None
    if result.ok and result.out.strip():
        return Path(result.out.strip())
    if "dubious ownership" in result.err:
        where = re.search(r"repository at '([^']+)'", result.err)
        top = where.group(1) if where else str(folder.resolve())
        raise InputError(MSG_DUBIOUS.format(top=top), FIX_DUBIOUS.format(top=top))
    return None


def is_complete_checkout(folder: Path) -> bool:
    """True when ``folder`` is inside a git work tree with its whole history (not shallow)."""
    return (
        read(folder, "rev-parse", "--is-inside-work-tree") == "true"
        and read(folder, "rev-parse", "--is-shallow-repository") == "false"
    )


def head_commit(folder: Path) -> str | None:
    return read(folder, "rev-parse", "--verify", "-q", "HEAD")


# -- the repository ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Remote:
    """A repository on a GitHub host (github.com or a GitHub Enterprise Server)."""

    host: str  # lower case, without user or port
    owner: str
    name: str

    @property
    def slug(self) -> str:
        """OWNER/REPO, as GITHUB_REPOSITORY and the API spell it."""
        return f"{self.owner}/{self.name}"

    @property
    def server_url(self) -> str:
        return f"https://{self.host}"


# scheme://[user[:password]@]host[:port]/path, for the schemes git fetches over.
_URL = re.compile(
    r"^(?:https?|ssh|git|git\+ssh|ssh\+git)://(?:[^@/]*@)?(?P<host>[^:/@]+)(?::\d*)?/(?P<path>.*)$",
    re.IGNORECASE,
)
# git's scp-like form [user@]host:path: no slash before the colon, none right after it.
_SCP = re.compile(r"^(?:[^@/:]+@)?(?P<host>[^:/@]+):(?P<path>[^/].*)$")
_PART = re.compile(r"^[\w.-]+$")


def parse_remote(url: str) -> Remote | None:
    """The repository a remote URL names: https, ssh (``ssh://`` or ``git@host:``), with or
    without ``.git`` and a trailing slash. None for a local path, ``file://`` or a path that
    is not exactly OWNER/REPO (a GitLab subgroup, say)."""
    url = url.strip()
    match = _URL.match(url) or _SCP.match(url)
    if match is None:
        return None
    path = match["path"].rstrip("/").removesuffix(".git").rstrip("/")
    parts = path.split("/")
    if len(parts) != 2 or not all(_PART.match(p) and p not in (".", "..") for p in parts):
        return None
    return Remote(match["host"].lower(), parts[0], parts[1])


def origin(folder: Path) -> Remote | None:
    """The repository of the checkout's ``origin`` remote, if it names one."""
    url = read(folder, "remote", "get-url", "origin")
    return parse_remote(url) if url else None


# -- tags --------------------------------------------------------------------------------------


def tags(folder: Path) -> frozenset[str]:
    """Every tag of the checkout; InputError when git cannot list them."""
    result = run(folder, "for-each-ref", "--format=%(refname:strip=2)", "refs/tags")
    if not result.ok:
        cause = result.err.strip() or f"exit code {result.code}"
        raise InputError(MSG_TAGS.format(folder=folder, cause=cause), FIX_TAGS)
    return frozenset(line for line in result.out.splitlines() if line)


def tag_at_head(folder: Path) -> str | None:
    """The one tag on HEAD; None when there is none (or no checkout), InputError for several."""
    result = run(folder, "tag", "--points-at", "HEAD")
    found = sorted(result.out.split()) if result.ok else []
    if len(found) > 1:
        raise InputError(
            MSG_SEVERAL_TAGS.format(tags=", ".join(shown(t) for t in found)), FIX_SEVERAL_TAGS
        )
    return found[0] if found else None


def last_tag(folder: Path) -> str | None:
    """The nearest tag reachable from HEAD (for a hint when HEAD has none)."""
    return read(folder, "describe", "--tags", "--abbrev=0")


GITHUB = "https://github.com"


def runner_server(env: Mapping[str, str]) -> str:
    """The GitHub server the job runs on (``GITHUB_SERVER_URL``): github.com, a GitHub
    Enterprise Server, or github.com off a runner."""
    return (env.get("GITHUB_SERVER_URL") or GITHUB).rstrip("/")


def server_host(server_url: str) -> str:
    """``github.com`` or the Enterprise host: how provenance names a source (HOST/OWNER/REPO)."""
    from urllib.parse import urlsplit

    return (urlsplit(server_url).netloc or urlsplit(GITHUB).netloc).lower()


def pushed_tag(env: Mapping[str, str]) -> str | None:
    """On a runner, the tag whose push started the workflow; None for any other event."""
    if env.get("GITHUB_REF_TYPE") == "tag" and env.get("GITHUB_REF_NAME"):
        return env["GITHUB_REF_NAME"]
    ref = env.get("GITHUB_REF", "")
    tag = ref.removeprefix("refs/tags/") if ref.startswith("refs/tags/") else ""
    return tag or None
