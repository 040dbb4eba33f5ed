"""attest and verify through the CLI: key round trips, the runner's context, keyless signing
at its boundary, bad inputs, and real provenance made by other tools (peer data)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from release_actions import signing
from release_actions.hashing import format_sums, hash_files
from release_actions.provenance import BUILD_TYPE, LOCAL_BUILDER, SLSA_V1
from support.cli import RUNNER_ENV, run_cli
from support.fake_oidc import FakeRunnerOidc, default_claims
from support.paths import DATA

GEN = DATA / "slsa-verifier" / "gha_generic"
PYPI = DATA / "pypi-attestations"
A21 = "sha256:376e7e01348585b6e6643bc6663146b9d525d9b41228bf180eaeb4d4a3706caa"
A20 = "sha256:2892146b063a94cb4a4318c0e98d38af12dcf2b1e29237486b58463b59607bbd"
EXAMPLE = "github.com/slsa-framework/example-package"


def _pem(key: ec.EllipticCurvePrivateKey | ed25519.Ed25519PrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


@pytest.fixture
def release(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with two distributions and an Ed25519 key pair."""
    work = tmp_path / "work"
    (work / "dist").mkdir(parents=True)
    (work / "dist" / "demo-1.2.3-py3-none-any.whl").write_bytes(b"wheel bytes\n")
    (work / "dist" / "demo-1.2.3.tar.gz").write_bytes(b"sdist bytes\n")
    key = ed25519.Ed25519PrivateKey.generate()
    (work / "key.pem").write_bytes(_pem(key))
    (work / "key.pub").write_bytes(signing.public_pem(key))
    monkeypatch.chdir(work)
    return work


def _statement(line: str) -> dict:
    return json.loads(base64.b64decode(json.loads(line)["payload"]))


# -- key round trip ------------------------------------------------------------------------------


def _attest_with_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """multiple.intoto.jsonl for the release's dist/, signed with key.pem on a tag push."""
    result = run_cli(
        ["attest", "--signer", "key", "--key", "key.pem"], capsys, tmp_path, env=RUNNER_ENV
    )
    assert result.code == 0, result.text


def test_key_round_trip_on_a_runner(release: Path, capsys, tmp_path) -> None:
    result = run_cli(
        ["attest", "--signer", "key", "--key", "key.pem"], capsys, tmp_path, env=RUNNER_ENV
    )
    assert result.code == 0, result.text
    assert result.outputs == {
        "provenance-path": "multiple.intoto.jsonl",
        "provenance-name": "multiple.intoto.jsonl",
    }
    lines = (release / "multiple.intoto.jsonl").read_text().splitlines()
    assert len(lines) == 1
    statement = _statement(lines[0])
    assert statement["predicateType"] == SLSA_V1
    assert sorted(s["name"] for s in statement["subject"]) == [
        "demo-1.2.3-py3-none-any.whl",
        "demo-1.2.3.tar.gz",
    ]
    definition = statement["predicate"]["buildDefinition"]
    assert definition["buildType"] == BUILD_TYPE
    assert definition["externalParameters"]["workflow"] == {
        "ref": "refs/tags/v1.2.3",
        "repository": "https://github.com/octo/demo",
        "path": ".github/workflows/release.yml",
    }
    assert definition["internalParameters"]["github"] == {
        "event_name": "push", "repository_id": "123456", "repository_owner_id": "654321",
        "runner_environment": "github-hosted",
    }  # fmt: skip
    assert definition["resolvedDependencies"] == [
        {
            "uri": "git+https://github.com/octo/demo@refs/tags/v1.2.3",
            "digest": {"gitCommit": "a" * 40},
        }
    ]
    run = statement["predicate"]["runDetails"]
    assert run["builder"]["id"] == "https://github.com/actions/runner/github-hosted"
    assert (
        run["metadata"]["invocationId"] == "https://github.com/octo/demo/actions/runs/42/attempts/2"
    )
    assert "demo-1.2.3.tar.gz" in result.summary
    assert "key " in result.summary

    verified = run_cli(
        ["verify", "dist/demo-1.2.3.tar.gz", "dist/demo-1.2.3-py3-none-any.whl", "--provenance",
         "multiple.intoto.jsonl", "--key", "key.pub", "--source-uri", "github.com/octo/demo", "--source-tag", "v1.2.3",
         "--builder-id", "https://github.com/actions/runner/github-hosted"],
        capsys, tmp_path, env=RUNNER_ENV,
    )  # fmt: skip
    assert verified.code == 0, verified.text
    assert verified.outputs["verified"] == "true"
    assert "✓ signature" in verified.out
    assert "✓ claims" in verified.out
    assert "✓ subjects: 2 artifact(s)" in verified.out


