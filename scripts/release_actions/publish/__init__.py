"""Upload distributions to a package index: all-or-nothing checks first, then one file at a time.

Before the first byte leaves: every file is a distribution whose metadata
passes ``twine check --strict``'s rules, and, given the hash action's subjects,
every file's sha256 equals its subject (and no subject is missing). Uploads go
through twine's own machinery. A file the index already holds with the same
sha256 is skipped, so a re-run after a partial failure completes; the same
name with other bytes fails loudly. 5xx answers, resets and timeouts are
retried with backoff, then reported with what is and is not on the index.

The package: this module checks and composes; ``upload`` talks to the index
(asking what it holds, and one upload with its retries).
"""

from __future__ import annotations

import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests
from packaging.utils import canonicalize_name

from .. import deadline
from ..checks import DistInfo
from ..errors import CredentialError, NetworkError, PublishError, UsageError
from ..files import write_atomic
from ..hashing import Subject, hash_files, is_sidecar, match_files
from ..oidc import index_base, mint_token, public_repository, redact_url, runner_token
from ..reporter import Reporter, Silent
from ..text import neutral
from ..webclient import session as web_session
from .upload import USER_AGENT, UploadSettings, remote_sha256, upload_one

PYPI_UPLOAD = "https://upload.pypi.org/legacy/"
PYPI_HOSTS = frozenset({"upload.pypi.org", "test.pypi.org"})

SKIPPED = "{name} is already on the index with the same sha256: skipped"
# (distribution paths, OIDC token for Sigstore) -> {path: PEP 740 attestation JSON}
AttestationSigner = Callable[[Sequence[Path], str], dict[Path, str]]


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str
    trusted: bool  # minted by Trusted Publishing


@dataclass
class Outcome:
    uploaded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    links: dict[str, str] = field(default_factory=dict)


# -- before the first upload -----------------------------------------------------------------------


def select_files(paths: Sequence[Path]) -> tuple[list[Path], list[Path]]:
    """(distributions, files set aside): leftovers such as old attestations are never sent."""
    chosen = [p for p in paths if not is_sidecar(p.name)]
    if not chosen:
        raise UsageError(
            "There is nothing to publish.", "Build the distributions first, or point FILES at them."
        )
    return chosen, [p for p in paths if is_sidecar(p.name)]


def validate(
    paths: Sequence[Path], subjects: Sequence[Subject] | None, private: Path
) -> tuple[list[Subject], dict[Path, DistInfo]]:
    """Every check that can fail before an upload: all files, or none, go on.

    Each file is copied into ``private`` (a folder only this process uses) as
    it is hashed, and everything after reads the copy: the metadata check, the
    attestation and the upload see exactly the bytes that matched the
    subjects, whatever happens to the originals meanwhile. The digests are
    matched first: no metadata of a file that is not a subject is parsed.
    """
    from ..checks import CHECKED_AT_BUILD, check_dists

    files = hash_files(paths, copy_to=private)
    if subjects is not None:
        match_files(subjects, files)
        missing = sorted({s.name for s in subjects} - {f.name for f in files})
        if missing:
            raise PublishError(
                f"{', '.join(neutral(m) for m in missing)} {'is' if len(missing) == 1 else 'are'} in the subjects but not here to publish.",
                "Download every distribution the build job hashed (all matrix artifacts) before publishing.",
            )
    copies = [f.path for f in files if f.path]
    infos = {info.path: info for info in check_dists(copies, CHECKED_AT_BUILD)}
    return files, infos


def is_pypi(repository_url: str) -> bool:
    return urllib.parse.urlsplit(repository_url).hostname in PYPI_HOSTS


def credentials(
    repository_url: str, project: str, env: Mapping[str, str], reporter: Reporter,
    session: requests.Session, settings: UploadSettings,
) -> Credentials:  # fmt: skip
    """An API token or username/password from TWINE_*, else Trusted Publishing."""
    password = env.get("TWINE_PASSWORD", "")
    if password:
        reporter.mask(password)
        return Credentials(env.get("TWINE_USERNAME") or "__token__", password, trusted=False)
    if env.get("ACTIONS_ID_TOKEN_REQUEST_URL"):
        token = mint_token(repository_url, project, env, reporter, session,
                           policy=settings.policy, sleep=settings.sleep)  # fmt: skip
        return Credentials("__token__", token, trusted=True)
    if env.get("GITHUB_ACTIONS") == "true":
        # runner_token names the missing permission (or the fork) precisely.
        runner_token(env, reporter, "pypi", does="publishes")
    raise CredentialError(
        "No credentials for the index: TWINE_PASSWORD is not set and there is no OIDC identity for Trusted Publishing.",
        "On GitHub Actions give the publishing job 'id-token: write' and add a trusted publisher on the index; "
        "elsewhere set TWINE_USERNAME and TWINE_PASSWORD (an API token).",
    )


def sign_attestations(paths: Sequence[Path], token: str) -> dict[Path, str]:
    """PEP 740 publish attestations, signed keylessly with Sigstore (needs the network).

    The one boundary tests replace.
    """
    from pypi_attestations import Attestation, Distribution
    from sigstore.models import ClientTrustConfig
    from sigstore.oidc import IdentityToken
    from sigstore.sign import SigningContext

    context = SigningContext.from_trust_config(ClientTrustConfig.production())
    out: dict[Path, str] = {}
    with context.signer(IdentityToken(token), cache=True) as signer:
        for path in paths:
            out[path] = Attestation.sign(signer, Distribution.from_file(path)).model_dump_json()
    return out


# -- uploading ------------------------------------------------------------------------------------------


