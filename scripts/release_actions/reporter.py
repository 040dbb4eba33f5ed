"""How a stage tells its caller what happens, without knowing who listens.

Stages take one ``Reporter`` instead of separate log, warn, notice and mask
callables. On a runner the CLI passes its ``gha.Runner`` (annotations, masks);
a library caller or a test passes ``Silent`` or ``Recorded``. No stage prints.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Reporter(Protocol):
    def info(self, message: str) -> None:
        """Progress text."""

    def notice(self, message: str, title: str = "") -> None:
        """Something the user should read, not a problem."""

    def warning(self, message: str, title: str = "") -> None:
        """A problem that does not stop the stage."""

    def mask(self, secret: str) -> None:
        """A value no later log line may show (a token minted on the way)."""


class Silent:
    """Says nothing: for library callers that only want the result."""

    def info(self, message: str) -> None:
        pass

    def notice(self, message: str, title: str = "") -> None:
        pass

    def warning(self, message: str, title: str = "") -> None:
        pass

    def mask(self, secret: str) -> None:
        pass


@dataclass
class Recorded:
    """Keeps every message as ``(kind, text)``, and the masked values apart."""

    messages: list[tuple[str, str]] = field(default_factory=list)
    masked: list[str] = field(default_factory=list)

    def info(self, message: str) -> None:
        self.messages.append(("info", message))

    def notice(self, message: str, title: str = "") -> None:
        self.messages.append(("notice", f"{title}: {message}" if title else message))

    def warning(self, message: str, title: str = "") -> None:
        self.messages.append(("warning", f"{title}: {message}" if title else message))

    def mask(self, secret: str) -> None:
        self.masked.append(secret)

    def texts(self, kind: str | None = None) -> list[str]:
        return [text for k, text in self.messages if kind in (None, k)]