def test_on_a_github_enterprise_runner_the_source_is_on_that_host(
    release: Path, capsys, tmp_path
) -> None:
    """verify's default source is this repository on the server the job runs on: a key-signed
    release made on GitHub Enterprise verifies there, and is not taken for github.com's."""
    env = {**RUNNER_ENV, "GITHUB_SERVER_URL": "https://ghe.example.com"}
    assert (
        run_cli(["attest", "--signer", "key", "--key", "key.pem"], capsys, tmp_path, env=env).code
        == 0
    )
    args = [
        "verify",
        "dist/demo-1.2.3.tar.gz",
        "--provenance",
        "multiple.intoto.jsonl",
        "--key",
        "key.pub",
    ]
    verified = run_cli(args, capsys, tmp_path, env=env)
    assert verified.code == 0, verified.text
    assert verified.outputs["verified"] == "true"
    elsewhere = run_cli(args, capsys, tmp_path, env=RUNNER_ENV)
    assert elsewhere.code == 1
    assert "expected github.com/octo/demo" in elsewhere.text
    assert elsewhere.outputs["verified"] == "false"


@pytest.mark.parametrize(
    "tamper", ["artifact", "payload", "wrong key", "other tag", "other source"]
)
def test_key_round_trip_detects_tampering(release: Path, capsys, tmp_path, tamper: str) -> None:
    _attest_with_key(capsys, tmp_path)
    prov = release / "multiple.intoto.jsonl"
    args = ["verify", "dist/demo-1.2.3.tar.gz", "--provenance", str(prov), "--key", "key.pub"]
    if tamper == "artifact":
        (release / "dist" / "demo-1.2.3.tar.gz").write_bytes(b"sdist bytes!\n")
        expected = "subjects: no verified subject matches the digest of demo-1.2.3.tar.gz"
    elif tamper == "payload":
        envelope = json.loads(prov.read_text())
        payload = bytearray(base64.b64decode(envelope["payload"]))
        payload[payload.index(b"octo/demo")] ^= 0x01
        envelope["payload"] = base64.b64encode(bytes(payload)).decode()
        prov.write_text(json.dumps(envelope) + "\n")
        expected = "signature: not signed by the key given with --key"
    elif tamper == "wrong key":
        (release / "key.pub").write_bytes(signing.public_pem(ed25519.Ed25519PrivateKey.generate()))
        expected = "signature: not signed by the key given with --key"
    elif tamper == "other tag":
        args += ["--source-tag", "v1.2.4"]
        expected = "claims: built from tag v1.2.3, expected tag v1.2.4"
    else:
        args += ["--source-uri", "github.com/octo/other"]
        expected = "claims: source is github.com/octo/demo, expected github.com/octo/other"
    result = run_cli(args, capsys, tmp_path)
    assert result.code == 1
    assert expected in result.out
    assert "does not verify" in result.text
    assert "Do not use these artifacts" in result.text
    assert result.outputs["verified"] == "false"


def test_p256_key_from_the_environment_never_reaches_the_output(
    release: Path, capsys, tmp_path
) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    pem = _pem(key).decode()
    (release / "p256.pub").write_bytes(signing.public_pem(key))
    result = run_cli(
        ["attest", "dist", "--signer", "key"],
        capsys,
        tmp_path,
        env={**RUNNER_ENV, signing.KEY_ENV: pem},
    )
    assert result.code == 0, result.text
    body = pem.split("-----")[2].strip().splitlines()[0]
    assert body not in result.text
    verified = run_cli(["verify", "dist/demo-1.2.3.tar.gz", "--provenance", "multiple.intoto.jsonl", "--key", "p256.pub"],
                       capsys, tmp_path)  # fmt: skip
    assert verified.code == 0, verified.text
    assert "ecdsa-sha2-nistp256" in verified.out


