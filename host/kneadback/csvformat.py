"""The `time_s,adc` CSV format's device facts, one definition for the writers (simulate, export)
and the reader (`kneadback.sources.csvfile`): `# key: value` lines before the header row.

A board with a 6-axis IMU adds its channels as six more columns (`IMU_COLUMNS`) in SI units, the
unit in the name as `time_s` has it, and the size of one count of each as `# accel_scale` and
`# gyro_scale` lines, so the reader gets the board's int16 counts back exactly."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # light to import: `sessions` reads `IMU_KINDS` without numpy
    import numpy as np

    from kneadback.model import Channel, DeviceInfo

META_KEYS: dict[str, type] = {
    "rate_hz": float, "front_end": str, "divider_ohms": float, "adc_bits": int, "vref_mv": int,
    "accel_scale": float, "gyro_scale": float,
}
IMU_COLUMNS = ("ax_m_s2", "ay_m_s2", "az_m_s2", "gx_rad_s", "gy_rad_s", "gz_rad_s")
IMU_KINDS = ("accel-x", "accel-y", "accel-z", "gyro-x", "gyro-y", "gyro-z")  # the column's channel
IMU_UNITS = ("m/s2",) * 3 + ("rad/s",) * 3
G = 9.80665  # m/s² per g
# an MPU-6050 at its power-on ranges (±2 g, ±250 °/s): a file that does not say its counts' size
ACCEL_LSB_PER_G = 16384.0
GYRO_LSB_PER_DPS = 131.0
DEFAULT_SCALES = {"accel_scale": G / ACCEL_LSB_PER_G, "gyro_scale": math.radians(1.0) / GYRO_LSB_PER_DPS}


def imu_channels(info: DeviceInfo) -> tuple[Channel, ...] | None:
    """The device's six IMU channels in `IMU_COLUMNS` order, or None when it lacks any."""
    by_kind = {c.kind: c for c in info.channels[1:]}
    found = tuple(by_kind[k] for k in IMU_KINDS if k in by_kind)
    return found if len(found) == len(IMU_KINDS) else None


def channels_of(scales: dict[str, float]) -> tuple[Channel, ...]:
    """The six IMU channels for the scales a file gives (`accel_scale`, `gyro_scale`)."""
    from kneadback.model import Channel

    return tuple(Channel(kind, unit, scales[("accel_scale", "gyro_scale")[i // 3]])
                 for i, (kind, unit) in enumerate(zip(IMU_KINDS, IMU_UNITS)))


def device_lines(info: DeviceInfo) -> list[str]:
    """The `# key: value` lines that the reader takes back, one for each of `META_KEYS` that applies."""
    lines = [
        f"# rate_hz: {info.sample_rate_hz:g}",
        f"# front_end: {info.front_end}",
        f"# divider_ohms: {info.divider_ohms}",
        f"# adc_bits: {info.adc_bits}",
        f"# vref_mv: {info.vref_mv}",
    ]
    imu = imu_channels(info)
    if imu is not None:
        lines += [f"# accel_scale: {imu[0].scale!r}", f"# gyro_scale: {imu[3].scale!r}"]
    return lines


def imu_header(info: DeviceInfo) -> str:
    """`,ax_m_s2,…,gz_rad_s` for a device with an IMU, else nothing: the columns after `adc`."""
    return "" if imu_channels(info) is None else "," + ",".join(IMU_COLUMNS)


def imu_si_cells(si: np.ndarray) -> list[str]:
    """The six IMU cells of each row (n, 6 in SI units), precise enough to give every count back."""
    row = ",".join(["%.7g"] * si.shape[1])
    return [row % tuple(r) for r in si.tolist()]
