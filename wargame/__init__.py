"""wargame layer: randomised futures per policy on Dask, paired comparison, report (see DESIGN.md)."""
