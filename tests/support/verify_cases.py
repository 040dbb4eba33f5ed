"""The verify compatibility table: other projects' test vectors, the outcome their own tests
expect, and ours. ``tests/unit/test_verify_compat.py`` runs every row; docs/verify-compatibility.md
is rendered from it (``python tests/support/verify_cases.py`` rewrites it).

Outcomes: verified (exit 0), failed (1), unsupported (2), incomplete (3). "incomplete" and
"unsupported" are refusals, never a pass: the rows say why.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

# Run as a script too (it rewrites the document), so it finds its paths itself.
DATA = Path(__file__).resolve().parents[1] / "data"
SV = DATA / "slsa-verifier"
PA = DATA / "pypi-attestations"
SP = DATA / "sigstore-python"
DOC = Path(__file__).resolve().parents[2] / "docs" / "verify-compatibility.md"

EXAMPLE = "github.com/slsa-framework/example-package"
GENERATOR = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/"
BUILDERS = {
    "gha_generic": GENERATOR + "generator_generic_slsa3.yml",
    "gha_go": GENERATOR + "builder_go_slsa3.yml",
}
_DIGESTS: dict[str, str] = json.loads((SV / "artifacts.sha256.json").read_text())
OTHER = "sha256:" + hashlib.sha256(b"bytes no provenance here describes").hexdigest()

# Why an outcome differs from the peer's PASS.
OFFLINE_LOG = "no log entry embedded: only an online Rekor lookup can prove the signing time"
OFFLINE_CERT = "the certificate is only in Rekor (pre-v1.2 generator)"
INTOTO_ENTRY = "Rekor entry of kind intoto: the sigstore library cannot verify it"
STAGING = "signed by Sigstore's staging instance; we trust the public-good root"
# slsa-verifier passes these only with SLSA_VERIFIER_TESTING=1: their builder ran from a branch.
TESTING_ONLY = "PASS only in testing mode (builder at a branch)"


@dataclass(frozen=True)
class Case:
    family: str  # builder family or test-asset source
    version: str
    provenance: Path
    artifacts: tuple[str, ...]  # paths (relative to tests/data) or sha256:<hex>
    options: tuple[str, ...]
    peer: str  # what the peer project's own tests expect
    outcome: str  # ours
    message: str = ""  # a fragment our output must contain
    why: str = ""

    @property
    def id(self) -> str:
        opts = " ".join(self.options).replace(GENERATOR, "…/")
        return f"{self.family}/{self.version}/{self.provenance.name} {opts}".strip()


def _digest(relative: str) -> str:
    return "sha256:" + _DIGESTS[relative]


def _generator_rows() -> list[Case]:
    """slsa-verifier's Test_runVerifyGHAArtifactPath, for every vendored generic and Go builder version."""
    rows = []
    for family, builder in BUILDERS.items():
        for folder in sorted((SV / family).iterdir()):
            version = folder.name
            bundle = version >= "v2.1.0"
            log_only = family == "gha_go" and version < "v1.2.0"
            good, why = (
                ("verified", "")
                if bundle
                else ("incomplete", OFFLINE_CERT if log_only else OFFLINE_LOG)
            )
            # Claims are judged only when the payload's signature held (not for log-only envelopes).
            bad = "incomplete" if log_only else "failed"

            def row(
                stem: str,
                options: tuple[str, ...],
                peer: str,
                outcome: str,
                message: str = "",
                *,
                artifact: str = "",
                source: str = EXAMPLE,
                family: str = family,
                version: str = version,
                folder: Path = folder,
                good: str = good,
                why: str = why,
            ) -> Case:  # fmt: skip
                return Case(
                    family, version, folder / f"{stem}.intoto.jsonl",
                    (artifact or _digest(f"{family}/{version}/{stem}"),),
                    ("--source-uri", source, *options), peer, outcome,
                    message if outcome == "failed" else "", why if outcome == good else "",
                )  # fmt: skip

            wd, v13, v14, v142 = (
                "binary-linux-amd64-workflow_dispatch",
                "binary-linux-amd64-push-v13.0.30",
                "binary-linux-amd64-push-v14",
                "binary-linux-amd64-push-v14.2",
            )
            rows += [
                row(wd, (), "PASS", good),
                row(wd, ("--source-branch", "main"), "PASS", good),
                row(wd, ("--builder-id", builder), "PASS", good),
                row(
                    wd,
                    ("--source-branch", "master"),
                    "FAIL mismatched branch",
                    bad,
                    "expected branch master",
                ),
                row(
                    wd,
                    (),
                    "FAIL mismatched source",
                    bad,
                    "expected github.com/slsa-framework/example-packagea",
                    source=EXAMPLE + "A",
                ),
                row(
                    wd,
                    (),
                    "FAIL mismatched source",
                    bad,
                    "expected github.com/slsa-framework/example-pack",
                    source="github.com/slsa-framework/example-pack",
                ),
                row(
                    wd, ("--source-tag", "v1.2.3"), "FAIL invalid ref", bad, "not built from a tag"
                ),
                row(
                    wd,
                    ("--source-versioned-tag", "v1"),
                    "FAIL invalid ref",
                    bad,
                    "not built from a tag",
                ),
                row(
                    wd,
                    ("--builder-id", GENERATOR + "not-trusted.yml"),
                    "FAIL untrusted builder",
                    bad,
                    "expected " + GENERATOR + "not-trusted.yml",
                ),
                row(v13, ("--source-tag", "v13.0.30"), "PASS", good),
                row(
                    v13,
                    ("--source-tag", "v13.0.29"),
                    "FAIL mismatched tag",
                    bad,
                    "expected tag v13.0.29",
                ),
                row(
                    v13, ("--source-tag", "v13.0"), "FAIL mismatched tag", bad, "expected tag v13.0"
                ),
                row(v13, ("--source-versioned-tag", "v13"), "PASS", good),
                row(v13, ("--source-versioned-tag", "v13.0"), "PASS", good),
                row(v13, ("--source-versioned-tag", "v13.0.30"), "PASS", good),
                row(
                    v13,
                    ("--source-versioned-tag", "v13.1"),
                    "FAIL mismatched versioned tag",
                    bad,
                    "not version v13.1",
                ),
                row(
                    v13,
                    ("--source-versioned-tag", "v12.9"),
                    "FAIL mismatched versioned tag",
                    bad,
                    "not version v12.9",
                ),
                row(
                    v13,
                    ("--source-versioned-tag", "v13.0.31"),
                    "FAIL mismatched versioned tag",
                    bad,
                    "not version v13.0.31",
                ),
                row(v14, ("--source-versioned-tag", "v14.0"), "PASS", good),
                row(
                    v14,
                    ("--source-versioned-tag", "v14.1"),
                    "FAIL mismatched versioned tag",
                    bad,
                    "not version v14.1",
                ),
                row(v142, ("--source-tag", "v14.2"), "PASS", good),
                row(
                    v142,
                    ("--source-tag", "v14.1"),
                    "FAIL mismatched tag",
                    bad,
                    "expected tag v14.1",
                ),
                row(v142, ("--source-versioned-tag", "v14"), "PASS", good),
                row(
                    v142,
                    ("--source-versioned-tag", "v14.2.1"),
                    "FAIL mismatched versioned tag",
                    bad,
                    "not version v14.2.1",
                ),
                row(
                    v142,
                    (),
                    "FAIL mismatched digest",
                    bad,
                    "no verified subject matches",
                    artifact=OTHER,
                ),
            ]
            if version > "v1.0.0":
                rows += [
                    row(v142, ("--builder-id", f"{builder}@{version}"), "PASS", good),
                    row(v142, ("--builder-id", f"{builder}@refs/tags/{version}"), "PASS", good),
                    row(
                        v142,
                        ("--builder-id", f"{builder}@v0.0.1"),
                        "FAIL mismatched builder",
                        bad,
                        f"expected {builder}@v0.0.1",
                    ),
                ]
    return rows


