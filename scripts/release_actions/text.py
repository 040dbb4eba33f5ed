"""Text the tool did not write itself (file names, tags, a server's message, anything read
from provenance), made safe to print: the one escaping function of the package.

A leaf, so that stages can escape what they put in a message without knowing the runner.
"""

from __future__ import annotations

import re
import unicodedata

# The runner reads workflow commands on stdout and stderr alike: a line that
# starts with "::" once trimmed (v2), or that holds "##[" anywhere (v1). A zero
# width space between the two characters keeps such text readable and inert.
_BREAK = "\u200b"
_V1 = "##["
_LINE_ENDS = re.compile(r"(\r\n|\r|\n)")


def neutral(value: str) -> str:
    """Untrusted text (a file name, a tag, a server's message) made safe to print anywhere.

    The one escaping function for values the tool did not write itself:
    control characters (line breaks included, so no value can start a line of
    its own) are shown as escapes such as ``\\n``, and nothing in the value
    can begin a workflow command where it lands.
    """
    text = "".join(
        c.encode("unicode_escape").decode("ascii") if _unprintable(c) else c for c in value
    )
    return _inert(text)


def _unprintable(c: str) -> bool:
    return unicodedata.category(c) in ("Cc", "Zl", "Zp") or c == "\x85"


def _inert(line: str) -> str:
    """One line with no workflow command in it: no leading "::", no "##["."""
    line = line.replace(_V1, "##" + _BREAK + "[")
    stripped = line.lstrip()
    if stripped.startswith("::"):
        cut = len(line) - len(stripped) + 1
        line = line[:cut] + _BREAK + line[cut:]
    return line


def guard(text: str) -> str:
    """Text the tool prints as plain output, with every line made inert (line breaks kept)."""
    parts = _LINE_ENDS.split(text)
    return "".join(part if i % 2 else _inert(part) for i, part in enumerate(parts))


def shortened(value: object, limit: int) -> str:
    """``neutral`` text cut to ``limit`` characters, for values quoted inside a message."""
    text = neutral(str(value))
    return text if len(text) <= limit else text[: limit - 3] + "..."
