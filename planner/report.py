"""Study results for people: the Table-10-style summary, the sensitivity comparison and its PNG chart."""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cislink.planner.solve import relative_gap

if TYPE_CHECKING:
    from cislink.planner.study import StudyResult


def usd(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "-"
    return f"${x / 1e9:,.2f}B" if abs(x) >= 1e9 else f"${x / 1e6:,.1f}M"


def pct(x: float | None) -> str:
    return "-" if x is None or not math.isfinite(x) else f"{100 * x:.2f}%"


def summary_rows(s: dict[str, Any]) -> list[tuple[str, str]]:
    """Label/value rows in the manner of the study's Table 10."""
    rows = [("total cost", usd(s["total_cost_usd"]))]
    rows += [(f"  {k.replace('_', ' ')}", usd(v)) for k, v in s["cost_terms_usd"].items() if abs(v) > 0.5]
    by_vehicle = ", ".join(f"{k} {v}" for k, v in s["earth_launches_by_vehicle"].items()) or "-"
    rows += [
        ("Earth launches", f"{s['earth_launches']} ({by_vehicle})"),
        ("Earth launch mass", f"{s['earth_launch_mass_kg']:,.0f} kg"),
        ("tug trips", str(s["tug_trips"])),
        ("lander trips", str(s["lander_trips"])),
        ("depots", ", ".join(f"{d['node']} ({d['capacity_kg']:,.0f} kg)" for d in s["depots"]) or "-"),
        ("ISRU size", f"{s['isru_kg_per_year']:,.0f} kg/yr" if s["isru_kg_per_year"] > 0 else "-"),
        ("fleets", ", ".join(f"{k} {v}" for k, v in s["fleets"].items()) or "-"),
        ("tug locations", ", ".join(s["tug_locations"]) or "-"),
        ("Mars vehicle node", ", ".join(s["mars_vehicle_nodes"]) or "-"),
        ("disposal reserves", _reserves(s)),
        ("shortfall", f"{s['shortfall_kg']:,.0f} kg"),
        *_all_built_row(s),
        ("solver", f"{s['solver']} ({s['status']})" + _settings_note(s)),
        ("gap", pct(s["mip_gap"]) + _stopped_note(s)),
        *_bound_row(s),
        ("build / solve", f"{s['build_seconds']:.2f} s / {s['solve_seconds']:.1f} s"),
    ]
    return rows


def _settings_note(s: dict[str, Any]) -> str:
    """The limit, gap, threads and seed the study was solved with (when the caller recorded them)."""
    c = s.get("settings")
    if not c:
        return ""
    threads = f"{c['threads']} thread" + ("s" if c["threads"] != 1 else "")
    return f", {c['time_limit_s']:g} s limit, gap {c['mip_gap']:g}, {threads}, seed {c['seed']}"


def _reserves(s: dict[str, Any]) -> str:
    """The end-of-mission disposal reserves (ISO 24113) of what the plan builds: per vehicle, per depot."""
    fleets = s.get("fleets", {})
    parts = [
        f"{k} {v:,.0f} kg" + (" each" if fleets.get(k, 0) > 1 else "")
        for k, v in s.get("disposal_reserve_kg", {}).items()
        if v > 0.5  # a lander based on a surface needs none
    ]
    return ", ".join(parts) or "-"


def _stopped_note(s: dict[str, Any]) -> str:
    """What a gap left by the time limit, or by a stop on Ctrl-C, means for the person reading it."""
    if s.get("status") == "interrupted":
        if s.get("mip_gap") is None:
            return " (stopped by Ctrl-C before every programme subset had a bound: no gap is proven)"
        return " (stopped by Ctrl-C: more time may find a cheaper plan and a higher bound)"
    if s.get("status") != "time_limit":
        return ""
    return " (time limit reached: a longer --time-limit may find a cheaper plan and a higher bound)"


def _built_cost(s: dict[str, Any]) -> float | None:
    """The cost with all of a case's programmes built (``None`` if that subset found no plan)."""
    return (s.get("all_built") or {}).get("total_cost_usd")


def _all_built_row(s: dict[str, Any]) -> list[tuple[str, str]]:
    built, cost = s.get("all_built"), _built_cost(s)
    if not built or not built["programmes"] or cost is None:
        return []
    rows = [("all built", f"{usd(cost)} with {' + '.join(built['programmes'])} built")]
    even = built.get("ddte_break_even_usd")
    if even is not None:
        verdict = "pays for itself" if even > built["ddte_usd"] else "does not pay for itself"
        rows.append(
            (
                "DDTE break-even",
                f"{usd(even)} (assumed {usd(built['ddte_usd'])}: {' + '.join(built['programmes'])} {verdict} "
                "against no infrastructure)",
            )
        )
    return rows


def _break_even(s: dict[str, Any]) -> str:
    """The all-built programmes' DDTE at which they stop paying, beside the DDTE assumed."""
    built = s.get("all_built") or {}
    even = built.get("ddte_break_even_usd")
    if even is None:
        return "-"
    return f"{usd(even)} / {usd(built['ddte_usd'])}"


def _bound_row(s: dict[str, Any]) -> list[tuple[str, str]]:
    """The proven lower bound and the programme subset whose bound it is (what limits the gap)."""
    if s.get("bound_usd") is None or s.get("bound_set_by") is None:
        return []
    subset = " + ".join(s["bound_set_by"])
    where = f"{subset} built" if subset else "no infrastructure"
    return [("lower bound", f"{usd(s['bound_usd'])} (set by the plans with {where})")]


SUBSET_HEADER = ("programmes built", "plan", "bound", "gap", "solve s", "ended")


def subset_rows(s: dict[str, Any]) -> list[tuple[str, ...]]:
    """One row per programme subset solved: its plan, its bound, the gap between them and how it ended.

    The case's plan is the cheapest of these and its bound the least, so the rows show which
    programmes keep a gap open and how far each is from proven.
    """
    rows = []
    for sub in s.get("subsets", []):
        plan, bound = sub["objective_usd"], sub["bound_usd"]
        gap = relative_gap(plan, bound) if plan is not None and bound is not None else None
        rows.append(
            (
                " + ".join(sub["programmes"]) or "none",
                usd(plan),
                usd(bound),
                pct(gap),
                f"{sub['solve_seconds']:.1f}",
                sub["status"],
            )
        )
    return rows


SENSITIVITY_HEADER = (
    "case",
    "total cost",
    "vs none",
    "all built",
    "vs none",
    "DDTE break-even / assumed",
    "launches",
    "vs none",
    "launch mass kg",
    "tug trips",
    "lander trips",
    "depots",
    "ISRU kg/yr",
    "gap",
)


def sensitivity_rows(results: list[StudyResult]) -> list[tuple[str, ...]]:
    base = next((r.summary() for r in results if r.case == "none"), None)
    rows = []
    for r in results:
        s = r.summary()
        dc = s["total_cost_usd"] / base["total_cost_usd"] - 1 if base else math.nan
        built = _built_cost(s)
        db = built / base["total_cost_usd"] - 1 if base and built else math.nan
        dl = s["earth_launches"] / base["earth_launches"] - 1 if base and base["earth_launches"] else math.nan
        rows.append(
            (
                r.case,
                usd(s["total_cost_usd"]),
                f"{100 * dc:+.0f}%" if math.isfinite(dc) else "-",
                usd(built),
                f"{100 * db:+.0f}%" if math.isfinite(db) else "-",
                _break_even(s),
                str(s["earth_launches"]),
                f"{100 * dl:+.0f}%" if math.isfinite(dl) else "-",
                f"{s['earth_launch_mass_kg']:,.0f}",
                str(s["tug_trips"]),
                str(s["lander_trips"]),
                " ".join(f"{d['node']}:{d['capacity_kg'] / 1000:,.0f}t" for d in s["depots"]) or "-",
                f"{s['isru_kg_per_year']:,.0f}",
                pct(s["mip_gap"]),
            )
        )
    return rows


def plot_sensitivity(results: list[StudyResult], path: Path) -> Path:
    """Bar chart: cost per case (top), Earth launches and launch mass per case, and each case's DDTE
    break-even beside the DDTE assumed (bottom).

    The top panel hatches each bar from the case's proven lower bound up to its plan, where the
    optimum lies, names the gap above bars whose gap exceeds :data:`GAP_SHOWN`, and marks the cost
    with every programme of the case built.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    summaries = [r.summary() for r in results]
    cases = [r.case for r in results]
    cost = [s["total_cost_usd"] / 1e9 for s in summaries]
    launches = [s["earth_launches"] for s in summaries]
    mass = [s["earth_launch_mass_kg"] / 1e6 for s in summaries]
    base = cost[cases.index("none")] if "none" in cases else None
    fig, (ax1, ax2, ax4) = plt.subplots(
        3, 1, figsize=(10, 10.5), sharex=True, constrained_layout=True, height_ratios=(3, 2.2, 2)
    )
    bars = ax1.bar(cases, cost, color=["#7f7f7f" if c == "none" else "#1f77b4" for c in cases])
    # where the optimum may lie: from the proven lower bound up to the plan (no band if none is proven)
    bound = [_proven_bound_usd(s) / 1e9 for s in summaries]
    low = [b if math.isfinite(b) else c for b, c in zip(bound, cost, strict=True)]
    ax1.bar(
        cases,
        [c - lo for c, lo in zip(cost, low, strict=True)],
        bottom=low,
        color="none",
        edgecolor="white",
        hatch="///",
        linewidth=0,
    )
    built = [(_built_cost(s) or math.nan) / 1e9 for s in summaries]
    for b, c, s, top in zip(bars, cost, summaries, built, strict=True):
        label = f"${c:,.1f}B" + (f"\n{100 * (c / base - 1):+.0f}%" if base and c != base else "")
        gap = s.get("mip_gap")
        if gap is not None and gap > GAP_SHOWN:
            label += f"\ngap {100 * gap:.1f}%"
        above = max(c, top) if math.isfinite(top) else c  # clear of the "every programme built" tick
        ax1.annotate(
            label,
            (b.get_x() + b.get_width() / 2, above),
            xytext=(0, 4),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=9,
        )
    ax1.scatter(range(len(cases)), built, marker="_", s=900, color="black", zorder=3)
    ax1.legend(
        [Line2D([], [], color="black"), Patch(facecolor="#1f77b4", edgecolor="white", hatch="///")],
        ["every programme built", "proven lower bound to plan: the optimum lies here"],
        loc="upper right",
    )
    ax1.set_ylabel("total cost over the horizon (USD billion)")
    ax1.set_ylim(0, max([*cost, *(b for b in built if math.isfinite(b))]) * 1.25)
    ax1.set_title(f"Infrastructure sensitivity: {results[0].plan.scenario}")
    ax1.grid(axis="y", alpha=0.3)
    x = range(len(cases))
    ax2.bar([i - 0.2 for i in x], launches, width=0.4, color="#ff7f0e", label="Earth launches")
    ax2.set_ylabel("Earth launches")
    ax3 = ax2.twinx()
    ax3.bar([i + 0.2 for i in x], mass, width=0.4, color="#2ca02c", label="Earth launch mass")
    ax3.set_ylabel("Earth launch mass (million kg)")
    ax2.set_ylim(0, max([*launches, 1]) * 1.35)  # room for the legend above the tallest bars
    ax3.set_ylim(0, max([*mass, 1e-3]) * 1.35)
    handles = [*ax2.get_legend_handles_labels()[0], *ax3.get_legend_handles_labels()[0]]
    ax2.legend(handles, ["Earth launches", "Earth launch mass"], loc="upper right")
    ax2.grid(axis="y", alpha=0.3)
    _plot_break_even(ax4, summaries)
    ax4.set_xticks(list(x), cases)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


#: The sensitivity chart names a case's gap above its bar when it is larger than this.
GAP_SHOWN = 0.01


def _proven_bound_usd(summary: dict[str, Any]) -> float:
    """A case's proven lower bound (USD), or NaN if it has none (a stop before every subset began)."""
    bound = summary.get("bound_usd")
    if summary.get("mip_gap") is None or bound is None or not math.isfinite(bound):
        return math.nan
    return float(bound)


def _plot_break_even(ax: Any, summaries: list[dict[str, Any]]) -> None:
    """Per case, the DDTE at which its programmes stop paying (bar) and the DDTE assumed (tick)."""
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    pays, loses = "#17becf", "#d62728"
    built = [s.get("all_built") or {} for s in summaries]
    even = [b.get("ddte_break_even_usd") for b in built]
    assumed = [b.get("ddte_usd") if e is not None else None for b, e in zip(built, even, strict=True)]
    x = list(range(len(summaries)))
    heights = [math.nan if e is None else e / 1e9 for e in even]
    ticks = [math.nan if a is None else a / 1e9 for a in assumed]
    ax.bar(x, heights, width=0.6, color=[pays if h > t else loses for h, t in zip(heights, ticks, strict=True)])
    ax.scatter(x, ticks, marker="_", s=900, color="black", zorder=3)
    for i, h in enumerate(heights):
        if math.isfinite(h):
            ax.annotate(f"${h:,.2f}B", (i, max(h, 0.0)), ha="center", va="bottom", fontsize=9)
    ax.axhline(0.0, color="black", linewidth=0.6)
    finite = [v for v in (*heights, *ticks) if math.isfinite(v)]
    if finite:
        ax.set_ylim(min(0.0, *finite) * 1.2, max(finite) * 1.75)  # room for the legend
    ax.set_ylabel("programmes' DDTE (USD billion)")
    ax.legend(
        [Patch(color=pays), Patch(color=loses), Line2D([], [], color="black")],
        ["break-even above the DDTE assumed: the programmes pay", "break-even below it: they do not", "DDTE assumed"],
        loc="upper left",
        fontsize=9,
    )
    ax.grid(axis="y", alpha=0.3)
