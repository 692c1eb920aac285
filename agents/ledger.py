"""The mass ledger: every kilogram that enters, moves through or leaves the network.

Each entry is one movement of one commodity on one day. Entries that bring mass into the network
(``initial`` stock at the start, ``launch``, ``production``) and entries that take it out
(``consumption``, ``boiloff``, ``loss``, ``sale``) change the totals; ``transfer`` (stock loaded
into a vehicle) and ``delivery`` (a vehicle or launch unloading into stock) only move mass between
stock and transit. The invariant, checked daily in debug runs and in the tests::

    initial + launched + produced = consumed + boiled off + lost + sold + in stock + in transit
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

import pandas as pd

INFLOWS = ("initial", "launch", "production")
OUTFLOWS = ("consumption", "boiloff", "loss", "sale")
MOVES = ("transfer", "delivery")
KINDS = INFLOWS + OUTFLOWS + MOVES


@dataclass
class Ledger:
    """Append-only ledger kept as columns (cheap to pickle), with running totals per kind."""

    day: list[int] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    node: list[str] = field(default_factory=list)
    commodity: list[str] = field(default_factory=list)
    kg: list[float] = field(default_factory=list)
    detail: list[str] = field(default_factory=list)
    totals: dict[str, float] = field(default_factory=lambda: defaultdict(float))
    flushed: int = 0  # entries already written to disk

    def record(self, day: int, kind: str, node: str, commodity: str, kg: float, detail: str = "") -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown ledger kind '{kind}'; allowed: {', '.join(KINDS)}")
        if kg <= 0.0:
            return
        self.day.append(day)
        self.kind.append(kind)
        self.node.append(node)
        self.commodity.append(commodity)
        self.kg.append(kg)
        self.detail.append(detail)
        self.totals[kind] += kg

    def total(self, *kinds: str) -> float:
        return sum(self.totals.get(k, 0.0) for k in kinds)

    def balance_error_kg(self, stock_kg: float, transit_kg: float) -> float:
        """Mass in minus mass out minus what is in stock and in transit (zero when nothing is lost)."""
        return self.total(*INFLOWS) - self.total(*OUTFLOWS) - stock_kg - transit_kg

    def take_new(self) -> pd.DataFrame:
        """Entries not yet flushed, as a frame; marks them flushed and frees their memory."""
        frame = pd.DataFrame(
            {
                "day": pd.array(self.day, dtype="int32"),
                "kind": self.kind,
                "node": self.node,
                "commodity": self.commodity,
                "kg": self.kg,
                "detail": self.detail,
            }
        )
        self.flushed += len(self.day)
        for col in (self.day, self.kind, self.node, self.commodity, self.kg, self.detail):
            col.clear()
        return frame
