"""Runner I/O: the only module that knows about GITHUB_OUTPUT and friends.

On a GitHub Actions runner (``GITHUB_ACTIONS=true``) messages become workflow
commands (annotations, masks, groups) and results go to the step's output,
env and summary files. Off a runner the same messages print as plain text and
the files are simply not written.
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import TextIO

from .text import guard, neutral

__all__ = ["guard", "neutral"]  # the escaping lives in the text leaf; runner code uses it from here


def on_runner(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return env.get("GITHUB_ACTIONS") == "true"


def escape_data(value: str) -> str:
    """Escape a workflow command's message (after the ``::``)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a workflow command's property value (``title=…``)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


class GuardedStream(io.TextIOBase):
    """A text stream that lets no line through as a workflow command.

    On a runner the CLI's stdout and stderr go through one of these, so text
    from anywhere (a library's warning, a traceback, a value nobody escaped)
    cannot forge a command; the runner's own commands are written to the
    underlying stream directly. Whole lines only: a partial line waits for its
    end, since a command could be completed by the next write.
    """

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        cut = max(self._pending.rfind("\n"), self._pending.rfind("\r"))
        if cut >= 0:
            done, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
            self.stream.write(guard(done))
        return len(text)

    def flush(self) -> None:
        self.stream.flush()

    def drain(self) -> None:
        """Write what is left of an unfinished line (at the end of the command)."""
        if self._pending:
            self.stream.write(guard(self._pending))
            self._pending = ""
        self.stream.flush()

    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", "utf-8")

    def fileno(self) -> int:
        return self.stream.fileno()

    def isatty(self) -> bool:
        return self.stream.isatty()


@contextlib.contextmanager
def guarded_stdio(active: bool) -> Iterator[None]:
    """On a runner, route sys.stdout and sys.stderr through a GuardedStream for the block."""
    if not active:
        yield
        return
    saved = sys.stdout, sys.stderr
    out, err = GuardedStream(saved[0]), GuardedStream(saved[1])
    sys.stdout, sys.stderr = out, err
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved
        out.drain()
        err.drain()


class Runner:
    """Writes messages and results for the current environment.

    Tests create one with explicit streams and environment; the CLI uses the
    process's own.
    """

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        out: TextIO | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.env = dict(os.environ if env is None else env)
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.active = on_runner(self.env)

    # -- messages ---------------------------------------------------------

    def _command(self, name: str, message: str, **props: str) -> None:
        rendered = ",".join(f"{k}={escape_property(v)}" for k, v in props.items() if v)
        head = f"::{name} {rendered}" if rendered else f"::{name}"
        self.out.write(f"{head}::{escape_data(message)}\n")
        self.out.flush()

    def info(self, message: str) -> None:
        """Plain progress text: on a runner, no line of it can act as a command."""
        self.err.write((guard(message) if self.active else message) + "\n")
        self.err.flush()

    def notice(self, message: str, title: str = "") -> None:
        if self.active:
            self._command("notice", message, title=title)
        else:
            self.info(f"{title}: {message}" if title else message)

    def warning(self, message: str, title: str = "") -> None:
        if self.active:
            self._command("warning", message, title=title)
        else:
            self.info(f"warning: {title}: {message}" if title else f"warning: {message}")

    def error(self, message: str, title: str = "") -> None:
        if self.active:
            self._command("error", message, title=title)
        else:
            self.info(f"error: {title}: {message}" if title else f"error: {message}")

    def mask(self, secret: str) -> None:
        """Ask the runner to hide ``secret`` in every later log line."""
        if self.active and secret:
            for line in secret.splitlines():
                if line.strip():
                    self.out.write(f"::add-mask::{escape_data(line)}\n")
            self.out.flush()

    @contextlib.contextmanager
    def group(self, title: str) -> Iterator[None]:
        if self.active:
            self.out.write(f"::group::{escape_data(title)}\n")
            self.out.flush()
        try:
            yield
        finally:
            if self.active:
                self.out.write("::endgroup::\n")
                self.out.flush()

    # -- files ------------------------------------------------------------

    def _file(self, name: str) -> Path | None:
        value = self.env.get(name)
        return Path(value) if self.active and value else None

    def _append_pairs(self, variable: str, values: Mapping[str, str]) -> None:
        path = self._file(variable)
        if path is None:
            return
        import secrets  # only here: it costs every command's start-up ~10 ms

        with path.open("a", encoding="utf-8") as fh:
            for name, value in values.items():
                if not name or any(c in name for c in "=\r\n"):
                    raise ValueError(f"invalid {variable} name {name!r}")
                # A random delimiter for every value, so no value (however
                # hostile) can end the heredoc early and inject more outputs.
                delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
                while delimiter in value:
                    delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
                fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")

    def set_outputs(self, values: Mapping[str, str]) -> None:
        self._append_pairs("GITHUB_OUTPUT", values)

    def set_env(self, values: Mapping[str, str]) -> None:
        self._append_pairs("GITHUB_ENV", values)

    def summary(self, markdown: str) -> None:
        """Append Markdown to the job summary (ignored off a runner)."""
        path = self._file("GITHUB_STEP_SUMMARY")
        if path is None:
            return
        with path.open("a", encoding="utf-8") as fh:
            fh.write(markdown.rstrip("\n") + "\n\n")
