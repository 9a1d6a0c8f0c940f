"""Pages and datasets of track's results (issue 14): registered by ``web.app``, ``web.datasets`` and ``web.render``."""

from __future__ import annotations

from fastapi import APIRouter

from kizuna.web.datasets import Dataset

router = APIRouter()
DATASETS: tuple[Dataset, ...] = ()
NAV: list[tuple[str, str]] = []  # (href, N_-marked label), shown before Sources
