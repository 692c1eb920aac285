r"""Lunar ISRU: a plant that may be built, its production rate, and what its water becomes (eqs 8, 10-15).

The study writes the plant's output with split factors it optimises, which makes the model bilinear::

    m_H2O = K_H2O R                      (10)    m_LH2 = 0.11 R (1 - K_H2O)               (12)
    m_O2  = 0.89 K_O2 R (1 - K_H2O)      (11)    m_LOX = 0.89 R (1 - K_H2O)(1 - K_O2)     (13)
    propellant = LOX + LH2 at 6:1        (14)    K_O2 <= 0.26                             (15)

Exact linear form. Introduce the mass electrolysed in a month, ``e = R (1 - K_H2O)``, and the mass
kept as water, ``w = K_H2O R``. Then ``w + e = R``, and for any ``(w, e) >= 0`` with ``w + e = R > 0``
there is exactly one ``K_H2O = w / R`` in [0, 1], so the pair replaces the product. Electrolysis
gives ``0.89 e`` of oxygen and ``0.11 e`` of hydrogen. Breathing oxygen ``o = 0.89 K_O2 e`` and LOX
``0.89 e - o``; again any ``0 <= o <= 0.89 e`` defines ``K_O2 = o / (0.89 e)``, and eq 15 becomes
``o <= 0.26 * 0.89 e``. LOX and LH2 are usable only as propellant in the 6:1 mixture, so propellant
``p`` needs ``6/7 p <= 0.89 e - o`` (oxygen) and ``1/7 p <= 0.11 e`` (hydrogen); what is left over is
vented. Every variable is linear and the feasible products are exactly those of eqs 10-15 (with
venting, which the study's equalities forbid but an optimum never needs, since products are free).
The plant may run below its rated size (``w + e <= R``), as a real plant does during an outage.

A month's output is made day by day. The study's months are single points in time, but a rolling
window's plan is flown day by day, and output made in the last days of a month cannot reach a
departure due at its end (the first Mars departure, supplied from the lunar surface through LLO and
EML2, went 6 t short for that reason while its plan met it). A window therefore lets a month's
departures use only ``isru_same_month_share`` (the scenario's ``window_isru_same_month_share``) of
its output; the rest enters the next step's balance at the plant, so the plant's throughput is
unchanged and only a share of it comes a month later. Output due after the window's last step is
not counted. In a step of several months only the last month's late share moves.

The plant's mass is ``fixed_mass_kg + mass_per_rate_kg * rate`` (kg, rate in kg/yr), launched at
the infrastructure price to its node; DDTE and operations are paid if it is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pyomo.environ as pyo

from cislink.planner.blocks.context import Context, linear
from cislink.planner.inputs import H2O_SPLIT, K_O2_MAX, LOX_LH2_MIXTURE

if TYPE_CHECKING:
    from cislink.planner.inputs import Inputs

O2, H2 = H2O_SPLIT


def define_isru(m: pyo.ConcreteModel, inp: Inputs, ctx: Context) -> None:
    node = inp.isru_node
    if node is None:
        return
    steps = [s.index for s in inp.steps]
    m.isru_built = pyo.Var(domain=pyo.Binary)
    m.isru_rate = pyo.Var(domain=pyo.NonNegativeReals, bounds=(0, inp.isru_max_kg_per_year))  # kg/yr
    m.isru_size_link = pyo.Constraint(expr=m.isru_rate <= inp.isru_max_kg_per_year * m.isru_built)
    if inp.design is not None:
        m.isru_built.fix(1)
        m.isru_rate.fix(inp.isru_max_kg_per_year)
    elif "isru" in inp.required:
        m.isru_built.fix(1)
    m.isru_electrolysed = pyo.Var(steps, domain=pyo.NonNegativeReals)
    products = list(inp.isru_products)
    m.isru_output = pyo.Var(products, steps, domain=pyo.NonNegativeReals)
    has = set(products)
    e = m.isru_electrolysed
    # kg/yr to kg per step: the step's months, each at the share of it the plant runs
    availability = {
        s.index: sum(inp.isru_availability.get(mo, 1.0) for mo in range(s.month, s.month + s.months)) for s in inp.steps
    }

    def rate_rule(_m: pyo.ConcreteModel, t: int) -> object:
        terms = [(1.0, e[t]), (-availability[t] / 12.0, m.isru_rate)]
        if "water" in has:
            terms.append((1.0, m.isru_output["water", t]))
        return linear(terms) <= 0.0

    m.isru_capacity = pyo.Constraint(steps, rule=rate_rule)
    mix = LOX_LH2_MIXTURE + 1.0

    def oxygen_rule(_m: pyo.ConcreteModel, t: int) -> object:
        terms = [(-O2, e[t])]
        if "oxygen" in has:
            terms.append((1.0, m.isru_output["oxygen", t]))
        if "propellant" in has:
            terms.append((LOX_LH2_MIXTURE / mix, m.isru_output["propellant", t]))
        return linear(terms) <= 0.0

    m.isru_oxygen = pyo.Constraint(steps, rule=oxygen_rule)
    if "propellant" in has:
        m.isru_hydrogen = pyo.Constraint(
            steps, rule=lambda _m, t: linear([(1.0 / mix, m.isru_output["propellant", t]), (-H2, e[t])]) <= 0.0
        )
    if "oxygen" in has:
        m.isru_breathing_share = pyo.Constraint(
            steps, rule=lambda _m, t: linear([(1.0, m.isru_output["oxygen", t]), (-K_O2_MAX * O2, e[t])]) <= 0.0
        )
    # what is made too late in a step for its departures enters the next step's balance (docstring)
    following = {s.prev: s.index for s in inp.steps if s.prev is not None}
    late = {s.index: (1.0 - inp.isru_same_month_share) / s.months for s in inp.steps}
    for p, t in m.isru_output:
        var = m.isru_output[p, t]
        parts = [(t, 1.0 - late[t])] + ([(following[t], late[t])] if late[t] > 0 and t in following else [])
        for c, frac in inp.isru_products[p].items():
            for step, share in parts:
                ctx.add(node, c, step, frac * share, var)
                ctx.node_inflow[(node, c, step)].append((frac * share, var))
                ctx.new_mass[(c, step)].append((frac * share, var))

    option = inp.scenario.infrastructure.isru
    share = inp.fixed_cost_share
    if option is None or share == 0:
        return
    price = share * inp.infra_price_per_kg[node]
    ctx.cost("ddte", share * option.ddte_usd, m.isru_built)
    ctx.cost("infrastructure_launch", price * option.fixed_mass_kg, m.isru_built)
    ctx.cost("infrastructure_launch", price * option.mass_per_rate_kg, m.isru_rate)
    ctx.cost("operations", share * option.operations_usd_per_year * inp.years, m.isru_built)