@pytest.mark.parametrize(
    ("pem", "message"),
    [
        (
            lambda: _pem(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            "is a RSAPrivateKey key",
        ),
        (lambda: _pem(ec.generate_private_key(ec.SECP384R1())), "is an ECDSA secp384r1 key"),
        (
            lambda: ed25519.Ed25519PrivateKey.generate().private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.BestAvailableEncryption(b"secret"),
            ),
            "is encrypted",
        ),
        (
            lambda: (
                b"-----BEGIN PRIVATE KEY-----\nTUlJQ2VBSUJBREFOQmdrcWhr\n-----END PRIVATE KEY-----\n"
            ),
            "does not hold a PEM private key",
        ),
    ],
    ids=["rsa", "p384", "encrypted", "garbage"],
)
def test_unusable_keys_are_refused_and_nothing_is_written(
    release: Path, capsys, tmp_path, pem, message
) -> None:
    (release / "bad.pem").write_bytes(pem())
    result = run_cli(
        ["attest", "--signer", "key", "--key", "bad.pem"], capsys, tmp_path, env=RUNNER_ENV
    )
    assert result.code == 1
    assert message in result.text
    assert "ECDSA P-256 or Ed25519" in result.text or "unencrypted" in result.text
    assert not (release / "multiple.intoto.jsonl").exists()
    assert "TUlJQ2VBSUJBREFOQmdrcWhr" not in result.text


def test_key_signer_without_a_key_is_a_usage_error(release: Path, capsys, tmp_path) -> None:
    result = run_cli(["attest", "--signer", "key"], capsys, tmp_path, env=RUNNER_ENV)
    assert result.code == 2
    assert "Pass --key PEM_FILE" in result.text
    assert signing.KEY_ENV in result.text


# -- subjects from the hash action -------------------------------------------------------------


@pytest.mark.parametrize("form", ["sums", "base64", "stdin"])
def test_subjects_from_the_hash_output_equal_subjects_from_files(
    release: Path, capsys, tmp_path, monkeypatch, form: str
) -> None:
    sums = format_sums(hash_files(sorted((release / "dist").iterdir())))
    assert (
        run_cli(
            ["attest", "--signer", "none", "--output", "from-files.jsonl"],
            capsys,
            tmp_path,
            env=RUNNER_ENV,
        ).code
        == 0
    )
    if form == "stdin":
        import io

        monkeypatch.setattr("sys.stdin", io.StringIO(sums))
        arg = "-"
    else:
        text = sums if form == "sums" else base64.b64encode(sums.encode()).decode()
        (release / "subjects.txt").write_text(text)
        arg = "subjects.txt"
    result = run_cli(["attest", "--subjects", arg, "--signer", "none", "--output", "from-hashes.jsonl"],
                     capsys, tmp_path, env=RUNNER_ENV)  # fmt: skip
    assert result.code == 0, result.text
    assert _statement((release / "from-hashes.jsonl").read_text()) == _statement(
        (release / "from-files.jsonl").read_text()
    )


def test_one_subject_gets_the_same_file_name_as_many(release: Path, capsys, tmp_path) -> None:
    result = run_cli(
        ["attest", "dist/demo-1.2.3.tar.gz", "--signer", "none"], capsys, tmp_path, env=RUNNER_ENV
    )
    assert result.code == 0
    assert result.outputs["provenance-name"] == "multiple.intoto.jsonl"
    assert (release / "multiple.intoto.jsonl").is_file()
    assert not list(release.glob("*.tar.gz.intoto.jsonl"))
    assert "::warning title=Unsigned provenance::" in result.out


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["attest", "dist", "--subjects", "x"], 2, "either FILES or --subjects"),
        (["attest", "--subjects", "missing.txt", "--signer", "none"], 1, "cannot be read"),
        (["attest", "nothing/*", "--signer", "none"], 1, "matches no files"),
        (["attest", "--signer", "magic"], 2, "invalid choice"),
    ],
)
def test_attest_bad_inputs(release: Path, capsys, tmp_path, args, code, message) -> None:
    result = run_cli(args, capsys, tmp_path, env=RUNNER_ENV)
    assert result.code == code
    assert message in result.text
    assert not list(release.glob("*.jsonl"))


