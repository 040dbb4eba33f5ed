"""Text from an untrusted document, made safe to print: the package's one escaping
function (``release_actions.text.neutral``), cut to a length that keeps a message readable.

Subject names, URIs and refs come from whoever wrote the provenance.
"""

from __future__ import annotations

from ..text import shortened

LIMIT = 160


def untrusted(value: object, limit: int = LIMIT) -> str:
    return shortened(value, limit)
