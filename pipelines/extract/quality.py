"""Quality signals of a document's text, stored in `Document.quality`."""
from __future__ import annotations

import re

from pipelines.han import count as count_han

from .rules import Rules

# Masked names and numbers as published: xx市, **区, *万元, 20xx年, XX省.
MASK = re.compile(r"(?<![A-Za-z])(x{2,}|X{2,})(?![A-Za-z])|\*{1,}")


def signals(text: str, rules: Rules) -> dict:
    chars = len(text)
    han = count_han(text)
    masks = len(MASK.findall(text))
    hits = sum(text.count(m) for m in rules.rewrite_markers)
    return {
        "chars": chars,
        "han_ratio": round(han / chars, 3) if chars else 0.0,
        "masked": masks,
        "rewrite_hits": hits,
        # pseudo-original (伪原创) rewriting markers per 1,000 characters; > 1 is a rewritten text
        "rewrite_score": round(hits * 1000 / chars, 2) if chars else 0.0,
        # U+FFFD put in for invalid bytes (a corrupt or cut-off page read anyway: pipelines/extract/decode.py)
        "replaced_chars": text.count("\ufffd"),
    }