def test_malformed_subjects_are_refused(release: Path, capsys, tmp_path) -> None:
    (release / "subjects.txt").write_text("not a sum line\n")
    result = run_cli(
        ["attest", "--subjects", "subjects.txt", "--signer", "none"],
        capsys,
        tmp_path,
        env=RUNNER_ENV,
    )
    assert result.code == 1
    assert "neither sha256sum lines nor their base64 encoding" in result.text
    assert not list(release.glob("*.jsonl"))


def test_runner_without_workflow_ref_is_refused(release: Path, capsys, tmp_path) -> None:
    env = {k: v for k, v in RUNNER_ENV.items() if k != "GITHUB_WORKFLOW_REF"}
    result = run_cli(["attest", "--signer", "none"], capsys, tmp_path, env=env)
    assert result.code == 1
    assert "did not set GITHUB_WORKFLOW_REF" in result.text
    assert not list(release.glob("*.jsonl"))


def test_off_a_runner_the_builder_is_marked_local(release: Path, capsys, tmp_path) -> None:
    git = ["git", "-C", str(release)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "remote", "add", "origin", "git@github.com:octo/demo.git"], check=True)
    subprocess.run(
        [
            *git,
            "-c",
            "user.name=t",
            "-c",
            "user.email=t@t",
            "commit",
            "-q",
            "--allow-empty",
            "-m",
            "x",
        ],
        check=True,
    )
    subprocess.run([*git, "tag", "v1.2.3"], check=True)
    head = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    result = run_cli(
        ["attest", "--signer", "key", "--key", "key.pem"], capsys, tmp_path, on_runner=False
    )
    assert result.code == 0, result.text
    statement = _statement((release / "multiple.intoto.jsonl").read_text())
    assert statement["predicate"]["runDetails"] == {"builder": {"id": LOCAL_BUILDER}}
    assert statement["predicate"]["buildDefinition"]["resolvedDependencies"] == [
        {"uri": "git+https://github.com/octo/demo@refs/tags/v1.2.3", "digest": {"gitCommit": head}}
    ]
    # A local build never passes for a hosted builder.
    verified = run_cli(["verify", "dist/demo-1.2.3.tar.gz", "--provenance", "multiple.intoto.jsonl", "--key", "key.pub",
                        "--builder-id", "https://github.com/actions/runner/github-hosted"], capsys, tmp_path)  # fmt: skip
    assert verified.code == 1
    assert f"builder is {LOCAL_BUILDER}" in verified.out


# -- keyless signing, faked only at the Sigstore client ---------------------------------------


