"""The wargame's report: runs.parquet, stations.parquet, report.md and PNG plots.

Per policy: mean, 5th and 95th percentile of each figure. Paired differences: run ``i`` of a policy
minus run ``i`` of the first policy named (same seed, same future), with their mean and
percentiles and the shares of futures in which the policy did better and worse (the rest tied).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import pandas as pd

FIGURES = (
    ("total_cost_usd", "total cost, $M", 1e-6),
    ("cost_spread_usd", "cost, investment spread, $M", 1e-6),
    ("shortfall_kg", "shortfall, t", 1e-3),
    ("station_days_short", "station-days short", 1.0),
    ("earth_launches", "Earth launches", 1.0),
    ("launched_kg", "mass from Earth, t", 1e-3),
    ("tolls_usd", "tolls, $M", 1e-6),
    ("assets_lost", "assets lost (left as debris)", 1.0),
)


def frames(rows: list[dict[str, Any]]) -> tuple[pd.DataFrame, pd.DataFrame]:
    runs = pd.DataFrame([{k: v for k, v in r.items() if k != "stations"} for r in rows])
    for col, _, _ in FIGURES:  # runs kept from a sweep of an earlier version may lack a figure: shown as "-"
        if col not in runs.columns:
            runs[col] = float("nan")
    stations = pd.DataFrame(
        [{"policy": r["policy"], "run": r["run"], "seed": r["seed"], **s} for r in rows for s in r["stations"]]
    )
    return runs, stations


def _pct(s: pd.Series, q: float) -> float:
    return float(s.quantile(q)) if len(s) else float("nan")


def summary_table(runs: pd.DataFrame, policies: list[str]) -> pd.DataFrame:
    """One row per policy: mean, 5th and 95th percentile of every figure, and the share fully supplied."""
    out = []
    for p in policies:
        r = runs[runs["policy"] == p]
        row: dict[str, Any] = {"policy": p, "runs": len(r)}
        for col, label, scale in FIGURES:
            x = r[col] * scale
            row[f"{label} mean"] = float(x.mean())
            row[f"{label} p5"] = _pct(x, 0.05)
            row[f"{label} p95"] = _pct(x, 0.95)
        row["futures fully supplied"] = float((r["station_days_short"] == 0).mean())
        out.append(row)
    return pd.DataFrame(out)


def long_table(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary as figure x policy rows (mean, p5, p95), narrow enough to read."""
    out = []
    for _, label, _ in FIGURES:
        for _, r in summary.iterrows():
            out.append(
                {"figure": label, "policy": r["policy"], "mean": r[f"{label} mean"], "p5": r[f"{label} p5"],
                 "p95": r[f"{label} p95"]}
            )  # fmt: skip
    return pd.DataFrame(out)


def paired_table(runs: pd.DataFrame, policies: list[str]) -> pd.DataFrame:
    base = runs[runs["policy"] == policies[0]].set_index("run")
    out = []
    for p in policies[1:]:
        r = runs[runs["policy"] == p].set_index("run")
        common = base.index.intersection(r.index)
        for col, label, scale in FIGURES:
            d = (r.loc[common, col] - base.loc[common, col]) * scale
            gain = d if col == "tolls_usd" else -d  # above zero where the policy did better
            better, worse = (gain > 0).mean(), (gain < 0).mean()
            if d.isna().all():  # a figure the kept runs lack
                better = worse = float("nan")
            out.append(
                {
                    "policy": f"{p} - {policies[0]}",
                    "figure": label,
                    "mean diff": float(d.mean()),
                    "p5": _pct(d, 0.05),
                    "p95": _pct(d, 0.95),
                    "better in": float(better),
                    "worse in": float(worse),
                }
            )
    return pd.DataFrame(out)


#: Columns that hold a share of the futures, shown as a percentage.
SHARE_COLUMNS = ("better in", "worse in", "futures fully supplied")


def cell(column: str, value: Any) -> str:
    """One figure of a summary table as the report and the terminal show it."""
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:.0%}" if column in SHARE_COLUMNS else f"{value:,.1f}"
    return str(value)


def _md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    for _, r in df.iterrows():
        lines.append("| " + " | ".join(cell(c, r[c]) for c in cols) + " |")
    return "\n".join(lines)


