"""Solve a planning model with HiGHS (``appsi_highs``, default) or SCIP (``scip_direct``).

The time limit, relative gap (and, for rolling windows, an absolute gap in USD), threads and random
seed come from the scenario's ``[planner]`` table or the caller. The gap reached is always
reported. A solver that stops without any plan (a time limit hit before the first feasible point,
a solver error) raises :class:`PlannerError` with a message saying what to change; results are
only ever read after a plan is known to be loaded.
"""

from __future__ import annotations

import functools
import logging
import math
import os
import sys
import time
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pyomo.environ as pyo

from cislink.errors import PlannerError
from cislink.planner import interrupt
from cislink.planner.blocks.objective import OBJECTIVE_SCALE
from cislink.planner.warmstart import tidy

if TYPE_CHECKING:
    from cislink.scenarios.schema import Scenario

log = logging.getLogger(__name__)

SOLVERS = ("highs", "scip")
#: How HiGHS solves the root LP of a MIP (its option ``mip_lp_solver``; node LPs are always simplex).
ROOT_LP_METHODS = ("choose", "simplex", "ipm")


@dataclass(frozen=True)
class SolverSettings:
    """How to solve: which solver, for how long, to what gap, on how many threads, with what seed."""

    solver: str = "highs"
    time_limit_s: float = 120.0
    mip_gap: float = 0.01
    threads: int = 2
    seed: int = 0
    abs_gap_usd: float = 0.0
    root_lp: str = "choose"
    #: Stop as soon as a plan costs no more than this (USD): a bound proven elsewhere already closes the gap.
    target_usd: float = -math.inf
    #: Prune every branch that cannot beat this cost (USD; HiGHS ``objective_bound``): a plan found elsewhere.
    cutoff_usd: float = math.inf

    @classmethod
    def from_scenario(cls, scenario: Scenario, **overrides: Any) -> SolverSettings:
        """The scenario's settings with ``overrides`` (None keeps the scenario's); threads at most the cores."""
        p = scenario.planner
        base = cls(p.solver, p.time_limit_s, p.mip_gap, p.threads, p.seed)
        out = replace(base, **{k: v for k, v in overrides.items() if v is not None})
        cores = machine_cores()
        if out.threads > cores:  # more threads than cores only share them, and HiGHS slows down
            _warn_threads_cut(out.threads, cores)
            out = replace(out, threads=cores)
        return out

    def check(self) -> None:
        if self.solver not in SOLVERS:
            raise PlannerError(f"unknown solver '{self.solver}'; allowed: {', '.join(SOLVERS)}")
        if not (self.time_limit_s > 0 and math.isfinite(self.time_limit_s)):
            raise PlannerError(f"time limit {self.time_limit_s} s: allowed: a positive number of seconds")
        if not 0 < self.mip_gap < 1:
            raise PlannerError(f"gap {self.mip_gap}: allowed: a relative gap between 0 and 1, e.g. 0.01")
        if not (self.abs_gap_usd >= 0 and math.isfinite(self.abs_gap_usd)):
            raise PlannerError(f"absolute gap {self.abs_gap_usd} USD: allowed: 0 or more USD")
        if self.root_lp not in ROOT_LP_METHODS:
            raise PlannerError(f"root LP method '{self.root_lp}': allowed: {', '.join(ROOT_LP_METHODS)}")


