"""CRC-16/CCITT-FALSE (a.k.a. CRC-16/IBM-3740), the checksum of every protocol v1 frame.

Width 16, polynomial 0x1021, initial value 0xFFFF, not reflected, final XOR 0.
Check value: ``crc16(b"123456789") == 0x29B1``.
"""

from __future__ import annotations

import binascii

CHECK_VALUE = 0x29B1


def crc16(data: bytes, init: int = 0xFFFF) -> int:
    """The CRC-16/CCITT-FALSE of `data` (``binascii.crc_hqx`` is this polynomial, unreflected)."""
    return binascii.crc_hqx(data, init)
