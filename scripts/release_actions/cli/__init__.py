"""The ``release-actions`` command: one subcommand per action, one module per subcommand.

This is the only layer that prints results, writes runner outputs, and turns
a ``ReleaseError`` into a message, an annotation and an exit code.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from .. import __version__, gha
from ..errors import ReleaseError, UsageError
from . import attest, audit, build, hashes, init, notes, publish, release_page, run, verify
from ._shared import Handler, Parser

COMMANDS = [
    init.add,
    run.add,
    build.add,
    hashes.add,
    attest.add,
    verify.add,
    publish.add,
    notes.add,
    release_page.add,
    audit.add,
]


def parser() -> Parser:
    p = Parser(
        prog="release-actions",
        description="Build, hash, attest, publish and release Python projects; "
        "the same commands the GitHub Actions of this suite run.",
    )
    p.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks for errors")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    for add in COMMANDS:
        add(sub)
    return p


def report(error: ReleaseError, runner: gha.Runner) -> None:
    """One message naming the cause and the fix; on a runner also an annotation and a summary."""
    runner.error(error.message(), title=error.title)
    paragraph = f"### ❌ {error.title}\n\n{error.cause}\n\n"
    if error.fix:
        paragraph += f"**How to fix:** {error.fix}\n\n"
    if error.details:
        paragraph += error.details + "\n\n"
    if error.docs:
        paragraph += f"More: [{error.title}]({error.docs})"
    runner.summary(paragraph)


def main(argv: Sequence[str] | None = None, runner: gha.Runner | None = None) -> int:
    runner = runner or gha.Runner()
    # The runner's own commands go to its streams; everything else printed
    # during the command passes a filter that lets no line act as a command.
    with gha.guarded_stdio(runner.active):
        return _main(argv, runner)


def _main(argv: Sequence[str] | None, runner: gha.Runner) -> int:
    debug = "--debug" in (sys.argv[1:] if argv is None else argv)
    try:
        args = parser().parse_args(argv)
        if not getattr(args, "handler", None):
            raise UsageError("No command given.", "See 'release-actions --help' for the commands.")
        handler: Handler = args.handler
        return handler(args, runner)
    except ReleaseError as error:
        if debug:
            import traceback

            traceback.print_exc()
        report(error, runner)
        return error.exit_code
    except KeyboardInterrupt:
        runner.error("Interrupted.")
        return 130
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    except BrokenPipeError:
        # stdout closed early (e.g. piped into head): not an error of ours.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
