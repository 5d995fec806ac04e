"""The figure in signals/README.md: a few scenarios with their truth marked.

    python -m kneadback.ui.scenario_figure signals/scenarios.png

Left: the true force with each stroke's start (green), peak (red) and end (magenta), holds
(yellow) and off-contact time (grey). Right: the ADC counts the board sends for the same time.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

#: (scenario, first second, last second) of each row
ROWS: tuple[tuple[str, float, float], ...] = (
    ("steady", 10.0, 18.0),
    ("light-contact", 10.0, 18.0),
    ("static-hold", 15.0, 40.0),
    ("saturated", 10.0, 18.0),
    ("demo-session", 0.0, 200.0),
)


def make_figure(path: Path, seed: int = 0, width: int = 1600) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    import numpy as np
    import pyqtgraph as pg
    from pyqtgraph.exporters import ImageExporter

    from kneadback.simulate.render import render
    from kneadback.simulate.scenario import load_scenario
    from kneadback.ui.png import save_png

    app = pg.mkQApp()
    pg.setConfigOptions(antialias=True, background="w", foreground="k")
    win = pg.GraphicsLayoutWidget()
    win.resize(width, 260 * len(ROWS))
    for row, (name, t0, t1) in enumerate(ROWS):
        r = render(load_scenario(name), seed=seed)
        m = (r.t >= t0) & (r.t <= t1)
        force = win.addPlot(row=row, col=0, title=f"<b>{name}</b>: force (N) and truth")
        counts = win.addPlot(row=row, col=1, title=f"{name}: ADC counts, {r.divider_ohms:g} Ω divider, {r.rate_hz:g} Hz")
        for p in (force, counts):
            p.setXRange(t0, t1, padding=0.01)
            p.setLabel("bottom", "session time (s)")
            p.showGrid(x=True, y=True, alpha=0.2)
        for o in r.truth.off_contact:
            if o.end >= t0 and o.start <= t1 and o.end - o.start > 0.5:
                force.addItem(pg.LinearRegionItem((o.start, o.end), movable=False, brush=(0, 0, 0, 25), pen=pg.mkPen(None)))
        for h in r.truth.holds:
            force.addItem(pg.LinearRegionItem((h.start, h.end), movable=False, brush=(255, 200, 0, 70), pen=pg.mkPen(None)))
        force.plot(r.t[m], r.force_n[m], pen=pg.mkPen((30, 80, 200), width=1.5))
        counts.plot(r.t[m], r.adc[m], pen=pg.mkPen((40, 40, 40), width=1.2))
        shown = [s for s in r.truth.strokes if t0 <= s.t_peak <= t1]
        if shown and t1 - t0 <= 40:
            starts = np.array([s.t_start for s in shown])
            ends = np.array([s.t_end for s in shown])
            force.plot(starts, r.force_n[np.searchsorted(r.t, starts)], pen=None, symbol="t1", symbolSize=11, symbolBrush=(0, 170, 0), symbolPen=None)
            force.plot(ends, r.force_n[np.searchsorted(r.t, ends)], pen=None, symbol="t", symbolSize=9, symbolBrush=(200, 0, 200), symbolPen=None)
        if shown:
            size = 6 if t1 - t0 <= 40 else 3
            force.plot([s.t_peak for s in shown], [s.peak_n for s in shown], pen=None, symbol="o", symbolSize=size, symbolBrush=(220, 30, 30), symbolPen=None)
        for x in r.truth.ratings:
            if t0 <= x.t <= t1:
                label = pg.TextItem(f"{x.value}/10", color=(150, 0, 0), anchor=(0.5, 1.0))
                label.setPos(x.t, float(r.force_n[m].max()))
                force.addItem(label)
    win.show()
    app.processEvents()
    save_png(ImageExporter(win.scene()).export(toBytes=True), path)
    win.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m kneadback.ui.scenario_figure OUT.png", file=sys.stderr)
        return 2
    make_figure(Path(argv[0]))
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    sys.stdout.flush()
    os._exit(code)  # skip Qt's teardown at interpreter exit, which can crash offscreen
