"""The README and docs/ stay true to the code: every flag documented where it belongs and every
documented flag real, every command line in them valid, every relative link resolving."""

from __future__ import annotations

import argparse
import re
import shlex
from collections.abc import Iterator
from pathlib import Path

import pytest

from kneadback.cli import build_parser

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"
COMMANDS = DOCS / "commands.md"
PAGES = [README, *sorted(DOCS.glob("*.md"))]
HELP = {"-h", "--help"}

SECTION = re.compile(r"^## `(kneadback(?: [a-z-]+)*)`\s*$", re.M)
FENCE = re.compile(r"^```.*?^```", re.M | re.S)
SH_FENCE = re.compile(r"^```sh\n(.*?)^```", re.M | re.S)
SPAN = re.compile(r"`([^`\n]+)`")
FLAG = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
LINK = re.compile(r"\]\(([^)\s]+)\)")
ROW = re.compile(r"^\| `(--?[A-Za-z][\w-]*)[^`]*` \| (.*) \|\s*$", re.M)  # a flag table's row: flag, text


def commands(parser: argparse.ArgumentParser, path: str = "kneadback") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """Every command path with its parser: `kneadback`, `kneadback live`, `kneadback calibrate force`..."""
    yield path, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from commands(sub, f"{path} {name}")


def options(parser: argparse.ArgumentParser, *, documented_only: bool = False) -> set[str]:
    return {
        flag
        for action in parser._actions
        if not (documented_only and action.help == argparse.SUPPRESS)
        for flag in action.option_strings
    } - HELP


def has_subcommands(parser: argparse.ArgumentParser) -> bool:
    return any(isinstance(a, argparse._SubParsersAction) for a in parser._actions)


PARSERS = dict(commands(build_parser()))
# `kneadback calibrate` only groups its actions; every parser that runs something has a section.
DOCUMENTED = sorted(path for path, p in PARSERS.items() if path == "kneadback" or not has_subcommands(p))


def sections(text: str) -> dict[str, str]:
    """docs/commands.md's sections by command path, each up to the next `##` heading."""
    found: dict[str, str] = {}
    for match in SECTION.finditer(text):
        rest = text[match.end():]
        end = re.search(r"^## ", rest, re.M)
        found[match.group(1)] = rest[: end.start() if end else len(rest)]
    return found


def flags_in(text: str) -> set[str]:
    """The flags named in inline code that starts with one (`--out FILE`), outside fenced blocks.

    Inline `kneadback ...` lines are checked whole by `check_command_line`; other code (`make -C
    firmware`) is not kneadback's."""
    return {flag for span in SPAN.findall(FENCE.sub("", text)) if span.startswith("-") for flag in FLAG.findall(span)}


def command_lines(text: str) -> Iterator[str]:
    """Every `kneadback ...` invocation: inline code that starts with it, and lines of ```sh blocks."""
    for span in SPAN.findall(FENCE.sub("", text)):
        if span.startswith("kneadback "):
            yield span
    for block in SH_FENCE.findall(text):
        for line in block.splitlines():
            code = re.sub(r"\s+#.*$", "", line)
            for match in re.finditer(r"(?:^|\s)(kneadback\s[^&;|]*)", code):
                yield match.group(1).strip()


def check_command_line(line: str) -> str | None:
    """Why `line` is not a valid kneadback command (unknown command or flag), or None."""
    words = shlex.split(line)[1:]
    path, parser = "kneadback", PARSERS["kneadback"]
    while words and f"{path} {words[0]}" in PARSERS:
        path = f"{path} {words.pop(0)}"
        parser = PARSERS[path]
    if has_subcommands(parser) and path != "kneadback":
        return f"`{path}` needs one of its actions"
    for word in words:
        if re.fullmatch(r"-[\d.]+|-", word):  # a negative number or `-` (stdout) as a value
            continue
        flag = word.split("=", 1)[0]
        if flag.startswith("-") and flag not in options(parser) | HELP:
            return f"`{path}` has no flag {flag}"
    return None


