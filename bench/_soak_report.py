"""The soak bench's figures: 10-second windows, the run's summary, the table and the plot."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

WINDOW_S = 10.0
SETTLE_S = 10.0  # a restart's window span ends this long after it is done


@dataclass
class Restart:
    kind: str  # "term" or "kill"
    signalled_s: float  # seconds since the soak started
    exited_s: float | None = None
    ready_s: float | None = None  # the replacement answers /readyz
    recovered_s: float | None = None  # lag back under the threshold after `ready_s`
    handover_s: float | None = None  # signal → another replica logs its new assignment
    startup: dict[str, float] | None = None  # the replacement's start-up steps (its log)
    started_s: float | None = None  # the replacement began; before the signal with a surge

    @property
    def begun_s(self) -> float:
        return min(self.signalled_s, self.started_s if self.started_s is not None else 1e18)

    @property
    def done_s(self) -> float | None:
        """The replacement ready and the old replica gone (a kill's exit is the signal)."""
        if self.ready_s is None or self.exited_s is None:
            return None
        return max(self.ready_s, self.exited_s)

    def span(self, end_s: float) -> tuple[float, float]:
        done = self.done_s
        return self.begun_s, (done if done is not None else end_s) + SETTLE_S


@dataclass
class Window:
    """One window's samples; `row` turns them into figures."""

    start_s: float
    latencies: list[np.ndarray] = field(default_factory=list)
    lag: list[int] = field(default_factory=list)

    def row(self, extra: dict[str, Any]) -> dict[str, Any]:
        lat = np.concatenate(self.latencies) if self.latencies else np.empty(0)
        p50, p99, top = _quantiles_ms(lat)
        return {"t_s": round(self.start_s + WINDOW_S), "results": len(lat), "p50_ms": p50,
                "p99_ms": p99, "max_ms": top, "lag_max": max(self.lag, default=0),
                "lag_end": self.lag[-1] if self.lag else 0, **extra}  # fmt: skip


def _quantiles_ms(lat: np.ndarray) -> tuple[float, float, float]:
    if not len(lat):
        return 0.0, 0.0, 0.0
    p50, p99 = np.percentile(lat, [50, 99]) * 1000
    return round(float(p50), 1), round(float(p99), 1), round(float(lat.max() * 1000), 1)


def histogram_quantile(q: float, buckets: dict[float, float]) -> float | None:
    """Prometheus' histogram_quantile over cumulative buckets {upper bound: count}: linear
    within the bucket that holds the rank. None without observations."""
    bounds = sorted(buckets)
    if not bounds or buckets[bounds[-1]] <= 0:
        return None
    rank = q * buckets[bounds[-1]]
    lower, below = 0.0, 0.0
    for bound in bounds:
        count = buckets[bound]
        if count >= rank:
            if bound == float("inf"):
                return lower  # above the largest finite bucket: its bound is all we know
            share = (rank - below) / (count - below) if count > below else 1.0
            return lower + (bound - lower) * share
        lower, below = bound, count
    return lower


def mark_restarts(rows: list[dict], restarts: list[Restart], end_s: float) -> None:
    """A window is a restart window when it overlaps the restart (signal, or the
    replacement's start with a surge → replacement ready and old replica gone) + SETTLE_S."""
    for row in rows:
        start, stop = row["t_s"] - WINDOW_S, row["t_s"]
        spans = [r.span(end_s) for r in restarts]
        row["restart"] = any(a < stop and b > start for a, b in spans)


def summarize(rows: list[dict], latencies: list[tuple[float, np.ndarray]],
              restarts: list[Restart], end_s: float) -> dict[str, Any]:  # fmt: skip
    """Figures over the run: pooled latency outside and inside restart windows, RSS growth,
    lag recovery. `latencies` holds (window start, latencies of that window)."""
    restart_windows = {row["t_s"] - WINDOW_S for row in rows if row["restart"]}
    calm = [lat for start, lat in latencies if start not in restart_windows]
    rough = [lat for start, lat in latencies if start in restart_windows]
    p50, p99, top = _quantiles_ms(np.concatenate(calm) if calm else np.empty(0))
    _, p99_restarts, top_restarts = _quantiles_ms(np.concatenate(rough) if rough else np.empty(0))
    calm_rows = [row for row in rows if not row["restart"] and row["results"]]
    recoveries = [r.recovered_s - r.done_s for r in restarts
                  if r.recovered_s is not None and r.done_s is not None]  # fmt: skip
    return {
        "p50_ms": p50, "p99_ms": p99, "max_ms": top,
        "p99_ms_window_max": max((row["p99_ms"] for row in calm_rows), default=0.0),
        "p99_ms_restarts": p99_restarts, "max_ms_restarts": top_restarts,
        "windows": len(rows), "windows_restart": len(restart_windows),
        "rss_growth_pct": rss_growth_pct(rows), "anon_growth_pct": rss_growth_pct(rows, "anon_mb"),
        "lag_recovery_s_max": round(max(recoveries), 1) if recoveries else None,
        "unrecovered_restarts": sum(1 for r in restarts if r.recovered_s is None),
        "restart_s_max": _longest(r.done_s - r.begun_s for r in restarts
                                  if r.done_s is not None),  # fmt: skip
        "stop_s_max": _longest(r.exited_s - r.signalled_s for r in restarts
                               if r.exited_s is not None and r.kind == "term"),  # fmt: skip
        "handover_s": [None if r.handover_s is None else round(r.handover_s, 2)
                       for r in restarts],  # fmt: skip
        "startup_s_slowest": max((r.startup for r in restarts if r.startup),
                                 key=lambda steps: steps.get("ready", 0.0), default=None),
    }  # fmt: skip


def _longest(values: Any) -> float | None:
    found = list(values)
    return round(max(found), 1) if found else None


def rss_growth_pct(rows: list[dict], key: str = "rss_mb") -> float | None:
    """Fleet RSS (parents + drains; `anon_mb`: its anonymous part, without the ring pages
    first touched) in the window at minute 2 (a third of the run if shorter) against the
    last window; restart windows are skipped at both ends, since a replacement starts small."""
    usable = [row for row in rows if not row["restart"] and row.get(key)]
    if len(usable) < 2:
        return None
    span = rows[-1]["t_s"]
    mark = min(120.0, span / 3)
    first = next((row for row in usable if row["t_s"] - WINDOW_S >= mark), None)
    last = usable[-1]
    if first is None or first is last:
        return None
    return round((last[key] / first[key] - 1) * 100, 1)


# --- output ---------------------------------------------------------------------------------

TABLE_COLUMNS = ("t_s", "restart", "results", "p50_ms", "p99_ms", "max_ms", "worker_p99_ms",
                 "lag_max", "rss_mb", "anon_mb", "parent_cores", "drain_cores",
                 "broker_cores", "bench_cores", "shm")  # fmt: skip


def print_table(rows: list[dict], columns: tuple[str, ...] = TABLE_COLUMNS) -> None:
    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, bool):
            return "R" if value else ""
        return f"{value:g}" if isinstance(value, float) else str(value)

    cells = [[cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    print("  ".join(c.rjust(w) for c, w in zip(columns, widths, strict=True)))
    for r in cells:
        print("  ".join(v.rjust(w) for v, w in zip(r, widths, strict=True)))


def plot(rows: list[dict], restarts: list[Restart], path: str, title: str) -> None:
    """p99 latency, lag and RSS over time, with restarts marked (needs the `bench` extra)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [row["t_s"] for row in rows]
    fig, (ax_lat, ax_lag, ax_rss) = plt.subplots(3, 1, sharex=True, figsize=(10, 8))
    ax_lat.plot(t, [row["p99_ms"] for row in rows], "o-", label="p99 (bench)")
    ax_lat.plot(t, [row["p50_ms"] for row in rows], ".-", label="p50 (bench)")
    worker = [row.get("worker_p99_ms") for row in rows]
    ax_lat.plot(t, [np.nan if w is None else w for w in worker], "x--",
                label="p99 (grump_latency_seconds)")  # fmt: skip
    ax_lat.axhline(100, color="grey", lw=0.8, ls=":", label="100 ms target")
    ax_lat.set_yscale("log")
    ax_lat.set_ylabel("latency per 10 s (ms)")
    ax_lag.plot(t, [row["lag_max"] for row in rows], "o-", label="max in window")
    ax_lag.set_ylabel("lag (records without a result)")
    ax_rss.plot(t, [row.get("rss_mb") for row in rows], "o-", label="RSS, all replicas")
    ax_rss.plot(t, [row.get("anon_mb") for row in rows], ".-", label="of which anonymous")
    ax_rss.set_ylabel("MB")
    ax_rss.set_xlabel("seconds since the soak started")
    for r in restarts:
        for ax in (ax_lat, ax_lag, ax_rss):
            ax.axvline(r.signalled_s, color="red" if r.kind == "kill" else "orange", lw=1)
            if r.ready_s is not None:
                ax.axvspan(r.signalled_s, r.ready_s, color="orange", alpha=0.15)
    for ax in (ax_lat, ax_lag, ax_rss):
        ax.legend(loc="upper left", fontsize=8)
        ax.grid(alpha=0.3)
    fig.suptitle(title + "\n(lines: SIGTERM orange, SIGKILL red; shaded: until replacement ready)",
                 fontsize=9)  # fmt: skip
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
