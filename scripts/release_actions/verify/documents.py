"""Reading provenance files: one JSON document per line, each of a known kind or refused.

Every value is type-checked here, so the signature and claim checks never meet
a number where a string belongs; whatever this module cannot classify is either
a clearly named unsupported format or malformed input, never a traceback.
"""

from __future__ import annotations

import enum
import json
from collections.abc import Mapping
from typing import Any

from ..errors import UnsupportedProvenanceError, VerificationError
from .text import untrusted

FIX_FILE = "Download the provenance again from the release page; it must be the file the attest step wrote."
# Nesting far beyond any real bundle (they nest about 6 deep) is an attack on the parser.
MAX_DEPTH = 64
# One line per provenance document; each costs a signature check, so a flood is refused.
MAX_DOCUMENTS = 1000


class Kind(enum.Enum):
    BUNDLE = "Sigstore bundle"
    PEP740 = "PEP 740 attestation"
    FULCIO_DSSE = "DSSE envelope with a Fulcio certificate"
    LOG_ONLY_DSSE = "DSSE envelope whose certificate is only in the transparency log"
    KEY_DSSE = "DSSE envelope signed by a key"
    UNSIGNED = "unsigned DSSE envelope"

    @property
    def keyless(self) -> bool:
        """Signed through Sigstore: the signer is a certificate identity, not a key."""
        return self is not Kind.KEY_DSSE and self is not Kind.UNSIGNED


def read_documents(data: bytes, source: str) -> list[tuple[int, dict[str, Any]]]:
    """One JSON object per line, or a single (pretty-printed) object: (line number, object)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise VerificationError(f"{source} is not UTF-8 text.", FIX_FILE) from None
    if not text.strip():
        raise VerificationError(f"{source} is empty.", FIX_FILE)
    whole = _loads(text, source, 0, quiet=True)
    if isinstance(whole, dict):
        return [(1, _checked_depth(whole, source, 1))]
    documents = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        value = _loads(line, source, number, quiet=False)
        if not isinstance(value, dict):
            raise VerificationError(
                f"{source}, line {number}: a JSON {type(value).__name__}, not an object.", FIX_FILE
            )
        documents.append((number, _checked_depth(value, source, number)))
        if len(documents) > MAX_DOCUMENTS:
            raise VerificationError(
                f"{source} holds more than {MAX_DOCUMENTS} documents; no release has that many.",
                FIX_FILE,
            )
    return documents


def _loads(text: str, source: str, number: int, *, quiet: bool) -> Any:
    try:
        return json.loads(text)
    except RecursionError:
        raise VerificationError(
            f"{source}{f', line {number}' if number else ''}: JSON nested too deeply to be provenance.",
            FIX_FILE,
        ) from None
    except ValueError as exc:
        if quiet:
            return None
        position = (
            f" ({exc.msg} at column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        )
        raise VerificationError(
            f"{source}, line {number}: not JSON{position}; the file may be truncated.", FIX_FILE
        ) from None


def _checked_depth(value: dict[str, Any], source: str, number: int) -> dict[str, Any]:
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise VerificationError(
                f"{source}, line {number}: JSON nested more than {MAX_DEPTH} levels deep; "
                "no provenance format is.",
                FIX_FILE,
            )
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, depth + 1) for child in children)
    return value


def expand(doc: dict[str, Any], where: str) -> list[dict[str, Any]]:
    """PyPI's provenance object (Integrity API, PEP 740) groups attestations by publisher:
    each attestation is verified as a document of its own."""
    if not (doc.get("version") == 1 and "attestation_bundles" in doc):
        return [doc]
    found: list[dict[str, Any]] = []
    groups = doc["attestation_bundles"]
    for group in groups if isinstance(groups, list) else [None]:
        attestations = group.get("attestations") if isinstance(group, dict) else None
        if not isinstance(attestations, list) or not all(isinstance(a, dict) for a in attestations):
            raise VerificationError(
                f"{where}: malformed PyPI provenance object: 'attestation_bundles' must hold lists of attestations.",
                FIX_FILE,
            )
        found += attestations
    if not found:
        raise VerificationError(
            f"{where}: the PyPI provenance object holds no attestation.", FIX_FILE
        )
    return found


def kind_of(doc: Mapping[str, Any], where: str) -> Kind:
    """What the document is; unsupported formats and malformed envelopes are refused by name."""
    media = doc.get("mediaType")
    if isinstance(media, str) and media.startswith("application/vnd.dev.sigstore.bundle"):
        if "dsseEnvelope" not in doc:
            raise UnsupportedProvenanceError(
                f"{where}: unsupported format: a Sigstore bundle that signs a file directly "
                "(a message signature), not a DSSE envelope of provenance.",
                "Check it with 'sigstore verify identity'; this command verifies provenance.",
            )
        return Kind.BUNDLE
    if "envelope" in doc and "verification_material" in doc:
        return Kind.PEP740
    if {"payload", "payloadType", "signatures"} <= doc.keys():
        return _envelope_kind(doc, where)
    if isinstance(doc.get("attestations"), list):
        raise UnsupportedProvenanceError(
            f"{where}: unsupported format: npm package provenance (an 'attestations' list).",
            "Verify npm packages with 'npm audit signatures' or slsa-verifier verify-npm-package.",
        )
    if "_type" in doc and "predicateType" in doc:
        raise UnsupportedProvenanceError(
            f"{where}: a bare in-toto Statement with no signature around it.",
            "Verify the signed file the Statement came in (the .intoto.jsonl or .sigstore bundle).",
        )
    keys = ", ".join(untrusted(k) for k in sorted(doc)[:6])
    raise UnsupportedProvenanceError(
        f"{where}: unsupported format: not a Sigstore bundle, DSSE envelope or PEP 740 attestation (keys: {keys}).",
        FIX_FILE,
    )


def _envelope_kind(doc: Mapping[str, Any], where: str) -> Kind:
    problems = []
    for name in ("payload", "payloadType"):
        if not isinstance(doc[name], str):
            problems.append(f"'{name}' is a {_json_type(doc[name])}, not a string")
    signatures = doc["signatures"]
    if not isinstance(signatures, list):
        problems.append(f"'signatures' is a {_json_type(signatures)}, not a list")
        signatures = []
    for index, signature in enumerate(signatures):
        if not isinstance(signature, dict):
            problems.append(f"signature {index} is a {_json_type(signature)}, not an object")
            continue
        for name in ("sig", "keyid", "cert"):
            if name in signature and not isinstance(signature[name], str):
                problems.append(f"signature {index} '{name}' is a {_json_type(signature[name])}")
    if problems:
        raise VerificationError(
            f"{where}: malformed DSSE envelope: {'; '.join(problems)}.", FIX_FILE
        )
    if not signatures:
        return Kind.UNSIGNED
    first = signatures[0]
    if first.get("cert"):
        return Kind.FULCIO_DSSE
    if not first.get("keyid"):
        # slsa-github-generator before v1.2 left the certificate out: it lives only in Rekor.
        return Kind.LOG_ONLY_DSSE
    return Kind.KEY_DSSE


def _json_type(value: Any) -> str:
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "list",
            dict: "object", type(None): "null"}.get(type(value), type(value).__name__)  # fmt: skip
