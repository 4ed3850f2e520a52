"""Reading records and writing scored rows, with positions for errors and safe resumption.

Readers (:func:`open_records`) turn JSONL, JSON arrays, CSV, Parquet, saved HF
``datasets`` directories and stdin into :class:`Record` objects that remember
their ``FILE:LINE``. Writers (:class:`ResumableWriter`) publish output
atomically and let an interrupted run continue with byte-identical results.
"""

from __future__ import annotations

from ._errors import InputError, ResumeError
from ._readers import FORMATS, Record, RecordSource, detect_format, open_records, parse_maps
from ._writers import (
    PARTIAL_SUFFIX,
    ResumableWriter,
    atomic_write_bytes,
    dumps_row,
    fsync_dir,
    output_format,
)

__all__ = [
    "FORMATS",
    "PARTIAL_SUFFIX",
    "InputError",
    "Record",
    "RecordSource",
    "ResumableWriter",
    "ResumeError",
    "atomic_write_bytes",
    "detect_format",
    "dumps_row",
    "fsync_dir",
    "open_records",
    "output_format",
    "parse_maps",
]
