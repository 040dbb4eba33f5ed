"""verify and attest: one bundle vs `sigstore verify github --offline` (goal <= 1.0x), and
attest + verify of 1000 subjects (goal < 1 s each).

Usage: python bench/verify.py
"""

from __future__ import annotations

import hashlib
import tempfile
from pathlib import Path

from _common import ROOT, Figure, compare, load, run, table, tool

BUNDLE = (
    ROOT
    / "tests"
    / "data"
    / "pypi-attestations"
    / "pypi_attestation_models-0.0.4a2.tar.gz.sigstore"
)
DIGEST = "sha256:c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef"
REPO = "trailofbits/pypi-attestation-models"
IDENTITY = f"https://github.com/{REPO}/.github/workflows/release.yml@refs/tags/v0.0.4a2"


def one_bundle() -> list[Figure]:
    ours, sigstore = tool("release-actions"), tool("sigstore")
    print(f"verify one Sigstore bundle offline (GitHub Actions identity, exact ref), {load()}")
    medians = compare(
        {
            "sigstore verify github": lambda: run(
                [
                    sigstore,
                    "verify",
                    "github",
                    "--offline",
                    "--bundle",
                    str(BUNDLE),
                    "--cert-identity",
                    IDENTITY,
                    "--repository",
                    REPO,
                    "--ref",
                    "refs/tags/v0.0.4a2",
                    DIGEST,
                ]
            ),
            "release-actions verify": lambda: run(
                [
                    ours,
                    "verify",
                    DIGEST,
                    "--provenance",
                    str(BUNDLE),
                    "--source-uri",
                    f"github.com/{REPO}",
                    "--source-tag",
                    "v0.0.4a2",
                    "--workflow",
                    "release.yml",
                ]
            ),
        },
        repeat=7,
    )
    return [
        Figure("verify one Sigstore bundle", medians["release-actions verify"], 1.0,
               theirs=medians["sigstore verify github"], peer="sigstore verify github --offline")
    ]  # fmt: skip


def thousand_subjects() -> list[Figure]:
    ours = tool("release-actions")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        lines, digests = [], []
        for i in range(1000):
            digest = hashlib.sha256(str(i).encode()).hexdigest()
            lines.append(f"{digest}  demo-{i}.0-py3-none-any.whl\n")
            digests.append(f"sha256:{digest}")
        (work / "SHA256SUMS").write_text("".join(lines))
        run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", str(work / "k.pem")])
        run(["openssl", "pkey", "-in", str(work / "k.pem"), "-pubout", "-out", str(work / "k.pub")])
        prov = work / "multiple.intoto.jsonl"
        print(f"attest and verify 1000 subjects (key signer), {load()}")
        medians = compare(
            {
                "attest": lambda: run(
                    [
                        ours,
                        "attest",
                        "--subjects",
                        str(work / "SHA256SUMS"),
                        "--signer",
                        "key",
                        "--key",
                        str(work / "k.pem"),
                        "--tag",
                        "v1.0",
                        "--output",
                        str(prov),
                    ],
                    cwd=work,
                ),
                "verify": lambda: run(
                    [
                        ours,
                        "verify",
                        *digests,
                        "--provenance",
                        str(prov),
                        "--key",
                        str(work / "k.pub"),
                    ]
                ),
            },
            repeat=5,
        )
    return [
        Figure("attest 1000 subjects (key)", medians["attest"], 1.0),
        Figure("verify 1000 key-signed digests", medians["verify"], 1.0),
    ]


def measure() -> list[Figure]:
    return one_bundle() + thousand_subjects()


if __name__ == "__main__":
    print(table(measure()))
