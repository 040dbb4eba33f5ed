"""The integrity gate for the files that travel beside distributions on a release page.

``match_files`` checks distributions against the hash action's subjects. A file
named like an attestation (``X.sigstore.json``, ``X.sigstore``,
``X.publish.attestation``) or like the subjects file (``SHA256SUMS``) would
otherwise pass unchecked, and a reader trusts exactly these names: each is
attached only when it is what its name claims.

- ``SHA256SUMS``: lists exactly the subjects;
- an attestation of ``X``: ``X`` is a subject, and the attestation verifies,
  signed by a workflow of this repository, for ``X``'s digest.

Provenance (``*.intoto.jsonl``) is checked by the ``verify`` step before the
release page, with the key or identity only that step is given.
"""

from __future__ import annotations

from collections.abc import Sequence

from .errors import SubjectsError
from .hashing import SIDECAR_NAMES, Subject, parse_subjects
from .text import neutral

ATTESTATION_SUFFIXES = (".sigstore.json", ".sigstore", ".publish.attestation")


def check_sidecars(
    files: Sequence[Subject],
    subjects: Sequence[Subject],
    repository: str | None,
    host: str = "github.com",
) -> None:
    """Raise unless every sidecar-named file among ``files`` is what its name says
    (an attestation: signed for ``repository`` on ``host``, GitHub's or an Enterprise one)."""
    wanted = {s.name: s.sha256 for s in subjects}
    for f in files:
        if f.name in SIDECAR_NAMES:
            _check_sums(f, wanted)
            continue
        suffix = next((s for s in ATTESTATION_SUFFIXES if f.name.endswith(s)), None)
        if suffix is not None:
            source = f"{host}/{repository}" if repository else None
            _check_attestation(f, f.name.removesuffix(suffix), wanted, source)


def _refuse(name: str, why: str) -> SubjectsError:
    return SubjectsError(
        f"'{neutral(name)}' is not attached: {why}.",
        "Attach only the files the release workflow made (distributions, SHA256SUMS, provenance "
        "and attestations of those distributions); remove any other file from the list.",
    )


def _check_sums(f: Subject, wanted: dict[str, str]) -> None:
    assert f.path is not None
    try:
        listed = parse_subjects(f.path.read_text(encoding="utf-8"), f.name)
    except (OSError, UnicodeDecodeError, SubjectsError):
        raise _refuse(f.name, "it is not a list of sha256 sums") from None
    if {s.name: s.sha256 for s in listed} != wanted:
        raise _refuse(f.name, "it does not list exactly the hashed subjects")


def _check_attestation(f: Subject, target: str, wanted: dict[str, str], source: str | None) -> None:
    from .errors import ReleaseError
    from .verify import Artifact, Expectations, verify

    assert f.path is not None
    digest = wanted.get(target)
    if digest is None:
        raise _refuse(f.name, f"'{neutral(target)}' is not among the hashed subjects")
    if source is None:
        raise _refuse(f.name, "no repository is known to check who signed it (pass --repo)")
    try:
        report = verify(
            [Artifact(target, digest)],
            f.path.read_bytes(),
            f.name,
            Expectations(source_uri=source),
        )
    except (OSError, ReleaseError):
        raise _refuse(f.name, "it is not an attestation that can be verified") from None
    if not report.ok:
        detail = f" ({neutral(report.findings())})"
        raise _refuse(f.name, f"it does not verify as an attestation of {neutral(target)}{detail}")