def plots(runs: pd.DataFrame, stations: pd.DataFrame, policies: list[str], out: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = []
    fig, axes = plt.subplots(1, 3, figsize=(14, 4.5))
    panels = (
        ("total_cost_usd", 1e-9, "total cost, $B", f"Cost over {runs['run'].nunique()} futures per policy"),
        ("cost_spread_usd", 1e-9, "cost, investment spread over the horizon, $B", "Cost, investment spread"),
        ("launched_kg", 1e-3, "mass launched from Earth, t", "Mass from Earth"),
    )
    for ax, (col, scale, label, title) in zip(axes, panels, strict=True):
        ax.boxplot([runs[runs["policy"] == p][col].dropna() * scale for p in policies], showmeans=True)
        ax.set_xticks(range(1, len(policies) + 1), policies)
        ax.set_ylabel(label)
        ax.set_title(title)
        ax.set_ylim(bottom=0)  # from zero, so the policies' heights compare as their figures do
        ax.grid(axis="y", alpha=0.3)
    paths.append(out / "cost.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    fig, (left, right) = plt.subplots(1, 2, figsize=(10, 4.5))
    supplied = [100.0 * float((runs[runs["policy"] == p]["station_days_short"] == 0).mean()) for p in policies]
    bars = left.bar(policies, supplied, color="tab:green")
    left.bar_label(bars, fmt="%.0f%%")
    left.set_ylim(0, 110)
    left.set_ylabel("futures with every station supplied, %")
    left.set_title("Supply assurance")
    # only the futures in which some station went short: the rest are the bars on the left
    days = [runs[(runs["policy"] == p) & (runs["station_days_short"] > 0)]["station_days_short"] for p in policies]
    if any(len(d) for d in days):
        right.boxplot(days, showmeans=True)
        counts = [f"{p}\n({len(d)} of {int((runs['policy'] == p).sum())})" for p, d in zip(policies, days, strict=True)]
        right.set_xticks(range(1, len(policies) + 1), counts)
    else:
        _nothing_short(right, policies)
    right.set_ylim(bottom=0)
    right.set_ylabel("station-days short per future that went short")
    right.set_title("Days short when it goes wrong")
    for ax in (left, right):
        ax.grid(axis="y", alpha=0.3)
    paths.append(out / "supply_assurance.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(9, 4.5))
    if len(stations) and (stations["shortfall_kg"] > 0).any():
        mean = (
            stations.groupby(["station", "policy"])["shortfall_kg"].mean().unstack("policy").reindex(columns=policies)
        )
        (mean / 1000).plot.bar(ax=ax, rot=20)
    else:
        _nothing_short(ax, policies)
    ax.set_ylim(bottom=0)
    ax.set_ylabel("mean shortfall per run, t")
    ax.set_title("Shortfall by station")
    ax.grid(axis="y", alpha=0.3)
    paths.append(out / "shortfall_by_station.png")
    fig.tight_layout()
    fig.savefig(paths[-1], dpi=120)
    plt.close(fig)
    return paths


def _nothing_short(ax: Any, policies: list[str]) -> None:
    """Say so, where an empty axis would only show a scale around zero."""
    ax.text(
        0.5, 0.5, f"no station was short in any future\n({', '.join(policies)})", ha="center", va="center",
        transform=ax.transAxes, color="tab:green",
    )  # fmt: skip
    ax.set_xticks([])
    ax.set_yticks([])


def write_report(rows: list[dict[str, Any]], policies: list[str], out: Path, meta: dict[str, Any]) -> Path:
    runs, stations = frames(rows)
    runs.to_parquet(out / "runs.parquet", index=False)
    stations.to_parquet(out / "stations.parquet", index=False)
    summary = summary_table(runs, policies)
    paired = paired_table(runs, policies) if len(policies) > 1 else pd.DataFrame()
    pngs = plots(runs, stations, policies, out)
    text = [
        f"# Wargame: {meta['scenario']}",
        "",
        f"{meta['runs']} futures per policy, {meta['months']} months each, seeds {meta['seed']} to "
        f"{meta['seed'] + meta['runs'] - 1} (run i of every policy meets the same disruptions).",
        "",
        "## Per policy (mean, 5th and 95th percentile over the futures)",
        "",
        _md(summary[["policy", "runs", "futures fully supplied"]]),
        "",
        _md(long_table(summary)),
        "",
    ]
    if len(paired):
        text += [
            f"## Paired differences against {policies[0]} (same future, policy minus {policies[0]})",
            "",
            "`better in` is the share of futures in which the policy did better (lower cost, shortfall,",
            "days short, launches, mass from Earth and assets lost; higher tolls), `worse in` the share in",
            "which it did worse; in the rest the two policies tied.",
            "",
            _md(paired),
            "",
        ]
    text += ["## Plots", ""] + [f"![{p.stem}]({p.name})" for p in pngs] + [""]
    path = out / "report.md"
    path.write_text("\n".join(text))
    return path
