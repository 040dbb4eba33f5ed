"""A release's assets: what to upload, replace or keep, and the uploads themselves.

An asset is kept when one of that name has the same size and sha256 (GitHub's
``digest``, or the downloaded bytes for an asset older than digests), replaced
only with ``overwrite``, and uploaded otherwise. Uploads run in parallel, one
PyGithub client per worker, and a failed one is retried after looking at what
it left behind (see ``Uploader.upload``).
"""

from __future__ import annotations

import hashlib
import mimetypes
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests
from github import GithubException
from github.GitRelease import GitRelease
from github.GitReleaseAsset import GitReleaseAsset

from ..errors import ReleaseError, ReleasePageError
from ..github import Client, describe, is_code, rate_limit_wait, transient, wrap
from ..hashing import Subject
from ..reporter import Reporter
from ..retry import GiveUp, Retries
from .model import AssetOutcome


def content_type(name: str) -> str:
    if name.endswith(".whl"):
        return "application/zip"
    if name.endswith((".jsonl", ".attestation", ".sigstore", ".sigstore.json")):
        return "application/json"
    if name in ("SHA256SUMS", "SHA256SUMS.txt"):
        return "text/plain"
    guessed, encoding = mimetypes.guess_type(name)
    if encoding == "gzip":
        return "application/gzip"
    return guessed or "application/octet-stream"


def _asset_sha256(asset: GitReleaseAsset) -> str:
    digest = asset.digest
    if digest and digest.startswith("sha256:"):
        return digest.removeprefix("sha256:").lower()
    # Assets uploaded before GitHub recorded digests: hash the bytes.
    h = hashlib.sha256()
    _, _, chunks = asset.download_asset(chunk_size=1 << 20)
    for chunk in chunks:
        h.update(chunk)
    return h.hexdigest()


def same_content(asset: GitReleaseAsset, subject: Subject) -> bool:
    if asset.state != "uploaded" or asset.size != subject.size:
        return False
    return _asset_sha256(asset) == subject.sha256


@dataclass(frozen=True)
class Plan:
    """What a release's assets need, read before any write to it."""

    release_id: int
    upload: list[Subject]
    replace: list[tuple[Subject, GitReleaseAsset]]
    unchanged: list[str]

    def check_open(self, release: GitRelease) -> None:
        """A published immutable release takes no asset: fail before trying to add one."""
        if not release.draft and release.immutable and (self.upload or self.replace):
            raise immutable_error([s.name for s in self.upload] + [s.name for s, _ in self.replace])


def plan_assets(release: GitRelease, files: Sequence[Subject], overwrite: bool) -> Plan:
    """The plan for ``files`` on ``release``; a different asset without overwrite fails."""
    by_name = {a.name: a for a in release.get_assets()}
    upload: list[Subject] = []
    replace: list[tuple[Subject, GitReleaseAsset]] = []
    same: list[str] = []
    conflicts: list[str] = []
    for subject in files:
        asset = by_name.get(subject.name)
        if asset is None or asset.state != "uploaded":
            upload.append(subject)  # a leftover 'starter' asset is cleaned up by the upload
        elif same_content(asset, subject):
            same.append(subject.name)
        elif overwrite:
            replace.append((subject, asset))
        else:
            conflicts.append(subject.name)
    if conflicts:
        raise ReleasePageError(
            f"The release already has {_names(conflicts)} with different content.",
            "Releases must not change silently: check why the file differs, then re-run with "
            "--overwrite (overwrite: true) to replace it.",
        )
    return Plan(release.id, upload, replace, same)


def upload_all(
    client: Client, plan: Plan, overwrite: bool, reporter: Reporter
) -> dict[str, AssetOutcome]:
    """Carry out ``plan``: every upload and replacement, in parallel; the outcome per name."""
    outcome: dict[str, AssetOutcome] = dict.fromkeys(plan.unchanged, "unchanged")
    jobs: list[tuple[Subject, GitReleaseAsset | None]] = [(s, None) for s in plan.upload]
    jobs += [(s, a) for s, a in plan.replace]
    if not jobs:
        return outcome
    uploader = Uploader(client, plan.release_id, overwrite, reporter)
    workers = max(1, min(client.settings.upload_workers, len(jobs)))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = {s.name: pool.submit(uploader.upload, s, a) for s, a in jobs}
        errors: list[ReleaseError] = []
        for name, future in futures.items():
            try:
                outcome[name] = future.result()
                reporter.info(f"{outcome[name]}: {name}")
            except ReleaseError as error:
                errors.append(error)
    if errors:
        raise errors[0]
    return outcome


