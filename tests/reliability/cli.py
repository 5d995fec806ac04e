"""Run `kneadback ...` in-process and see what a user would see."""

from __future__ import annotations

from pathlib import Path

import pytest

from kneadback.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], argv: list[str]) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `kneadback *argv`."""
    capsys.readouterr()
    try:
        code = main(argv)
    except SystemExit as e:  # argparse's own usage errors
        code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
    out, err = capsys.readouterr()
    return code, out, err


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` with its bytes."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
