"""Text from an untrusted document, made safe to print.

Subject names, URIs and refs come from whoever wrote the provenance. On a
runner, a line that starts with ``::`` or holds ``##[`` is a workflow command,
so such text never carries a line break, a control character or either marker.
"""

from __future__ import annotations

LIMIT = 160


def untrusted(value: object, limit: int = LIMIT) -> str:
    text = str(value).encode("unicode_escape").decode("ascii")
    # Percent-encoding keeps the text readable and the markers inert.
    text = text.replace("::", "%3A%3A").replace("##[", "%23%23[")
    return text if len(text) <= limit else text[: limit - 3] + "..."
