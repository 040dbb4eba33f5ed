"""verify against forged and crafted provenance: each false-PASS class of the verify issue, and
hostile text that must never reach a runner's log as a workflow command.

Sigstore-signed cases use a fake Fulcio whose root stands in for Sigstore's: it signs
certificates no real Fulcio would issue, such as one whose payload lies about its run."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ed25519

from release_actions import signing
from release_actions.provenance import BUILD_TYPE
from release_actions.verify import signatures
from support.cli import run_cli
from support.fake_fulcio import FakeFulcio
from support.paths import DATA

REPO = "octo/demo"
SOURCE = f"github.com/{REPO}"
WORKFLOW = f"https://github.com/{REPO}/.github/workflows/release.yml"
ARTIFACT = b"the release's wheel\n"
DIGEST = hashlib.sha256(ARTIFACT).hexdigest()
PYPI = DATA / "pypi-attestations"


def statement(ref: str, *, workflow: str = ".github/workflows/release.yml", name: str = "demo-1.0.0-py3-none-any.whl",
              builder: str = "https://github.com/actions/runner/github-hosted") -> dict:  # fmt: skip
    return {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": name, "digest": {"sha256": DIGEST}}],
        "predicateType": "https://slsa.dev/provenance/v1",
        "predicate": {
            "buildDefinition": {
                "buildType": BUILD_TYPE,
                "externalParameters": {
                    "workflow": {
                        "ref": ref,
                        "repository": f"https://github.com/{REPO}",
                        "path": workflow,
                    }
                },
            },
            "runDetails": {"builder": {"id": builder}},
        },
    }


def claims_of_run(ref: str, config_ref: str | None = None) -> dict[str, str]:
    """What Fulcio writes for a run of release.yml on ``ref``."""
    return {
        "signer": f"{WORKFLOW}@{config_ref or ref}",
        "config": f"{WORKFLOW}@{config_ref or ref}",
        "source": f"https://github.com/{REPO}",
        "ref": ref,
        "sha": "a" * 40,
        "runner": "github-hosted",
    }


@pytest.fixture
def fulcio(monkeypatch: pytest.MonkeyPatch) -> FakeFulcio:
    fake = FakeFulcio()
    monkeypatch.setattr(signatures, "fulcio_roots", lambda: [fake.root])
    return fake


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "demo-1.0.0-py3-none-any.whl").write_bytes(ARTIFACT)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def verify(
    work: Path, line: str, *options: str, capsys, artifact: str = "demo-1.0.0-py3-none-any.whl"
):
    (work / "p.jsonl").write_text(line + "\n")
    return run_cli(["verify", artifact, "--provenance", "p.jsonl", *options], capsys, work)


# -- 1. refs and workflows come from the certificate ----------------------------------------------


def test_an_honest_run_is_incomplete_offline_but_otherwise_clean(work, fulcio, capsys) -> None:
    """The control case: every check passes but the log, so the attacks below fail for their lie alone."""
    line = fulcio.envelope(
        statement("refs/tags/v1.0.0"),
        WORKFLOW + "@refs/tags/v1.0.0",
        claims_of_run("refs/tags/v1.0.0"),
    )
    result = verify(
        work,
        line,
        "--source-uri",
        SOURCE,
        "--source-tag",
        "v1.0.0",
        "--workflow",
        "release.yml",
        capsys=capsys,
    )
    assert result.code == 3, result.text
    assert "✗" not in result.out


def test_a_payload_claiming_a_tag_signed_on_a_branch_fails(work, fulcio, capsys) -> None:
    line = fulcio.envelope(statement("refs/tags/v1.0.0"), WORKFLOW + "@refs/heads/evil-branch",
                           claims_of_run("refs/heads/evil-branch"))  # fmt: skip
    result = verify(work, line, "--source-uri", SOURCE, "--source-tag", "v1.0.0", capsys=capsys)
    assert result.code == 1, result.text
    assert (
        "signer identity: not built from a tag (ref refs/heads/evil-branch), expected tag v1.0.0"
        in result.out
    )
    assert (
        "the provenance claims ref refs/tags/v1.0.0 but was signed by a run on refs/heads/evil-branch"
        in result.out
    )


def test_a_workflow_from_another_ref_fails(work, fulcio, capsys) -> None:
    """The tag is right, but the workflow file that ran came from a branch: PyPI refuses that too."""
    line = fulcio.envelope(statement("refs/tags/v1.0.0"), WORKFLOW + "@refs/heads/evil-branch",
                           claims_of_run("refs/tags/v1.0.0", config_ref="refs/heads/evil-branch"))  # fmt: skip
    result = verify(
        work,
        line,
        "--source-uri",
        SOURCE,
        "--source-tag",
        "v1.0.0",
        "--workflow",
        "release.yml",
        capsys=capsys,
    )
    assert result.code == 1, result.text
    assert "ran from another ref than the source (refs/tags/v1.0.0)" in result.out


@pytest.mark.parametrize(
    ("wanted", "verdict"),
    [("release.yml", None), (".github/workflows/release.yml", None), ("release.yml@refs/tags/v1.0.0", None),
     ("evil.yml", "expected evil.yml"), ("release.yml@refs/heads/main", "expected release.yml@refs/heads/main"),
     ("other/.github/workflows/release.yml", "expected other/.github/workflows/release.yml")],
)  # fmt: skip
def test_workflow_is_compared_with_the_build_config_uri(
    work, fulcio, capsys, wanted, verdict
) -> None:
    line = fulcio.envelope(
        statement("refs/tags/v1.0.0"),
        WORKFLOW + "@refs/tags/v1.0.0",
        claims_of_run("refs/tags/v1.0.0"),
    )
    result = verify(work, line, "--source-uri", SOURCE, "--workflow", wanted, capsys=capsys)
    if verdict is None:
        assert result.code == 3, result.text  # incomplete: the log, nothing else
    else:
        assert result.code == 1, result.text
        assert verdict in result.out


def test_a_fork_of_the_generator_is_not_a_trusted_builder(work, fulcio, capsys) -> None:
    fork = "https://github.com/evil/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v2.1.0"
    claims = {**claims_of_run("refs/tags/v1.0.0"), "signer": fork}
    line = fulcio.envelope(statement("refs/tags/v1.0.0", builder=fork), fork, claims)
    result = verify(work, line, "--source-uri", SOURCE, capsys=capsys)
    assert result.code == 1, result.text
    assert f"untrusted builder: signed by {fork}" in result.out
    # Named by the user, the same builder is trusted (and the log still cannot be checked offline).
    result = verify(
        work,
        line,
        "--source-uri",
        SOURCE,
        "--builder-id",
        fork.split("@")[0] + "@v2.1.0",
        capsys=capsys,
    )
    assert result.code == 3, result.text


def test_old_certificates_are_read_from_their_v1_extensions(work, fulcio, capsys) -> None:
    generator = "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@refs/tags/v1.4.0"
    v02 = {
        "_type": "https://in-toto.io/Statement/v0.1",
        "subject": [{"name": "x", "digest": {"sha256": DIGEST}}],
        "predicateType": "https://slsa.dev/provenance/v0.2",
        "predicate": {
            "builder": {"id": generator},
            "invocation": {"configSource": {"uri": f"git+https://github.com/{REPO}@refs/tags/v1.0.0",
                                            "entryPoint": ".github/workflows/release.yml"}},
        },
    }  # fmt: skip
    v1 = {"repository": REPO, "ref": "refs/heads/evil-branch", "sha": "b" * 40}
    line = fulcio.envelope(v02, generator, v1, v1=True)
    result = verify(work, line, "--source-uri", SOURCE, "--source-tag", "v1.0.0", capsys=capsys)
    assert result.code == 1, result.text
    assert "signed for source unknown" not in result.out
    assert "not built from a tag (ref refs/heads/evil-branch)" in result.out
    # --workflow cannot be read from a v1 certificate: the trusted builder's record answers it.
    line = fulcio.envelope(v02, generator, {**v1, "ref": "refs/tags/v1.0.0"}, v1=True)
    result = verify(work, line, "--source-uri", SOURCE, "--workflow", "evil.yml", capsys=capsys)
    assert result.code == 1, result.text
    assert "expected evil.yml" in result.out


# -- 2. no identity flag is silently ignored on key-signed provenance ------------------------------


@pytest.fixture
def key_pair(work: Path) -> ed25519.Ed25519PrivateKey:
    key = ed25519.Ed25519PrivateKey.generate()
    (work / "key.pub").write_bytes(signing.public_pem(key))
    return key


def _key_signed(
    key: ed25519.Ed25519PrivateKey, body: dict, payload_type: str = "application/vnd.in-toto+json"
) -> str:
    from securesystemslib.dsse import Envelope
    from securesystemslib.signer import CryptoSigner

    envelope = Envelope(payload=json.dumps(body).encode(), payload_type=payload_type, signatures={})
    envelope.sign(CryptoSigner(key))
    return json.dumps(envelope.to_dict())


@pytest.mark.parametrize(
    ("options", "verdict"),
    [(["--workflow", "release.yml"], "run by workflow github.com/octo/demo/.github/workflows/evil.yml@refs/heads/attacker, expected release.yml"),
     (["--source-tag", "v1.0.0"], "not built from a tag (ref refs/heads/attacker)"),
     (["--builder-id", "https://github.com/actions/runner/self-hosted"], "expected https://github.com/actions/runner/self-hosted"),
     (["--source-uri", "github.com/octo/other"], "expected github.com/octo/other")],
)  # fmt: skip
def test_key_signed_provenance_is_held_to_every_flag(
    work, key_pair, capsys, options, verdict
) -> None:
    line = _key_signed(
        key_pair, statement("refs/heads/attacker", workflow=".github/workflows/evil.yml")
    )
    result = verify(work, line, "--key", "key.pub", *options, capsys=capsys)
    assert result.code == 1, result.text
    assert verdict in result.out


# -- 3. payloadType on every path ----------------------------------------------------------------


def test_payload_type_is_checked_for_key_signed_envelopes(work, key_pair, capsys) -> None:
    line = _key_signed(key_pair, statement("refs/tags/v1.0.0"), payload_type="text/plain")
    result = verify(work, line, "--key", "key.pub", capsys=capsys)
    assert result.code == 1, result.text
    assert "payload type is 'text/plain', not application/vnd.in-toto+json" in result.out


def test_payload_type_is_checked_for_certificate_envelopes(work, fulcio, capsys) -> None:
    line = fulcio.envelope(statement("refs/tags/v1.0.0"), WORKFLOW + "@refs/tags/v1.0.0",
                           claims_of_run("refs/tags/v1.0.0"), payload_type="application/json")  # fmt: skip
    result = verify(work, line, "--source-uri", SOURCE, capsys=capsys)
    assert result.code == 1, result.text
    assert "payload type is 'application/json'" in result.out


def test_payload_type_is_checked_for_unsigned_envelopes(work, capsys) -> None:
    body = base64.b64encode(json.dumps(statement("refs/tags/v1.0.0")).encode()).decode()
    line = json.dumps({"payloadType": "text/plain", "payload": body, "signatures": []})
    result = verify(work, line, "--allow-unsigned", capsys=capsys)
    assert result.code == 1, result.text
    assert "payload type is 'text/plain'" in result.out


# -- 4. a PEP 740 attestation vouches for one file name -----------------------------------------


def test_pep740_attestation_of_another_file_name_fails(work, capsys) -> None:
    shutil.copy(PYPI / "pypi_attestations-0.0.19.tar.gz", work / "pypi_attestations-0.0.20.tar.gz")
    provenance = str(PYPI / "pypi_attestations-0.0.19.tar.gz.publish.attestation")
    options = [
        "--provenance",
        provenance,
        "--source-uri",
        "github.com/trailofbits/pypi-attestations",
    ]
    result = run_cli(["verify", "pypi_attestations-0.0.20.tar.gz", *options], capsys, work)
    assert result.code == 1, result.text
    assert "vouches for that file name, not this one" in result.out
    # Normalised as PyPI compares them: another spelling of the same name and version passes.
    shutil.copy(PYPI / "pypi_attestations-0.0.19.tar.gz", work / "pypi-attestations-0.0.19.tar.gz")
    result = run_cli(["verify", "pypi-attestations-0.0.19.tar.gz", *options], capsys, work)
    assert result.code == 0, result.text


# -- hostile text never becomes a workflow command ------------------------------------------------

HOSTILE = [
    "x\n::add-mask::secret",
    "x\r::set-output name=verified::true",
    "::stop-commands::token",
    "x ##[set-output name=verified;]true",
    "x\u2028::error::forged",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_no_command_can_be_forged_through_the_provenance(work, key_pair, capsys, text) -> None:
    body = statement(text, workflow=text, name=text, builder=text)
    body["predicateType"] = body["predicateType"] + text
    line = _key_signed(key_pair, body)
    result = verify(
        work, line, "--key", "key.pub", "--source-tag", "v1", "--workflow", "w.yml", capsys=capsys
    )
    assert result.code == 1
    commands = [ln for ln in (result.out + result.err).splitlines() if ln.lstrip().startswith("::")]
    assert all(c.startswith(("::error title=", "::warning title=")) for c in commands), commands
    assert "##[" not in result.out + result.err
    assert result.outputs == {"verified": "false", "outcome": "failed"}


@pytest.mark.online
def test_online_refreshes_the_trust_root_and_still_verifies(tmp_path, capsys) -> None:
    """--online takes Sigstore's trust root from its TUF repository instead of the packaged copy."""
    bundle = (
        DATA
        / "slsa-verifier"
        / "gha_generic"
        / "v2.1.0"
        / "binary-linux-amd64-push-v14.2.intoto.jsonl"
    )
    digest = "sha256:376e7e01348585b6e6643bc6663146b9d525d9b41228bf180eaeb4d4a3706caa"
    result = run_cli(["verify", digest, "--provenance", str(bundle), "--source-uri", "github.com/slsa-framework/example-package",
                      "--online"], capsys, tmp_path)  # fmt: skip
    assert result.code == 0, result.text
    assert "(refreshed online)" in result.out


def test_a_key_signature_without_a_key_id_is_checked_with_the_given_key(
    work, key_pair, capsys
) -> None:
    line = json.loads(_key_signed(key_pair, statement("refs/tags/v1.0.0")))
    line["signatures"][0]["keyid"] = ""
    result = verify(
        work, json.dumps(line), "--key", "key.pub", "--source-tag", "v1.0.0", capsys=capsys
    )
    assert result.code == 0, result.text
    other = ed25519.Ed25519PrivateKey.generate()
    (work / "other.pub").write_bytes(signing.public_pem(other))
    result = verify(work, json.dumps(line), "--key", "other.pub", capsys=capsys)
    assert result.code == 1, result.text
    assert "not signed by the key given with --key" in result.out


def test_a_flood_of_documents_is_refused(work, capsys) -> None:
    line = json.dumps(
        {"payloadType": "application/vnd.in-toto+json", "payload": "e30=", "signatures": []}
    )
    (work / "p.jsonl").write_text((line + "\n") * 1001)
    result = run_cli(
        ["verify", "demo-1.0.0-py3-none-any.whl", "--provenance", "p.jsonl"], capsys, work
    )
    assert result.code == 1, result.text
    assert "holds more than 1000 documents" in result.out
