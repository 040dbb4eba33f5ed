"""The rehearsal's surroundings: the tag, the work tree, the checkout it builds and its own folder.

The folder (default ``PROJECT/.release-rehearsal/<version>/``) carries a marker
file, so a later run empties only a folder a rehearsal made, and a README that
says what each stage left where.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from .. import git
from ..errors import InputError
from .model import Rehearsal

MARKER = ".release-rehearsal"  # marks a folder this command made and may empty again
DEFAULT_DIR = ".release-rehearsal"


def resolve_tag(project: Path, tag: str | None) -> str:
    """--tag, else the tag at HEAD; a rehearsal before tagging names the tag it will push."""
    found = tag or git.tag_at_head(project)
    if found:
        return found
    last = git.last_tag(project)
    hint = f" (the last tag is {last})" if last else ""
    raise InputError(
        f"No git tag points at HEAD{hint}, and no --tag was given.",
        "Pass the tag you are about to push, e.g. '--tag v1.2.3', or tag the commit first.",
    )


def dirty_files(project: Path, out_dir: Path) -> list[str]:
    """Uncommitted changes in the project, leaving out the rehearsal folder itself."""
    exclude: list[str] = []
    with suppress(ValueError):
        exclude = [f":(exclude){out_dir.resolve().relative_to(project.resolve())}"]
    result = git.run(
        project, "status", "--porcelain", "--untracked-files=normal", "--", ".", *exclude
    )
    if not result.ok:
        return []  # not a git checkout: nothing to compare with
    return [line[3:] for line in result.out.splitlines() if line.strip()]


def prepare_out_dir(out_dir: Path) -> None:
    """Empty a folder an earlier rehearsal made; refuse to touch anything else."""
    if out_dir.exists():
        if not out_dir.is_dir() or out_dir.is_symlink():
            raise InputError(f"'{out_dir}' exists and is not a folder.", "Pass another --out-dir.")
        if any(out_dir.iterdir()) and not (out_dir / MARKER).is_file():
            raise InputError(
                f"'{out_dir}' is not empty and was not made by a rehearsal.",
                "Pass an empty or new --out-dir; nothing in this folder was touched.",
            )
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)
    (out_dir / MARKER).write_text("Made by 'release-actions run'; emptied by the next run.\n")
    # Keeps the folder out of 'git status' and out of VCS-driven sdists.
    (out_dir / ".gitignore").write_text("*\n")


@contextmanager
def source_tree(project: Path, allow_dirty: bool) -> Iterator[tuple[Callable[[], Path], str]]:
    """A checkout to build from, as CI would have it: (a call that returns its project
    folder once it is made, what it is).

    In a git work tree: a temporary worktree of HEAD (plus, with --allow-dirty, the
    uncommitted changes), so neither ignored files nor the rehearsal folder can
    slip into an sdist, and the build leaves nothing behind in the project. git
    writes it in a thread while the build starts its environment. Outside git:
    the project folder itself.
    """
    root = git.top_level(project)
    if root is None or git.head_commit(project) is None:
        yield (lambda: project), "the project folder (not a git checkout)"
        return
    inside = project.resolve().relative_to(root.resolve())
    what = "HEAD with the uncommitted changes" if allow_dirty else "a clean checkout of HEAD"
    with tempfile.TemporaryDirectory(prefix="release-rehearsal-") as tmp:
        checkout = Path(tmp) / "checkout"
        outcome: list[BaseException | None] = []

        def make() -> None:
            try:
                added = git.run(
                    root, "worktree", "add", "--detach", "--quiet", str(checkout), "HEAD"
                )
                if not added.ok:
                    raise InputError(
                        f"git could not make a clean checkout to build from: {added.err.strip()}",
                        "Run 'git worktree prune' and try again.",
                    )
                if allow_dirty:
                    _copy_changes(root, checkout)
                outcome.append(None)
            except BaseException as error:  # raised again by ready(), in the caller
                outcome.append(error)

        maker = threading.Thread(target=make, daemon=True)
        maker.start()

        def ready() -> Path:
            maker.join()
            if outcome[0] is not None:
                raise outcome[0]
            return checkout / inside

        try:
            yield ready, what
        finally:
            maker.join()
            if checkout.exists():
                git.run(root, "worktree", "remove", "--force", str(checkout))


def _copy_changes(root: Path, checkout: Path) -> None:
    """Bring modified, added and untracked (not ignored) files over; drop deleted ones."""
    changed = git.run(root, "ls-files", "-z", "--modified", "--others", "--exclude-standard")
    deleted = set(git.run(root, "ls-files", "-z", "--deleted").out.split("\0")) - {""}
    for name in sorted(set(changed.out.split("\0")) - {""}):
        target = checkout / name
        if name in deleted:
            target.unlink(missing_ok=True)
        elif (
            (root / name).is_file()
            and MARKER not in Path(name).parts
            and DEFAULT_DIR not in Path(name).parts
        ):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / name, target)


def write_index(run: Rehearsal) -> None:
    from ..files import write_atomic
    from ..markdown import table

    rows = [[s.name, s.result, f"{s.seconds:.2f} s", s.output or s.message] for s in run.stages]
    lines = [
        f"# Release rehearsal of {run.tag}",
        "",
        "Made by `release-actions run`; the next run empties this folder.",
        "",
        table(["stage", "result", "time", "output"], rows),
        "",
        "- `dist/`: the sdist and wheel, built and checked",
        "- `SHA256SUMS`: their sha256, as `sha256sum` prints them",
        "- `provenance/multiple.intoto.jsonl`: SLSA v1 provenance, signed with a key made for this run "
        "(`provenance/rehearsal-key.pub.pem`); a rehearsal signature, not a release one",
        "- `index/simple/`: a PEP 503 package index holding the files (when no --repository-url was given)",
        "- `notes.md`: the change log's section for the version, as GitHub Markdown",
        "- `release-page.md`: the release page as the release-page action would make it",
        "",
    ]
    write_atomic(run.out_dir / "README.md", "\n".join(lines).encode())