def _names(names: Sequence[str]) -> str:
    quoted = [f"'{n}'" for n in names]
    if len(quoted) == 1:
        return f"an asset {quoted[0]}"
    return "assets " + ", ".join(quoted[:-1]) + " and " + quoted[-1]


def immutable_error(names: Sequence[str]) -> ReleasePageError:
    return ReleasePageError(
        f"The release is published and immutable, so {_names(names)} can no longer be added or changed.",
        "Immutable releases lock their assets when published: publish a new version, or delete this "
        "release (the tag stays reserved) and release again as a draft first.",
    )


def _is_immutable_refusal(exc: GithubException) -> bool:
    data = exc.data if isinstance(exc.data, dict) else {}
    return exc.status == 422 and "immutable" in str(data.get("message", "")).lower()


class Uploader:
    """Uploads one file at a time to one release; safe to share between worker threads."""

    def __init__(
        self, client: Client, release_id: int, overwrite: bool, reporter: Reporter
    ) -> None:
        self.client = client
        self.release_id = release_id
        self.overwrite = overwrite
        self.reporter = reporter

    def _find(self, release: GitRelease, name: str) -> GitReleaseAsset | None:
        return next((a for a in release.get_assets() if a.name == name), None)

    def upload(self, subject: Subject, replacing: GitReleaseAsset | None = None) -> AssetOutcome:
        settings = self.client.settings
        repo_name = self.client.target.repo
        assert subject.path is not None
        try:
            release = self.client.release(self.release_id)
            if replacing is not None:
                self._delete(release, subject.name)
        except (GithubException, requests.RequestException) as exc:
            raise wrap(exc, f"preparing the upload of '{subject.name}'", repo_name) from None
        failed_before = False
        retries = Retries(settings.policy)
        while True:
            try:
                release.upload_asset(
                    str(subject.path), content_type=content_type(subject.name), name=subject.name
                )
                return "replaced" if replacing is not None else "uploaded"
            except (GithubException, requests.RequestException, ConnectionError) as exc:
                if self._after_failure(release, subject, exc, failed_before):
                    return "unchanged"  # another run (or the failed attempt) uploaded it
                failed_before = True
                try:
                    pause = retries.next(rate_limit_wait(exc))
                except GiveUp:
                    raise wrap(exc, f"uploading '{subject.name}'", repo_name) from None
                self.reporter.info(
                    f"upload of {subject.name} failed ({describe(exc)}); retry {retries.made - 1} "
                    f"of {settings.policy.attempts - 1} in {pause:.1f} s"
                )
                retries.sleep(pause)

    def _delete(self, release: GitRelease, name: str) -> None:
        asset = self._find(release, name)
        if asset is not None:
            try:
                asset.delete_asset()
            except GithubException as exc:
                if exc.status != 404:  # already gone is what we wanted
                    raise

    def _after_failure(
        self, release: GitRelease, subject: Subject, exc: BaseException, failed_before: bool
    ) -> bool:
        """Look at what a failed upload left; True when the asset is there after all."""
        repo_name = self.client.target.repo
        conflict = (
            isinstance(exc, GithubException)
            and exc.status == 422
            and is_code(exc, "already_exists")
        )
        immutable = isinstance(exc, GithubException) and _is_immutable_refusal(exc)
        if not (conflict or immutable or transient(exc, self.client.settings.policy)):
            raise wrap(exc, f"uploading '{subject.name}'", repo_name) from None
        try:
            existing = self._find(release, subject.name)
            if existing is not None and existing.state == "uploaded":
                if same_content(existing, subject):
                    return True
                if immutable:
                    raise immutable_error([subject.name])
                if not self.overwrite:
                    raise ReleasePageError(
                        f"'{subject.name}' appeared on the release with different content while this run was uploading it.",
                        "Another run released a different file under this name; find out which one is right, "
                        "then re-run with --overwrite (overwrite: true) if it is this one.",
                    )
                existing.delete_asset()
            elif existing is not None:
                # A 'starter' asset: the remains of a failed upload (GitHub's advice: delete, retry).
                # Another run may be mid-upload; give it one backoff before taking over.
                if conflict and not failed_before:
                    return False
                existing.delete_asset()
            elif immutable:
                raise immutable_error([subject.name])
        except (GithubException, requests.RequestException) as inner:
            raise wrap(inner, f"checking the upload of '{subject.name}'", repo_name) from None
        return False
