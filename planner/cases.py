"""The ``--infrastructure`` cases of study mode (kept free of solver imports so the CLI starts fast)."""

from __future__ import annotations

#: Each case and the programmes it allows.
CASES: dict[str, tuple[str, ...]] = {
    "none": (),
    "all": ("depot", "tug", "isru"),
    "isru": ("isru",),
    "tugs": ("tug",),
    "depots": ("depot",),
    "tugs+depots": ("tug", "depot"),
    "isru+tugs": ("isru", "tug"),
    "isru+depots": ("isru", "depot"),
}
#: The combinations of the study's Fig. 10 (depots alone is left out there: without tugs they serve
#: only the lunar surface).
SENSITIVITY = ("none", "isru", "tugs", "tugs+depots", "isru+tugs", "isru+depots", "all")

#: Revision of the planning model's rules, raised whenever a change gives different plans for the same
#: scenario, so that infrastructure designs cached on disk are sized again. 2: the ISRU plant's store
#: keeps only what the plant makes. 3: study subsets with depots and no tug are solved segment by segment.
#: 4: an ISRU subset's plan is seeded and polished whenever its MIP stops above the gap. 5: a subset
#: with depots and a tug starts from its first plan re-planned with routes held; cases sharing a
#: subset solve it once. 6: a subset with depots and a tug also solves each period with its depots held
#: (beside its MIP), and the subset with every programme of the case gets two shares of the time.
#: 7: those periods are solved with the plan's fleets held as well, then with one more tug.
#: 8: vehicles and depots keep (and launch) the propellant for their end-of-mission disposal.
MODEL_REVISION = 8
