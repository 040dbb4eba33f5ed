"""SLSA v1 provenance Statements: written by ``attest``, read back by ``verify``.

The Statement has the shape ``actions/attest-build-provenance`` emits (build
type ``https://actions.github.io/buildtypes/workflow/v1``), so GitHub's own
tooling understands ours. On a runner its fields come from the runner's
variables; off a runner from the local git checkout, with a builder id that
says plainly the build was local.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import git
from .errors import AttestationError, InputError
from .hashing import Subject

STATEMENT_V1 = "https://in-toto.io/Statement/v1"
STATEMENT_TYPES = frozenset({STATEMENT_V1, "https://in-toto.io/Statement/v0.1"})
PAYLOAD_TYPE = "application/vnd.in-toto+json"
SLSA_V1 = "https://slsa.dev/provenance/v1"
SLSA_V02 = "https://slsa.dev/provenance/v0.2"
BUILD_TYPE = "https://actions.github.io/buildtypes/workflow/v1"
RUNNER_BUILDER_PREFIX = "https://github.com/actions/runner/"
# Not a URL anyone can own: a local build proves nothing about a hosted builder.
LOCAL_BUILDER = "urn:release-actions:local-build"

_WORKFLOW_REF = re.compile(
    r"^(?P<repo>[\w.-]+/[\w.-]+)/(?P<path>\.github/workflows/[^@]+)@(?P<ref>.+)$"
)


@dataclass(frozen=True)
class BuildContext:
    """Where and how the build ran: what the provenance claims."""

    server_url: str  # https://github.com
    repository: str  # OWNER/REPO ('' for a local checkout without a GitHub origin)
    ref: str  # refs/tags/v1.2.3
    sha: str
    workflow_path: str  # .github/workflows/release.yml ("" off a runner)
    builder_id: str
    invocation_id: str
    event_name: str = ""
    repository_id: str = ""
    repository_owner_id: str = ""
    runner_environment: str = ""

    @property
    def local(self) -> bool:
        return self.builder_id == LOCAL_BUILDER


def context_from_runner(env: Mapping[str, str]) -> BuildContext:
    """The runner's variables; every one a real run has is required."""
    missing = [
        name
        for name in (
            "GITHUB_REPOSITORY",
            "GITHUB_REF",
            "GITHUB_SHA",
            "GITHUB_WORKFLOW_REF",
            "GITHUB_RUN_ID",
        )
        if not env.get(name)
    ]
    if missing:
        raise AttestationError(
            f"The runner did not set {', '.join(missing)}, which the provenance records.",
            "Run the attest action in a GitHub Actions job (not a container that drops the runner's variables).",
        )
    match = _WORKFLOW_REF.match(env["GITHUB_WORKFLOW_REF"])
    if not match:
        raise AttestationError(
            f"GITHUB_WORKFLOW_REF is '{env['GITHUB_WORKFLOW_REF']}', not OWNER/REPO/.github/workflows/FILE@REF.",
            "Run the attest action from a workflow file of the repository.",
        )
    server = git.runner_server(env)
    repo = env["GITHUB_REPOSITORY"]
    runner_environment = env.get("RUNNER_ENVIRONMENT", "github-hosted")
    return BuildContext(
        server_url=server,
        repository=repo,
        ref=env["GITHUB_REF"],
        sha=env["GITHUB_SHA"],
        workflow_path=match["path"],
        builder_id=RUNNER_BUILDER_PREFIX + runner_environment,
        invocation_id=f"{server}/{repo}/actions/runs/{env['GITHUB_RUN_ID']}/attempts/{env.get('GITHUB_RUN_ATTEMPT', '1')}",
        event_name=env.get("GITHUB_EVENT_NAME", ""),
        repository_id=env.get("GITHUB_REPOSITORY_ID", ""),
        repository_owner_id=env.get("GITHUB_REPOSITORY_OWNER_ID", ""),
        runner_environment=runner_environment,
    )


