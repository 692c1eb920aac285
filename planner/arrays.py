"""A built Pyomo model as arrays: rows, columns and costs that HiGHS takes directly.

The priced look-ahead (:mod:`cislink.planner.priced`) and the month polish
(:mod:`cislink.planner.polish`) solve parts of a model (some of its columns and rows, with other
columns held at their values) many times over. Going through Pyomo for each part would rebuild the
solver model from expressions every time; the arrays are read once and each part is cut from them.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pyomo.environ as pyo
from pyomo.core.expr.numeric_expr import LinearExpression, MonomialTermExpression
from pyomo.repn import generate_standard_repn

from cislink.errors import PlannerError
from cislink.planner.model import collector_paused
from cislink.planner.solve import highs_options, scip_options, use_highs_threads

if TYPE_CHECKING:
    import highspy

    from cislink.planner.solve import SolverSettings

Terms = list[tuple[float, Any]]

_NUMBERS = (int, float)


def step_of(index: Any) -> int | None:
    """The step a variable index refers to: its one integer element, or None (a variable of no month)."""
    parts = index if isinstance(index, tuple) else (index,)
    steps = [p for p in parts if isinstance(p, int) and not isinstance(p, bool)]
    return steps[0] if len(steps) == 1 else None


def moved_step(index: Any, delta: int) -> Any:
    """A variable index with its step (its one integer element) moved by ``delta``; unchanged if it has none."""
    t = step_of(index)
    if t is None:
        return index
    parts = index if isinstance(index, tuple) else (index,)
    moved = tuple(p + delta if p == t and isinstance(p, int) and not isinstance(p, bool) else p for p in parts)
    return moved if isinstance(index, tuple) else moved[0]


def linear_terms(expr: Any) -> tuple[Terms, float]:
    """``(coefficient, variable)`` pairs and the constant of a linear expression."""
    if isinstance(expr, LinearExpression):  # the model's rows (blocks.context.linear)
        terms: Terms = []
        constant = 0.0
        for arg in expr.args:  # read as LinearExpression reads its own coefficients, in order
            if arg.__class__ is MonomialTermExpression:
                coef, var = arg.args
                terms.append((pyo.value(coef), var))
            elif arg.__class__ in _NUMBERS or not arg.is_potentially_variable():
                constant += pyo.value(arg)
            else:
                terms.append((1.0, arg))
        return terms, constant
    repn = generate_standard_repn(expr, compute_values=True)
    if repn.nonlinear_expr is not None or repn.quadratic_vars:
        raise PlannerError("the model must be linear to be solved in parts")
    return list(zip(repn.linear_coefs, repn.linear_vars, strict=True)), float(repn.constant)


class Problem:
    """A Pyomo model's active rows and objective as arrays HiGHS takes, with the column of each variable."""

    def __init__(self, m: pyo.ConcreteModel) -> None:
        with collector_paused():
            self._read(m)

    def _read(self, m: pyo.ConcreteModel) -> None:
        # columns are numbered as they first appear: objective first, then the rows in order
        self.cols: list[Any] = []
        self.col: dict[int, int] = {}
        objective = next(m.component_data_objects(pyo.Objective, active=True, descend_into=True))
        obj_terms, self.obj_constant = linear_terms(objective.expr)
        obj_row = self._columns_of(obj_terms)
        # the rows as compressed sparse rows, a column entering a row twice (cargo that is also fuel) summed
        self.rows = list(m.component_data_objects(pyo.Constraint, active=True, descend_into=True))
        start, index, value, lower, upper = [0], [], [], [], []
        for c in self.rows:
            lb, body, ub = c.to_bounded_expression(evaluate_bounds=True)
            terms, const = linear_terms(body)
            row = self._columns_of(terms)
            index.extend(row)
            value.extend(row.values())
            start.append(len(index))
            lower.append(-math.inf if lb is None else float(lb) - const)
            upper.append(math.inf if ub is None else float(ub) - const)
        self.cost = np.zeros(len(self.cols))
        self.cost[list(obj_row)] = list(obj_row.values())
        self.start = np.asarray(start, dtype=np.int64)
        self.index = np.asarray(index, dtype=np.int64)
        self.value = np.asarray(value, dtype=np.float64)
        self.lower = np.asarray(lower, dtype=np.float64)
        self.upper = np.asarray(upper, dtype=np.float64)
        #: the row of each entry of ``index`` / ``value``
        self.entry_row = np.repeat(np.arange(len(self.rows)), np.diff(self.start))

    def _columns_of(self, terms: Terms) -> dict[int, float]:
        """``terms`` as column -> summed coefficient, numbering variables not seen before."""
        row: dict[int, float] = {}
        for coef, v in terms:
            j = self.col.get(id(v))
            if j is None:
                j = self.col[id(v)] = len(self.cols)
                self.cols.append(v)
            row[j] = row.get(j, 0.0) + coef
        return row

    def entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Positions in ``index`` / ``value`` of the entries of ``rows``, in order, and the row count of each."""
        counts = self.start[rows + 1] - self.start[rows]
        first = np.repeat(self.start[rows] - np.cumsum(counts) + counts, counts)
        return first + np.arange(int(counts.sum())), counts

    def rows_touching(self, cols: np.ndarray) -> np.ndarray:
        """Whether each row has an entry in a column where ``cols`` (a boolean per column) is true."""
        hits = np.bincount(self.entry_row, weights=cols[self.index].astype(np.float64), minlength=len(self.rows))
        return hits > 0

    def priced(self, rows: np.ndarray, duals: np.ndarray) -> np.ndarray:
        """The cost less ``duals`` (one per row of ``rows``) times the rows' columns: reduced costs for those rows."""
        at, counts = self.entries(rows)
        weights = np.repeat(duals, counts) * self.value[at]
        return self.cost - np.bincount(self.index[at], weights=weights, minlength=len(self.cols))

    def bounds(self, j: int) -> tuple[float, float]:
        v = self.cols[j]
        if v.fixed:
            return float(v.value), float(v.value)
        lb, ub = v.bounds  # one call: reading ``lb`` and ``ub`` apart evaluates the bounds twice over
        return (-math.inf if lb is None else float(lb)), (math.inf if ub is None else float(ub))

    def whole(self, j: int) -> bool:
        """Whether column ``j`` must take a whole value (and is free to move)."""
        v = self.cols[j]
        return v.is_integer() and not v.fixed

    def values(self) -> np.ndarray:
        """The model's current values by column (zero where a variable has none)."""
        return np.array([v.value or 0.0 for v in self.cols], dtype=np.float64)

    def load(self, x: np.ndarray) -> None:
        """Write column values ``x`` back into the model's variables."""
        for j, v in enumerate(self.cols):
            if not v.fixed:
                v.set_value(float(x[j]), skip_validation=True)

    def highs(
        self,
        settings: SolverSettings,
        cols: list[int],
        rows: list[int],
        cost: np.ndarray,
        integer: bool,
        held: np.ndarray | None = None,
    ) -> highspy.Highs:
        """A HiGHS instance of the given columns and rows.

        Columns a row uses that are not among ``cols`` are held at their value in ``held`` (moved to
        the row's bounds); without ``held``, rows must use only ``cols``.
        """
        import highspy

        local = np.full(len(self.cols), -1, dtype=np.int64)
        local[np.asarray(cols, dtype=np.int64)] = np.arange(len(cols))
        inf = highspy.kHighsInf
        lo, up = zip(*(self.bounds(j) for j in cols), strict=True) if cols else ((), ())
        picked = np.asarray(rows, dtype=np.int64)
        at, counts = self.entries(picked)
        k = local[self.index[at]]
        inside = k >= 0
        owner = np.repeat(np.arange(len(picked)), counts)
        shift = np.zeros(len(picked))
        if not inside.all():
            if held is None:
                outside = self.rows[int(picked[owner[~inside][0]])].name
                raise KeyError(f"row {outside} uses a column outside the part")
            out = at[~inside]
            shift = np.bincount(owner[~inside], weights=self.value[out] * held[self.index[out]], minlength=len(picked))
        index, value = k[inside], self.value[at][inside]
        start = np.concatenate(([0], np.cumsum(np.bincount(owner[inside], minlength=len(picked)))))
        row_lo = self.lower[picked] - shift
        row_up = self.upper[picked] - shift
        use_highs_threads(settings.threads)
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        for key, val in highs_options(settings).items():
            h.setOptionValue(key, val)
        h.setOptionValue("time_limit", settings.time_limit_s)
        h.addCols(
            len(cols),
            np.asarray(cost, dtype=np.float64),
            np.clip(np.asarray(lo, dtype=np.float64), -inf, inf),
            np.clip(np.asarray(up, dtype=np.float64), -inf, inf),
            0,
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.float64),
        )
        h.addRows(
            len(rows),
            np.clip(np.asarray(row_lo, dtype=np.float64), -inf, inf),
            np.clip(np.asarray(row_up, dtype=np.float64), -inf, inf),
            len(index),
            np.asarray(start[:-1], dtype=np.int32),
            np.asarray(index, dtype=np.int32),
            np.asarray(value, dtype=np.float64),
        )
        if integer:
            whole = [k for k, j in enumerate(cols) if self.whole(j)]
            if whole:
                h.changeColsIntegrality(
                    len(whole),
                    np.asarray(whole, dtype=np.int32),
                    np.asarray([highspy.HighsVarType.kInteger] * len(whole)),
                )
        return h


