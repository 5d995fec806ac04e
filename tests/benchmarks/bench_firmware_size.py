"""Flash and RAM use of the firmware for the Uno (ATmega328P), as avr-size reports them.

    python3 tests/benchmarks/bench_firmware_size.py
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

FW = Path(__file__).resolve().parents[2] / "firmware"
FLASH, RAM = 32768 - 512, 2048  # the bootloader takes 512 bytes of flash


def main() -> None:
    done = subprocess.run(["make", "-C", str(FW), "-s", "firmware"], capture_output=True, text=True, check=True)
    flash = int(re.search(r"Program:\s+(\d+) bytes", done.stdout).group(1))
    ram = int(re.search(r"Data:\s+(\d+) bytes", done.stdout).group(1))
    print(f"flash: {flash} bytes of {FLASH} ({100 * flash / FLASH:.1f} %)")
    print(f"static RAM: {ram} bytes of {RAM} ({100 * ram / RAM:.1f} %), {RAM - ram} left for the stack")


if __name__ == "__main__":
    main()
