"""Build the dedup index for many stored documents at once (a large corpus.db without an index).

Worker processes read texts straight from the database (read-only connections, by rowid range) and
return signatures and band keys; the parent writes `dedup_signatures` as results come and the band
rows once, sorted by key, so SQLite appends to its B-tree instead of inserting at random places.
Memory: the band rows (12 bytes each, `bands + prefix_bands` per document) are held until the end.
"""
from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from typing import NamedTuple

import numpy as np

from .. import store
from . import SCHEMA, DedupConfig, band_keys, fingerprint

logger = logging.getLogger(__name__)

CHUNK = 2000  # documents per worker task


class _Chunk(NamedTuple):
    """A worker's signatures of one rowid range, row by row (pickled back to the parent)."""

    ids: list[str]
    meta: np.ndarray  # (chars, shingles)
    sigs: list[bytes]
    psigs: list[bytes]
    bands: np.ndarray  # band keys


def _work(args: tuple[str, int, int, DedupConfig]) -> _Chunk:
    db_path, lo, hi, config = args
    conn = sqlite3.connect(store.readonly_uri(db_path), uri=True)
    try:
        rows = conn.execute("SELECT rowid, id, text FROM documents WHERE rowid >= ? AND rowid < ?", [lo, hi]).fetchall()
    finally:
        conn.close()
    nb = config.bands + config.prefix_bands
    ids, meta, sigs, psigs = [], np.empty((len(rows), 2), np.int64), [], []
    bands = np.empty((len(rows), nb), np.int64)
    for i, (_, doc_id, text) in enumerate(rows):
        fp = fingerprint(text or "", config)
        ids.append(doc_id)
        meta[i] = (len(text or ""), fp.nshingles)
        sigs.append(fp.sig.tobytes())
        psigs.append(fp.psig.tobytes())
        bands[i] = band_keys(fp.sig, fp.psig, config)
    return _Chunk(ids, meta, sigs, psigs, bands)


def bulk_index(db_path: str, config: DedupConfig | None = None, workers: int = 2,
               progress: Callable[[int, float], None] | None = None) -> dict:
    """Index every document of `db_path` that has no signature yet; returns timings and counts."""
    config = config or DedupConfig()
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA cache_size=-262144")  # 256 MiB: the band B-tree's upper levels stay cached
    conn.execute("PRAGMA busy_timeout=30000")
    with conn:  # the index's tables, as ensure_schema makes them
        for statement in SCHEMA:
            conn.execute(statement)
    conn.execute("INSERT OR REPLACE INTO dedup_meta VALUES ('index', ?)",
                 [json.dumps(config.index_params(), sort_keys=True)])
    conn.execute("INSERT OR REPLACE INTO dedup_meta VALUES ('config', ?)", [json.dumps(asdict(config), sort_keys=True)])
    conn.commit()
    lo, hi = conn.execute("SELECT min(rowid), max(rowid) FROM documents").fetchone()
    if lo is None:
        return {"documents": 0}
    done = {r[0] for r in conn.execute("SELECT doc_id FROM dedup_signatures")} if conn.execute(
        "SELECT 1 FROM dedup_signatures LIMIT 1").fetchone() else set()
    tasks = [(db_path, s, s + CHUNK, config) for s in range(lo, hi + 1, CHUNK)]
    t0 = time.perf_counter()
    # Band rows as two flat arrays, allocated once: (h int64, key int32) is 12 bytes a row.
    nb = config.bands + config.prefix_bands
    total = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    hs, ks, filled, n = np.empty(total * nb, np.int64), np.empty(total * nb, np.int32), 0, 0
    next_key = (conn.execute("SELECT max(key) FROM dedup_signatures").fetchone()[0] or 0) + 1
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for ids, meta, sigs, psigs, bands in pool.map(_work, tasks):
            keep = [i for i, d in enumerate(ids) if d not in done]
            keys = np.arange(next_key, next_key + len(keep), dtype=np.int64)
            next_key += len(keep)
            conn.executemany(
                "INSERT INTO dedup_signatures (key, doc_id, nchars, nshingles, sig, psig) VALUES (?, ?, ?, ?, ?, ?)",
                [(int(k), ids[i], int(meta[i, 0]), int(meta[i, 1]), sigs[i], psigs[i])
                 for k, i in zip(keys, keep, strict=True)])
            conn.commit()
            b = bands[keep].ravel()
            if filled + b.size > hs.size:  # documents added while we ran
                hs, ks = np.resize(hs, filled + b.size), np.resize(ks, filled + b.size)
            hs[filled:filled + b.size] = b
            ks[filled:filled + b.size] = np.repeat(keys, nb)
            filled += b.size
            n += len(keep)
            if progress:
                progress(n, time.perf_counter() - t0)
    t_sig = time.perf_counter() - t0
    order = np.argsort(hs[:filled], kind="stable")
    hs, ks = hs[:filled][order], ks[:filled][order]
    del order
    t1 = time.perf_counter()
    step = 1_000_000
    for s in range(0, filled, step):
        conn.executemany("INSERT OR IGNORE INTO dedup_bands (h, key) VALUES (?, ?)",
                         zip(hs[s:s + step].tolist(), ks[s:s + step].tolist(), strict=True))
        conn.commit()
    t_bands = time.perf_counter() - t1
    conn.close()
    return {"documents": n, "band_rows": int(filled), "signatures_s": t_sig, "bands_s": t_bands,
            "total_s": time.perf_counter() - t0}
