"""A change log's version sections: its headings (reST or Markdown), which of them name a
version, whether that version is released, and the link targets the sections may use."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.version import Version

from ..errors import InputError
from ..versions import VERSION_IN_TEXT, names_of, parsed
from .inline import ref_key

# What may follow the version in a heading: nothing, a date, a parenthesis, a dash, a colon.
_TAIL = r"(?:\s*(?:[-\u2013\u2014:,(]|released\b|unreleased\b).*)?"
_VERSION_TITLE = re.compile(
    rf"^(?:(?:version|release|v)\s+)?\[?{VERSION_IN_TEXT}\]?{_TAIL}$", re.VERBOSE | re.IGNORECASE
)
# towncrier's "{name} {version} ({date})"
_GLUED_DATE = re.compile(r"(?<=[0-9])-(?=[0-9]{4}-[0-9]{2}-[0-9]{2}\b)")
_NAMED_TITLE = re.compile(
    rf"^[A-Za-z][\w.-]*\s+{VERSION_IN_TEXT}(?:\s*\(.*\))?$", re.VERBOSE | re.IGNORECASE
)
_UNRELEASED_TITLE = re.compile(
    r"^\[?(?:unreleased|upcoming|in development|development|dev|next)\]?\s*$", re.IGNORECASE
)
_UNRELEASED = re.compile(
    r"\b(?:unreleased|not yet released|in development|tbd|tba)\b", re.IGNORECASE
)
_DATE = re.compile(r"\b(\d{4}-\d{2}-\d{2})\b")
_RELEASED_LINE = re.compile(r"^\s*(?:released|release date)\b\s*:?\s*(?P<rest>.*)$", re.IGNORECASE)
_UNRELEASED_LINE = re.compile(r"^\s*(?:unreleased|not (?:yet )?released)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Heading:
    line: int  # index of the title line
    end: int  # index of the first line after the heading's adornment
    level: int
    title: str


@dataclass
class Section:
    """One version's part of the change log."""

    version: str  # as written in the heading ("" for a Keep a Changelog [Unreleased])
    title: str
    released: bool | None  # True: a date or "Released"; False: marked unreleased; None: unknown
    date: str | None
    body: list[str]  # source lines after the heading (and after a Released/Unreleased line)


@dataclass
class Changelog:
    path: Path
    kind: str  # "rst" or "md"
    sections: list[Section]
    text: str
    rst_targets: dict[str, str] = field(default_factory=dict)
    md_definitions: dict[str, str] = field(default_factory=dict)

    def versions(self) -> list[str]:
        return [s.version or "Unreleased" for s in self.sections]

    def section(self, version: str | Version) -> Section | None:
        # As for tags and milestones: the version as written wins over an equal spelling.
        found = names_of((s.version for s in self.sections if s.version), version)
        return next((s for s in self.sections if found and s.version == found[0]), None)

    def section_for(self, version: str | Version) -> tuple[Section | None, str]:
        """The section that describes ``version``, and how it was chosen ("" when exact).

        A development or local version (``3.2.0.dev0``, ``0.1.dev1+g1a2b3c4`` from
        setuptools-scm or hatch-vcs) is never released as it is: its notes are those of
        the version it leads to (``3.2.0``) while that is not marked released, else the
        topmost section still marked unreleased ("Unreleased", "Version 3.2.0 /
        Unreleased"). A released section of the base version is never taken: a shallow
        checkout guesses ``0.1.dev1`` whatever the project's real version is.
        """
        exact = self.section(version)
        wanted = version if isinstance(version, Version) else parsed(str(version))
        if exact is not None or wanted is None:
            return exact, ""
        if wanted.local is not None and not wanted.is_devrelease:
            public = self.section(wanted.public)
            return public, f"the section for {wanted.public}" if public else ""
        if not wanted.is_devrelease:
            return None, ""
        candidates = [wanted.public.split(".dev")[0], wanted.base_version]
        for candidate in dict.fromkeys(candidates):
            found = self.section(candidate)
            if found is not None and found.released is not True:
                return found, f"the section for {found.version}"
        unreleased = next((s for s in self.sections if s.released is False), None)
        if unreleased is not None:
            return unreleased, f"the section '{_plain_title(unreleased.title)}'"
        return None, ""