def optimal(h: highspy.Highs) -> bool:
    import highspy

    return h.getModelStatus() == highspy.HighsModelStatus.kOptimal


#: HiGHS's solution status of a primal or dual solution within its feasibility tolerances.
_FEASIBLE_SOLUTION = 2


def lp_solved(h: highspy.Highs) -> bool:
    """Whether an LP run left a usable optimum: optimal, or primal and dual solutions both feasible.

    The interior-point method without crossover may end with both within tolerance and still report
    the model status "unknown" when it cannot confirm optimality after undoing presolve: seen in
    windows of a run with an ISRU plant, where its objective was 1.5e-6 above the optimum (relative)
    and every row within 1e-11 of feasible. Its duals price the look-ahead as well as the optimum's.
    """
    info = h.getInfo()
    return optimal(h) or (
        info.primal_solution_status == _FEASIBLE_SOLUTION and info.dual_solution_status == _FEASIBLE_SOLUTION
    )


def has_plan(h: highspy.Highs) -> bool:
    info = h.getInfo()
    return bool(info.primal_solution_status == _FEASIBLE_SOLUTION and math.isfinite(info.objective_function_value))


def solve_with_scip(h: highspy.Highs, settings: SolverSettings) -> np.ndarray | None:
    """Solve the MIP held in HiGHS instance ``h`` with SCIP instead; its column values, or None without a plan.

    The parts of a model cut from its arrays are HiGHS instances; with ``--solver scip`` the
    priced look-ahead's executed months (a MIP of a few hundred rows) are read out of that
    instance and solved by SCIP, with the settings' time limit, gaps and seed, on one thread.
    """
    import highspy
    import pyscipopt

    lp = h.getLp()
    n, rows = lp.num_col_, lp.num_row_
    inf = highspy.kHighsInf
    s = pyscipopt.Model()
    s.hideOutput()
    for name, value in scip_options(settings).items():
        s.setParam(name, value)
    kinds = list(lp.integrality_) if len(lp.integrality_) == n else [highspy.HighsVarType.kContinuous] * n

    def bound(value: float) -> float | None:
        return None if abs(value) >= inf else float(value)

    x = [
        s.addVar(
            lb=bound(lp.col_lower_[j]),
            ub=bound(lp.col_upper_[j]),
            obj=float(lp.col_cost_[j]),
            vtype="I" if kinds[j] == highspy.HighsVarType.kInteger else "C",
        )
        for j in range(n)
    ]
    a = lp.a_matrix_
    start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
    if a.format_ == highspy.MatrixFormat.kColwise:  # the same entries, gathered by row
        col = np.repeat(np.arange(n), np.diff(start))
        order = np.argsort(index, kind="stable")
        start = np.concatenate(([0], np.cumsum(np.bincount(index, minlength=rows))))
        index, value = col[order], value[order]
    for i in range(rows):
        k = slice(int(start[i]), int(start[i + 1]))
        if k.start == k.stop:  # a row with no columns left constrains nothing SCIP could change
            continue
        expr = pyscipopt.quicksum(float(v) * x[int(j)] for j, v in zip(index[k], value[k], strict=True))
        lo, up = bound(lp.row_lower_[i]), bound(lp.row_upper_[i])
        if lo is not None and up is not None:
            s.addCons(lo <= (expr <= up))
        elif up is not None:
            s.addCons(expr <= up)
        elif lo is not None:
            s.addCons(expr >= lo)
    s.optimize()
    if s.getNSols() == 0:
        return None
    best = s.getBestSol()
    return np.array([best[v] for v in x])
