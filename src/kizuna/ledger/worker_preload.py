"""Imported once by the fork server of the parse workers (see :class:`kizuna.ledger.chunks.ParallelParse`):
every worker forks from a process that has already loaded the readers and compiled the fast path's
parser, so none pays for it again."""

from kizuna.ledger import chunks, iati_fast  # noqa: F401

iati_fast.warm()
