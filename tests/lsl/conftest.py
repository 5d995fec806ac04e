"""LSL tests stay on this machine and among themselves.

liblsl reads its config once per process, when it is first used, from the file `LSLAPICFG` names;
so one file serves the whole test run, set up here before any test imports pylsl (and inherited
by the processes the tests start): the machine resolve scope, and a lab session id of this run's
own, so that streams of tests running at the same time elsewhere on the machine are never seen.
Each test still names its streams uniquely (`unique`), and waits with bounded timeouts.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

_RUN = "KNEADBACK_TESTS_LSL_RUN"  # this run's id, kept in the environment: imported twice (as
# `lsl.conftest` and `tests.lsl.conftest`), this module must not make a second config, which the
# processes a test starts would inherit, and so not see the test's streams
if _RUN not in os.environ:
    os.environ[_RUN] = uuid.uuid4().hex[:12]
    _dir = Path(tempfile.gettempdir()) / f"kneadback-lsl-{os.environ[_RUN]}"
    _dir.mkdir()
    atexit.register(shutil.rmtree, _dir, ignore_errors=True)
    (_dir / "lsl_api.cfg").write_text(
        # IPv6 off and the loopback a known peer, as kneadback's own machine-scope config has them
        # (`kneadback.lsl.api`): a host without IPv6 multicast can otherwise leave a process's first
        # continuous resolve unanswered for seconds, and find one program's streams only
        f"[multicast]\nResolveScope = machine\n\n[ports]\nIPv6 = disable\n\n"
        f"[lab]\nSessionID = kneadback-tests-{os.environ[_RUN]}\nKnownPeers = {{127.0.0.1}}\n\n[log]\nlevel = -2\n",
        encoding="utf-8",
    )
RUN_ID = os.environ[_RUN]
CONFIG = Path(tempfile.gettempdir()) / f"kneadback-lsl-{RUN_ID}" / "lsl_api.cfg"
os.environ["LSLAPICFG"] = str(CONFIG)

TIMEOUT_S = 30.0  # the longest any LSL test waits for a stream or a sample (a busy machine is slow)


@pytest.fixture(autouse=True)
def _lsl_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LSLAPICFG", str(CONFIG))


@pytest.fixture
def unique() -> Callable[[str], str]:
    """`unique("force")` → "force-<this run>-<n>": a stream name no other test uses."""
    count = iter(range(1_000_000))
    test = uuid.uuid4().hex[:6]
    return lambda stem: f"{stem}-{RUN_ID}-{test}-{next(count)}"
