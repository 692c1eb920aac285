"""A run folder: a run written as it goes, checkpointed at every month end, resumable after any crash.

Layout of ``DIR``::

    run.json            what was asked: scenario (in full), policy, seed, months, design
    checkpoint.pkl      the whole model after the last complete month (written atomically)
    parts/<table>-MMMM.parquet   each month's rows of every table, written before its checkpoint
    <table>.parquet     the tables of the whole run (at the end)
    summary.json        the run's figures (at the end; also after every month as summary-partial.json)
    daily.parquet       the model's DataCollector series, one row per day
    timing.json         wall time split into planning and agent stepping (not part of the result)

A run killed at any moment resumes from its last checkpoint: month parts written after that
checkpoint are discarded and redone, so the tables hold every month exactly once and the result is
the one an uninterrupted run with the same seed gives.
"""

from __future__ import annotations

import json
import logging
import os
import pickle
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from cislink.agents.model import CislinkModel
from cislink.errors import CislinkError
from cislink.scenarios.schema import Scenario

log = logging.getLogger(__name__)

TABLES = ("inventories", "vehicles", "launches", "shortfalls", "ledger", "events", "costs", "plans")
CHECKPOINT = "checkpoint.pkl"
RUN_FILE = "run.json"


def _atomic_write(path: Path, data: bytes) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _json_bytes(obj: Any) -> bytes:
    return (json.dumps(obj, indent=2, sort_keys=True, default=str) + "\n").encode()


class RunFolder:
    """Reads and writes one run folder."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.parts = self.path / "parts"

    # ---- starting and resuming ------------------------------------------------------------------
    def check_free(self) -> None:
        """Refuse a folder that already holds a run (before any slow work is done for a new one)."""
        if (self.path / CHECKPOINT).exists() or (self.path / RUN_FILE).exists():
            raise CislinkError(
                f"{self.path} already holds a run; resume it with --resume {self.path} or choose another --out"
            )

    def start(self, model: CislinkModel) -> None:
        self.check_free()
        self.parts.mkdir(parents=True, exist_ok=True)
        meta = {
            "scenario": model.scenario.model_dump(mode="json"),
            "policy": model.policy.name,
            "seed": model.seed,
            "months": model.months,
            "design": model.design.to_dict(),
            "design_costs_usd": model.design_costs_usd,
        }
        _atomic_write(self.path / RUN_FILE, _json_bytes(meta))
        self.checkpoint(model)

    def check_resumable(self) -> None:
        if not (self.path / CHECKPOINT).exists():
            raise CislinkError(f"{self.path} holds no run to resume (no {CHECKPOINT}); start one with --out")

    def load(self) -> CislinkModel:
        """The model at its last checkpoint; parts written after it are removed."""
        self.check_resumable()
        cp = self.path / CHECKPOINT
        try:
            model: CislinkModel = pickle.loads(cp.read_bytes())
        except Exception as exc:
            raise CislinkError(f"{cp} cannot be read ({exc}); the run cannot be resumed") from None
        done = model.month + 1 if model.month_complete else 0
        for f in self.parts.glob("*.parquet"):
            if int(f.stem.rsplit("-", 1)[1]) >= done:
                f.unlink()
        return model

    # ---- as it goes -----------------------------------------------------------------------------
    def write_month(self, model: CislinkModel) -> None:
        """The month's table rows, then the checkpoint (so a crash in between redoes the month)."""
        tables = model.take_month_tables()
        for name, df in tables.items():
            df.to_parquet(self.parts / f"{name}-{model.month:04d}.parquet", index=False)
        self.checkpoint(model)
        _atomic_write(self.path / "summary-partial.json", _json_bytes(model.summary()))

    def checkpoint(self, model: CislinkModel) -> None:
        _atomic_write(self.path / CHECKPOINT, pickle.dumps(model, protocol=pickle.HIGHEST_PROTOCOL))

    def finish(self, model: CislinkModel, timing: dict[str, float]) -> dict[str, Any]:
        """Join the month parts into one table each and write the summary."""
        for name in TABLES:
            files = sorted(self.parts.glob(f"{name}-*.parquet"))
            frames = [pd.read_parquet(f) for f in files]
            frames = [f for f in frames if len(f)]
            df = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
            df.to_parquet(self.path / f"{name}.parquet", index=False)
        model.datacollector.get_model_vars_dataframe().rename_axis("day").reset_index().to_parquet(
            self.path / "daily.parquet", index=False
        )
        summary = model.summary()
        _atomic_write(self.path / "summary.json", _json_bytes(summary))
        _atomic_write(self.path / "timing.json", _json_bytes(timing))
        return summary


def run(
    model: CislinkModel,
    folder: RunFolder | None,
    months: int | None = None,
    on_month: Callable[[CislinkModel], None] | None = None,
    stop: Callable[[], bool] | None = None,
) -> dict[str, Any]:
    """Step ``model`` to the end of ``months`` (default: its own), writing and checkpointing every month.

    ``stop`` is asked after every month written: if it says so, the run ends there, unfinished (the
    folder keeps its checkpoint for a resume), and the summary so far has ``stopped_after_month``.
    """
    target = min(months or model.months, model.months)
    t0 = time.perf_counter()
    plan0, step0 = model.planning_seconds, model.stepping_seconds
    stopped = False
    while model.month + (1 if model.month_complete else 0) < target:
        model.step()
        if model.month_complete:
            if folder is not None:
                folder.write_month(model)
            if on_month is not None:
                on_month(model)
            if stop is not None and stop() and model.month + 1 < target:
                stopped = True
                break
    wall = time.perf_counter() - t0
    timing = {
        "wall_seconds": wall,
        "planning_seconds": model.planning_seconds - plan0,
        "stepping_seconds": model.stepping_seconds - step0,
    }
    timing["other_seconds"] = wall - timing["planning_seconds"] - timing["stepping_seconds"]
    if stopped:
        return model.summary() | {"timing": timing, "stopped_after_month": model.month + 1}
    if folder is not None:
        return folder.finish(model, timing) | {"timing": timing}
    return model.summary() | {"timing": timing}


def scenario_of(folder: RunFolder) -> Scenario:
    meta = json.loads((folder.path / RUN_FILE).read_text())
    return Scenario.model_validate(meta["scenario"])
