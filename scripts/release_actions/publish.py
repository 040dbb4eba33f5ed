"""Upload distributions to a package index: all-or-nothing checks first, then one file at a time.

Before the first byte leaves: every file is a distribution whose metadata
passes ``twine check --strict``'s rules, and, given the hash action's subjects,
every file's sha256 equals its subject (and no subject is missing). Uploads go
through twine's own machinery. A file the index already holds with the same
sha256 is skipped, so a re-run after a partial failure completes; the same
name with other bytes fails loudly. 5xx answers, resets and timeouts are
retried with backoff, then reported with what is and is not on the index.
"""

from __future__ import annotations

import contextlib
import html
import json
import re
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests
from packaging.utils import canonicalize_name

from . import deadline
from .checks import DistInfo
from .errors import CredentialError, NetworkError, PublishError, UsageError
from .files import write_atomic
from .hashing import Subject, hash_files, is_sidecar, match_files
from .oidc import index_base, mint_token, public_repository, redact_url, runner_token
from .reporter import Reporter, Silent
from .retry import GiveUp, Policy, Retries, number, retry_after
from .text import neutral
from .webclient import session as web_session

PYPI_UPLOAD = "https://upload.pypi.org/legacy/"
PYPI_HOSTS = frozenset({"upload.pypi.org", "test.pypi.org"})
USER_AGENT = "release-actions (publish; +https://github.com/release-actions/release-actions)"

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


@dataclass(frozen=True)
class Settings:
    policy: Policy = field(default_factory=lambda: Policy(attempts=4, backoff=1.0, max_wait=300.0))
    timeout: float = 300.0  # per read
    deadline: float = 1800.0  # per upload attempt, start to end
    sleep: Callable[[float], None] = time.sleep

    @property
    def lookup_deadline(self) -> float:
        """A question about one file (what sha256 does the index hold?) is quick or fails."""
        return min(120.0, self.deadline)

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Settings:
        """``RA_PUBLISH_ATTEMPTS``, ``_BACKOFF``, ``_MAX_BACKOFF``, ``_MAX_WAIT``, ``_TIMEOUT``,
        ``_DEADLINE`` (tests retry without waiting; slow indexes get more time)."""
        base = cls()
        return cls(
            policy=Policy.from_env(env, "RA_PUBLISH_", base.policy),
            timeout=number(env, "RA_PUBLISH_TIMEOUT", base.timeout, minimum=0.001),
            deadline=number(env, "RA_PUBLISH_DEADLINE", base.deadline, minimum=0.001),
        )


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
    from .checks import CHECKED_AT_BUILD, check_dists

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
    session: requests.Session, settings: Settings,
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


# -- the index's view of a file -----------------------------------------------------------------------


def remote_sha256(
    base: str, name: str, version: str, filename: str, deadline_s: float = 120.0
) -> str | None:
    """The sha256 the index has for ``filename``: from its JSON API, else its simple index.

    Whatever the index answers (HTML where JSON was asked for, JSON of another
    shape), the answer is "not known", never a crash.
    """
    from .retry import Policy
    from .webclient import WebClient

    # Three attempts, each with a third of the deadline: the whole lookup stays within it.
    web = WebClient(policy=Policy(attempts=3, backoff=0.2, max_wait=10.0), deadline=deadline_s / 3)
    project = canonicalize_name(name)
    with web:
        with contextlib.suppress(NetworkError):
            answer = web.get(f"{base}/pypi/{project}/{version}/json")
            if answer.status == 200:
                found = _json_sha256(answer.body, filename)
                if found is not None:
                    return found
        with contextlib.suppress(NetworkError):
            answer = web.get(f"{base}/simple/{project}/")
            if answer.status == 200:
                page = answer.body.decode("utf-8", "replace")
                match = re.search(re.escape(filename) + r"#sha256=([0-9a-f]{64})", page)
                if match:
                    return match.group(1)
    return None


