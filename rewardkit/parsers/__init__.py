"""Bounded parsers for model output.

Every function here accepts hostile text: input is capped in length, scanning
is linear (``str.find`` loops, or regexes without nested quantifiers), and
nothing is evaluated. Each returns ``None`` when it finds nothing.
"""

from __future__ import annotations

from ._answers import (
    extract_answer_is,
    extract_boxed,
    extract_boxed_all,
    extract_code_blocks,
    extract_gsm8k,
    extract_last_number,
    final_answer,
)
from ._xml import TagMatch, count_blocks, extract_tag, find_blocks, strip_reasoning

__all__ = [
    "TagMatch",
    "count_blocks",
    "extract_answer_is",
    "extract_boxed",
    "extract_boxed_all",
    "extract_code_blocks",
    "extract_gsm8k",
    "extract_last_number",
    "extract_tag",
    "final_answer",
    "find_blocks",
    "strip_reasoning",
]