def _special_rows() -> list[Case]:
    first, second = (
        "slsa-verifier/binary-linux-amd64-multi-subject-first",
        "slsa-verifier/binary-linux-amd64-multi-subject-second",
    )
    multi = SV / "binary-linux-amd64-multi-subject-first.intoto.jsonl"
    src = ("--source-uri", EXAMPLE)
    generic = BUILDERS["gha_generic"]
    return [
        Case("special", "-", multi, (first,), src, TESTING_ONLY, "failed", "untrusted builder"),
        Case(
            "special",
            "-",
            multi,
            (first,),
            (*src, "--builder-id", generic),
            "PASS",
            "incomplete",
            why=OFFLINE_LOG,
        ),
        Case(
            "special",
            "-",
            SV / "binary-linux-amd64-multi-subject-second.intoto.jsonl",
            (second,),
            (*src, "--builder-id", generic),
            "PASS",
            "incomplete",
            why=OFFLINE_LOG,
        ),
        Case(
            "special",
            "-",
            multi,
            (first, second),
            (*src, "--builder-id", generic),
            "PASS",
            "incomplete",
            why=OFFLINE_LOG,
        ),
        Case(
            "special",
            "-",
            multi,
            (first, OTHER),
            (*src, "--builder-id", generic),
            "FAIL mismatched digest",
            "failed",
            "no verified subject matches",
        ),
        Case(
            "special",
            "-",
            SV / "binary-linux-amd64-e2e-builder-repo.intoto.jsonl",
            (_digest("binary-linux-amd64-e2e-builder-repo"),),
            (*src, "--source-branch", "main", "--builder-id", BUILDERS["gha_go"]),
            "PASS",
            "incomplete",
            why=OFFLINE_LOG,
        ),
        Case(
            "special",
            "-",
            SV / "binary-linux-amd64-e2e-builder-repo.intoto.jsonl",
            (OTHER,),
            (*src, "--source-branch", "main"),
            "(needs --builder-id)",
            "failed",
            "untrusted builder",
            why="a builder at a branch is trusted only when named by --builder-id",
        ),
        Case(
            "special",
            "-",
            SV / "binary-linux-amd64-no-tlog-upload.intoto.jsonl",
            (_digest("binary-linux-amd64-no-tlog-upload"),),
            ("--source-uri", "github.com/asraa/slsa-on-github-test"),
            "FAIL no Rekor entry",
            "failed",
            "untrusted builder",
        ),
        Case(
            "special",
            "-",
            SV / "binary-linux-amd64-untrusted-builder.intoto.jsonl",
            (_digest("binary-linux-amd64-untrusted-builder"),),
            ("--source-uri", "github.com/asraa/slsa-on-github-test"),
            "FAIL untrusted builder",
            "failed",
            "untrusted builder",
        ),
        Case(
            "special",
            "-",
            SV / "binary-linux-amd64-expired-cert.intoto.jsonl",
            (_digest("binary-linux-amd64-expired-cert"),),
            ("--source-uri", "github.com/asraa/slsa-on-github-test"),
            "FAIL expired certificate",
            "failed",
            "untrusted builder",
            why="fails on its fork builder; its expiry needs Rekor's time",
        ),
        Case(
            "special",
            "-",
            SV / "annotated-tag.intoto.jsonl",
            ("slsa-verifier/annotated-tag",),
            (
                "--source-uri",
                "github.com/asraa/slsa-on-github-test",
                "--source-versioned-tag",
                "v1.5.0",
            ),
            "PASS",
            "incomplete",
            why=OFFLINE_LOG,
        ),
        *[
            Case(
                family,
                "v2.1.0",
                next((SV / family / "v2.1.0").iterdir()),
                (OTHER,),
                src,
                "PASS",
                "unsupported",
                why=INTOTO_ENTRY,
            )
            for family in ("gha_delegator", "gha_maven", "gha_gradle", "gha_container-based")
        ],
        Case(
            "npm",
            "-",
            SV / "npm/gha/gundam-visor-cli-v1-tag.tgz.json",
            (OTHER,),
            src,
            "PASS (npm verifier)",
            "unsupported",
            why="npm provenance: use npm audit signatures",
        ),
    ]


