"""Stopping a long solve on Ctrl-C without losing what it found.

A study may run for many minutes. Python turns Ctrl-C into ``KeyboardInterrupt`` only when it next
runs Python code; inside HiGHS that is one of the solver's callbacks, where the exception becomes a
solver error: the solve runs on to its time limit and ends with no plan. Inside
:func:`stop_on_interrupt` the first Ctrl-C instead *requests a stop*: every HiGHS solve running or
started afterwards is cancelled (HiGHS returns its best plan and bound so far, status
``interrupted``), and the study skips the work it has not begun and reports what it has. A second
Ctrl-C ends the process at once (exit code 130): an exception raised inside a solver callback would
only become another solver error.

Solves inside :func:`shielded` are not cancelled: the short linear programs that turn solved
decisions into a readable plan, which would otherwise lose a plan already paid for.

SCIP (``--solver scip``) cannot be cancelled this way: Pyomo runs it without giving Python a
chance to act on the signal. A Ctrl-C that Python sees takes effect when the SCIP solve in
progress ends, and no SCIP solve starts after it; one that SCIP takes itself stops the study only
if SCIP reports it (``resourceInterrupt``), which it was not seen to do.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cislink.errors import StoppedError

log = logging.getLogger(__name__)

#: How a solve stopped by the user ended: with the best plan and bound it had.
INTERRUPTED = "interrupted"
#: How a piece of work ended that a stop request came before: not begun.
NOT_BEGUN = "not_begun"

_requested = threading.Event()
_lock = threading.Lock()
_running: set[Any] = set()  # HiGHS instances solving now
_active = False  # inside stop_on_interrupt: solves register and may be cancelled
_shield = 0


def requested() -> bool:
    """Whether a stop was asked for (Ctrl-C inside :func:`stop_on_interrupt`)."""
    return _requested.is_set()


def request_stop() -> None:
    """Ask every solve running now or started later to stop (also what the first Ctrl-C does)."""
    _requested.set()
    log.info("stop requested")
    with _lock:
        running = list(_running) if not _shield else []
    for h in running:
        h.cancelSolve()


#: What the first Ctrl-C prints (on standard error) by default.
STOP_MESSAGE = "stopping: the solve in progress keeps its best plan so far (Ctrl-C again to quit at once)"


@contextmanager
def stop_on_interrupt(message: str | None = STOP_MESSAGE, cancel_solves: bool = True) -> Iterator[None]:
    """Within this block the first Ctrl-C requests a stop (module docstring); the second quits.

    ``message`` is written to standard error when the stop is requested, straight to the file
    descriptor as it was on entry: while HiGHS runs, Pyomo captures both output descriptors into
    the solver's log. Without ``cancel_solves`` a stop request leaves solves alone and is only a
    flag (:func:`requested`) for the caller to act on: a run finishes the month it is in. Outside
    the main thread (where no signal handler can be set) the block only enables what
    :func:`request_stop` does.
    """
    global _active
    previous = None
    in_main = threading.current_thread() is threading.main_thread()
    err = _dup_stderr() if message else None

    def on_sigint(_signum: int, _frame: Any) -> None:
        if _requested.is_set():  # the second Ctrl-C: quit now, whatever is running
            _say(err, "interrupted")
            os._exit(StoppedError.exit_code)
        _say(err, message)
        request_stop()

    _requested.clear()
    _active = cancel_solves
    if in_main:
        previous = signal.signal(signal.SIGINT, on_sigint)
    try:
        yield
    finally:
        _active = False
        _requested.clear()
        if in_main:
            signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
        if err is not None:
            os.close(err)


def _say(fd: int | None, message: str | None) -> None:
    if fd is not None and message:
        with contextlib.suppress(OSError):
            os.write(fd, f"\n{message}\n".encode())


def _dup_stderr() -> int | None:
    try:
        return os.dup(sys.stderr.fileno())
    except (OSError, ValueError, AttributeError):  # no real descriptor (a test's captured stream)
        return None


@contextmanager
def shielded() -> Iterator[None]:
    """Solves started in this block run to their end even if a stop is requested."""
    global _shield
    _shield += 1
    try:
        yield
    finally:
        _shield -= 1


def stopping() -> bool:
    """Whether a solve starting now should not run: a stop was asked for, and it is not :func:`shielded`."""
    return _requested.is_set() and not _shield


@contextmanager
def cancellable(h: Any) -> Iterator[None]:
    """Register the ``highspy.Highs`` instance ``h`` for the length of its solve (see :func:`request_stop`).

    HiGHS checks for a cancel only if its interrupt callbacks are on; they are turned on here, and
    only inside :func:`stop_on_interrupt`, since they call into Python at every simplex iteration.
    """
    if not _active or _shield:
        yield
        return
    h.HandleUserInterrupt = True
    with _lock:
        _running.add(h)
    if stopping():
        h.cancelSolve()
    try:
        yield
    finally:
        with _lock:
            _running.discard(h)


def run_highs(h: Any) -> Any:
    """``h.run()``, cancelled by a stop request (:func:`cancellable`)."""
    with cancellable(h):
        return h.run()


def interrupted(h: Any) -> bool:
    """Whether the HiGHS instance ``h`` stopped because it was cancelled."""
    import highspy

    return h.getModelStatus() == highspy.HighsModelStatus.kInterrupt
