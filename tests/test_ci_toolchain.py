"""In CI every tool-dependent test must run: a missing tool is a failure there, not a skip."""

import os
import shutil

import pytest

from kneadback.sources import emulated


@pytest.mark.skipif(os.environ.get("CI") != "true", reason="outside CI the AVR toolchain, simavr and openscad are optional")
def test_ci_has_every_tool_the_suite_needs():
    assert emulated.missing_tools() == []
    assert shutil.which("openscad") is not None
    assert shutil.which("gcc") is not None and shutil.which("make") is not None