def context_from_git(cwd: Path, tag: str | None = None) -> BuildContext:
    """Off a runner: the local checkout's origin, commit and tag; the builder is marked local.

    Outside a checkout every field git would fill is empty; a checkout git refuses to
    read, or a HEAD with several tags and no ``tag`` given, is an InputError.
    """
    in_git = git.top_level(cwd) is not None
    origin = git.origin(cwd) if in_git else None
    tag = tag or (git.tag_at_head(cwd) if in_git else None)
    ref = f"refs/tags/{tag}" if tag else git.read(cwd, "symbolic-ref", "-q", "HEAD")
    return BuildContext(
        server_url=origin.server_url if origin else git.GITHUB,
        repository=origin.slug if origin else "",
        ref=ref or "",
        sha=(git.head_commit(cwd) or "") if in_git else "",
        workflow_path="",
        builder_id=LOCAL_BUILDER,
        invocation_id="",
        event_name="local",
    )


def make_statement(subjects: Sequence[Subject], ctx: BuildContext) -> dict[str, Any]:
    """An in-toto Statement v1 with an SLSA v1 provenance predicate for ``subjects``."""
    if not subjects:
        raise InputError(
            "There is nothing to attest: no subjects.", "Pass files or the hash action's subjects."
        )
    repo_url = f"{ctx.server_url}/{ctx.repository}" if ctx.repository else ""
    dependency: dict[str, Any] = {}
    if repo_url:
        dependency["uri"] = f"git+{repo_url}@{ctx.ref}" if ctx.ref else f"git+{repo_url}"
    if ctx.sha:
        dependency["digest"] = {"gitCommit": ctx.sha}
    github: dict[str, str] = {"event_name": ctx.event_name}
    for key, value in (
        ("repository_id", ctx.repository_id),
        ("repository_owner_id", ctx.repository_owner_id),
        ("runner_environment", ctx.runner_environment),
    ):
        if value:
            github[key] = value
    run_details: dict[str, Any] = {"builder": {"id": ctx.builder_id}}
    if ctx.invocation_id:
        run_details["metadata"] = {"invocationId": ctx.invocation_id}
    return {
        "_type": STATEMENT_V1,
        "subject": [{"name": s.name, "digest": {"sha256": s.sha256}} for s in subjects],
        "predicateType": SLSA_V1,
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "workflow": {"ref": ctx.ref, "repository": repo_url, "path": ctx.workflow_path}
                },
                "internalParameters": {"github": github},
                "resolvedDependencies": [dependency] if dependency else [],
            },
            "runDetails": run_details,
        },
    }


def statement_bytes(statement: Mapping[str, Any]) -> bytes:
    """The exact payload bytes that get signed: compact, keys in a stable order."""
    return json.dumps(statement, separators=(",", ":"), sort_keys=True).encode()


# -- reading claims back ---------------------------------------------------------------------


@dataclass(frozen=True)
class Claims:
    """What a provenance predicate says about its source and builder ('' when it says nothing)."""

    source: str  # github.com/OWNER/REPO
    ref: str  # refs/tags/v1.2.3 or refs/heads/main
    builder_id: str
    workflow: str  # path of the workflow file in the source repository


def _strip_scheme(uri: str) -> str:
    uri = uri.removeprefix("git+")
    for scheme in ("https://", "http://"):
        uri = uri.removeprefix(scheme)
    return uri.removesuffix(".git")


def claims_of(statement: Mapping[str, Any]) -> Claims | None:
    """Source, ref and builder of an SLSA v1 or v0.2 predicate; None for other predicates.

    The Statement is untrusted input: a field of the wrong JSON type reads as absent.
    """
    predicate = _object(statement.get("predicate"))
    kind = statement.get("predicateType")
    if kind == SLSA_V1:
        definition = _object(predicate.get("buildDefinition"))
        workflow = _object(_object(definition.get("externalParameters")).get("workflow"))
        builder = _object(_object(predicate.get("runDetails")).get("builder")).get("id")
        return Claims(
            source=_strip_scheme(_text(workflow.get("repository"))),
            ref=_text(workflow.get("ref")),
            builder_id=_text(builder),
            workflow=_text(workflow.get("path")),
        )
    if kind == SLSA_V02:
        config = _object(_object(predicate.get("invocation")).get("configSource"))
        source, _, ref = _text(config.get("uri")).partition("@")
        return Claims(
            source=_strip_scheme(source),
            ref=ref,
            builder_id=_text(_object(predicate.get("builder")).get("id")),
            workflow=_text(config.get("entryPoint")),
        )
    return None


def _object(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _text(value: object) -> str:
    return value if isinstance(value, str) else ""