def _pep740_rows() -> list[Case]:
    pa_repo = ("--source-uri", "github.com/trailofbits/pypi-attestations")
    models = ("--source-uri", "github.com/trailofbits/pypi-attestation-models")
    rfc = ("--source-uri", "github.com/trailofbits/rfc8785.py")
    sdist = "pypi-attestations/pypi_attestations-0.0.19.tar.gz"
    return [
        Case(
            "pypi-attestations",
            "0.0.19",
            PA / "pypi_attestations-0.0.19.tar.gz.publish.attestation",
            (sdist,),
            (*pa_repo, "--workflow", "release.yml", "--source-tag", "v0.0.19"),
            "PASS",
            "verified",
        ),
        Case(
            "pypi-attestations",
            "0.0.19",
            PA / "pypi_attestations-0.0.19.tar.gz.publish.attestation",
            (sdist,),
            (*pa_repo, "--workflow", "wrong.yml"),
            "FAIL workflow",
            "failed",
            "expected wrong.yml",
        ),
        Case(
            "pypi-attestations",
            "0.0.19",
            PA / "pypi_attestations-0.0.19.tar.gz.publish.attestation",
            ("pypi-attestations/rfc8785-0.1.2-py3-none-any.whl",),
            pa_repo,
            "FAIL digest",
            "failed",
            "no verified subject matches",
        ),
        Case(
            "pypi-attestations",
            "0.0.19",
            PA / "pypi_attestations-0.0.19.tar.gz.slsa.attestation",
            (sdist,),
            (*pa_repo, "--workflow", "release.yml"),
            "PASS",
            "verified",
        ),
        Case(
            "pypi-attestations",
            "0.0.19",
            PA / "pypi_attestations-0.0.19.tar.gz.provenance",
            (sdist,),
            (*pa_repo, "--workflow", "release.yml"),
            "PASS",
            "verified",
        ),
        Case(
            "pypi-attestations",
            "0.1.2",
            PA / "rfc8785-0.1.2-py3-none-any.whl.publish.attestation",
            ("pypi-attestations/rfc8785-0.1.2-py3-none-any.whl",),
            rfc,
            "PASS (staging)",
            "unsupported",
            why=STAGING,
        ),
        Case(
            "pypi-attestations",
            "0.1.2",
            PA / "rfc8785-0.1.2-py3-none-any.whl.sigstore",
            ("pypi-attestations/rfc8785-0.1.2-py3-none-any.whl",),
            rfc,
            "PASS (staging)",
            "unsupported",
            why=STAGING,
        ),
        Case(
            "pypi-attestations",
            "0.0.4a2",
            PA / "pypi_attestation_models-0.0.4a2.tar.gz.sigstore",
            ("pypi-attestations/pypi_attestation_models-0.0.4a2.tar.gz",),
            (*models, "--workflow", "release.yml", "--source-tag", "v0.0.4a2"),
            "PASS",
            "verified",
        ),
        Case(
            "pypi-attestations",
            "GitLab",
            PA / "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
            ("pypi-attestations/gitlab_oidc_project-0.0.3.tar.gz",),
            ("--source-uri", "gitlab.com/facutuesca/gitlab-oidc-project"),
            "PASS",
            "verified",
        ),
        Case(
            "pypi-attestations",
            "GitLab",
            PA / "gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
            ("pypi-attestations/gitlab_oidc_project-0.0.3.tar.gz",),
            ("--source-uri", "github.com/facutuesca/gitlab-oidc-project"),
            "FAIL identity",
            "failed",
            "expected github.com/facutuesca/gitlab-oidc-project",
        ),
        Case(
            "sigstore-python",
            "staging",
            SP / "a.dsse.staging-rekor-v2.txt.sigstore.json",
            ("sigstore-python/a.dsse.staging-rekor-v2.txt",),
            ("--source-uri", "github.com/sigstore/sigstore-python"),
            "PASS (staging trust root)",
            "unsupported",
            why="signed by another Sigstore instance",
        ),
        Case(
            "sigstore-python",
            "v0.2",
            SP / "bundle_v3_github.whl.sigstore",
            (OTHER,),
            ("--source-uri", "github.com/sigstore/sigstore-python"),
            "PASS (message signature)",
            "unsupported",
            why="signs a file, not provenance: sigstore verify",
        ),
    ]


