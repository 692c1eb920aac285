"""Wargame sweeps: N randomised futures per policy, run in parallel on Dask, paired by seed.

Run ``i`` of every policy uses seed ``seed + i``: the random disruptions (and the embargo draws)
come from streams seeded by that seed alone, so policy A's run ``i`` and policy B's run ``i`` meet
the same future, and their difference is a paired comparison (common random numbers).

Every run is one task on a Dask cluster: a local cluster of process workers by default (one thread
each: Pyomo is not thread-safe), or an existing scheduler. A task writes nothing; the driver writes
each finished run to ``DIR/runs/POLICY-RUN.json`` at once, so a sweep that is interrupted loses no
finished run and a second call with the same arguments only runs what is missing. Tasks are
retried when the worker running them dies.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cislink.errors import CislinkError, StoppedError
from cislink.planner import interrupt
from cislink.scenarios.schema import Scenario

log = logging.getLogger(__name__)

#: retries of a task whose worker died
RETRIES = 3
RUN_COLUMNS = (
    "policy", "run", "seed", "months", "total_cost_usd", "investment_usd", "cost_spread_usd", "shortfall_kg",
    "station_days_short", "earth_launches", "launched_kg", "launch_failures", "tolls_usd", "delivered_kg", "lost_kg",
    "assets_lost", "planner_fallbacks", "replans_in_month", "mass_balance_error_kg",
)  # fmt: skip


@dataclass(frozen=True)
class Sweep:
    """What to run: the scenario, policies, futures per policy, months and the first seed."""

    scenario: Scenario
    policies: tuple[str, ...]
    runs: int
    months: int
    seed: int

    def tasks(self) -> list[tuple[str, int]]:
        return [(p, i) for i in range(self.runs) for p in self.policies]


def run_one(
    scenario: Scenario, policy: str, run: int, seed: int, months: int, design: Any, costs: dict[str, float]
) -> dict[str, Any]:
    """One future under one policy; returns its row and its stations' shortfalls (no files written)."""
    from cislink.agents.model import CislinkModel
    from cislink.agents.run import run as run_model

    # one solver thread per run: the sweep's parallelism is its runs (one per worker process)
    scenario = scenario.model_copy(update={"planner": scenario.planner.model_copy(update={"threads": 1})})
    model = CislinkModel(scenario, policy, seed + run, design=design, design_costs_usd=costs, months=months)
    summary = run_model(model, None)
    row = {k: summary[k] for k in RUN_COLUMNS if k in summary}
    row.update(policy=policy, run=run, seed=seed + run, months=months)
    row["assets_lost"] = summary["disposal"]["lost"]  # vehicles and depots destroyed in service: left as debris
    row["stations"] = [
        {"station": c.name, "shortfall_kg": c.short_kg, "days_short": c.days_short}
        for c in model.customers
        if c.kind != "ally"
    ]
    return row


def _write_json(path: Path, obj: Any) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        json.dump(obj, fh, indent=1, sort_keys=True)
    os.replace(tmp, path)


