"""The force model a session was recorded with, as JSON, and back."""

from __future__ import annotations

from typing import Any

from kneadback.calibration import CalibratedForceModel, Calibration
from kneadback.fsr import DatasheetForceModel, Divider, ForceModel, FsrCurve, RelativeForceModel, default_force_model


def _divider_dict(d: Divider) -> dict[str, Any]:
    return {"r_fixed": d.r_fixed, "vref": d.vref, "adc_bits": d.adc_bits, "front_end": d.front_end}


def _divider(d: dict[str, Any]) -> Divider:
    return Divider(float(d["r_fixed"]), float(d["vref"]), int(d["adc_bits"]), str(d.get("front_end", "fsr-low")))


def force_model_to_dict(model: ForceModel) -> dict[str, Any]:
    out: dict[str, Any] = {"description": model.describe(), "trust": model.trust, "unit": model.unit}
    if isinstance(model, CalibratedForceModel):
        out.update(kind="calibrated", calibration=model.calibration.to_dict())
    elif isinstance(model, DatasheetForceModel):
        c = model.curve
        out.update(
            kind="datasheet",
            divider=_divider_dict(model.divider),
            curve={"r_1n": c.r_1n, "exponent": c.exponent, "r_floor": c.r_floor, "turn_on_n": c.turn_on_n},
        )
    elif isinstance(model, RelativeForceModel):
        out.update(kind="relative", divider=_divider_dict(model.divider))
    else:
        out["kind"] = type(model).__name__
    return out


def force_model_from_dict(d: dict[str, Any] | None, device: dict[str, Any] | None = None) -> ForceModel:
    """The recorded model; the uncalibrated model of the recorded front end when it cannot be
    rebuilt (sessions recorded before front ends were recorded are low-side FSR dividers)."""
    try:
        if d and d.get("kind") == "calibrated":
            return CalibratedForceModel(Calibration.from_dict(d["calibration"]))
        if d and d.get("kind") == "datasheet":
            cur = d["curve"]
            return DatasheetForceModel(
                _divider(d["divider"]),
                FsrCurve(float(cur["r_1n"]), float(cur["exponent"]), float(cur["r_floor"]), float(cur["turn_on_n"])),
            )
        if d and d.get("kind") == "relative":
            return RelativeForceModel(_divider(d["divider"]))
    except (KeyError, TypeError, ValueError):
        pass
    dev = device or {}
    return default_force_model(
        float(dev.get("divider_ohms", 1000)), float(dev.get("vref_mv", 5000)) / 1000.0, int(dev.get("adc_bits", 10)),
        str(dev.get("front_end", "fsr-low")),
    )
