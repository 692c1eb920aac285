"""The console's planner runs in a separate process.

HiGHS writes its log to the process's standard output and error, and the solver interface
redirects those file descriptors while it solves, which is where the console draws. Solving in
a child process keeps the terminal to the console (and the UI thread free). One child is kept
for the whole session, so the solver libraries load once; it is started with ``spawn`` because
the console's process already runs threads.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import TYPE_CHECKING, Any

from cislink.errors import PlannerError

if TYPE_CHECKING:
    from cislink.planner.results import Plan

_pool: ProcessPoolExecutor | None = None


_log_path: str = os.devnull


def _quiet_child(log_path: str) -> None:
    """In the child: standard output, error and logging go to ``log_path``, never to the terminal."""
    out = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(out, 1)
    os.dup2(out, 2)
    os.close(out)
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s planner %(name)s: %(message)s")


def _executor() -> ProcessPoolExecutor:
    global _pool
    if _pool is None:
        _pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_quiet_child,
            initargs=(_log_path,),
        )
        atexit.register(shutdown)
    return _pool


def _warm() -> bool:
    import cislink.planner.window  # noqa: F401  (loads Pyomo and the solvers in the child)

    return True


def start(log_path: str | os.PathLike[str] | None = None) -> None:
    """Start the planning process (and multiprocessing's resource tracker) now.

    Call this before the terminal UI takes over standard output and error: starting a process
    passes those file descriptors on, and the UI's stand-ins for them have none. The child then
    loads the solver libraries while the console draws its first frame. What the child prints or
    logs goes to ``log_path`` (default: nowhere), so it never draws over the console.
    """
    from multiprocessing import resource_tracker

    global _log_path
    if log_path is not None:
        _log_path = os.fspath(log_path)

    resource_tracker.ensure_running()
    _executor().submit(_warm)


def shutdown() -> None:
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=False, cancel_futures=True)
        _pool = None


def _call(fn: Any, *args: Any, **kwargs: Any) -> Any:
    global _pool
    try:
        return _executor().submit(fn, *args, **kwargs).result()
    except BrokenProcessPool:
        _pool = None  # the child died (killed, out of memory): the next call starts a new one
        raise PlannerError("the planning process stopped unexpectedly; a new one starts next time") from None


def design_in_child(scenario: Any, network: Any, policy: Any) -> tuple[Any, dict[str, float]]:
    """:func:`cislink.agents.policy.design_for_policy` (sizing by the study, cached), in the child."""
    from cislink.agents.policy import design_for_policy

    return _call(design_for_policy, scenario, network, policy)


def plan_window_in_child(*args: Any, **kwargs: Any) -> Plan:
    """:func:`cislink.planner.plan_window`, solved in the session's planning process."""
    from cislink.planner.window import plan_window

    return _call(plan_window, *args, **kwargs)
