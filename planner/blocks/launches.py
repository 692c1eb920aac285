"""Earth launches (study eqs 18-19, 34).

An integer number of launches per launch vehicle, destination and month; the mass launched to a
destination, per commodity, fits the payload of those launches to that destination's orbit class
(LEO, GEO or trans-lunar) and their fairing volume. Each launch costs its price.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.context import Context, by_index, linear

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs

MAX_LAUNCHES_PER_MONTH = 30


def define_launches(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    steps = [s.index for s in inp.steps]
    m.launch_index = pyo.SetOf([(lv, d, t) for lv, d in inp.launch_options for t in steps])
    m.launch_flow_index = pyo.SetOf([(d, c, t) for d in inp.launch_nodes for c in inp.commodities for t in steps])
    span = {s.index: s.months for s in inp.steps}
    m.launches = pyo.Var(
        m.launch_index,
        domain=pyo.NonNegativeIntegers,
        bounds=lambda _m, lv, d, t: (0, MAX_LAUNCHES_PER_MONTH * span[t]),
    )
    m.launched = pyo.Var(m.launch_flow_index, domain=pyo.NonNegativeReals)
    launches, launched = by_index(m.launches), by_index(m.launched)

    by_dest: dict[str, list[str]] = {}
    for lv, d in inp.launch_options:
        by_dest.setdefault(d, []).append(lv)
    keys = [(d, t) for d in inp.launch_nodes for t in steps]

    def mass_rule(_m: pyo.ConcreteModel, d: str, t: int) -> object:
        cap = [(-inp.launch_payload_kg[(lv, d)], launches[lv, d, t]) for lv in by_dest[d]]
        return linear([(1.0, launched[d, c, t]) for c in inp.commodities] + cap) <= 0.0

    def volume_rule(_m: pyo.ConcreteModel, d: str, t: int) -> object:
        cap = [(-inp.launch_volume_m3[lv], launches[lv, d, t]) for lv in by_dest[d]]
        return linear([(1.0 / inp.density[c], launched[d, c, t]) for c in inp.commodities] + cap) <= 0.0

    m.launch_mass = pyo.Constraint(pyo.SetOf(keys), rule=mass_rule)
    m.launch_volume = pyo.Constraint(pyo.SetOf(keys), rule=volume_rule)

    for (d, c, t), var in launched.items():
        ctx.add(d, c, t, 1.0, var)
        ctx.node_inflow[(d, c, t)].append((1.0, var))
        ctx.new_mass[(c, t)].append((1.0, var))
    weight = {s.index: s.weight for s in inp.steps}
    for (lv, _, t), var in launches.items():
        ctx.cost("supply_launches", weight[t] * inp.launch_price_usd[lv], var)
