"""Disruptions: scripted in the scenario, drawn at random from its rates, or injected at run time.

Every disruption is an :class:`Event` (kind, target, day, duration) applied at the start of its
day and written to the event log. :meth:`CislinkModel.inject` is the one entry point for a running
model (the console calls it); :func:`check_event` names what a target may be when it is wrong.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from cislink.errors import CislinkError
from cislink.planner.inputs import Design

if TYPE_CHECKING:
    from cislink.agents.model import CislinkModel

KINDS = ("launch_failure", "vehicle_loss", "depot_loss", "isru_outage", "relay_outage", "debris_event", "embargo")
#: Crowded regimes a random debris event can close.
DEBRIS_REGIMES = ("leo", "geo")
#: Mean length of a randomly drawn embargo (days).
EMBARGO_MEAN_DAYS = 180.0


@dataclass
class Event:
    """One disruption (or a planned Mars departure): what, to whom, from which day, for how long."""

    kind: str
    target: str
    day: int
    duration_days: float = 0.0
    source: str = "scripted"
    payload: dict[str, float] = field(default_factory=dict)
    #: a Mars departure waits for its full load until this day, then leaves with what is there
    latest_day: int | None = None


def start_day(model: CislinkModel, when: dt.date) -> int:
    return (when - model.start_date).days


def targets(model: CislinkModel, kind: str) -> list[str]:
    """What ``kind`` may hit in this model."""
    if kind in ("launch_failure", "embargo"):  # what the scenario itself allows: every run has them all
        return model.scenario.disruption_targets()[kind]
    if kind == "vehicle_loss":
        alive = [v for v in model.vehicles if not v.lost]
        return sorted({v.name for v in alive} | {v.vehicle_type for v in alive} | set(model._vehicles_to_place))
    if kind == "depot_loss":
        return sorted(n for n, d in model.depots.items() if d.built)
    if kind == "isru_outage":
        return [model.isru.node, "isru"] if model.isru is not None else []
    if kind == "relay_outage":
        return sorted({r.name for r in model.relays} | {r.node for r in model.relays})
    if kind == "debris_event":
        return sorted(model.debris.regimes)
    return []


def check_event(model: CislinkModel, event: Event) -> None:
    """Raise a CislinkError naming what is allowed if ``event`` cannot apply to this model."""
    if event.kind not in KINDS:
        raise CislinkError(f"unknown disruption '{event.kind}'; allowed: {', '.join(KINDS)}")
    allowed = targets(model, event.kind)
    if event.target not in allowed:
        raise CislinkError(
            f"{event.kind}: unknown target '{event.target}'; allowed: {', '.join(allowed) or 'none in this run'}"
        )
    if not (event.duration_days >= 0 and math.isfinite(event.duration_days)):
        raise CislinkError(f"{event.kind}: duration {event.duration_days} days; allowed: 0 or more days")


def apply_event(model: CislinkModel, e: Event) -> None:
    """Make the disruption happen now and log it."""
    until = model.day + max(math.ceil(e.duration_days), 1)
    if e.kind == "mars_departure":
        depot = model.depot(e.target)
        loaded = all(depot.stock.get(c, 0.0) >= kg - 1e-6 for c, kg in e.payload.items())
        if not loaded and e.latest_day is not None and model.day < e.latest_day:
            # not all there yet: try again tomorrow (leaving as soon as loaded limits boil-off)
            model.pending_events.append(replace(e, day=model.day + 1))
            model.pending_events.sort(key=lambda x: (x.day, x.kind, x.target))
            return
        for c, kg in e.payload.items():
            got = depot.take(c, kg)
            model.ledger.record(model.day, "consumption", e.target, c, got, "mars transfer vehicle")
            model.consumed_kg += got
            if kg - got > 1e-6:
                model.shortfall_rows.append((model.day, "mars", e.target, c, kg - got))
                model.mars_short_kg += kg - got
        model.mars_departed_month = model.month
        model.log_event("mars_departure", e.target, detail=f"{sum(e.payload.values()):,.0f} kg loaded", source="plan")
        return
    if e.kind == "vehicle_replacement":
        model.replace_vehicle(e.target)
        return
    if e.target not in targets(model, e.kind):
        model.log_event(e.kind, e.target, detail="no such target any more; ignored", source=e.source)
        return
    detail = ""
    if e.kind == "launch_failure":
        next(p for p in model.launch_providers if p.name == e.target).forced_failures += 1
        detail = "the next launch of this vehicle fails"
    elif e.kind == "vehicle_loss":
        v = next(v for v in model.vehicles if not v.lost and (v.name == e.target or v.vehicle_type == e.target))
        model.lose_vehicle(v, "disruption", source=e.source)
        return
    elif e.kind == "depot_loss":
        depot = model.depot(e.target)
        lost = depot.total_kg
        for c, kg in depot.stock.items():
            model.ledger.record(model.day, "loss", e.target, c, kg, "depot loss")
        depot.stock = {}
        if depot.capacity_kg > 0 and "depot" in model.policy.owns:
            model.depots_lost = [*model.__dict__.get("depots_lost", []), e.target]  # left as debris
        depot.capacity_kg = 0.0
        d = model.design
        model.design = Design({n: q for n, q in d.depots.items() if n != e.target}, d.isru_kg_per_year, dict(d.fleets))
        detail = f"depot and {lost:,.0f} kg lost"
    elif e.kind == "isru_outage":
        assert model.isru is not None
        model.isru.out_until = max(model.isru.out_until, until)
        detail = f"no production for {e.duration_days:g} days"
    elif e.kind == "relay_outage":
        for r in model.relays:
            if e.target in (r.name, r.node):
                r.out_until = max(r.out_until, until)
        detail = f"no command cover for {e.duration_days:g} days"
    elif e.kind == "debris_event":
        model.closures[e.target] = max(model.closures.get(e.target, -1), until)
        detail = f"arcs through {e.target} closed for {e.duration_days:g} days"
    elif e.kind == "embargo":
        end = model.day + math.ceil(e.duration_days) if e.duration_days > 0 else 10**9
        model.embargoes[e.target] = max(model.embargoes.get(e.target, -1), end)
        detail = f"unavailable for {e.duration_days:g} days" if e.duration_days > 0 else "unavailable from now on"
    model.log_event(e.kind, e.target, detail=detail, duration_days=e.duration_days, source=e.source, alarm=True)
    if e.kind != "launch_failure":  # a launch failure re-plans when the launch has failed
        model.request_replan(e.kind, e.target)


def draw_random_events(model: CislinkModel) -> list[Event]:
    """Disruptions drawn from the scenario's yearly rates over the run, on their own random streams.

    Each kind has its own stream per year of the run, seeded from the run's seed alone, and every
    draw is made whether or not this run has a target for it, so two policies run with one seed meet
    the same disruptions (common random numbers); and since a year's draws do not depend on how many
    years follow it, a run's first months meet the same disruptions whatever its length (the first
    month of a 240-month run in the console is the 1-month run of ``cislink run --months 1``).
    Embargoes come from the policy's ``embargo_probability_per_year``: one uniform draw per year and
    provider, shared by all policies, so a policy with a higher probability is embargoed in a
    superset of the futures.
    """
    rates = model.scenario.disruption_rates
    from cislink.agents.model import add_months

    days = (add_months(model.start_date, model.months) - model.start_date).days
    years = days / 365.25
    out: list[Event] = []

    def draw(k: int, kind: str, rate: float, choices: list[str]) -> None:
        for year in range(math.ceil(years)) if rate > 0 else ():
            first, end = math.floor(year * 365.25), math.floor((year + 1) * 365.25)
            rng = np.random.default_rng([model.seed, 0xD15, k, year])
            for _ in range(int(rng.poisson(rate))):
                day = first + int(rng.integers(0, end - first))
                duration = float(math.ceil(rng.exponential(rates.mean_outage_days)))
                pick = float(rng.random())
                if choices and day < days:
                    out.append(Event(kind, choices[int(pick * len(choices))], day, duration, "random"))

    draw(1, "depot_loss", rates.depot_loss_per_year, sorted(model.design.depots))
    draw(2, "isru_outage", rates.isru_outage_per_year, [model.isru.node] if model.isru is not None else [])
    draw(3, "relay_outage", rates.relay_outage_per_year, sorted(r.name for r in model.relays))
    draw(4, "debris_event", rates.debris_event_per_year, list(DEBRIS_REGIMES))
    p = model.policy.embargo_probability_per_year
    providers = sorted({lv.provider for lv in model.scenario.launch_vehicles})
    rng = np.random.default_rng([model.seed, 0xD15, 5])
    for year in range(math.ceil(years)):
        for provider in providers:
            u, day, duration = float(rng.random()), float(rng.random()), float(rng.exponential(EMBARGO_MEAN_DAYS))
            if u < p:
                start = int(year * 365.25 + day * 365.25)
                if start < days:
                    out.append(Event("embargo", provider, start, float(math.ceil(duration)), "random"))
    return out
