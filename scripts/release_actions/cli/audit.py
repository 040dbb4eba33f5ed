"""release-actions audit: the release policy checked for every version."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .. import gha
from ..errors import InputError, UsageError
from ._shared import Parser, rel

# Not every promise could be checked, and none that could is broken (like Nagios's UNKNOWN).
EXIT_UNCHECKED = 3


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "audit",
        help="check that every version on the index has its tag, release page, milestone and files",
        description="Check the release policy after the fact, for one version or a project's "
        "whole history: a tag per version on the index, a published release page for it, a "
        "closed milestone, the index's files among the release assets and, with --verify, "
        "every file's sha256 covered by its verified PEP 740 attestations or the release's "
        "verified provenance or SHA256SUMS. The index is read through its Simple API. Exit 1 "
        "when a promise is broken, 3 when none is but some could not be checked (a version's "
        "file or provenance unreachable). The GitHub token is read from GITHUB_TOKEN or GH_TOKEN.",
    )
    p.add_argument("--project", help="project name on the index (default: from ./pyproject.toml)")
    p.add_argument("--repo", help="OWNER/REPO (default: GITHUB_REPOSITORY or the origin remote)")
    which = p.add_mutually_exclusive_group()
    which.add_argument(
        "--version",
        dest="versions",
        action="append",
        metavar="V",
        help="audit this version (repeatable)",
    )
    which.add_argument("--all", action="store_true", help="audit every version (the default)")
    p.add_argument(
        "--verify",
        action="store_true",
        help="download every file and match its sha256 with the index and the release's provenance",
    )
    p.add_argument("--json", action="store_true", help="print the report as JSON")
    p.add_argument(
        "--exit-zero",
        action="store_true",
        help="exit 0 even when a promise is broken or could not be checked (read the 'broken' and 'unreachable' counts instead)",
    )
    p.add_argument("--output", type=Path, help="also write the JSON report to this file")
    p.add_argument(
        "--since",
        metavar="VERSION|DATE",
        help="leave out versions older than this version, or first uploaded before this date "
        "(YYYY-MM-DD): those released before the project adopted the policy",
    )
    p.add_argument(
        "--workflow",
        default="",
        help="publishing workflow PEP 740 attestations must name, e.g. release.yml "
        "(default: the one the index recorded for each file)",
    )
    p.add_argument(
        "--index-url",
        default="https://pypi.org",
        help="the index's base URL or its Simple API, as pip's index-url names it "
        "(default https://pypi.org)",
    )
    p.add_argument("--api-url", help="GitHub API URL (default: GITHUB_API_URL or api.github.com)")
    p.add_argument(
        "--tags-from",
        choices=["auto", "git", "github"],
        default="auto",
        help="where tags come from; auto: this clone when complete and of --repo, else the API",
    )
    p.add_argument(
        "--skip",
        action="append",
        default=[],
        choices=["tag", "release", "milestone", "assets"],
        help="leave a check out (repeatable), e.g. for a project without milestones",
    )
    p.add_argument(
        "--jobs", type=int, default=8, help="parallel requests (default 8; keep it modest)"
    )
    p.set_defaults(handler=run)


def _project_from_pyproject(path: Path) -> str | None:
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib  # type: ignore[import-not-found,unused-ignore]
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    name = data.get("project", {}).get("name")
    return name if isinstance(name, str) and name else None


def _origin_repo(cwd: Path) -> str | None:
    from .. import git

    origin = git.origin(cwd) if git.is_complete_checkout(cwd) else None
    return origin.slug if origin else None


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..audit import (
        GITHUB_SETTINGS,
        SYMBOLS,
        AuditOptions,
        GitHubReader,
        Since,
        audit,
        render_broken,
        render_markdown,
        render_table,
        render_unreachable,
        summary_counts,
    )
    from ..files import write_atomic
    from ..github import DEFAULT_API_URL, ClientSettings
    from ..index_api import IndexClient
    from ..webclient import WebClient

    env = runner.env
    token = env.get("GITHUB_TOKEN") or env.get("GH_TOKEN") or None
    if token:
        runner.mask(token)
    if not 1 <= args.jobs <= 32:
        raise UsageError("--jobs must be between 1 and 32.", "Use a small number such as 8.")
    if not args.index_url.startswith(("https://", "http://")):
        raise UsageError(
            f"--index-url '{args.index_url}' is not an http(s) URL.",
            "Use the index's base URL, e.g. https://pypi.org or https://test.pypi.org.",
        )
    since = Since.parse(args.since) if args.since is not None else None
    project = args.project or _project_from_pyproject(Path.cwd() / "pyproject.toml")
    if not project:
        raise InputError(
            "No project name: --project is not given and ./pyproject.toml names none.",
            "Pass --project NAME (the name on the index).",
        )
    cwd = Path.cwd()
    repo = args.repo or env.get("GITHUB_REPOSITORY") or _origin_repo(cwd)
    if not repo or repo.count("/") != 1 or not all(repo.split("/")):
        raise UsageError(
            f"No usable repository: {repo!r}." if repo else "No repository given.",
            "Pass --repo OWNER/REPO.",
        )
    api_url = args.api_url or env.get("GITHUB_API_URL") or DEFAULT_API_URL
    web = WebClient.from_env(env)
    settings = ClientSettings.from_env(env, GITHUB_SETTINGS)
    github = GitHubReader(repo, api_url=api_url, token=token, settings=settings)
    options = AuditOptions(
        project=project,
        repo=repo,
        versions=args.versions,
        verify=args.verify,
        skip=args.skip,
        tags_from=args.tags_from,
        checkout=cwd,
        jobs=args.jobs,
        since=since,
        workflow=args.workflow,
    )
    with github, web:
        result = audit(options, IndexClient(args.index_url, web), github, reporter=runner)
    document = json.dumps(result.to_json(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        write_atomic(args.output, document.encode("utf-8"))
    if args.json:
        sys.stdout.write(document)
    else:
        encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
        try:
            "".join(SYMBOLS.values()).encode(encoding)
            ascii_only = False
        except (UnicodeEncodeError, LookupError):
            ascii_only = True
        sys.stdout.write(render_table(result, ascii_only=ascii_only))
        for line in render_broken(result):
            sys.stdout.write(f"broken: {line}\n")
        for line in render_unreachable(result):
            sys.stdout.write(f"unreachable: {line}\n")
    broken, unreachable = result.broken, result.unreachable
    runner.info(summary_counts(result))
    outputs = {
        "broken": str(len(broken)),
        "unreachable": str(len(unreachable)),
        "versions": str(len(result.versions)),
        "excluded": str(len(result.excluded)),
    }
    if args.output:
        outputs["report-file"] = rel(args.output.absolute())
    runner.set_outputs(outputs)
    runner.summary(render_markdown(result))
    # GitHub shows only the first few annotations of a step; the summary has them all.
    annotate = runner.warning if args.exit_zero else runner.error
    for v, c in broken[:10]:
        annotate(f"{c.detail}. Fix: {c.fix}", title=f"Release audit: {v.version} {c.name}")
    if len(broken) > 10:
        annotate(
            f"{len(broken) - 10} more broken promise(s): see the job summary.",
            title="Release audit",
        )
    # A promise that could not be checked is not a broken one: a warning, and its own exit code.
    for v, c in unreachable[:10]:
        runner.warning(
            f"{c.detail}. Fix: {c.fix}", title=f"Release audit: {v.version} {c.name} not checked"
        )
    if len(unreachable) > 10:
        runner.warning(
            f"{len(unreachable) - 10} more promise(s) not checked: see the job summary.",
            title="Release audit",
        )
    if args.exit_zero:
        return 0
    return 1 if broken else EXIT_UNCHECKED if unreachable else 0
