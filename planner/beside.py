"""A plan search run in a second process, beside a MIP that keeps one thread.

HiGHS's branch and bound gains nothing from a second thread on the study's subsets: on the
reference scenario's tug + depot subset, 60 s with two threads reached a bound of $13.044B and
with one thread $13.042B, the same plan. A machine with two cores then has one idle while the MIP
runs. :class:`Beside` runs a job that looks for a cheaper plan (a restricted problem whose plan is a
plan of the subset) in a process of its own on that core, and hands its plan back when the MIP has
finished; the MIP's bound stands, the cheaper plan is kept.

The job runs in a process started fresh (``spawn``: the parent's HiGHS thread pool is not copied
into it), which ignores Ctrl-C: the parent stops it when the user asks to stop, and whenever it is
no longer wanted. A job that fails, or is not done by its deadline, gives nothing, or the last
result it reported if it reports as it goes (the depots held by period report each design's plan,
so a second design that overruns keeps the first's); the study goes on with the MIP's plan.
"""

from __future__ import annotations

import logging
import multiprocessing
import queue
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from cislink.planner import interrupt

log = logging.getLogger(__name__)

#: Seconds the job is given less than what is left of its share once its process has started
#: (imports, its arguments read): the hand-back of its plan. The start itself is measured rather
#: than assumed, since it varies with how busy the machine is.
HAND_BACK_S = 2.0
#: Seconds the parent waits past the job's deadline before giving up on it, if the job has
#: reported nothing by then. A job that has reported is not waited for past its deadline: the
#: deadline is the end of the time the user gave, and the last report is taken.
GRACE_S = 5.0
#: How often (seconds) the parent, waiting for the job, checks whether the user asked to stop.
POLL_S = 0.2


def _child(
    conn: Connection,
    job: Callable[..., Any],
    args: tuple[Any, ...],
    until: float,
    reports: bool,
    logs: tuple[int, str] | None,
) -> None:
    """The second process: run ``job`` and send back ("ok", result) or ("failed", message).

    The job's last argument is its time limit: what is left until ``until`` (a wall-clock time)
    less :data:`HAND_BACK_S`. A job that ``reports`` is also given ``report``, which sends
    ("best", result so far) at once. ``logs`` (level and format) has the job log to standard error
    as the parent does.
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when the job stops
    if logs is not None:
        logging.basicConfig(level=logs[0], format=logs[1])
    try:
        extra = {"report": lambda best: conn.send(("best", best))} if reports else {}
        seconds = max(until - time.time() - HAND_BACK_S, 1.0)
        conn.send(("ok", job(*args, seconds, **extra)))
    except Exception as exc:  # any failure of the job is reported to the parent, not raised here
        conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    finally:
        conn.close()


def _parent_logs() -> tuple[int, str] | None:
    """The level and format this process logs with to a stream, if it does (the CLI), for the job to do the same."""
    for handler in logging.getLogger().handlers:
        if type(handler) is logging.StreamHandler and handler.formatter is not None:  # not to a file
            fmt = handler.formatter._fmt  # the format string it was made with
            if fmt:
                return logging.getLogger("cislink").getEffectiveLevel(), fmt
    return None


class Beside:
    """One job in a second process, started now, with ``seconds`` to run (its last argument is its time limit).

    With ``reports``, the job takes a keyword ``report`` and calls it with each better result it
    finds; a job not done by its deadline then gives the last of them rather than nothing.
    """

    def __init__(self, job: Callable[..., Any], args: tuple[Any, ...], seconds: float, reports: bool = False) -> None:
        self.deadline = time.perf_counter() + seconds
        self.name = getattr(job, "__name__", "job")
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._messages: queue.Queue[tuple[str, Any]] = queue.Queue()
        if multiprocessing.current_process().daemon:  # a worker process (Dask, say) may not start one
            log.info("no second process for %s inside a worker process", self.name)
            return
        ctx = multiprocessing.get_context("spawn")
        receive, send = ctx.Pipe(duplex=False)
        try:
            self._process = ctx.Process(
                target=_child, args=(send, job, args, time.time() + seconds, reports, _parent_logs()), daemon=True
            )
            self._process.start()
        except OSError as exc:  # no second process on this machine: the study goes on without it
            log.warning("no second process for %s: %s", self.name, exc)
            self._process = None
            receive.close()
        else:
            self._conn = receive
            threading.Thread(target=self._read, args=(receive,), name=f"{self.name} reader", daemon=True).start()
        finally:
            send.close()

    def _read(self, conn: Connection) -> None:
        """Take the job's messages as they come, so that a report never waits on a full pipe.

        A report of a plan can be larger than the pipe holds; unread until the MIP is done, it would
        stop the job at its first report.
        """
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError):  # the process ended (or was stopped) without a further word
                self._messages.put(("ended", None))
                return
            self._messages.put(message)
            if message[0] != "best":
                return

    def has_reported(self) -> bool:
        """Whether the job has reported anything yet (a job may report at once to say it is running)."""
        return self._conn is not None and not self._messages.empty()

    @property
    def started(self) -> bool:
        """Whether the second process was started (it may not be, inside a worker process say)."""
        return self._conn is not None

    def result(self, wait: bool = True) -> Any:
        """The job's result, or None if it failed, ran past its deadline, or the user asked to stop.

        A job that reports gives the last result it reported if it fails, runs past its deadline or
        the user asks to stop (Ctrl-C keeps what was found). With ``wait`` false only what is there
        already is taken. The process is stopped either way.
        """
        try:
            if self._conn is None:
                return None
            until = self.deadline + GRACE_S if wait else time.perf_counter()
            best = None  # the last result reported
            while True:
                stopping = interrupt.requested()  # then only what is there already is taken
                try:
                    if wait and not stopping:
                        status, value = self._messages.get(timeout=POLL_S)
                    else:
                        status, value = self._messages.get_nowait()
                except queue.Empty:
                    if stopping:
                        return best
                    now = time.perf_counter()
                    if now < until and (best is None or now < self.deadline):
                        continue
                    if best is not None:
                        log.info("%s beside the MIP not done by its deadline: its last result taken", self.name)
                    return best
                if status == "best":
                    best = value
                elif status == "ok":
                    return value if value is not None else best
                elif status == "ended":  # without a word (killed, out of memory)
                    log.warning("%s beside the MIP ended without a result", self.name)
                    return best
                else:
                    log.warning("%s beside the MIP failed: %s", self.name, value)
                    return best
        finally:
            self.stop()

    def stop(self) -> None:
        """End the second process now (idempotent)."""
        if self._process is not None:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join()
            self._process = None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
