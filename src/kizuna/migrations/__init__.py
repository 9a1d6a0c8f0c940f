"""Numbered SQL migrations (``NNNN_name.sql``), applied in order by :mod:`kizuna.workspace`.

Numbering by part keeps the order stable: 0001–0019 core and ledger, 0020–0029 coordinate,
0030–0039 measure, 0040–0049 screen, 0050–0059 track.
"""