def test_every_flag_of_every_command_is_documented_in_its_section():
    documented = sections(COMMANDS.read_text())
    missing_sections = [path for path in DOCUMENTED if path not in documented]
    assert not missing_sections, f"docs/commands.md has no section for {missing_sections}"
    missing = [
        f"{path} {flag}"
        for path in DOCUMENTED
        for flag in sorted(options(PARSERS[path], documented_only=True) - flags_in(documented[path]))
    ]
    assert not missing, f"flags missing from docs/commands.md: {missing}"


def test_every_documented_flag_exists_on_its_command():
    documented = sections(COMMANDS.read_text())
    unknown_sections = sorted(set(documented) - set(PARSERS))
    assert not unknown_sections, f"docs/commands.md documents commands that do not exist: {unknown_sections}"
    wrong = [
        f"{path} {flag}"
        for path, text in documented.items()
        for flag in sorted(flags_in(text) - options(PARSERS[path]) - HELP)
    ]
    assert not wrong, f"docs/commands.md names flags its command does not have: {wrong}"


def test_a_flag_is_documented_as_required_exactly_when_it_is():
    documented = sections(COMMANDS.read_text())
    wrong = []
    for path in DOCUMENTED:
        rows = dict(ROW.findall(documented[path]))
        for action in PARSERS[path]._actions:
            for flag in set(action.option_strings) - HELP:
                if flag in rows and ("(required)" in rows[flag]) != bool(action.required):
                    wrong.append(f"{path} {flag} is {'' if action.required else 'not '}required")
    assert not wrong, f"docs/commands.md: {wrong}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_flags_named_in_the_docs_exist(page: Path):
    every = set().union(*(options(p) for p in PARSERS.values())) | HELP
    unknown = sorted(flags_in(page.read_text()) - every)
    assert not unknown, f"{page.name} names flags no command has: {unknown}"


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_command_lines_in_the_docs_are_valid(page: Path):
    lines = list(command_lines(page.read_text()))
    assert lines or page.name not in ("README.md", "commands.md"), f"no command lines found in {page.name}"
    problems = [f"{line!r}: {why}" for line in lines if (why := check_command_line(line))]
    assert not problems, f"{page.name}: {problems}"


def test_the_checks_catch_a_missing_or_a_made_up_flag():
    text = "## `kneadback export`\n\n| `--out FILE` | |\n| `--what WHAT` | |\n| `--colour` | |\n"
    assert flags_in(sections(text)["kneadback export"]) - options(PARSERS["kneadback export"]) == {"--colour"}
    assert options(PARSERS["kneadback export"]) - flags_in(sections(text)["kneadback export"]) == {"--format"}
    assert check_command_line("kneadback export 3 --out s.edf") is None
    assert check_command_line("kneadback export 3 --colour red") == "`kneadback export` has no flag --colour"
    assert check_command_line("kneadback calibrate") == "`kneadback calibrate` needs one of its actions"
    assert dict(ROW.findall("| `--format FORMAT` | the format (required) |\n")) == {"--format": "the format (required)"}


def anchors(page: Path) -> set[str]:
    """The `#fragment`s of a Markdown page's headings, as GitHub makes them."""
    headings = re.findall(r"^#+ (.+)$", FENCE.sub("", page.read_text()), re.M)
    return {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in headings}


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.name)
def test_relative_links_resolve(page: Path):
    for link in LINK.findall(page.read_text()):
        if re.match(r"[a-z]+:", link):
            continue
        path, _, fragment = link.partition("#")
        target = (page.parent / path).resolve() if path else page
        assert target.exists(), f"{page.name} links to {link}, which does not exist"
        if fragment and target.suffix == ".md":
            assert fragment in anchors(target), f"{page.name} links to {link}: no such heading"


def test_readme_is_short_and_shows_the_dashboard():
    text = README.read_text()
    assert len(text.encode()) < 6000, "README.md should stay a five-minute read: move details into docs/"
    assert "](docs/dashboard.png)" in text


def test_ci_runs_exactly_the_readmes_test_command():
    blocks = SH_FENCE.findall(README.read_text())
    test_command = next(b.strip() for b in blocks if "python3 -m pytest" in b)
    assert (ROOT / ".ci" / "run").read_text().rstrip().splitlines()[-1] == test_command
    assert blocks[0].strip() == "python3 -m pip install -e . && kneadback live"
