"""Shared state of a model under construction: balance terms, inflow terms and cost terms.

Blocks never build the node balance themselves; they add ``(coefficient, variable)`` pairs under
``(node, commodity, step)`` keys, and the balance block turns each key into one equality. The
same goes for the storage-age constraints (what entered a node, what entered the system) and for
cost terms, which the objective block sums and the results report one by one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression

Key = tuple[str, str, int]
Terms = list[tuple[float, Any]]


def linear(terms: Terms, constant: float = 0.0) -> LinearExpression:
    """A Pyomo linear expression from ``(coefficient, variable)`` pairs, built without operator overhead.

    A variable with coefficient one is an argument of its own rather than a product term (a form
    ``LinearExpression`` takes), which spares an object per such term.
    """
    args: list[Any] = [constant] if constant else []
    args.extend(v if c == 1.0 else MonomialTermExpression((c, v)) for c, v in terms)
    return LinearExpression(args)


def by_index(var: Any) -> dict[Any, Any]:
    """An indexed Pyomo component's members in a plain dict: looked up many times, far cheaper than ``var[i]``."""
    return dict(var.items())


@dataclass
class Context:
    """Terms collected while the blocks are defined."""

    balance: dict[Key, Terms] = field(default_factory=lambda: defaultdict(list))
    constant: dict[Key, float] = field(default_factory=lambda: defaultdict(float))
    node_inflow: dict[Key, Terms] = field(default_factory=lambda: defaultdict(list))
    new_mass: dict[tuple[str, int], Terms] = field(default_factory=lambda: defaultdict(list))
    costs: dict[str, Terms] = field(default_factory=lambda: defaultdict(list))
    cost_constant: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    #: demand due at a balance key (already in ``constant``, with the opposite sign)
    demand: dict[Key, float] = field(default_factory=lambda: defaultdict(float))

    def add(self, node: str, commodity: str, step: int, coef: float, var: Any) -> None:
        """Add ``coef * var`` to the balance (inflow positive, outflow negative)."""
        self.balance[(node, commodity, step)].append((coef, var))

    def cost(self, term: str, coef: float, var: Any) -> None:
        self.costs[term].append((coef, var))
