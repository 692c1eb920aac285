"""The console's session: one running model, its run folder, and plain views of its state.

The console never touches the model from its UI thread. Every command (step, inject, switch policy,
save) runs here, in one worker thread at a time, and each ends by building a :class:`View`: plain
rows for every pane, taken while the model stands still. The UI only ever reads views.

The run folder is written as it goes: every month end writes the month's tables and a checkpoint
(as ``cislink run`` does), ``save`` and quitting checkpoint mid-month too, so a crash loses at most
the days since the last of those, and ``cislink console --resume DIR`` reopens the run.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
from collections import defaultdict, deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cislink.console.severity import Severity, for_alarm, for_days_of_supply
from cislink.planner.inputs import DAYS_PER_MONTH

if TYPE_CHECKING:
    from cislink.agents.model import CislinkModel
    from cislink.agents.run import RunFolder
    from cislink.scenarios.schema import Scenario

log = logging.getLogger(__name__)

#: days of stock history kept for the trend sparklines and the drill-down plots
HISTORY_DAYS = 120
POLICIES = ("sovereign", "purchased", "hybrid")


@dataclass(frozen=True)
class InventoryRow:
    node: str
    commodity: str
    stock_kg: float
    capacity_kg: float
    days_of_supply: float
    trend: tuple[float, ...]
    severity: Severity

    @property
    def key(self) -> str:
        return f"{self.node}/{self.commodity}"


@dataclass(frozen=True)
class FleetRow:
    name: str
    kind: str  # tug | lander | launch
    state: str
    leg: str
    payload_kg: float
    eta: str
    propellant_kg: float
    origin: str = ""
    destination: str = ""
    progress: float = 0.0
    node: str = ""


@dataclass(frozen=True)
class AlarmRow:
    index: int  # position in the model's event list
    date: str
    kind: str
    target: str
    detail: str
    severity: Severity
    acknowledged: bool


@dataclass(frozen=True)
class View:
    """Everything the screen shows, taken at one instant of the model."""

    scenario: str
    date: dt.date
    day: int
    month: int
    months: int
    policy: str
    finished: bool
    nodes: tuple[str, ...]
    arc_flows_kg: dict[tuple[str, str], float]
    inventories: tuple[InventoryRow, ...]
    fleet: tuple[FleetRow, ...]
    tolls: tuple[tuple[str, float, float], ...]  # customer, this month, cumulative
    costs: tuple[tuple[str, float, float], ...]  # term, this month, cumulative
    alarms: tuple[AlarmRow, ...]
    events: tuple[dict[str, Any], ...]
    summary: dict[str, Any] = field(default_factory=dict)
    #: every day of ``month`` has been stepped: ``date`` is the first day of the next month, not yet stepped
    month_complete: bool = False
    #: the ISRU plant and the command relays: (text, worst severity) parts of one status line
    infrastructure: tuple[tuple[str, Severity], ...] = ()

    @property
    def unacknowledged(self) -> int:
        return sum(1 for a in self.alarms if not a.acknowledged)


def infrastructure_status(m: CislinkModel) -> tuple[tuple[str, Severity], ...]:
    """The ISRU plant's state and output, each command relay's, and who can still be disposed of, for one line."""
    parts: list[tuple[str, Severity]] = []

    def until(day: int) -> str:
        return (m.start_date + dt.timedelta(days=day)).isoformat()

    plant = m.isru
    if plant is not None and plant.rate_kg_per_year > 0:
        if plant.running:
            made, most = sum(plant.daily_kg.values()), plant.rate_kg_per_year / (12 * DAYS_PER_MONTH)
            parts.append((f"ISRU {plant.node} {made:,.0f} of {most:,.0f} kg/d", Severity.OK))
        else:
            parts.append((f"ISRU {plant.node} out until {until(plant.out_until)}", Severity.WARNING))
    down = [r for r in m.relays if not r.up]
    if m.relays:
        sev = Severity.WARNING if down else Severity.OK
        parts.append((f"relays {len(m.relays) - len(down)} of {len(m.relays)} up", sev))
    parts.extend((f"{r.name} out until {until(r.out_until)}", Severity.WARNING) for r in down)
    disposal = m.disposal_plan()
    if disposal:  # ISO 24113: what holds its disposal reserve, and what was lost in service (left as debris)
        lost = [r["target"] for r in disposal if r["status"] == "lost"]
        text = f"disposal ready {len(disposal) - len(lost)} of {len(disposal)}"
        parts.append((text + (f" ({', '.join(lost)} lost)" if lost else ""), Severity.WARNING if lost else Severity.OK))
    return tuple(parts)


class Session:
    """A model being run from the console (all methods run off the UI thread, one at a time)."""

    def __init__(self, model: CislinkModel, folder: RunFolder | None, solve_in_child: bool = True) -> None:
        self.model = model
        if solve_in_child:
            from cislink.console.planning import plan_window_in_child

            model.plan_window_fn = plan_window_in_child
        self.folder = folder
        self.lock = threading.Lock()
        self.acknowledged: set[int] = set()
        self.history: dict[tuple[str, str], deque[float]] = defaultdict(lambda: deque(maxlen=HISTORY_DAYS))
        self._tolls_at_month: dict[str, float] = {}
        self._costs_month = -1
        if folder is not None:
            self._load_history()
        self._record()

    # ---- making one ------------------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        scenario: Scenario,
        policy: str | None,
        seed: int | None,
        months: int | None,
        out: Path | None,
        design: Any = None,
        design_costs_usd: dict[str, float] | None = None,
    ) -> Session:
        """A new run (sizing the policy's infrastructure first unless ``design`` is given)."""
        from cislink.agents.model import CislinkModel
        from cislink.agents.policy import policy_def
        from cislink.agents.run import RunFolder
        from cislink.orbits import build_network

        folder = RunFolder(out) if out is not None else None
        if folder is not None:
            folder.check_free()
        network = build_network(scenario)
        pol = policy_def(scenario, policy or scenario.policy)
        if design is None:
            from cislink.console.planning import design_in_child

            design, design_costs_usd = design_in_child(scenario, network, pol)
        model = CislinkModel(
            scenario, pol.name, seed, network=network, design=design, design_costs_usd=design_costs_usd, months=months
        )
        if folder is not None:
            folder.start(model)
        return cls(model, folder)

    @classmethod
    def resume(cls, path: Path) -> Session:
        from cislink.agents.run import RunFolder

        folder = RunFolder(path)
        return cls(folder.load(), folder)

    # ---- commands --------------------------------------------------------------------------------
    @property
    def finished(self) -> bool:
        m = self.model
        return m.month + (1 if m.month_complete else 0) >= m.months

    @property
    def plans_next(self) -> bool:
        """The next step solves the planner first: it starts a month, or re-plans after a disruption."""
        m = self.model
        return m.month < 0 or m.month_complete or m.replan_due

    def step_days(self, days: int) -> int:
        """Step up to ``days`` days (stopping at the run's end); returns the days stepped."""
        done = 0
        with self.lock:
            while done < days and not self.finished:
                self.model.step()
                done += 1
                self._record()
                if self.model.month_complete:
                    self._month_end()
        return done

    def step_month(self) -> int:
        """Step to the end of the current month (or of the next one, at a month's end)."""
        with self.lock:
            done = 0
            while not self.finished:
                self.model.step()
                done += 1
                self._record()
                if self.model.month_complete:
                    self._month_end()
                    break
            return done

    def inject(self, kind: str, target: str, duration_days: float, start: dt.date | None) -> str:
        """Schedule a disruption (raises CislinkError naming what is allowed when it is wrong)."""
        with self.lock:
            event = self.model.inject(kind, target, duration_days, start)
            when = self.model.start_date + dt.timedelta(days=event.day)
            return f"{kind} on {target} from {when:%Y-%m-%d} for {duration_days:g} days"

    def switch_policy(self, name: str) -> None:
        from cislink.agents.policy import policy_def

        with self.lock:
            pol = policy_def(self.model.scenario, name)
            if self.model.plan_window_fn is not None:  # size in the planning process as well
                from cislink.console.planning import design_in_child

                design, costs = design_in_child(self.model.scenario, self.model.network, pol)
            else:
                design, costs = None, None
            self.model.switch_policy(name, design, costs)

    def save(self) -> Path | None:
        """Checkpoint now (mid-month too); returns the run folder."""
        with self.lock:
            if self.folder is None:
                return None
            self.folder.checkpoint(self.model)
            return self.folder.path

    def acknowledge(self, index: int | None = None) -> int:
        """Acknowledge one alarm (by event index) or, with None, the oldest unacknowledged; returns how many."""
        alarms = [i for i, e in enumerate(self.model.events) if e["alarm"] and i not in self.acknowledged]
        if index is not None:
            alarms = [i for i in alarms if i == index]
        if not alarms:
            return 0
        self.acknowledged.add(alarms[0])
        return 1

    # ---- views -----------------------------------------------------------------------------------
    def view(self) -> View:
        with self.lock:
            return self._view()

    def ledger_rows(self, node: str | None = None, vehicle: str | None = None, limit: int = 200) -> list[tuple]:
        """The latest ledger entries at a node or by a vehicle (this month, then the month parts on disk)."""
        import pandas as pd

        with self.lock:
            led = self.model.ledger
            frame = pd.DataFrame(
                {"day": led.day, "kind": led.kind, "node": led.node, "commodity": led.commodity, "kg": led.kg,
                 "detail": led.detail}
            )  # fmt: skip
        if self.folder is not None and len(frame) < limit:
            parts = sorted(self.folder.parts.glob("ledger-*.parquet"))[-2:]
            frame = pd.concat([*(pd.read_parquet(p) for p in parts), frame], ignore_index=True)
        if node is not None:
            frame = frame[frame["node"] == node]
        if vehicle is not None:
            frame = frame[frame["detail"].str.startswith(vehicle)]
        frame = frame.tail(limit).iloc[::-1]
        start = self.model.start_date
        return [
            ((start + dt.timedelta(days=int(r.day))).isoformat(), r.kind, r.node, r.commodity, float(r.kg), r.detail)
            for r in frame.itertuples(index=False)
        ]

    def planned_legs(
        self, vehicle_type: str | None = None, node: str | None = None
    ) -> list[tuple[str, str, str, float]]:
        with self.lock:
            legs = list(self.model.legs)
        out = []
        for g in legs:
            if vehicle_type is not None and g.vehicle_type != vehicle_type:
                continue
            if node is not None and node not in (g.origin, g.destination):
                continue
            out.append((g.vehicle_type, g.origin, g.destination, g.cargo_total_kg))
        return out

    def history_of(self, node: str) -> dict[str, list[float]]:
        with self.lock:
            return {c: list(h) for (n, c), h in self.history.items() if n == node}

    # ---- internals -------------------------------------------------------------------------------
    def _month_end(self) -> None:
        if self.folder is not None:
            self.folder.write_month(self.model)
        if self.finished and self.folder is not None:
            m = self.model
            timing = {"planning_seconds": m.planning_seconds, "stepping_seconds": m.stepping_seconds}
            self.folder.finish(m, timing)

    def _record(self) -> None:
        for node, depot in self.model.depots.items():
            for c, kg in depot.stock.items():
                self.history[(node, c)].append(kg)
        if self.model.month != self._costs_month:
            self._costs_month = self.model.month
            self._tolls_at_month = {c.name: c.tolls_usd for c in self.model.customers}

    def _load_history(self) -> None:
        import pandas as pd

        assert self.folder is not None
        parts = sorted(self.folder.parts.glob("inventories-*.parquet"))[-(HISTORY_DAYS // 28 + 1) :]
        if not parts:
            return
        inv = pd.concat([pd.read_parquet(p) for p in parts], ignore_index=True)
        for (node, c), rows in inv.sort_values("day").groupby(["node", "commodity"]):
            self.history[(str(node), str(c))].extend(float(x) for x in rows["kg"].tail(HISTORY_DAYS))

    def _view(self) -> View:
        m = self.model
        use_by_node: dict[str, dict[str, float]] = {n: m.node_use(n) for n in m.depots}
        limit_by_node: dict[str, float] = {}
        for cu in m.customers:
            if cu.kind != "ally":
                limit_by_node[cu.node] = max(limit_by_node.get(cu.node, 0.0), cu.days_limit)
        inventories = []
        for node, depot in m.depots.items():
            commodities = sorted(set(depot.stock) | set(use_by_node.get(node, {})))
            for c in commodities:
                kg = depot.stock.get(c, 0.0)
                use = use_by_node.get(node, {}).get(c, 0.0)
                if kg < 1e-6 and use <= 0 and depot.capacity_kg <= 0:
                    continue
                days = kg / use if use > 0 else math.inf
                sev = for_days_of_supply(days, limit_by_node.get(node, 30.0)) if use > 0 else Severity.OK
                trend = tuple(self.history.get((node, c), ()))[-30:]
                inventories.append(InventoryRow(node, c, kg, depot.capacity_kg, days, trend, sev))
        fleet = []
        for v in m.vehicles:
            f = v.flight
            prop = sum(v.reserve_kg.values()) + (sum(f.propellant_kg.values()) if f else 0.0)
            if f is None:
                fleet.append(FleetRow(v.name, v.role, v.state, f"at {v.node}" if v.node else "", 0.0, "", prop,
                                      node=v.node))  # fmt: skip
                continue
            eta = m.start_date + dt.timedelta(days=math.ceil(f.arrive_day))
            progress = min(max((m.day - f.depart_day) / max(f.arrive_day - f.depart_day, 1e-9), 0.0), 1.0)
            fleet.append(
                FleetRow(v.name, v.role, v.state, f"{f.leg.origin}→{f.leg.destination}", sum(f.cargo_kg.values()),
                         f"{eta:%Y-%m-%d}", prop, f.leg.origin, f.leg.destination, progress)
            )  # fmt: skip
        for i, s in enumerate(sorted(m.shipments, key=lambda s: (s.arrive_day, s.node, s.source))):
            eta = m.start_date + dt.timedelta(days=s.arrive_day)
            fleet.append(
                FleetRow(f"{s.source}#{i + 1}", "launch", "in_transit", f"earth→{s.node}", sum(s.payload_kg.values()),
                         f"{eta:%Y-%m-%d}", 0.0, "earth", s.node, 0.5)
            )  # fmt: skip
        flows: dict[tuple[str, str], float] = defaultdict(float)
        plan = m.plan
        if plan is not None and m.month >= 0:
            sel = m.month
            f = plan.flows[plan.flows["month"] == sel]
            for (o, d), kg in f.groupby(["origin", "destination"])["kg"].sum().items():
                flows[(str(o), str(d))] += float(kg)
            lf = plan.launched[plan.launched["month"] == sel]
            for node, kg in lf.groupby("node")["kg"].sum().items():
                flows[("earth", str(node))] += float(kg)
        tolls = tuple(
            (c.name, c.tolls_usd - self._tolls_at_month.get(c.name, 0.0), c.tolls_usd)
            for c in m.customers
            if c.kind == "ally" or c.tolls_usd > 0
        )
        cum = m.cost_terms()
        this = defaultdict(float)
        for (month, term), usd in m.costs.items():
            if month == m.month:
                this[term] += usd
        costs = tuple((t, this.get(t, 0.0), cum[t]) for t in sorted(cum))
        alarms = tuple(
            AlarmRow(i, e["date"], e["kind"], e["target"], e["detail"], for_alarm(e["kind"]), i in self.acknowledged)
            for i, e in enumerate(m.events)
            if e["alarm"]
        )
        return View(
            scenario=m.scenario.name,
            date=m.date,
            day=m.day,
            month=m.month,
            months=m.months,
            policy=m.policy.name,
            finished=self.finished,
            nodes=tuple(n for n in m.network.node_names),
            arc_flows_kg=dict(flows),
            inventories=tuple(inventories),
            fleet=tuple(fleet),
            tolls=tolls,
            costs=costs,
            alarms=alarms,
            events=tuple(dict(e) for e in m.events),
            month_complete=m.month >= 0 and m.month_complete,
            infrastructure=infrastructure_status(m),
            summary={
                "total_cost_usd": m.total_cost_usd,
                "tolls_usd": m.tolls_usd,
                "shortfall_kg": m.shortfall_kg,
                "station_days_short": sum(c.days_short for c in m.customers),
                "balance_error_kg": m.balance_error_kg,
            },
        )