def run_sweep(
    sweep: Sweep,
    out: Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    on_done: Callable[[int, int], None] | None = None,
    client: Any = None,
) -> list[dict[str, Any]]:
    """Run every (policy, run) not yet on disk in ``out/runs``; return all rows, sorted.

    ``client`` runs on an existing Dask client (left open) instead of making one.
    """
    from distributed import Client, LocalCluster, as_completed

    from cislink.agents.policy import design_for_policy, policy_def
    from cislink.orbits import build_network

    done_dir = out / "runs"
    done_dir.mkdir(parents=True, exist_ok=True)
    network = build_network(sweep.scenario)
    designs = {}
    for p in sweep.policies:  # sized once per policy (cached on disk), before any run
        designs[p] = design_for_policy(sweep.scenario, network, policy_def(sweep.scenario, p))
        if interrupt.requested():  # Ctrl-C while sizing: a design from a stopped study is not run
            raise StoppedError(f"stopped while the infrastructure of policy {p} was being sized; nothing was run")
    todo = [(p, i) for p, i in sweep.tasks() if not (done_dir / f"{p}-{i:05d}.json").exists()]
    total = len(sweep.tasks())
    finished = total - len(todo)
    if on_done is not None:
        on_done(finished, total)
    if todo:
        own = client is None
        cluster = None
        if own and scheduler:
            try:
                client = Client(scheduler, timeout="20s")
            except ValueError as exc:  # not an address at all
                raise CislinkError(
                    f"--scheduler {scheduler}: not a scheduler address ({exc}); allowed: an address such as "
                    "tcp://host:8786"
                ) from None
            except (OSError, TimeoutError) as exc:
                raise CislinkError(
                    f"--scheduler {scheduler}: cannot connect ({exc}); give a running scheduler"
                ) from None
        elif own:
            from cislink.planner.solve import machine_cores

            cores = machine_cores()
            if workers > cores:  # each run is a process with a single-threaded solver: more only share the cores
                log.warning("%d local workers asked for; cores on this machine: %d; using %d", workers, cores, cores)
                workers = cores
            logging.getLogger("distributed").setLevel(logging.WARNING)  # the bar is the progress shown
            # the workers log nothing a user needs: a run's error comes back through its future, and
            # a worker that loses the scheduler while a stopped sweep shuts down logs a traceback
            # no dashboard; the scheduler's own HTTP routes on a free port, not 8787, which another
            # sweep or a notebook's cluster may hold (Dask would warn in the user's terminal)
            cluster = LocalCluster(
                n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                scheduler_kwargs={"dashboard_address": ":0"}, silence_logs=logging.CRITICAL,
            )  # fmt: skip
            client = Client(cluster)
            client.run(_ignore_ctrl_c)  # Ctrl-C reaches the workers too; this process stops them
        try:
            sc = client.scatter(sweep.scenario, broadcast=True)
            futures = {}
            for p, i in todo:
                design, costs = designs[p]
                fut = client.submit(
                    run_one, sc, p, i, sweep.seed, sweep.months, design, costs,
                    key=f"run-{p}-{i}-{sweep.seed}", retries=RETRIES, pure=False,
                )  # fmt: skip
                futures[fut] = (p, i)
            pending = as_completed(futures)
            while not pending.is_empty():
                if interrupt.requested():
                    client.cancel(list(futures))
                    raise StoppedError(
                        f"stopped by Ctrl-C: {finished} of {total} runs are saved in {done_dir}; "
                        "the same command continues from there"
                    )
                batch = pending.next_batch(block=False)
                if not batch:
                    time.sleep(POLL_S)
                    continue
                for fut in batch:
                    p, i = futures[fut]
                    try:
                        row = fut.result()
                    except Exception as exc:  # a run that fails for a reason other than a dead worker
                        log.error("run %s/%d failed: %s", p, i, exc)
                        raise CislinkError(f"run {i} of policy {p} failed: {exc}") from None
                    _write_json(done_dir / f"{p}-{i:05d}.json", row)
                    fut.release()  # on disk now: the cluster need not keep (or recompute) it
                    finished += 1
                    if on_done is not None:
                        on_done(finished, total)
        finally:
            if own:
                client.close()
            if cluster is not None:
                cluster.close()
    return load_rows(out, sweep)


#: How often (seconds) the sweep looks for finished runs and for a stop request.
POLL_S = 0.2


def _ignore_ctrl_c() -> None:
    """In a worker process: leave Ctrl-C to the process that started the cluster, which stops it.

    A terminal sends Ctrl-C to every process of the command; a worker that took it would print
    its own traceback while the cluster shuts down.
    """
    import signal
    import threading

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def load_rows(out: Path, sweep: Sweep) -> list[dict[str, Any]]:
    rows = []
    for p, i in sweep.tasks():
        rows.append(json.loads((out / "runs" / f"{p}-{i:05d}.json").read_text()))
    order = {p: k for k, p in enumerate(sweep.policies)}
    return sorted(rows, key=lambda r: (order[r["policy"]], r["run"]))