@functools.cache
def machine_cores() -> int:
    """The cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


@functools.cache
def _warn_threads_cut(asked: int, cores: int) -> None:
    """Say once per process (a run's every re-plan reads the settings) that threads were cut to the cores."""
    log.warning("%d solver threads asked for; cores on this machine: %d; using %d", asked, cores, cores)


@dataclass(frozen=True)
class SolveInfo:
    """What the solver did: status, objective and bound (USD), relative gap, seconds."""

    solver: str
    status: str
    objective_usd: float
    bound_usd: float
    mip_gap: float
    solve_seconds: float

    @property
    def optimal(self) -> bool:
        return self.mip_gap <= 1e-9 or self.status == "optimal"


def relative_gap(objective: float, bound: float) -> float:
    if not math.isfinite(bound):
        return math.inf
    return max(objective - bound, 0.0) / max(abs(objective), 1e-9)


#: Solver stop reasons in the words the study's decompositions use for theirs (``optimal``,
#: ``time_limit``), so that every plan reports how it ended alike.
STATUS_WORDS = {"maxTimeLimit": "time_limit", "maxIterations": "iteration_limit"}


def solve_model(m: pyo.ConcreteModel, settings: SolverSettings, warm_start: bool = False) -> SolveInfo:
    """Solve ``m`` in place and load the best plan found; raise PlannerError if there is none.

    With ``warm_start``, the values the variables hold are handed to the solver as a first plan (SCIP
    takes the integer variables' values and completes the plan itself).
    """
    settings.check()
    start = time.perf_counter()
    if warm_start:
        tidy(m)
    if settings.solver == "highs":
        status, obj, bound = _solve_highs(m, settings, warm_start, start)
    else:
        status, obj, bound = _solve_scip(m, settings, warm_start, start)
    seconds = time.perf_counter() - start
    if obj is None and status == interrupt.INTERRUPTED:
        raise PlannerError(f"{settings.solver} was stopped after {seconds:.1f} s, before it found any plan")
    if obj is None:
        raise PlannerError(
            f"{settings.solver} stopped ({status}) after {seconds:.1f} s without finding any plan; "
            "allow more time (--time-limit) or plan a shorter horizon"
        )
    status = STATUS_WORDS.get(status, status)
    obj_usd, bound_usd = obj / OBJECTIVE_SCALE, bound / OBJECTIVE_SCALE
    info = SolveInfo(settings.solver, status, obj_usd, bound_usd, relative_gap(obj_usd, bound_usd), seconds)
    log.info(
        "%s: %s, objective %.6g USD, gap %.3g%%, %.1f s", info.solver, status, obj_usd, 100 * info.mip_gap, seconds
    )
    return info


def shortfall_vars(m: pyo.ConcreteModel) -> list[Any]:
    """The model's shortfall variables (stations, servicers and Mars missions)."""
    out = list(m.shortfall.values()) if hasattr(m, "shortfall") else []
    return out + (list(m.mars_shortfall.values()) if hasattr(m, "mars_shortfall") else [])


def shortfall_kg(m: pyo.ConcreteModel) -> float:
    """Demand the plan loaded in ``m`` leaves short, kg (stations, servicers and Mars missions)."""
    return sum(v.value or 0.0 for v in shortfall_vars(m))


def highs_options(s: SolverSettings) -> dict[str, Any]:
    """HiGHS options for these settings (objective in millions of USD), the time limit aside."""
    out: dict[str, Any] = {"threads": s.threads, "random_seed": s.seed, "mip_rel_gap": s.mip_gap}
    if s.root_lp != "choose":
        out["mip_lp_solver"] = s.root_lp
    if s.abs_gap_usd > 0:
        out["mip_abs_gap"] = s.abs_gap_usd * OBJECTIVE_SCALE
    if math.isfinite(s.target_usd):
        out["objective_target"] = s.target_usd * OBJECTIVE_SCALE
    if math.isfinite(s.cutoff_usd):
        out["objective_bound"] = s.cutoff_usd * OBJECTIVE_SCALE
    return out


def scip_options(s: SolverSettings) -> dict[str, Any]:
    """SCIP parameters for these settings (objective in millions of USD), the time limit included."""
    out: dict[str, Any] = {
        "limits/time": s.time_limit_s,
        "limits/gap": s.mip_gap,
        "randomization/randomseedshift": s.seed,
    }
    if s.abs_gap_usd > 0:
        out["limits/absgap"] = s.abs_gap_usd * OBJECTIVE_SCALE
    if math.isfinite(s.target_usd):
        out["limits/primal"] = s.target_usd * OBJECTIVE_SCALE
    return out


def use_highs_threads(threads: int) -> None:
    """HiGHS keeps one thread pool per process and refuses to run with another thread count: reset it."""
    import highspy

    _swallow_highs_banner()
    global _highs_threads
    if _highs_threads is not None and _highs_threads != threads:
        highspy.Highs.resetGlobalScheduler(True)
    _highs_threads = threads


def solve_checked(m: pyo.ConcreteModel, settings: SolverSettings, warm_start: bool = False) -> SolveInfo:
    """Solve, and if the plan leaves demand short, check that claim by solving again without shortfall.

    A shortfall is a serious claim ("this station will go without"), and with penalties many orders
    above supply costs the MIP solver's numerics are at their weakest exactly there (HiGHS has been
    seen to prune a root node with cuts and report a plan of pure shortfall as optimal). If the
    re-solve finds a plan that meets all demand at a lower cost, that plan is kept; if it finds none,
    the shortfall stands. The re-solve has what is left of the time limit (at least a tenth of it),
    and with HiGHS it prunes every branch that cannot beat the plan it checks: it looks only for a
    cheaper plan, and stops once none can be. In a window of a 240-month run whose plan left 9 kg
    short, the re-solve without that cutoff ran 21 s to its time limit at a 25.9% gap.
    """
    info = solve_model(m, settings, warm_start)
    short = shortfall_vars(m)
    if sum(v.value or 0.0 for v in short) <= 1.0:
        return info
    saved = [(v, v.value) for v in m.component_data_objects(pyo.Var, descend_into=True)]
    for v in short:
        v.fix(0.0)
    left = max(settings.time_limit_s - info.solve_seconds, settings.time_limit_s / 10.0)
    try:
        cutoff = min(settings.cutoff_usd, info.objective_usd)
        again = solve_model(m, replace(settings, time_limit_s=left, cutoff_usd=cutoff))
    except PlannerError:
        again = None
    finally:
        for v in short:
            v.unfix()
    if again is not None and again.objective_usd < info.objective_usd:
        log.warning(
            "re-solve without shortfall found a cheaper plan (%.6g < %.6g USD)", again.objective_usd, info.objective_usd
        )
        for v in short:
            v.set_value(0.0)
        bound = min(again.bound_usd, info.bound_usd)
        return replace(
            again,
            bound_usd=bound,
            mip_gap=relative_gap(again.objective_usd, bound),
            solve_seconds=info.solve_seconds + again.solve_seconds,
        )
    for v, val in saved:
        v.set_value(val, skip_validation=True)
    return replace(info, solve_seconds=info.solve_seconds + (again.solve_seconds if again else 0.0))


_highs_threads: int | None = None
_banner_swallowed = False


def _swallow_highs_banner() -> None:
    """Make the process's first HiGHS instance with standard output pointed at the null device.

    HiGHS 1.16 prints its banner on standard output the first time a solver is made in a process,
    before any option can turn its output off; ``cislink run --json`` would then print it before its
    JSON. Later instances print nothing. The banner is written by the C library, so the redirection is
    of file descriptor 1 itself, flushed before it is put back.
    """
    global _banner_swallowed
    if _banner_swallowed:
        return
    _banner_swallowed = True
    import ctypes

    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    null = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(null, 1)
        highspy.Highs()
        ctypes.CDLL(None).fflush(None)
    finally:
        os.dup2(saved, 1)
        os.close(saved)
        os.close(null)


class _HandledNotice(logging.Filter):
    """Drops a Pyomo warning about a solver status this module reads and reports itself."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text

    def filter(self, record: logging.LogRecord) -> bool:
        return self.text not in record.getMessage()


# appsi does not know HiGHS's kInterrupt status (:func:`_solve_highs` reads it); and every SCIP solve
# stopped by its time limit is "aborted" with a plan, whose status the summary reports as time_limit
logging.getLogger("pyomo.contrib.appsi.solvers.highs").addFilter(_HandledNotice("kInterrupt"))
logging.getLogger("pyomo.core").addFilter(_HandledNotice("SolverResults object with an 'aborted' status"))


@functools.cache
def _cancellable_highs_class() -> type:
    """Pyomo's ``appsi_highs`` solver, its HiGHS instance registered to be cancelled on a stop request.

    Made on first use, so that importing this module does not import appsi.
    """
    from pyomo.contrib.appsi.solvers import Highs

    class CancellableHighs(Highs):
        #: When the caller's solve began (``time.perf_counter``); its time limit counts from then.
        began: float | None = None

        def _solve(self, timer: Any) -> Any:
            if self.config.time_limit is not None:  # less what handing the model over took
                self.config.time_limit = _limit_left(self.config.time_limit, self.began)
            with interrupt.cancellable(self._solver_model):
                return super()._solve(timer)

    return CancellableHighs


#: A solver runs for at least this share of a solve's time limit, however long the model took to hand over.
MIN_RUN_SHARE = 0.5


def _limit_left(limit_s: float, began: float | None) -> float:
    """What a solver may still run of ``limit_s`` counted from ``began`` (``time.perf_counter``), at least half."""
    if began is None:
        return limit_s
    return max(limit_s - (time.perf_counter() - began), limit_s * MIN_RUN_SHARE)


def _solve_highs(
    m: pyo.ConcreteModel, s: SolverSettings, warm_start: bool = False, began: float | None = None
) -> tuple[str, float | None, float]:
    """Solve ``m`` with HiGHS through ``appsi_highs``; the time limit counts from ``began`` (default: now).

    HiGHS's own clock starts once Pyomo has handed it the model and the first plan, which takes
    about half a second on the study's largest subsets: counted from HiGHS's start, a 120 s study
    ended 0.5 s late.
    """
    use_highs_threads(s.threads)
    opt = _cancellable_highs_class()()
    opt.began = time.perf_counter() if began is None else began
    if not opt.available():
        raise PlannerError("HiGHS is not available: install highspy (pip install highspy)")
    opt.config.load_solution = False
    opt.config.warmstart = warm_start
    opt.config.time_limit = s.time_limit_s
    opt.config.mip_gap = s.mip_gap
    opt.highs_options = highs_options(s)
    try:
        res = opt.solve(m)
    except Exception as exc:  # a solver failure is reported, not shown as a traceback
        raise PlannerError(f"highs failed: {exc}") from exc
    status = res.termination_condition.name
    obj = res.best_feasible_objective
    bound = res.best_objective_bound if res.best_objective_bound is not None else -math.inf
    h = opt._solver_model
    if interrupt.interrupted(h):  # appsi does not know the status: read the plan and bound so far from HiGHS
        status = interrupt.INTERRUPTED
        info = h.getInfo()
        obj = info.objective_function_value if h.getSolution().value_valid else None
        bound = info.mip_dual_bound if info.mip_node_count >= 0 else -math.inf
    if obj is not None and math.isfinite(obj):
        res.solution_loader.load_vars()
        _check_loaded(m)
        return status, obj, bound
    return status, None, bound


@functools.cache
def _timed_scip_class() -> type:
    """Pyomo's ``scip_direct`` solver, its time limit counted from when the caller's solve began.

    Made on first use, so that importing this module does not import Pyomo's solver plugins.
    """
    base = type(pyo.SolverFactory("scip_direct"))

    class TimedScip(base):  # type: ignore[misc, valid-type]
        #: When the caller's solve began (``time.perf_counter``); its time limit counts from then.
        began: float | None = None

        def _create_solver_model(self, model: Any, config: Any) -> Any:
            made = super()._create_solver_model(model, config)
            options = config.solver_options
            limit = options.value().get("limits/time")  # a ConfigDict: its get gives the entry, not the value
            if limit is not None:  # less what building SCIP's model took
                options["limits/time"] = _limit_left(limit, self.began)
            return made

    return TimedScip


def _solve_scip(
    m: pyo.ConcreteModel, s: SolverSettings, warm_start: bool = False, began: float | None = None
) -> tuple[str, float | None, float]:
    """Solve ``m`` with SCIP through ``scip_direct``, on one thread; the time limit counts from ``began``.

    SCIP's branch and bound is sequential: ``parallel/maxnthreads`` is read only by its concurrent
    mode, which ``scip_direct`` does not start, so ``--threads`` gives SCIP no second thread (the
    study uses a second core for a plan search of its own beside the MIP, :mod:`cislink.planner.beside`).
    """
    if interrupt.stopping():  # SCIP cannot be cancelled once started (cislink.planner.interrupt)
        return interrupt.INTERRUPTED, None, -math.inf
    opt = _timed_scip_class()()
    opt.began = time.perf_counter() if began is None else began
    if not opt.available(exception_flag=False):
        raise PlannerError("SCIP is not available: install pyscipopt (pip install pyscipopt)")
    options = scip_options(s)
    # a first plan only if every integer variable holds a value (SCIP's partial solution needs them all)
    opt.config.warmstart_discrete_vars = warm_start and _integers_valued(m)
    if opt.config.warmstart_discrete_vars:
        # the continuous variables are most of a plan's: SCIP completes the first plan from its integer
        # values only if it may leave them all unknown (it ignores the plan above its default 85%)
        options["heuristics/completesol/maxunknownrate"] = 1.0
    try:
        res = opt.solve(m, load_solutions=False, options=options)
    except Exception as exc:
        raise PlannerError(f"scip failed: {exc}") from exc
    status = str(res.solver.termination_condition)
    if status == "resourceInterrupt":  # SCIP took a Ctrl-C itself: the study stops as after HiGHS's
        interrupt.request_stop()
        status = interrupt.INTERRUPTED
    if len(res.solution) == 0:
        return status, None, -math.inf
    m.solutions.load_from(res)
    _check_loaded(m)
    obj = pyo.value(m.total_cost)
    bound = res.problem.lower_bound
    bound = float(bound) if bound is not None and math.isfinite(float(bound)) else -math.inf
    return status, obj, bound


def _integers_valued(m: pyo.ConcreteModel) -> bool:
    """Whether every integer (or binary) variable of ``m`` holds a value."""
    return all(
        var.value is not None
        for var in m.component_data_objects(pyo.Var, active=True, descend_into=True)
        if var.is_integer()
    )


def _check_loaded(m: pyo.ConcreteModel) -> None:
    for var in m.component_data_objects(pyo.Var, active=True, descend_into=True):
        if var.value is None and not var.fixed:
            raise PlannerError(f"the solver returned no value for {var.name}; the plan cannot be read")
