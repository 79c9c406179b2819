"""Dedup at scale: build the signatures and LSH index of N stored documents of ~2,000 characters,
then add documents one at a time to the full index.

1. setup (not part of the index figure): a corpus.db with N generated documents in `documents`
   (text from a Zipf-distributed vocabulary of Chinese words, so unrelated documents overlap
   about as much as real ones do; a share of them are previews and respun copies of others);
2. index: `pipelines.dedup.bulk.bulk_index` (worker processes + sorted band insert); wall time and
   peak memory (parent + workers);
3. add: `Ingestor._store_document` for new documents (half copies of stored ones, half new),
   each its own transaction, against the full index: latency of dedup (match + index update) and of
   the whole add including the commit.

    .venv/bin/python benchmarks/dedup_scale.py --docs 1000000 --workers 2 --db /tmp/dedup-1m.db
"""
from __future__ import annotations

import argparse
import os
import random
import resource
import statistics
import sys
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pipelines import store  # noqa: E402
from pipelines.dedup import DedupConfig, Deduplicator, content_hash  # noqa: E402
from pipelines.dedup.bulk import bulk_index  # noqa: E402
from pipelines.ingest import Ingestor  # noqa: E402
from pipelines.model import Document, document_id  # noqa: E402

HAN = np.array([chr(c) for c in range(0x4E00, 0x4E00 + 3500)], dtype=object)
PUNCT = "，。，；，。、"


class TextMaker:
    def __init__(self, seed: int, vocab: int = 40000):
        self.rng = np.random.default_rng(seed)
        lens = self.rng.choice([1, 2, 2, 2, 3, 4], size=vocab)
        words = ["".join(self.rng.choice(HAN, size=n)) for n in lens]
        # every ninth word carries a punctuation mark: the same words with one appended
        self.words = np.array(words + [w + PUNCT[i % len(PUNCT)] for i, w in enumerate(words)], dtype=object)
        p = 1.0 / np.arange(1, vocab + 1) ** 1.05  # Zipf: a few words everywhere, most rare
        self.cdf = np.cumsum(p / p.sum())
        self.vocab = vocab

    def text(self, chars: int = 2000) -> str:
        k = chars // 2 + 40
        idx = np.minimum(np.searchsorted(self.cdf, self.rng.random(k)), self.vocab - 1)
        idx[8::9] += self.vocab
        return "".join(self.words[idx].tolist())[:chars]