def _json_sha256(body: bytes, filename: str) -> str | None:
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):  # HTML, nesting too deep, numbers too long
        return None
    urls = document.get("urls") if isinstance(document, dict) else None
    for entry in urls if isinstance(urls, list) else []:
        if isinstance(entry, dict) and entry.get("filename") == filename:
            digests = entry.get("digests")
            digest = digests.get("sha256") if isinstance(digests, dict) else None
            return (
                digest.lower()
                if isinstance(digest, str) and re.fullmatch(r"[0-9a-fA-F]{64}", digest)
                else None
            )
    return None


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
    settings: Settings | None = None,
    signer: AttestationSigner | None = None,
) -> Outcome:
    settings = settings or Settings.from_env(env)
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
    env: Mapping[str, str], reporter: Reporter, settings: Settings, signer: AttestationSigner | None,
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
            status = _upload_one(
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


def _message(response: requests.Response) -> str:
    """What the index said: PyPI puts it in the reason phrase, pypiserver in an HTML page."""
    body = response.text[:4000]
    pre = re.search(r"<pre>(.*?)</pre>", body, re.S)
    if pre:
        body = pre.group(1)
    body = html.unescape(re.sub(r"<[^>]+>", " ", body))
    reason = response.reason or ""
    text = reason if reason and reason in body else f"{reason} {body}"
    return neutral(" ".join(text.split())[:300])


def _form(package: Any) -> list[tuple[str, Any]]:
    """The upload form of a twine PackageFile, as PyPI's legacy API reads it."""
    fields: list[tuple[str, Any]] = []
    for key, value in package.metadata_dictionary().items():
        if key == "project_urls":
            fields += [(key, f"{name}, {url}") for name, url in value.items()]
        elif key == "keywords":
            fields.append((key, ", ".join(value)))
        elif isinstance(value, (list, tuple)) and key != "gpg_signature":
            fields += [(key, item) for item in value]
        elif value is not None:
            fields.append((key, value))
    return [*fields, (":action", "file_upload"), ("protocol_version", "1")]


def _post(session: requests.Session, url: str, package: Any) -> requests.Response:
    from requests_toolbelt import MultipartEncoder  # type: ignore[import-untyped]

    with open(package.filename, "rb") as content:
        encoder = MultipartEncoder(
            [
                *_form(package),
                ("content", (package.basefilename, content, "application/octet-stream")),
            ]
        )
        return session.post(
            url, data=encoder, headers={"Content-Type": encoder.content_type}, allow_redirects=False
        )


def _upload_one(
    session: requests.Session, url: str, package: Any, subject: Subject, base: str, version: str,
    settings: Settings, reporter: Reporter, watch: deadline.Watch,
) -> str:  # fmt: skip
    """'uploaded' or 'skipped' (the index holds these very bytes); raises otherwise."""
    project = package.safe_name
    name = neutral(subject.name)
    retries = Retries(settings.policy, settings.sleep)
    while True:
        asked: float | None = None
        try:
            with deadline.within(settings.deadline, watch):
                response = _post(session, url, package)
        except (requests.ConnectionError, requests.Timeout) as exc:
            reason = (
                f"no answer within {settings.deadline:g} s" if watch.expired else type(exc).__name__
            )
        else:
            status, text = response.status_code, _message(response)
            if status in (200, 201):
                return "uploaded"
            if status == 409 or (status == 400 and "exist" in text.lower()):
                there = remote_sha256(
                    base, project, version, subject.name, settings.lookup_deadline
                )
                if there == subject.sha256:
                    return "skipped"
                if there is None:
                    raise PublishError(
                        f"The index already has a file named {name} and does not say what it holds.",
                        "Check the file on the index by hand; a published file name can never be reused.",
                    )
                raise PublishError(
                    f"The index already has {name} with other content (sha256 {there}, ours {subject.sha256}).",
                    "A published file name can never be reused: bump the version and release again.",
                )
            if status in (401, 403):
                raise CredentialError(
                    f"The index refused the credentials while uploading {name} (HTTP {status}: {text}).",
                    "Check the API token in TWINE_PASSWORD, or the trusted publisher; a minted token lasts 15 minutes.",
                )
            if status < 500 and status != 429:
                raise PublishError(
                    f"The index refused {name}: HTTP {status} {text}.",
                    "Fix what the index names and re-run.",
                )
            # 429 (PyPI rate-limits creating projects) and 5xx: the index says when, or we back off.
            reason = f"HTTP {status} {text}"
            asked = retry_after(response.headers, time.time())
        try:
            delay = retries.next(asked)
        except GiveUp as stop:
            if stop.asked is not None:
                raise NetworkError(
                    f"The index is rate-limiting uploads of {name} for another {stop.asked:.0f} s ({reason}).",
                    "Re-run the job after that time.",
                ) from None
            raise NetworkError(
                f"Uploading {name} failed {retries.made} times: {reason}.",
                "The index is unavailable; re-run the job later.",
            ) from None
        reporter.info(
            f"{name}: {reason}; retrying in {delay:.1f} s ({retries.made - 1}/{settings.policy.attempts})"
        )
        retries.sleep(delay)
