"""One picture per scenario: power, limits, our commands and prices over the day."""

from __future__ import annotations

from pathlib import Path

import matplotlib.dates as mdates
from matplotlib.figure import Figure
import numpy as np

from .oracle import OracleResult
from .profiles import Array
from .runner import Trace
from .scenario import Scenario

COLORS = {
    "ours": "tab:blue",
    "immediate": "tab:red",
    "evcc-like": "tab:orange",
    "oracle": "tab:green",
}


def _minutes(values: Array, per: int, how: str = "mean") -> Array:
    usable = len(values) // per * per
    shaped = values[:usable].reshape(-1, per, *values.shape[1:])
    result: Array = shaped.max(axis=1) if how == "max" else shaped.mean(axis=1)
    return result


def plot_scenario(
    s: Scenario, traces: dict[str, Trace], oracle: OracleResult | None, path: Path
) -> None:
    """Write ``path`` (PNG): four panels sharing the time axis."""
    per = round(60 / s.step_s)
    count = s.steps // per
    times = [s.at(60 * k).replace(tzinfo=None) for k in range(count)]
    series = s.series
    panels = 5 if s.circuits else 4
    ratios = (3, 2.2, 2.2, 1.8, 1.2) if s.circuits else (3, 2.2, 2.2, 1.2)
    fig = Figure(figsize=(12, 12.5 if s.circuits else 11))
    axes = fig.subplots(panels, 1, sharex=True, height_ratios=ratios)
    ordered = [name for name in ("immediate", "evcc-like", "ours") if name in traces]
    fig.suptitle(f"{s.name}: {s.title}", fontsize=11)

    power = axes[0]
    pv = _minutes(series.pv_w, per) / 1000
    house = _minutes(series.house_w.sum(axis=1), per) / 1000
    power.fill_between(times, pv, color="gold", alpha=0.35, label="PV", step="mid")
    power.plot(times, house, color="grey", lw=0.8, label="house load")
    for name in ordered:
        ev = _minutes(traces[name].ev_w.sum(axis=1), per) / 1000
        power.plot(times, ev, color=COLORS[name], lw=1.1, label=f"EVs: {name}")
    if oracle is not None:
        step_times = [
            s.at(oracle.step_s * k).replace(tzinfo=None) for k in range(len(oracle.pv_kw))
        ]
        power.step(
            step_times,
            oracle.power_kw.sum(axis=1),
            where="post",
            color=COLORS["oracle"],
            lw=1.0,
            ls="--",
            label="EVs: oracle",
        )
    signal = _minutes(series.signal_w, per) / 1000
    if np.isfinite(signal).any():
        power.plot(times, signal, color="purple", lw=1.5, ls=":", label="grid signal (EV limit)")
    power.set_ylabel("kW")
    power.legend(loc="upper left", fontsize=8, ncol=3)
    power.grid(alpha=0.3)

    fuse = axes[1]
    for name in ordered:
        peak = _minutes(np.abs(traces[name].phase_a).max(axis=1), per, "max")
        fuse.plot(times, peak, color=COLORS[name], lw=0.9, label=f"{name} (1-min max)")
    fuse.axhline(s.fuse_a, color="black", ls="--", lw=1.0, label=f"fuse {s.fuse_a:.0f} A")
    fuse.set_ylabel("A, busiest phase\nat the main fuse")
    fuse.legend(loc="upper left", fontsize=8, ncol=4)
    fuse.grid(alpha=0.3)

    ours = axes[2]
    if "ours" in traces:
        trace = traces["ours"]
        offered = _minutes(trace.offered_a, per, "max")
        drawn = _minutes(trace.ev_a, per)
        many = len(s.bays) > 3
        for j, bay in enumerate(s.bays):
            label = None if many else f"{bay.charger.id} limit"
            line = ours.plot(times, offered[:, j], lw=0.8 if many else 1.1, alpha=0.6, label=label)
            if not many:
                ours.plot(
                    times,
                    drawn[:, j],
                    lw=0.8,
                    ls="--",
                    color=line[0].get_color(),
                    label=f"{bay.charger.id} drawn",
                )
        title = "our limits per charger" + (" (one line per charger)" if many else "")
        ours.set_title(title, fontsize=9, loc="left")
        if not many:
            ours.legend(loc="upper left", fontsize=8, ncol=4)
    ours.set_ylabel("A per phase")
    ours.grid(alpha=0.3)

    if s.circuits and "ours" in traces:
        circuits = axes[3]
        load = _minutes(traces["ours"].circuit_a.max(axis=2), per, "max")
        for c, circuit in enumerate(s.circuits):
            line = circuits.plot(times, load[:, c], lw=0.9, label=f"{circuit.id} (ours)")
            circuits.axhline(circuit.limit_a, color=line[0].get_color(), ls="--", lw=0.8)
        circuits.set_ylabel("A, busiest phase\nof each circuit")
        circuits.set_title("circuits with our controller (dashed: limits)", fontsize=9, loc="left")
        circuits.legend(loc="upper left", fontsize=8, ncol=4)
        circuits.grid(alpha=0.3)

    price = axes[-1]
    price.step(
        times,
        _minutes(series.import_price, per),
        where="post",
        color="black",
        lw=1.0,
        label="import",
    )
    price.step(
        times,
        _minutes(series.export_price, per),
        where="post",
        color="tab:green",
        lw=1.0,
        label="export",
    )
    price.set_ylabel("EUR/kWh")
    price.legend(loc="upper left", fontsize=8, ncol=2)
    price.grid(alpha=0.3)
    price.xaxis.set_major_formatter(mdates.DateFormatter("%H:%M"))  # type: ignore[no-untyped-call]
    price.set_xlabel(f"local time ({s.start:%Y-%m-%d})")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
