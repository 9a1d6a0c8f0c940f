"""IATI's public services as ``kizuna fetch`` knows them: the defaults its options show in ``--help``.

Kept apart from :mod:`kizuna.ledger.fetch` (which re-exports them) so that the command tree can be
built without importing the network modules (``http.client``, ``ssl``, ``email``) that only a
download needs: ``kizuna --version`` and ``--help`` must start fast (issue 13).
"""

from __future__ import annotations

from enum import StrEnum

DATASTORE_URL = "https://api.iatistandard.org/datastore"
REGISTRY_URL = "https://dashboard.iatistandard.org/api/limited-ckan-compatible"
KEY_ENV = "IATI_API_KEY"
PAGE_ROWS = 1000  # activities per Datastore request (the page size scripts against the Datastore use)


class Source(StrEnum):
    datastore = "datastore"
    registry = "registry"
