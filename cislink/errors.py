"""Errors that reach a user.

Every error a person can cause (a bad scenario file, an unknown node, a bad command-line value)
is raised as a :class:`CislinkError` with a message that names what was wrong and what is
allowed. The CLI prints the message and exits with code 2; it never shows a traceback for these.
"""

from __future__ import annotations


class CislinkError(Exception):
    """An error caused by input a user can fix. ``str(err)`` is the message shown to them."""

    exit_code = 2


class NetworkError(CislinkError):
    """The orbit network was asked for something it does not have or cannot compute."""


class PlannerError(CislinkError):
    """The planner cannot build or solve a problem (missing data, or a solver that found no plan)."""


class StoppedError(CislinkError):
    """The user stopped a command with Ctrl-C; the message says what was kept and how to go on."""

    exit_code = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C
