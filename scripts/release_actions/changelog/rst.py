"""reStructuredText to GitHub Markdown: a small block parser (paragraphs, bullet and
enumerated lists with nesting, literal blocks, admonitions and other directives) and
the renderer; the inline pass is ``inline``.

Wrapped lines are joined, because GitHub renders a single newline in a release body as a
line break.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..git import GITHUB as DEFAULT_SERVER
from .inline import Inline
from .sections import rst_headings


@dataclass
class _Para:
    lines: list[str]


@dataclass
class _Literal:
    lines: list[str]
    language: str = ""


@dataclass
class _Title:
    text: str
    level: int


@dataclass
class _Item:
    marker: str  # "-" or "1."
    blocks: list[_Block]


@dataclass
class _List:
    items: list[_Item]


_Block = _Para | _Literal | _Title | _List

_BULLET = re.compile(r"^([-*+\u2022])( +|$)")
_ENUM = re.compile(r"^(\d+|#|[a-zA-Z])([.)])( +|$)|^\((\d+|#|[a-zA-Z])\)( +|$)")
_ADMONITION_LABELS = {
    "versionadded": "Added",
    "versionchanged": "Changed",
    "deprecated": "Deprecated",
    "seealso": "See also",
}
_DIRECTIVE = re.compile(r"^\.\.\s+(?P<name>[\w:-]+)::\s*(?P<arg>.*)$")


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def _dedent(lines: Sequence[str], n: int) -> list[str]:
    return [line[n:] if line[:n].strip() == "" else line.lstrip(" ") for line in lines]


def _indented_block(lines: Sequence[str], start: int, min_indent: int = 1) -> int:
    """Index after the block of blank lines and lines indented at least ``min_indent``."""
    i = start
    while i < len(lines) and (not lines[i].strip() or _indent(lines[i]) >= min_indent):
        i += 1
    while i > start and not lines[i - 1].strip():
        i -= 1
    return i


def _parse(lines: Sequence[str]) -> list[_Block]:
    blocks: list[_Block] = []
    i = 0
    n = len(lines)
    while i < n:
        line = lines[i]
        if not line.strip():
            i += 1
            continue
        indent = _indent(line)
        if indent:  # a block quote: its contents, without the quoting
            end = i
            while end < n and (not lines[end].strip() or _indent(lines[end]) > 0):
                end += 1
            sub = list(lines[i:end])
            blocks += _parse(_dedent(sub, min(_indent(s) for s in sub if s.strip())))
            i = end
            continue
        bullet = _BULLET.match(line)
        enum = None if bullet else _ENUM.match(line)
        if bullet or (enum and (enum.group(3) or enum.group(5))):
            marker_match = bullet or enum
            assert marker_match is not None
            width = len(marker_match.group(0))
            if not marker_match.group(0).endswith(" "):
                width += 1
            end = i + 1
            while end < n and (not lines[end].strip() or _indent(lines[end]) >= width):
                end += 1
            while end > i + 1 and not lines[end - 1].strip():
                end -= 1
            item_lines = [line[width:], *_dedent(lines[i + 1 : end], width)]
            item = _Item("-" if bullet else "1.", _parse(item_lines))
            if (
                blocks
                and isinstance(blocks[-1], _List)
                and blocks[-1].items[0].marker == item.marker
            ):
                blocks[-1].items.append(item)
            else:
                blocks.append(_List([item]))
            i = end
            continue
        directive = _DIRECTIVE.match(line)
        if line.startswith(".. ") or line.strip() == "..":
            end = _indented_block(lines, i + 1)
            content = [s for s in lines[i + 1 : end]]
            if directive:
                name = directive.group("name").lower()
                arg = directive.group("arg").strip()
                options_end = 0
                while options_end < len(content) and content[options_end].strip().startswith(":"):
                    options_end += 1
                body = content[options_end:]
                base = min((_indent(s) for s in body if s.strip()), default=0)
                body = _dedent(body, base)
                while body and not body[0].strip():
                    body = body[1:]
                if name in ("code-block", "code", "sourcecode"):
                    blocks.append(_Literal(body, arg.split()[0] if arg else ""))
                elif name in ("note", "warning", "important", "tip", "caution", "danger",
                              "attention", "hint", "versionadded", "versionchanged",
                              "deprecated", "admonition", "seealso"):  # fmt: skip
                    label = _ADMONITION_LABELS.get(name, name.capitalize())
                    lead = f"**{label}:** {arg}".rstrip() if name != "admonition" else f"**{arg}**"
                    inner = _parse(body)
                    if inner and isinstance(inner[0], _Para):
                        inner[0].lines.insert(0, lead)
                    else:
                        inner.insert(0, _Para([lead]))
                    blocks += inner
                # other directives (currentmodule, include, toctree, ...) render nothing
            # comments and link targets render nothing either
            i = end
            continue
        # a paragraph: up to a blank line
        end = i
        while end < n and lines[end].strip() and (end == i or _indent(lines[end]) == 0):
            end += 1
        para = [s.strip() for s in lines[i:end]]
        literal_follows = para[-1].endswith("::")
        if literal_follows:
            last = para[-1]
            if last == "::":
                para.pop()
            elif last.endswith(" ::"):
                para[-1] = last[:-3].rstrip()
            else:
                para[-1] = last[:-1]
        if para:
            blocks.append(_Para(para))
        i = end
        if literal_follows:
            j = i
            while j < n and not lines[j].strip():
                j += 1
            if j < n and _indent(lines[j]) > 0:
                stop = _indented_block(lines, j)
                body = list(lines[j:stop])
                blocks.append(_Literal(_dedent(body, min(_indent(s) for s in body if s.strip()))))
                i = stop
    return blocks


def rst_to_markdown(
    lines: Sequence[str] | str,
    *,
    repo: str | None = None,
    server_url: str = DEFAULT_SERVER,
    targets: dict[str, str] | None = None,
) -> str:
    """Render a piece of reStructuredText as GitHub Markdown."""
    if isinstance(lines, str):
        lines = lines.expandtabs(4).splitlines()
    # Sub-headings inside the section (towncrier's "Bug fixes", say) become ### headings.
    headings = rst_headings(lines)
    chunks: list[_Block] = []
    start = 0
    if headings:
        top = min(h.level for h in headings)
        for h in headings:
            chunks += _parse(lines[start : h.line])
            chunks.append(_Title(h.title, 3 + h.level - top))
            start = h.end
    chunks += _parse(lines[start:])
    inline = Inline(repo, server_url.rstrip("/"), targets or {})
    out = _render(chunks, inline)
    return "\n".join(out).strip("\n") + "\n" if out else ""


def _render(blocks: Iterable[_Block], inline: Inline, in_item: bool = False) -> list[str]:
    out: list[str] = []
    previous: _Block | None = None
    for block in blocks:
        # A nested list right after an item's paragraph stays tight (no blank line).
        tight = (
            in_item
            and isinstance(block, _List)
            and isinstance(previous, _Para)
            and bool(out and out[-1])
        )
        if previous is not None and not tight:
            out.append("")
        out += _render_block(block, inline)
        previous = block
    return out


def _render_block(block: _Block, inline: Inline) -> list[str]:
    if isinstance(block, _Para):
        return [_escape_start(inline.convert(" ".join(block.lines)))]
    if isinstance(block, _Title):
        return ["#" * min(block.level, 6) + " " + inline.convert(block.text)]
    if isinstance(block, _Literal):
        body = list(block.lines)
        while body and not body[-1].strip():
            body.pop()
        fence = "```"
        while any(line.lstrip().startswith(fence) for line in body):
            fence += "`"
        return [fence + block.language, *body, fence]
    out: list[str] = []
    for number, item in enumerate(block.items, 1):
        marker = "- " if item.marker == "-" else f"{number}. "
        pad = " " * len(marker)
        rendered = _render(item.blocks, inline, in_item=True) or [""]
        out.append(marker + rendered[0])
        out += [pad + line if line else "" for line in rendered[1:]]
    return out


def _escape_start(text: str) -> str:
    """Keep a paragraph from being read as a heading, quote or list by Markdown."""
    if re.match(r"^(#{1,6}(\s|$)|>|[-+*](\s|$)|\d+[.)](\s|$))", text):
        return "\\" + text
    return text
