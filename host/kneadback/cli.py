"""The `kneadback` command. Each subcommand lives in `kneadback/commands/NAME.py`, which
defines `HELP` (one line), `ORDER` (its place in `--help`) and `register(parser)`; the parser's
`func(args) -> int` runs it. A `KneadbackError` becomes one line on stderr and its exit code.

Every command module is imported to build the parser, so its top level stays light (argparse and
small kneadback modules): what a command runs (numpy, scipy, Qt, pyserial, the engine) is imported
when it runs. That keeps `--help`, `--version`, `sessions`, `ports` and `doctor` starting in a
fraction of a second; `tests/cli/test_cli_startup.py` guards it, `bench_startup.py` measures it."""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from kneadback import __version__, commands
from kneadback.errors import KneadbackError
from kneadback.stopping import stop_signals_interrupt


class _Parser(argparse.ArgumentParser):
    """argparse, but usage errors exit 2 with one line naming the problem (its default)."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="kneadback",
        description="A live coach for trigger-point self-massage with a force-sensing resistor.",
    )
    parser.add_argument("--version", action="version", version=f"kneadback {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    mods = [importlib.import_module(f"kneadback.commands.{m.name}") for m in pkgutil.iter_modules(commands.__path__)]
    for mod in sorted((m for m in mods if hasattr(m, "register")), key=lambda m: (m.ORDER, m.__name__)):
        name = mod.__name__.rsplit(".", 1)[1].rstrip("_").replace("_", "-")  # import_ → import
        mod.register(sub.add_parser(name, help=mod.HELP, description=mod.HELP))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        with stop_signals_interrupt():
            return int(args.func(args) or 0)
    except KneadbackError as e:
        print(f"kneadback: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        return 0
    except BrokenPipeError:
        return 0
