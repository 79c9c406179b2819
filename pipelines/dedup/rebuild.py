"""Re-cluster a whole corpus.db with the current dedup settings (`docsites dedup --rebuild`).

Every unit that took part in dedup — each stored document (its text is in `documents`) and each
duplicate (its page is re-extracted from `pages`) — goes through the same `Ingestor` dedup step
again, documents first in the order they were first seen, so a document that stays a document keeps
its id. One transaction: a kill leaves the database as it was.
"""
from __future__ import annotations

import logging
from collections.abc import Iterator

import sqlite_utils

from .. import store
from ..ingest import Ingestor, run_extraction, stored_hints
from ..model import REPORT_FIELDS, Document, HintsLookup, Rejection
from . import DedupConfig, Deduplicator

logger = logging.getLogger(__name__)

DOC_COLUMNS = ("id", "url", "part", "site", "title", "text", "lang", "published", "traditional",
               "truncated", "meta", "quality", "first_seen", *REPORT_FIELDS)


def _batches(db: sqlite_utils.Database, sql: str, size: int = 500) -> Iterator[dict]:
    cur = db.conn.cursor()
    cur.execute(sql)
    cols = [c[0] for c in cur.description]
    while True:
        rows = cur.fetchmany(size)
        if not rows:
            return
        for r in rows:
            yield dict(zip(cols, r, strict=True))


def rebuild(db: sqlite_utils.Database, config: DedupConfig | None = None, hints: HintsLookup | None = None) -> dict:
    """Re-cluster; returns counts before and after. `hints(page)`: the site hints a duplicate's page
    is extracted again with, as the crawl extracted it (default: `ingest.stored_hints`)."""
    config = config or DedupConfig()
    hints = hints or (lambda page: stored_hints(db, page))
    before = {t: db.table(t).count for t in ("documents", "duplicates")}
    counts = {"re_extracted": 0, "kept_pointer": 0}
    with store.transaction(db):
        db.execute("DROP TABLE IF EXISTS temp._rebuild_docs")
        db.execute("DROP TABLE IF EXISTS temp._rebuild_dups")
        db.execute(f"CREATE TEMP TABLE _rebuild_docs AS SELECT {', '.join(DOC_COLUMNS)} FROM documents")
        db.execute("CREATE TEMP TABLE _rebuild_dups AS SELECT url, part, title, site, dup_of, kind, similarity FROM duplicates")
        db.execute("DELETE FROM dedup_bands")
        db.execute("DELETE FROM dedup_signatures")
        db.execute("DELETE FROM dedup_meta")
        db.execute("DELETE FROM duplicates")
        db.execute("DELETE FROM documents")
        dedup = Deduplicator(db, config, index_missing=False)
        langs = [r[0] for r in db.execute("SELECT DISTINCT lang FROM _rebuild_docs").fetchall()]
        # Everything here was accepted once; only dedup decides again.
        ing = Ingestor(db, keep_languages=langs, min_chars=0, dedup=dedup, hints=hints)
        for row in _batches(db, "SELECT * FROM _rebuild_docs ORDER BY first_seen, id"):
            ing._store_document(store.load_document(row), prefer_id=row["id"])
        unreadable = []
        for row in _batches(db, "SELECT d.*, p.body, p.kind, p.status, p.final_url, p.fetched_at, "
                                "p.content_type, p.etag, p.last_modified FROM _rebuild_dups d "
                                "LEFT JOIN pages p ON p.url = d.url ORDER BY d.url, d.part"):
            doc = None
            if row["body"] is not None:
                page = store.load_page(row)
                result = run_extraction(page, hints(page))
                if result.problem is None:
                    doc = next((d for d in result.documents if d.part == row["part"]), None)
                    doc = ing.boilerplate.strip(doc) if doc else None  # as it was stored
            if doc is None:
                unreadable.append(row)
                continue
            counts["re_extracted"] += 1
            ing._store_document(doc)
        # A duplicate whose page is gone keeps pointing at what its document became.
        for row in unreadable:
            target = _current_id(db, row["dup_of"])
            if target is None:
                store.record_rejection(db, Rejection(row["url"], "orphaned_duplicate",
                                                           f"was a duplicate of {row['dup_of']}", row["part"],
                                                           row["site"], row["title"]))
                continue
            counts["kept_pointer"] += 1
            store.record_duplicate(db, Document(url=row["url"], part=row["part"], title=row["title"],
                                                site=row["site"]), target, row["kind"], row["similarity"])
        db.execute("""UPDATE documents SET first_seen = (SELECT r.first_seen FROM _rebuild_docs r
                      WHERE r.id = documents.id) WHERE id IN (SELECT id FROM _rebuild_docs)""")
        db.execute("DROP TABLE temp._rebuild_docs")
        db.execute("DROP TABLE temp._rebuild_dups")
    after = {t: db.table(t).count for t in ("documents", "duplicates")}
    return {"before": before, "after": after, **counts}


def _current_id(db: sqlite_utils.Database, old_id: str) -> str | None:
    """The document an old document id now belongs to: itself, or what its page now duplicates."""
    if db.execute("SELECT 1 FROM documents WHERE id = ?", [old_id]).fetchone():
        return old_id
    row = db.execute("SELECT url, part FROM _rebuild_docs WHERE id = ?", [old_id]).fetchone()
    if row is None:
        return None
    hit = db.execute("SELECT id FROM documents WHERE url = ? AND part = ?", row).fetchone() or \
        db.execute("SELECT dup_of FROM duplicates WHERE url = ? AND part = ?", row).fetchone()
    return hit[0] if hit else None
