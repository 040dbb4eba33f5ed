"""release-actions release-page: the GitHub release of a tag."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import gha, markdown
from ..errors import InputError, UsageError
from ._shared import Parser, read_subjects_arg, rel, repo_arg

FIX_CHANGELOG_PATH = (
    "Pass --changelog PATH (the action's changelog input), or add a CHANGES.rst or CHANGES.md "
    "with a section per version."
)


def add(sub: argparse._SubParsersAction[Parser]) -> None:
    p = sub.add_parser(
        "release-page",
        help="create or complete the GitHub release of a tag: notes, milestone link, assets",
        description="Find the release of TAG (drafts included) or create it as a draft, set its "
        "notes from the change log plus a link to the version's milestone, upload the files "
        "that are missing, and publish it last with --no-draft. Safe to re-run and to run "
        "concurrently. Without GITHUB_TOKEN (off a runner) the page is written as Markdown "
        "to a file instead.",
    )
    p.add_argument("files", nargs="*", metavar="FILES", help="files or globs to attach (dists, "
                   "SHA256SUMS, multiple.intoto.jsonl, *.publish.attestation)")  # fmt: skip
    p.add_argument("--tag", help="the release tag (default: the pushed tag, on a tag push)")
    p.add_argument("--repo", metavar="OWNER/REPO", help="repository (default: GITHUB_REPOSITORY)")
    p.add_argument("--name", help="release title (default: the tag)")
    notes = p.add_mutually_exclusive_group()
    notes.add_argument("--notes-file", type=Path, help="Markdown notes to use as they are")
    notes.add_argument("--changelog", type=Path, help="change log to take the notes from "
                       "(default: found in the current directory)")  # fmt: skip
    p.add_argument("--require-notes", action="store_true",
                   help="fail when the change log or its section for the version is missing "
                   "(default: warn and use GitHub's generated notes)")  # fmt: skip
    draft = p.add_mutually_exclusive_group()
    draft.add_argument("--draft", dest="draft", action="store_true", default=True,
                       help="leave a new release as a draft (default)")  # fmt: skip
    draft.add_argument("--no-draft", dest="draft", action="store_false",
                       help="publish the release once every asset is attached")  # fmt: skip
    p.add_argument("--prerelease", choices=["auto", "true", "false"], default="auto",
                   help="mark as prerelease; auto: from the PEP 440 version (a, b, rc, dev)")  # fmt: skip
    p.add_argument("--overwrite", action="store_true",
                   help="replace an attached file whose content differs (refused otherwise)")  # fmt: skip
    p.add_argument("--close-milestone", action="store_true",
                   help="close the milestone titled with the version")  # fmt: skip
    p.add_argument("--preview-file", type=Path, default=Path("release-page.md"),
                   help="where the page goes without a token (default: release-page.md)")  # fmt: skip
    p.add_argument("--subjects", metavar="FILE|-",
                   help="the hash action's subjects: every distribution attached must match them")  # fmt: skip
    p.set_defaults(handler=run)


def run(args: argparse.Namespace, runner: gha.Runner) -> int:
    from ..errors import CredentialError
    from ..files import write_atomic
    from ..git import pushed_tag, runner_server
    from ..github import ClientSettings, Target
    from ..hashing import collect_files, hash_files, parse_subjects
    from ..notes import page_notes
    from ..release_page import Request, render_preview
    from ..release_page.make import make_release
    from ..versions import is_prerelease, version_from_tag

    env = runner.env
    token = env.get("GITHUB_TOKEN", "").strip()
    runner.mask(token)
    # Everything is read before the first request: tag, repository, notes, files and their
    # subjects (the stage checks the files against them before it attaches or previews any).
    tag = args.tag or pushed_tag(env)
    if not tag:
        raise UsageError(
            "No tag given.", "Pass --tag (on a tag push it defaults to the pushed tag)."
        )
    version = version_from_tag(tag)
    repo = repo_arg(args.repo, env)
    generate = False
    if args.notes_file:
        try:
            notes = args.notes_file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            raise InputError(
                f"Cannot read the notes file '{args.notes_file}'.", "Pass a UTF-8 Markdown file."
            ) from None
    else:
        page = page_notes(
            version, changelog=args.changelog, project=Path("."), repo=repo,
            server_url=runner_server(env),
            require_notes=args.require_notes, reporter=runner, fix=FIX_CHANGELOG_PATH,
        )  # fmt: skip
        notes, generate = page.markdown, page.generate
    prerelease = is_prerelease(version) if args.prerelease == "auto" else args.prerelease == "true"
    files = hash_files(collect_files(args.files)) if args.files else []
    subjects = parse_subjects(*read_subjects_arg(args.subjects)) if args.subjects else None
    request = Request(
        tag=tag, version=version, name=args.name or tag, notes=notes, draft=args.draft,
        prerelease=prerelease, files=files, overwrite=args.overwrite,
        close_milestone=args.close_milestone, generate_notes=generate,
        target_commitish=env.get("GITHUB_SHA", ""), subjects=subjects,
    )  # fmt: skip

    if not token:
        if runner.active:
            raise CredentialError(
                "GITHUB_TOKEN is not set, so the release page cannot be made.",
                "Pass the token to the step (the action does this with its token input, "
                "default github.token) and grant 'contents: write'.",
            )
        write_atomic(args.preview_file, render_preview(request, repo).encode())
        runner.notice(
            f"GITHUB_TOKEN is not set: wrote the release page for {tag} to {args.preview_file} "
            "instead of creating it on GitHub.",
            title="Release page preview",
        )
        print(rel(args.preview_file.absolute()))
        return 0
    if repo is None:
        raise UsageError(
            "No repository given.",
            "Pass --repo OWNER/REPO (on a runner GITHUB_REPOSITORY is used).",
        )

    target = Target.from_env(env, repo, token)
    with runner.group(f"Release page for {tag} in {repo}"):
        result = make_release(
            target, request, settings=ClientSettings.from_env(env), reporter=runner
        )
    state = "draft" if result.draft else "published"
    print(result.html_url)
    runner.info(f"release {result.id} for {tag} is {state}: {result.html_url}")
    runner.set_outputs(
        {"id": str(result.id), "url": result.url, "html-url": result.html_url,
         "upload-url": result.upload_url, "draft": str(result.draft).lower()}
    )  # fmt: skip
    rows = [[markdown.code(name), outcome] for name, outcome in result.assets.items()]
    summary = (
        f"### Release {markdown.link(request.name, result.html_url)} ({state}"
        + (", prerelease" if result.prerelease else "")
        + ")\n\n"
    )
    if result.milestone:
        summary += (
            f"Milestone {markdown.link(result.milestone.title, result.milestone.html_url)}"
            + (" closed." if result.milestone_closed else ".")
            + "\n\n"
        )
    if result.notes_source != "given":
        summary += {
            "generated": "Notes generated by GitHub: the change log has none for this version.",
            "kept": "Notes kept as they are on the release: the change log has none for this version.",
        }[result.notes_source] + "\n\n"
    if rows:
        summary += markdown.table(["Asset", "Result"], rows) + "\n\n"
    summary += markdown.details("Release notes", result.body or "_empty_")
    runner.summary(summary)
    return 0
