"""Track: results against targets, DDR reintegration cohorts and training evaluation (issue 14).

The statistics core: ``survival`` (Kaplan–Meier, Greenwood intervals, log-rank, follow-up waves) and
``learning`` (pre/post tests, effect sizes, normalised gain, item analysis, difference-in-differences).
Pure functions, no I/O. Import the submodules directly; this package imports nothing heavy at start-up.
"""