def test_keyless_signing_uses_the_runner_identity_and_masks_the_token(
    release: Path, capsys, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[tuple[bytes, str]] = []

    def fake_sigstore(payload: bytes, token: str) -> signing.Signed:
        seen.append((payload, token))
        # Shaped like a bundle, signed by nothing Sigstore trusts: verify must refuse it.
        bundle = {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
                  "verificationMaterial": {}, "dsseEnvelope": signing.unsigned_envelope(payload)}  # fmt: skip
        return signing.Signed(
            json.dumps(bundle),
            "https://github.com/octo/demo/.github/workflows/release.yml@refs/tags/v1.2.3",
        )

    monkeypatch.setattr(signing, "sigstore_sign", fake_sigstore)
    event = _event(tmp_path, "public")
    with FakeRunnerOidc(default_claims()) as oidc:
        result = run_cli(["attest"], capsys, tmp_path, env={**RUNNER_ENV, **oidc.env, **event})
    assert result.code == 0, result.text
    assert oidc.audiences == ["sigstore"]
    [(payload, token)] = seen
    assert token == oidc.issued[0]
    assert result.out.startswith(f"::add-mask::{token}\n")
    assert token not in result.text.replace(f"::add-mask::{token}\n", "", 1)
    assert oidc.request_token not in result.text
    assert json.loads(payload)["subject"]
    assert "release.yml@refs/tags/v1.2.3" in result.summary
    verified = run_cli(["verify", "dist/demo-1.2.3.tar.gz", "--provenance", "multiple.intoto.jsonl",
                        "--source-uri", "github.com/octo/demo"], capsys, tmp_path)  # fmt: skip
    assert verified.code == 1
    assert "✗ signature: not a valid Sigstore bundle" in verified.out


def _event(tmp_path: Path, visibility: str) -> dict[str, str]:
    path = tmp_path / f"event-{visibility}.json"
    repository = {
        "full_name": "octo/demo",
        "private": visibility != "public",
        "visibility": visibility,
    }
    path.write_text(json.dumps({"ref": "refs/tags/v1.2.3", "repository": repository}))
    return {"GITHUB_EVENT_PATH": str(path)}


def _never_signs(payload: bytes, token: str) -> signing.Signed:
    raise AssertionError("nothing may be signed")


@pytest.mark.parametrize("visibility", ["private", "internal"])
def test_keyless_signing_of_a_non_public_repository_needs_an_opt_in(
    release: Path, capsys, tmp_path, monkeypatch: pytest.MonkeyPatch, visibility: str
) -> None:
    """The repository's name and workflow would go into Sigstore's public log."""
    signed: list[bytes] = []
    monkeypatch.setattr(signing, "sigstore_sign", _never_signs)
    env = {**RUNNER_ENV, **_event(tmp_path, visibility)}
    with FakeRunnerOidc(default_claims()) as oidc:
        result = run_cli(["attest"], capsys, tmp_path, env={**env, **oidc.env})
        assert result.code == 2
        assert "is not public" in result.text
        assert "--allow-public-log" in result.text
        assert not list(release.glob("*.jsonl"))
        assert result.outputs == {}

        def fake(payload: bytes, token: str) -> signing.Signed:
            signed.append(payload)
            return signing.Signed(json.dumps(signing.unsigned_envelope(payload)), "test")

        monkeypatch.setattr(signing, "sigstore_sign", fake)
        result = run_cli(
            ["attest", "--allow-public-log"], capsys, tmp_path, env={**env, **oidc.env}
        )
    assert result.code == 0, result.text
    assert len(signed) == 1


def test_keyless_signing_is_refused_in_the_job_that_built(
    release: Path, capsys, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build backend ran in this job: it could have changed what signs, or read the token."""
    monkeypatch.setattr(signing, "sigstore_sign", _never_signs)
    env = {**RUNNER_ENV, **_event(tmp_path, "public"), "RA_BUILT_IN_THIS_JOB": "true"}
    with FakeRunnerOidc(default_claims()) as oidc:
        result = run_cli(["attest"], capsys, tmp_path, env={**env, **oidc.env})
        assert oidc.audiences == []  # no token was even asked for
    assert result.code == 2
    assert "refused in the job that ran the build" in result.text
    assert not list(release.glob("*.jsonl"))


def test_keyless_signing_without_id_token_permission(release: Path, capsys, tmp_path) -> None:
    result = run_cli(["attest"], capsys, tmp_path, env=RUNNER_ENV)
    assert result.code == 1
    assert "lacks the 'id-token: write' permission" in result.text
    assert "::error title=Credentials refused::" in result.out
    assert "id-token: write" in result.summary
    assert not list(release.glob("*.jsonl"))


def test_keyless_signing_off_a_runner_explains_the_alternatives(
    release: Path, capsys, tmp_path
) -> None:
    result = run_cli(["attest"], capsys, tmp_path, on_runner=False)
    assert result.code == 2
    assert "--signer key --key PEM_FILE" in result.text
    assert "--signer none" in result.text


@pytest.mark.online
def test_keyless_signing_for_real(
    release: Path, capsys, tmp_path
) -> None:  # pragma: no cover - needs Sigstore
    import os

    result = run_cli(["attest"], capsys, tmp_path, env={**RUNNER_ENV, **os.environ})
    assert result.code == 0, result.text


# -- verify: bad inputs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "code", "message", "fix"),
    [
        (b"", 1, "is empty", "Download the provenance again"),
        (b"\xff\xfe not text", 1, "is not UTF-8 text", "Download the provenance again"),
        (b'{"payload": "abc", "payloadType"', 1, "line 1: not JSON", "Download the provenance again"),
        (b'{"hello": "world"}\n', 2, "unsupported format: not a Sigstore bundle, DSSE envelope or PEP 740 attestation",
         "Download the provenance again"),
        (b"[1, 2]\n", 1, "a JSON list, not an object", "Download the provenance again"),
        (b'{"payload": "e30=", "payloadType": 5, "signatures": []}', 1,
         "malformed DSSE envelope: 'payloadType' is a number, not a string", "Download the provenance again"),
        (b'{"payload": "e30=", "payloadType": "x", "signatures": {"sig": 1}}', 1,
         "'signatures' is a object, not a list", "Download the provenance again"),
        (b"[" * 100_000 + b"]" * 100_000, 1, "nested too deeply", "Download the provenance again"),
        (b'{"a":' * 200 + b"1" + b"}" * 200, 1, "nested more than 64 levels deep", "Download the provenance again"),
        (b'{"attestations": [{"predicateType": "x", "bundle": {}}]}', 2,
         "unsupported format: npm package provenance", "npm audit signatures"),
        (b'{"_type": "https://in-toto.io/Statement/v1", "predicateType": "x", "subject": []}', 2,
         "a bare in-toto Statement with no signature", "Verify the signed file"),
    ],
    ids=["empty", "binary", "truncated", "unknown-type", "not-an-object", "wrong-type", "wrong-signatures",
         "deep-list", "deep-object", "npm", "bare-statement"],
)  # fmt: skip
def test_verify_refuses_unreadable_provenance(
    release: Path, capsys, tmp_path, content: bytes, code: int, message: str, fix: str
) -> None:
    (release / "p.jsonl").write_bytes(content)
    result = run_cli(
        ["verify", "dist/demo-1.2.3.tar.gz", "--provenance", "p.jsonl"], capsys, tmp_path
    )
    assert result.code == code, result.text
    assert message in result.text
    assert fix in result.text
    assert "Traceback" not in result.text
    assert result.out.count("::error ") == 1
    assert result.outputs["verified"] == "false"


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["sha256:abc"], 2, "is not a sha256 digest"),
        # Files are read as hash and publish read them: the same message, the same exit code.
        (["dist/missing.whl"], 1, "dist/missing.whl: no such file"),
        (["nothing/*.whl"], 1, "'nothing/*.whl' matches no files"),
        (["empty"], 1, "'empty' is an empty directory"),
    ],
)
def test_verify_refuses_bad_artifacts(release: Path, capsys, tmp_path, args, code, message) -> None:
    (release / "empty").mkdir()
    result = run_cli(["verify", *args, "--provenance", str(GEN / "v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl"),
                      "--source-uri", EXAMPLE], capsys, tmp_path)  # fmt: skip
    assert result.code == code, result.text
    assert message in result.text
    assert result.outputs.get("verified") != "true"


def test_sigstore_provenance_needs_an_expected_source(release: Path, capsys, tmp_path) -> None:
    result = run_cli(["verify", A21, "--provenance", str(GEN / "v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl")],
                     capsys, tmp_path, on_runner=False)  # fmt: skip
    assert result.code == 2
    assert "--source-uri github.com/OWNER/REPO" in result.text


def test_extra_lines_must_each_verify(release: Path, capsys, tmp_path) -> None:
    _attest_with_key(capsys, tmp_path)
    prov = release / "multiple.intoto.jsonl"
    good = prov.read_text()
    other = ed25519.Ed25519PrivateKey.generate()
    forged = signing.sign_with_key(base64.b64decode(json.loads(good)["payload"]), other).line
    prov.write_text(good + "\n" + forged + "\n")
    result = run_cli(
        ["verify", "dist/demo-1.2.3.tar.gz", "--provenance", str(prov), "--key", "key.pub"],
        capsys,
        tmp_path,
    )
    assert result.code == 1
    assert "line 1 (DSSE envelope signed by a key)" in result.out
    assert "line 3 (DSSE envelope signed by a key)" in result.out
    assert "not signed by the key given with --key" in result.out


# -- verify: real provenance from other tools (peer-data/README.md) ---------------------------


@pytest.mark.parametrize(
    ("provenance", "artifact", "options", "verdict"),
    [
        ("v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl", A21, ["--source-tag", "v14.2"], None),
        ("v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl", A21, ["--source-tag", "v14.1"],
         "signer identity: built from tag v14.2, expected tag v14.1"),
        ("v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl", A21, ["--source-uri", EXAMPLE + "A"],
         "signer identity: signed for source github.com/slsa-framework/example-package"),
        ("v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl", A21, ["--source-uri", "github.com/slsa-framework/example-pack"],
         "signer identity: signed for source github.com/slsa-framework/example-package"),
        ("v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl", A21, ["--source-tag", "v13.0.30"], None),
        ("v2.1.0/binary-linux-amd64-push-v13.0.30.intoto.jsonl", A21, ["--source-tag", "v13.0"],
         "signer identity: built from tag v13.0.30, expected tag v13.0"),
        ("v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl", A21, ["--source-branch", "main"], None),
        ("v2.1.0/binary-linux-amd64-workflow_dispatch.intoto.jsonl", A21, ["--source-tag", "v1.2.3"],
         "signer identity: not built from a tag (ref refs/heads/main)"),
        ("v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl", A20, [],
         "subjects: no verified subject matches the digest of " + A20),
        ("v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl", A21,
         ["--builder-id", "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"], None),
        ("v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl", A21,
         ["--builder-id", "https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_container_slsa3.yml"],
         "claims: builder is https://github.com/slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml"),
    ],
)  # fmt: skip
def test_slsa_github_generator_provenance(
    capsys, tmp_path, provenance, artifact, options, verdict
) -> None:
    if "--source-uri" not in options:
        options = [*options, "--source-uri", EXAMPLE]
    result = run_cli(
        ["verify", artifact, "--provenance", str(GEN / provenance), *options], capsys, tmp_path
    )
    if verdict is None:
        assert result.code == 0, result.text
        assert "✗" not in result.out
    else:
        assert result.code == 1, result.text
        assert verdict in result.out
        assert verdict in result.text  # the one error message names the failed check


def test_fulcio_envelope_says_the_log_was_not_checked(capsys, tmp_path) -> None:
    result = run_cli(["verify", A20, "--provenance", str(GEN / "v2.0.0/binary-linux-amd64-push-v14.2.intoto.jsonl"),
                      "--source-uri", EXAMPLE, "--source-tag", "v14.2"], capsys, tmp_path)  # fmt: skip
    # Every check that can be made offline passes, yet nothing proves the signing time: never exit 0.
    assert result.code == 3, result.text
    assert (
        "✓ signature: DSSE signature under a certificate that chains to Sigstore's Fulcio"
        in result.out
    )
    assert "✓ claims" in result.out
    assert "✓ subjects" in result.out
    assert "? transparency log: no log entry is embedded" in result.out
    assert "only an online Rekor lookup can decide" in result.out
    assert "::warning title=Verification incomplete::transparency log" in result.out
    assert "::error title=Verification incomplete::" in result.out
    assert result.outputs == {"verified": "false", "outcome": "incomplete"}


def test_tampered_bundle_payload_fails_the_signature(tmp_path, capsys) -> None:
    bundle = json.loads((GEN / "v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl").read_text())
    payload = bytearray(base64.b64decode(bundle["dsseEnvelope"]["payload"]))
    payload[200] ^= 0x01
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(bytes(payload)).decode()
    (tmp_path / "t.jsonl").write_text(json.dumps(bundle) + "\n")
    result = run_cli(
        ["verify", A21, "--provenance", str(tmp_path / "t.jsonl"), "--source-uri", EXAMPLE],
        capsys,
        tmp_path,
    )
    assert result.code == 1
    assert "✗ signature: does not verify against Sigstore's public-good trust root" in result.out
    # No claim about the digests of a document whose signature failed.
    assert "- subjects: not compared: no attestation has a verified signature" in result.out


def test_tampered_fulcio_envelope_fails_the_signature(tmp_path, capsys) -> None:
    envelope = json.loads((GEN / "v2.0.0/binary-linux-amd64-push-v14.2.intoto.jsonl").read_text())
    payload = bytearray(base64.b64decode(envelope["payload"]))
    payload[200] ^= 0x01
    envelope["payload"] = base64.b64encode(bytes(payload)).decode()
    (tmp_path / "t.jsonl").write_text(json.dumps(envelope))
    result = run_cli(
        ["verify", A20, "--provenance", str(tmp_path / "t.jsonl"), "--source-uri", EXAMPLE],
        capsys,
        tmp_path,
    )
    assert result.code == 1
    assert "✗ signature: the DSSE signature does not match the payload" in result.out


@pytest.mark.parametrize(
    ("provenance", "artifact", "options", "verdict"),
    [
        ("pypi_attestation_models-0.0.4a2.tar.gz.sigstore",
         "sha256:c9709ce6fd5b67b59b4a28758cf14d3f411803c4b89b6068b1f1a8e4ee94c8ef",
         ["--source-uri", "github.com/trailofbits/pypi-attestation-models", "--workflow", "release.yml",
          "--source-tag", "v0.0.4a2"], None),
        ("pypi_attestations-0.0.19.tar.gz.publish.attestation",
         "sha256:9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3",
         ["--source-uri", "github.com/trailofbits/pypi-attestations", "--workflow", "release.yml",
          "--source-tag", "v0.0.19"], None),
        ("pypi_attestations-0.0.19.tar.gz.publish.attestation",
         "sha256:9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3",
         ["--source-uri", "github.com/trailofbits/pypi-attestations", "--workflow", "wrong.yml"],
         "signer identity: run by workflow github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19, expected wrong.yml"),
        ("pypi_attestations-0.0.19.tar.gz.publish.attestation", A21,
         ["--source-uri", "github.com/trailofbits/pypi-attestations", "--workflow", "release.yml"],
         "subjects: no verified subject matches the digest of " + A21),
        ("gitlab_oidc_project-0.0.3.tar.gz.publish.attestation",
         "sha256:c1ca9b0d85df1606451098233018534497bf584362e10e4a8c21dfaea92c02a8",
         ["--source-uri", "gitlab.com/facutuesca/gitlab-oidc-project", "--workflow", ".gitlab-ci.yml"], None),
    ],
    ids=["github-attest", "pep740", "pep740-wrong-workflow", "pep740-other-file", "pep740-gitlab"],
)  # fmt: skip
def test_pypi_attestations(capsys, tmp_path, provenance, artifact, options, verdict) -> None:
    result = run_cli(
        ["verify", artifact, "--provenance", str(PYPI / provenance), *options], capsys, tmp_path
    )
    if verdict is None:
        assert result.code == 0, result.text
    else:
        assert result.code == 1
        assert verdict in result.out


def test_json_report(capsys, tmp_path) -> None:
    result = run_cli(["verify", A21, "--provenance", str(GEN / "v2.1.0/binary-linux-amd64-push-v14.2.intoto.jsonl"),
                      "--source-uri", EXAMPLE, "--json"], capsys, tmp_path)  # fmt: skip
    assert result.code == 0
    report = json.loads(result.out[: result.out.rindex("}") + 1])
    assert report["verified"] is True
    assert [c["name"] for c in report["attestations"][0]["checks"]] == [
        "signature", "transparency log", "signer identity", "claims"
    ]  # fmt: skip
    assert report["subjects"]["status"] == "pass"