def _version_of_title(title: str) -> str | None:
    """The version a heading names, as written there (without a leading "v")."""
    # "1.2.3-2024-01-01": PEP 440 would read "1.2.3-2024" as a post-release; it is a date.
    plain = _GLUED_DATE.sub(" - ", _plain_title(title))
    for pattern in (_VERSION_TITLE, _NAMED_TITLE):
        m = pattern.match(plain)
        if m and parsed(m.group("version")) is not None:
            return m.group("version").removeprefix("v").removeprefix("V")
    return None


def _plain_title(title: str) -> str:
    """A heading's text without Markdown links, emphasis or code marks."""
    # No bracket or parenthesis inside the parts: each match attempt stops at the
    # next one, so a heading of 30,000 '[' costs linear time, not quadratic.
    text = re.sub(r"\[([^\[\]]*)\]\([^()]*\)", r"\1", title)  # [1.2.3](url)
    text = re.sub(r"\[([^\[\]]*)\]\[[^\[\]]*\]", r"\1", text)  # [1.2.3][ref]
    return text.replace("`", "").replace("*", "").strip()


_ADORNMENT = re.compile(r"^([!-/:-@\[-`{-~])\1{2,}\s*$")


def rst_headings(lines: Sequence[str]) -> list[Heading]:
    styles: list[tuple[str, bool]] = []
    found: list[Heading] = []
    i = 0
    while i < len(lines) - 1:
        line = lines[i]
        over = _ADORNMENT.match(line)
        if (
            over
            and i + 2 < len(lines)
            and lines[i + 1].strip()
            and lines[i + 2].strip() == line.strip()
        ):
            style = (over.group(1), True)
            title, end = lines[i + 1].strip(), i + 3
        elif (
            line.strip()
            and not line[0].isspace()
            and (under := _ADORNMENT.match(lines[i + 1]))
            and len(lines[i + 1].rstrip()) >= len(line.rstrip())
            and (i == 0 or not lines[i - 1].strip() or _ADORNMENT.match(lines[i - 1]))
        ):
            style = (under.group(1), False)
            title, end = line.strip(), i + 2
        else:
            i += 1
            continue
        if style not in styles:
            styles.append(style)
        found.append(Heading(i, end, styles.index(style) + 1, title))
        i = end
    return found


# The closing "#"s and the padding are stripped in Python (_atx_title): a lazy
# group before optional trailing blanks made this regex quadratic in the padding.
_ATX = re.compile(r"^ {0,3}(#{1,6})(?:[ \t](.*))?$")
_SETEXT = re.compile(r"^ {0,3}(=+|-+)[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")


def _atx_title(text: str) -> str:
    """An ATX heading's text without its optional closing sequence of '#'s."""
    text = text.strip(" \t")
    bare = text.rstrip("#")
    if not bare or bare[-1] in " \t":
        text = bare
    return text.strip()


def _md_headings(lines: Sequence[str]) -> list[Heading]:
    found: list[Heading] = []
    fence: str | None = None
    for i, line in enumerate(lines):
        fm = _FENCE.match(line)
        if fm:
            if fence is None:
                fence = fm.group(1)[0]
            elif fm.group(1)[0] == fence:
                fence = None
            continue
        if fence is not None:
            continue
        m = _ATX.match(line)
        if m:
            found.append(Heading(i, i + 1, len(m.group(1)), _atx_title(m.group(2) or "")))
        elif (
            i + 1 < len(lines)
            and line.strip()
            and not line.startswith((" ", "\t", "-", "*", "+", ">"))
            and (s := _SETEXT.match(lines[i + 1]))
            and (i == 0 or not lines[i - 1].strip())
        ):
            found.append(Heading(i, i + 2, 1 if s.group(1)[0] == "=" else 2, line.strip()))
    # setext headings were recorded at their title line; drop any ATX match on an underline
    return found


