"""Track's entries of the pages' navigation (issue 14), in one place that imports nothing of the web's
pages: the renderer (:data:`kizuna.web.render.NAV`) and track's pages (``web/track_*.py``) both read
them, so neither imports the other (tests/test_layers.py: no import cycles)."""

from __future__ import annotations

from kizuna.i18n import N_

# (href, N_-marked label), each shown before Sources, in this order
RESULTS_NAV: list[tuple[str, str]] = [("/results", N_("Results"))]
DDR_NAV: list[tuple[str, str]] = [("/ddr", N_("DDR reintegration"))]
TRAINING_NAV: list[tuple[str, str]] = [("/training", N_("Training"))]
TRACK_NAV: list[tuple[str, str]] = [*RESULTS_NAV, *DDR_NAV, *TRAINING_NAV]
