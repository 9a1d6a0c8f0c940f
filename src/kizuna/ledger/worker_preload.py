"""Imported once by the fork server of the parse workers (see :class:`kizuna.ledger.chunks.ParallelParse`):
every worker forks from a process that has already loaded the readers and compiled and run the fast
path once, so none pays for it again."""

import sys
from importlib.abc import MetaPathFinder


class _NoPandas(MetaPathFinder):
    """pyarrow looks for pandas the first time it converts a Python sequence; workers never need it,
    and importing it would add a tenth of a second before the first chunk is read. Refusing the
    import is what pyarrow sees when pandas is not installed."""

    def find_spec(self, name, path=None, target=None):  # type: ignore[no-untyped-def]
        if name == "pandas" or name.startswith("pandas."):
            raise ModuleNotFoundError(f"{name} is not loaded in kizuna parse workers", name=name)
        return None


if "pandas" not in sys.modules:
    sys.meta_path.insert(0, _NoPandas())

from kizuna.ledger import chunks, iati_fast  # noqa: E402, F401

iati_fast.warm()