def _is_markdown(path: Path, text: str) -> bool:
    if path.suffix.lower() in (".md", ".markdown"):
        return True
    if path.suffix.lower() == ".rst":
        return False
    return bool(re.search(r"^#{1,6} ", text, re.MULTILINE))


_RST_TARGET = re.compile(r"^\.\.\s+_(?P<name>[^:]+|`[^`]+`):\s*(?P<url>\S+)\s*$")
_MD_DEFINITION = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:\s*(?P<url>\S+)(?:\s+.*)?$")


def read_changelog(path: Path) -> Changelog:
    """Parse a change log into its version sections."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(
            f"{path}: no such file.", "Pass the path of the project's change log."
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        raise InputError(
            f"Cannot read '{path}': {reason}.", "Pass a UTF-8 text change log."
        ) from None
    lines = text.expandtabs(4).splitlines()
    kind = "md" if _is_markdown(path, text) else "rst"
    headings = _md_headings(lines) if kind == "md" else rst_headings(lines)
    log = Changelog(path, kind, [], text)
    if kind == "rst":
        for line in lines:
            if m := _RST_TARGET.match(line):
                log.rst_targets[ref_key(m.group("name").strip("`"))] = m.group("url")
    else:
        for line in lines:
            if m := _MD_DEFINITION.match(line):
                log.md_definitions.setdefault(m.group("label").lower(), m.group("url"))

    level = next(
        (
            h.level
            for h in headings
            if _version_of_title(h.title) or _UNRELEASED_TITLE.match(_plain_title(h.title))
        ),
        None,
    )
    if level is None:
        return log
    tops = [h for h in headings if h.level <= level]
    for n, h in enumerate(tops):
        if h.level != level:
            continue
        stop = tops[n + 1].line if n + 1 < len(tops) else len(lines)
        version = _version_of_title(h.title)
        unreleased_title = _UNRELEASED_TITLE.match(_plain_title(h.title))
        if version is None and not unreleased_title:
            continue
        body = lines[h.end : stop]
        released: bool | None = None
        date = None
        tail = _plain_title(h.title)
        if unreleased_title or _UNRELEASED.search(tail.split(version or "", 1)[-1]):
            released = False
        elif dm := _DATE.search(tail):
            released, date = True, dm.group(1)
        # The first paragraph may be the Pallets "Released 2024-11-13" / "Unreleased" line.
        first = next((k for k, line in enumerate(body) if line.strip()), None)
        if first is not None:
            line = body[first]
            if _UNRELEASED_LINE.match(line):
                released = False
                body = body[first + 1 :]
            elif rm := _RELEASED_LINE.match(line):
                rest = rm.group("rest")
                if _UNRELEASED.search(rest):
                    released = False
                else:
                    released = True
                    dm = _DATE.search(rest)
                    date = dm.group(1) if dm else date
                body = body[first + 1 :]
        log.sections.append(Section(version or "", h.title, released, date, body))
    return log


def markdown_body(body: Sequence[str], definitions: dict[str, str]) -> str:
    kept = [line for line in body if not _MD_DEFINITION.match(line)]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(kept).strip("\n"))
    # Reference-style links need their definitions, which usually sit at the end of the file.
    used = {m.lower() for m in re.findall(r"\]\[([^\]]+)\]", text)}
    # A label holds no '[': each attempt stops at the next one (linear, not quadratic).
    used |= {m.lower() for m in re.findall(r"\[([^\[\]]+)\](?![\[(:])", text)}
    refs = [f"[{label}]: {definitions[label]}" for label in sorted(used) if label in definitions]
    if refs:
        text += "\n\n" + "\n".join(refs)
    return text + "\n" if text else ""