def variant(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.5:
        return text[: int(len(text) * rng.uniform(0.3, 0.9))]
    chars = list(text)
    for _ in range(len(chars) // 40):  # respun: a character in forty changed
        chars[rng.randrange(len(chars))] = HAN[rng.randrange(len(HAN))]
    return "".join(chars)


def setup(db_path: str, n: int, seed: int) -> float:
    t = time.perf_counter()
    db = store.open_db(db_path)
    db.execute("PRAGMA synchronous=OFF")
    maker, rng = TextMaker(seed), random.Random(seed)
    batch, recent = [], []
    now = "2026-11-22T00:00:00Z"
    for i in range(n):
        if recent and rng.random() < 0.1:
            text = variant(rng.choice(recent), rng)  # copies among the stored ones too
        else:
            text = maker.text(rng.randint(1600, 2400))
        if len(recent) < 5000:
            recent.append(text)
        else:
            recent[rng.randrange(5000)] = text
        url = f"http://site{i % 50}.example/doc/{i}.html"
        batch.append((document_id(url, 0), url, 0, f"site{i % 50}.example", text, len(text), "zh", 0, 0,
                      content_hash(text), "{}", "{}", now, now))
        if len(batch) == 20000:
            _insert(db, batch)
            batch = []
            print(f"\r  setup: {i + 1} documents, {time.perf_counter() - t:.0f} s", end="", file=sys.stderr)
    if batch:
        _insert(db, batch)
    db.close()
    print(file=sys.stderr)
    return time.perf_counter() - t


def _insert(db, batch):
    with db.atomic():
        db.conn.executemany(
            """INSERT INTO documents (id, url, part, site, text, chars, lang, traditional, truncated, content_hash,
               meta, quality, first_seen, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)""", batch)


def peak_mib() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def add_latency(db_path: str, n_add: int, seed: int) -> dict:
    db = store.open_db(db_path)
    dedup = Deduplicator(db, index_missing=False)
    ing = Ingestor(db, dedup=dedup, keep_pages=False)
    rng = random.Random(seed + 1)
    maker = TextMaker(seed + 1)
    total_docs = db.execute("SELECT max(rowid) FROM documents").fetchone()[0]
    dedup_ms, add_ms, outcomes = [], [], {}
    match, added = dedup.match, dedup.added
    spent = [0.0]

    def timed(f):
        def g(*a, **k):
            t = time.perf_counter()
            try:
                return f(*a, **k)
            finally:
                spent[0] += time.perf_counter() - t
        return g

    dedup.match, dedup.added = timed(match), timed(added)
    for i in range(n_add):
        if i % 2:
            row = db.execute("SELECT text FROM documents WHERE rowid = ?", [rng.randint(1, total_docs)]).fetchone()
            text = variant(row[0], rng)
        else:
            text = maker.text(rng.randint(1600, 2400))
        doc = Document(url=f"http://new.example/{seed}/{i}.html", text=text, lang="zh")
        spent[0] = 0.0
        t = time.perf_counter()
        with store.transaction(db):
            out = ing._store_document(doc)
        add_ms.append((time.perf_counter() - t) * 1000)
        dedup_ms.append(spent[0] * 1000)
        key = out.table if out.table != "duplicates" else f"duplicates/{out.detail}"
        outcomes[key] = outcomes.get(key, 0) + 1
    db.close()

    def q(xs, p):
        return sorted(xs)[min(len(xs) - 1, int(len(xs) * p))]
    return {"n": n_add, "outcomes": outcomes,
            "dedup_ms": {"median": statistics.median(dedup_ms), "p95": q(dedup_ms, 0.95), "p99": q(dedup_ms, 0.99),
                         "mean": statistics.mean(dedup_ms)},
            "add_ms": {"median": statistics.median(add_ms), "p95": q(add_ms, 0.95), "p99": q(add_ms, 0.99),
                       "mean": statistics.mean(add_ms)}}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--add", type=int, default=2000, help="documents added one at a time after the build")
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--db", default="/tmp/dedup-scale.db")
    ap.add_argument("--keep", action="store_true", help="reuse an existing --db (skip setup) and keep it")
    args = ap.parse_args(argv)
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(args.db + suffix):
                os.remove(args.db + suffix)
    if not os.path.exists(args.db):
        t_setup = setup(args.db, args.docs, args.seed)
        print(f"setup: {args.docs} documents stored in {t_setup:.0f} s ({os.path.getsize(args.db) / 2**30:.2f} GiB)")
    else:
        db = store.open_db(args.db)
        db.execute("DELETE FROM dedup_bands")
        db.execute("DELETE FROM dedup_signatures")
        db.conn.commit()
        db.close()
    size0 = os.path.getsize(args.db) + (os.path.getsize(args.db + "-wal") if os.path.exists(args.db + "-wal") else 0)

    def progress(n, s):
        print(f"\r  index: {n} documents, {s:.0f} s", end="", file=sys.stderr)
    own0 = peak_mib()[0]
    r = bulk_index(args.db, DedupConfig(), workers=args.workers, progress=progress)
    print(file=sys.stderr)
    own, children = peak_mib()
    db = store.open_db(args.db)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    size1 = os.path.getsize(args.db)
    print(f"index: {r['documents']} documents, {r['band_rows']} band rows in {r['total_s']:.0f} s "
          f"(signatures {r['signatures_s']:.0f} s, sorted band insert {r['bands_s']:.0f} s); "
          f"{r['documents'] / r['total_s']:.0f} docs/s with {args.workers} workers; "
          f"peak RSS parent {own:.0f} MiB (before build {own0:.0f}), largest worker {children:.0f} MiB; "
          f"database grew {(size1 - size0) / 2**20:.0f} MiB")
    a = add_latency(args.db, args.add, args.seed)
    print(f"add one document to the {r['documents']}-document index ({a['n']} adds, {a['outcomes']}): "
          f"dedup (match + index update) median {a['dedup_ms']['median']:.2f} ms, p95 {a['dedup_ms']['p95']:.2f}, "
          f"p99 {a['dedup_ms']['p99']:.2f}, mean {a['dedup_ms']['mean']:.2f}; whole add incl. document row and "
          f"commit median {a['add_ms']['median']:.2f} ms, p95 {a['add_ms']['p95']:.2f}, p99 {a['add_ms']['p99']:.2f}")
    if not args.keep:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(args.db + suffix):
                os.remove(args.db + suffix)


if __name__ == "__main__":
    main()
