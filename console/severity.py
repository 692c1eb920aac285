"""Severities: named once, each with a symbol and a colour, used by every widget of the console.

A severity is always shown with its symbol as well as its colour, so it reads on a monochrome
terminal and to a colour-blind operator.
"""

from __future__ import annotations

import math
from enum import IntEnum


class Severity(IntEnum):
    """How urgent a row or an alarm is, lowest first."""

    OK = 0
    WATCH = 1
    WARNING = 2
    CRITICAL = 3

    @property
    def symbol(self) -> str:
        return _SYMBOLS[self]

    @property
    def style(self) -> str:
        return _STYLES[self]

    @property
    def label(self) -> str:
        return self.name.lower()


_SYMBOLS = {Severity.OK: "●", Severity.WATCH: "◐", Severity.WARNING: "▲", Severity.CRITICAL: "✖"}
_STYLES = {
    Severity.OK: "green",
    Severity.WATCH: "cyan",
    Severity.WARNING: "yellow",
    Severity.CRITICAL: "bold red",
}

#: event kinds that raise alarms, by severity (kinds not listed are WATCH)
ALARM_SEVERITY: dict[str, Severity] = {
    "vehicle_loss": Severity.CRITICAL,
    "depot_loss": Severity.CRITICAL,
    "launch_failure": Severity.CRITICAL,
    "low_supply": Severity.CRITICAL,
    "planner_fallback": Severity.WARNING,
    "plan_shortfall": Severity.WARNING,
    "leg_aborted": Severity.WARNING,
    "embargo": Severity.WARNING,
    "relay_outage": Severity.WARNING,
    "isru_outage": Severity.WARNING,
    "debris_event": Severity.WARNING,
    "console_error": Severity.WARNING,
}


def for_alarm(kind: str) -> Severity:
    return ALARM_SEVERITY.get(kind, Severity.WATCH)


def for_days_of_supply(days: float, limit: float) -> Severity:
    """Days of supply against a station's limit: critical under it, warning under twice it, watch under 3x."""
    if math.isinf(days) or math.isnan(days):
        return Severity.OK
    if days < limit:
        return Severity.CRITICAL
    if days < 2 * limit:
        return Severity.WARNING
    if days < 3 * limit:
        return Severity.WATCH
    return Severity.OK
