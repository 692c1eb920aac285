"""Customer demand, soft (study eq 4 with a shortfall variable).

Each demand lump (station or servicer, commodity, month) is met at its node or falls short; the
shortfall is a variable with a penalty per kg far above any supply cost
(``planner.shortfall_penalty_usd_per_kg``), so no scenario or disruption makes the model infeasible,
and the plan reports what could not be delivered.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.context import Context, by_index
from cislink.planner.inputs import REFUEL_PREFIX

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs

#: Leaving a vehicle's refuel (``refuel@NODE``) short in full costs this many of the cheapest launch.
REFUEL_SHORT_LAUNCHES = 10.0


def define_demand(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    keys = sorted(inp.demand)
    m.demand_index = pyo.SetOf(keys)
    m.shortfall = pyo.Var(m.demand_index, domain=pyo.NonNegativeReals, bounds=lambda _m, *k: (0.0, inp.demand[k]))
    weight = {s.index: s.weight for s in inp.steps}
    steps = [s.index for s in inp.steps][:1]
    cheapest_launch_usd = min(inp.launch_price_usd.values(), default=0.0)
    for (name, c, t), var in by_index(m.shortfall).items():
        node = inp.demand_node[name]
        kg = inp.demand[(name, c, t)]
        ctx.constant[(node, c, t)] -= kg
        ctx.demand[(node, c, t)] += kg
        ctx.add(node, c, t, 1.0, var)
        penalty = inp.shortfall_penalty_usd_per_kg
        if name.startswith(REFUEL_PREFIX) and kg > 0:
            # a vehicle a few kg short of its way home cannot fly it at all: however small, leaving
            # the refuel short must cost more than the launch that meets it
            penalty = max(penalty, REFUEL_SHORT_LAUNCHES * cheapest_launch_usd / kg)
        ctx.cost("shortfall_penalty", weight[t] * penalty, var)

    # a stranded vehicle's propellant (refuel@NODE) must be there at the month's start or come by
    # launch: the window's own trips of that vehicle cannot bring it, since the vehicle is not home
    refuel = [
        (name, c, t)
        for name, c, t in keys
        if name.startswith(REFUEL_PREFIX) and steps and t == steps[0] and (inp.demand_node[name], c, t) in m.launched
    ]

    def refuel_rule(_m: pyo.ConcreteModel, name: str, c: str, t: int) -> object:
        node = inp.demand_node[name]
        need = inp.demand[(name, c, t)] - inp.initial_stock.get((node, c), 0.0)
        return m.launched[node, c, t] + m.shortfall[name, c, t] >= need

    m.refuel_by_launch = pyo.Constraint(refuel, rule=refuel_rule)
