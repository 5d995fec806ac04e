"""The force model a session was recorded with, as JSON, and back."""

from __future__ import annotations

from typing import Any

from kneadback.calibration import CalibratedForceModel, Calibration
from kneadback.fsr import DatasheetForceModel, Divider, ForceModel, FsrCurve, default_force_model


def force_model_to_dict(model: ForceModel) -> dict[str, Any]:
    out: dict[str, Any] = {"description": model.describe()}
    if isinstance(model, CalibratedForceModel):
        out.update(kind="calibrated", calibration=model.calibration.to_dict())
    elif isinstance(model, DatasheetForceModel):
        d, c = model.divider, model.curve
        out.update(
            kind="datasheet",
            divider={"r_fixed": d.r_fixed, "vref": d.vref, "adc_bits": d.adc_bits},
            curve={"r_1n": c.r_1n, "exponent": c.exponent, "r_floor": c.r_floor, "turn_on_n": c.turn_on_n},
        )
    else:
        out["kind"] = type(model).__name__
    return out


def force_model_from_dict(d: dict[str, Any] | None, device: dict[str, Any] | None = None) -> ForceModel:
    """The recorded model; the data-sheet model for the recorded divider when it cannot be rebuilt."""
    try:
        if d and d.get("kind") == "calibrated":
            return CalibratedForceModel(Calibration.from_dict(d["calibration"]))
        if d and d.get("kind") == "datasheet":
            div, cur = d["divider"], d["curve"]
            return DatasheetForceModel(
                Divider(float(div["r_fixed"]), float(div["vref"]), int(div["adc_bits"])),
                FsrCurve(float(cur["r_1n"]), float(cur["exponent"]), float(cur["r_floor"]), float(cur["turn_on_n"])),
            )
    except (KeyError, TypeError, ValueError):
        pass
    dev = device or {}
    return default_force_model(
        float(dev.get("divider_ohms", 1000)), float(dev.get("vref_mv", 5000)) / 1000.0, int(dev.get("adc_bits", 10))
    )
