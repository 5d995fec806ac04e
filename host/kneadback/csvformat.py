"""The `time_s,adc` CSV format's device facts, one definition for the writers (simulate, export)
and the reader (`kneadback.sources.csvfile`): `# key: value` lines before the header row."""

from __future__ import annotations

from kneadback.model import DeviceInfo

META_KEYS: dict[str, type] = {"rate_hz": float, "front_end": str, "divider_ohms": float, "adc_bits": int, "vref_mv": int}


def device_lines(info: DeviceInfo) -> list[str]:
    """The `# key: value` lines that the reader takes back, one for each of `META_KEYS`."""
    return [
        f"# rate_hz: {info.sample_rate_hz:g}",
        f"# front_end: {info.front_end}",
        f"# divider_ohms: {info.divider_ohms}",
        f"# adc_bits: {info.adc_bits}",
        f"# vref_mv: {info.vref_mv}",
    ]
