"""Warm starts: a solved model's plan as plain values, and that plan given to another model.

The study solves its programme subsets smallest first; a subset with more programmes starts from
the plan of a smaller one (with its own programmes built empty), and the segment decomposition
starts each segment from the part of that plan in its months.
"""

from __future__ import annotations

from typing import Any

import pyomo.environ as pyo

Values = dict[tuple[str, Any], float]


def plan_values(m: pyo.ConcreteModel) -> Values:
    """The non-zero variable values of a solved model, by component name and index."""
    out: Values = {}
    for var in m.component_objects(pyo.Var, active=True):
        for index, v in var.items():
            if v.value:
                out[(var.local_name, index)] = v.value
    return out


def start_from(m: pyo.ConcreteModel, values: Values) -> None:
    """Give ``m`` the plan ``values`` of a model with fewer programmes, as a first plan for the solver.

    Variables the other model lacks (stock in a depot, ISRU output) start at zero, within their
    bounds; a programme that must be built is built empty (one depot of zero capacity, a plant
    producing nothing), which costs its DDTE and changes nothing else.
    """
    for var in m.component_objects(pyo.Var, active=True):
        for index, v in var.items():
            if not v.fixed:
                v.set_value(values.get((var.local_name, index), 0.0), skip_validation=True)
    tidy(m)
    if hasattr(m, "depot_any") and not any((v.value or 0) > 0.5 for v in m.depot_built.values()):
        next(iter(m.depot_built.values())).set_value(1)
    fill_defined(m)


def tidy(m: pyo.ConcreteModel) -> None:
    """Round the whole-number variables of the plan ``m`` holds and put every value within its bounds.

    A plan read back from a solver has whole numbers a hair off (2.9999999) and values a hair past
    their bounds. Handed to HiGHS as a first plan it passes HiGHS's feasibility check, yet on the
    reference scenario's tug + depot subset it made the MIP's root LP take 7.1-7.9 s where the same
    plan tidied took 1.6-1.7 s (74 values out of bounds, 7 whole numbers off; rounding or clipping
    alone each cured it), and the bound after 12 s was $12.49B instead of $12.74B.
    """
    for v in m.component_data_objects(pyo.Var, active=True):
        if v.fixed or v.value is None:
            continue
        value = float(round(v.value)) if v.is_integer() else v.value
        if v.lb is not None:
            value = max(value, v.lb)
        if v.ub is not None:
            value = min(value, v.ub)
        if value != v.value:
            v.set_value(value, skip_validation=True)


def fill_defined(m: pyo.ConcreteModel) -> None:
    """Give each variable that an equality defines as a sum of others (``m._cislink_defined``) that sum's value.

    Such a variable (what entered a node in a month) has no counterpart in a smaller subset's plan;
    left at zero it would make the plan handed to the solver break its defining row.
    """
    for var, terms in getattr(m, "_cislink_defined", ()):
        if not var.fixed:
            var.set_value(max(sum(coef * (v.value or 0.0) for coef, v in terms), 0.0), skip_validation=True)
