"""Candidate retrieval for dedup, compared: which index finds the duplicate pairs, at what cost.

On the extracted texts of a generated collection (benchmarks/gen_dedup_collection.py), every
document is indexed, then every document queries the index; a gold duplicate pair is retrieved
when either side returns the other. Printed per method: pair recall (all pairs, and pairs where
one copy is a truncated preview), candidate pairs returned (verification work), and time.

Methods: this project's SQLite band index (whole-text bands + opening bands, and whole-text bands
only), datasketch MinHashLSH at Jaccard 0.5 and 0.8, and datasketch MinHashLSHEnsemble (containment
0.7), which must be given every set before the first query (it cannot grow incrementally).

    .venv/bin/python benchmarks/dedup_candidates.py --docs 300 --seed 1
"""
from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import time
from dataclasses import replace
from itertools import combinations

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from datasketch import MinHashLSH, MinHashLSHEnsemble  # noqa: E402

from gen_dedup_collection import generate  # noqa: E402
from pipelines.dedup import (  # noqa: E402
    DedupConfig,
    Deduplicator,
    fingerprint,
    minhash,  # noqa: E402
)
from pipelines.ingest import run_extraction  # noqa: E402
from pipelines.model import Page  # noqa: E402


class _Db:
    """The two dedup tables in an in-memory SQLite, enough for Deduplicator's index methods."""

    def __init__(self):
        self.conn = sqlite3.connect(":memory:")

    def execute(self, *a):
        return self.conn.execute(*a)

    def atomic(self):
        return self.conn


def band_index(fps, config, k_verify=None):
    db = _Db()
    dd = Deduplicator.__new__(Deduplicator)
    dd.db, dd.config, dd._cache = db, config, None
    from pipelines.dedup import ensure_schema
    ensure_schema(db)
    for i, fp in enumerate(fps):
        dd._insert(str(i), fp, len(fp.norm))
    found = set()
    for i, fp in enumerate(fps):
        cands = dd.candidates(fp, exclude={str(i)})
        if k_verify:
            cands = cands[:k_verify]
        found |= {tuple(sorted((i, int(c["doc_id"])))) for c in cands}
    return found


def lsh(fps, config, threshold):
    index = MinHashLSH(threshold=threshold, num_perm=config.num_perm)
    lean = [minhash.lean_minhash(fp.sig, config.seed) for fp in fps]
    for i, m in enumerate(lean):
        index.insert(i, m)
    return {tuple(sorted((i, j))) for i, m in enumerate(lean) for j in index.query(m) if j != i}


def ensemble(fps, config, threshold):
    lean = [minhash.lean_minhash(fp.sig, config.seed) for fp in fps]
    index = MinHashLSHEnsemble(threshold=threshold, num_perm=config.num_perm, num_part=16)
    index.index([(i, m, max(fp.nshingles, 1)) for i, (m, fp) in enumerate(zip(lean, fps, strict=True))])
    return {tuple(sorted((i, j))) for i, (m, fp) in enumerate(zip(lean, fps, strict=True))
            for j in index.query(m, max(fp.nshingles, 1)) if j != i}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args(argv)
    pages = generate(args.docs, args.seed)
    texts, labels, truncated = [], [], []
    for p in pages:
        r = run_extraction(Page(p.url, p.html))
        if r.documents and len(r.documents[0].text) >= 100:
            texts.append(r.documents[0].text)
            labels.append(p.cluster)
            truncated.append("truncated" in p.variant)
    config = DedupConfig()
    fps = [fingerprint(t, config) for t in texts]
    gold = {(i, j) for i, j in combinations(range(len(texts)), 2) if labels[i] == labels[j]}
    gold_trunc = {(i, j) for i, j in gold if truncated[i] != truncated[j]}
    print(f"{len(texts)} documents, {len(gold)} duplicate pairs ({len(gold_trunc)} preview/full pairs)")
    methods = [
        ("SQLite bands: whole text + opening (this project)", lambda: band_index(fps, config)),
        ("  the same, top 8 by estimated similarity (what is verified)", lambda: band_index(fps, config, 8)),
        ("SQLite bands: whole text only", lambda: band_index(fps, replace(config, prefix_bands=0))),
        ("datasketch MinHashLSH threshold 0.5", lambda: lsh(fps, config, 0.5)),
        ("datasketch MinHashLSH threshold 0.8", lambda: lsh(fps, config, 0.8)),
        ("datasketch MinHashLSHEnsemble containment 0.7 (static)", lambda: ensemble(fps, config, 0.7)),
    ]
    for name, run in methods:
        t = time.perf_counter()
        found = run()
        elapsed = time.perf_counter() - t
        print(f"{name}: pair recall {len(found & gold) / len(gold):.4f} (previews {len(found & gold_trunc) / len(gold_trunc):.4f}); "
              f"{len(found)} candidate pairs; {elapsed:.1f} s")


if __name__ == "__main__":
    main()