def _account(outcome: Outcome, pending: Sequence[str]) -> str:
    def names(items: Sequence[str]) -> str:
        return ", ".join(neutral(n) for n in items) or "nothing"

    lines = [f"- uploaded: {names(outcome.uploaded)}",
             f"- already there (skipped): {names(outcome.skipped)}",
             f"- not uploaded: {names(pending)}"]  # fmt: skip
    return "What is on the index now:\n" + "\n".join(lines)


def _size(n: int) -> str:
    return f"{n / 1024:.1f} KiB" if n < 1 << 20 else f"{n / (1 << 20):.1f} MiB"


def publish(
    paths: Sequence[Path],
    repository_url: str = PYPI_UPLOAD,
    *,
    subjects: Sequence[Subject] | None = None,
    skip_existing: bool = False,
    attestations: bool | None = None,
    env: Mapping[str, str],
    reporter: Reporter | None = None,
    settings: UploadSettings | None = None,
    signer: AttestationSigner | None = None,
) -> Outcome:
    settings = settings or UploadSettings.from_env(env)
    dists, set_aside = select_files(paths)
    with tempfile.TemporaryDirectory(prefix="release-actions-publish-") as private:
        files, infos = validate(dists, subjects, Path(private))
        by_name = {p.resolve().name: p for p in dists}
        originals = {f.path: by_name[f.name] for f in files if f.path}
        return _publish_checked(
            files, infos, originals, set_aside, repository_url, skip_existing=skip_existing,
            attestations=attestations, env=env, reporter=reporter or Silent(),
            settings=settings, signer=signer,
        )  # fmt: skip


def _publish_checked(
    files: list[Subject], infos: dict[Path, DistInfo], originals: dict[Path, Path],
    set_aside: list[Path], repository_url: str, *, skip_existing: bool, attestations: bool | None,
    env: Mapping[str, str], reporter: Reporter, settings: UploadSettings, signer: AttestationSigner | None,
) -> Outcome:  # fmt: skip
    from twine.package import PackageFile

    project = next(iter(infos.values())).name
    base = index_base(repository_url)
    shown_base = redact_url(base)
    # The credentials first: their ::add-mask:: lines go out before anything
    # derived from the files (their names) is printed.
    with web_session() as session:
        creds = credentials(repository_url, project, env, reporter, session, settings)
    for leftover in set_aside:
        reporter.info(
            f"not uploading {neutral(leftover.name)}: it is not a distribution (attestations are made afresh)"
        )
    if attestations is None:
        attestations = creds.trusted and is_pypi(repository_url)
        if attestations and not public_repository(env):
            # PEP 740 attestations are signed keylessly: the repository's name and
            # workflow would go into Sigstore's public transparency log.
            attestations = False
            reporter.notice(
                "Not sending PEP 740 attestations: this repository is not public, and keyless "
                "signing would write its name and workflow to Sigstore's public log. "
                "Pass --attestations to send them anyway.",
                title="No PEP 740 attestations",
            )
    if attestations and not creds.trusted:
        raise UsageError(
            "PEP 740 attestations are accepted only with Trusted Publishing, and an API token is in use.",
            "Publish with Trusted Publishing (id-token: write, no TWINE_PASSWORD), or pass --no-attestations.",
        )
    attestation_files: dict[Path, Path] = {}
    if attestations:
        token = runner_token(env, reporter, "sigstore", does="publishes")
        copies = [f.path for f in files if f.path]
        signed = (signer or sign_attestations)(copies, token or "")
        for copy, text in signed.items():
            # Beside the copy (what is uploaded), and beside the original for the
            # workflow's later steps; written by rename, so a link planted under
            # that name in dist/ is replaced, never followed.
            attestation = copy.with_name(copy.name + ".publish.attestation")
            write_atomic(attestation, text.encode("utf-8"))
            original = originals[copy]
            write_atomic(
                original.with_name(original.name + ".publish.attestation"), text.encode("utf-8")
            )
            attestation_files[copy] = attestation

    outcome = Outcome()
    upload_session = web_session(timeout=settings.timeout, user_agent=USER_AGENT)
    upload_session.auth = (creds.username, creds.password)
    watch = deadline.Watch()
    pending = [f.name for f in files]
    try:
        for subject in files:
            path = subject.path
            assert path is not None
            info = infos[path]
            link = (
                f"https://{'test.' if 'test.pypi.org' in base else ''}pypi.org/project/{project}/{info.version}/#files"
                if is_pypi(repository_url)
                else f"{shown_base}/simple/{canonicalize_name(project)}/"
            )
            name = neutral(path.name)
            if (
                skip_existing
                and remote_sha256(base, project, info.version, path.name, settings.lookup_deadline)
                == subject.sha256
            ):
                outcome.skipped.append(path.name)
                pending.remove(path.name)
                reporter.notice(SKIPPED.format(name=name), title="Already published")
                continue
            package = PackageFile.from_filename(str(path), comment=None)
            if path in attestation_files:
                package.add_attestations([str(attestation_files[path])])
            start = time.perf_counter()
            status = upload_one(
                upload_session,
                repository_url,
                package,
                subject,
                base,
                info.version,
                settings,
                reporter,
                watch,
            )
            seconds = time.perf_counter() - start
            pending.remove(path.name)
            if status == "skipped":
                outcome.skipped.append(path.name)
                reporter.notice(SKIPPED.format(name=name), title="Already published")
            else:
                outcome.uploaded.append(path.name)
                outcome.links[path.name] = link
                reporter.info(f"{name}  {_size(subject.size or 0)}  uploaded in {seconds:.2f} s")
    except (PublishError, CredentialError, NetworkError) as error:
        error.details = _account(outcome, pending) + (
            "\n\n" + error.details if error.details else ""
        )
        error.fix = (
            error.fix + " " if error.fix else ""
        ) + "Re-running the job completes the upload: files already there are skipped."
        raise
    finally:
        upload_session.close()
    return outcome
