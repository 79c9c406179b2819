"""Duplicate detection on cleaned, simplified text.

First version: exact duplicates on a hash of the normalised text (width, case, punctuation and
white space folded). Near and containment duplicates plug in behind the same `Deduplicator.match`.
"""
from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass

from .model import Document

logger = logging.getLogger(__name__)

NOISE = re.compile(r"[\W_]+", re.UNICODE)


def normalise(text: str) -> str:
    """Text as dedup sees it: NFKC (full/half width folded), lower case, no punctuation or spaces."""
    return NOISE.sub("", unicodedata.normalize("NFKC", text).lower())


def content_hash(text: str) -> str:
    return hashlib.sha1(normalise(text).encode("utf-8")).hexdigest()


@dataclass
class Match:
    """`doc` duplicates stored document `dup_of`. With `supersede`, `doc` is the better copy: the
    stored document takes its text (keeping its id) and the stored copy's page becomes the duplicate."""

    dup_of: str
    kind: str  # exact | near | contained
    similarity: float
    supersede: bool = False


class Deduplicator:
    def __init__(self, db):
        self.db = db

    def match(self, doc: Document, doc_hash: str) -> Match | None:
        row = self.db.execute(
            "SELECT id FROM documents WHERE content_hash = ? AND NOT (url = ? AND part = ?) LIMIT 1",
            [doc_hash, doc.url, doc.part],
        ).fetchone()
        return Match(row[0], "exact", 1.0) if row else None

    def added(self, doc_id: str, doc: Document, doc_hash: str) -> None:
        """A document was stored (or its text replaced): index it for later matches."""

    def removed(self, doc_id: str) -> None:
        """A document left the corpus: forget it."""