def cases() -> list[Case]:
    return _generator_rows() + _special_rows() + _pep740_rows()


def render() -> str:
    lines = [
        "# verify: compatibility with other tools' provenance",
        "",
        "Generated by `python tests/support/verify_cases.py` from the table `tests/unit/test_verify_compat.py` runs,",
        'on test vectors vendored in `tests/data/` (sources in its README). "peer" is what the',
        'project that made the vectors expects in its own tests; "ours" is what `release-actions verify`',
        "answers offline. Outcomes and exit codes: **verified** 0, **failed** 1, **unsupported** 2,",
        "**incomplete** 3. Only *verified* is a pass; *incomplete* means every check that could be",
        "made passed but one that decides (the transparency log) needs Rekor online, and *unsupported*",
        "names a format or signer this verifier cannot judge. No row is a false pass.",
        "",
        "| family | version | provenance | options | peer | ours | why |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for case in cases():
        options = " ".join(
            f"`{o}`" if o.startswith("--") else o.replace(GENERATOR, "…/") for o in case.options
        )
        lines.append(
            f"| {case.family} | {case.version} | {case.provenance.name} | {options} | {case.peer} | "
            f"**{case.outcome}** | {case.why} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    DOC.write_text(render())
    print(f"wrote {DOC} ({len(cases())} rows)")
