"""Dedup quality on a generated, labelled near-duplicate collection, through the real pipeline.

Every page goes through the real extraction (`run_extraction`: trafilatura, OpenCC t2s, language id)
and then `Ingestor.store` (dedup + corpus.db), one page at a time in arrival order. Prints pairwise
precision, recall and F1 of the resulting clusters (a page's cluster is its document id, or the
`dup_of` of its duplicate row) and pages/s, and the same figures for the naive baseline (datasketch
MinHash 128 permutations, char 5-grams, MinHashLSH threshold 0.8, one page at a time) on the same
extracted texts.

    .venv/bin/python benchmarks/dedup_quality.py --docs 300 --seed 1
    .venv/bin/python benchmarks/dedup_quality.py --docs 300 --seed 7 --sweep shingle=3,4,5,6,7
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from datasketch import MinHash, MinHashLSH  # noqa: E402

from gen_dedup_collection import generate  # noqa: E402
from pipelines import store  # noqa: E402
from pipelines.dedup import DedupConfig, Deduplicator  # noqa: E402
from pipelines.ingest import Ingestor, run_extraction  # noqa: E402
from pipelines.model import Page  # noqa: E402


def pairs(labels: dict) -> int:
    return sum(n * (n - 1) // 2 for n in Counter(labels.values()).values())


def pairwise(gold: dict, pred: dict) -> dict:
    both = {u: (gold[u], pred[u]) for u in gold}
    tp = pairs(both)
    gp, pp = pairs(gold), pairs({u: pred[u] for u in gold})
    p = tp / pp if pp else 1.0
    r = tp / gp if gp else 1.0
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0,
            "gold_pairs": gp, "pred_pairs": pp}


def clusters_in(db, urls) -> dict:
    pred = {}
    docs = dict(db.execute("SELECT url, id FROM documents WHERE part = 0").fetchall())
    dups = dict(db.execute("SELECT url, dup_of FROM duplicates WHERE part = 0").fetchall())
    for u in urls:
        pred[u] = docs.get(u) or dups.get(u) or f"rejected:{u}"
    return pred


def run_pipeline(pages, extracted, config: DedupConfig) -> tuple[dict, float, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        db = store.open_db(os.path.join(tmp, "corpus.db"))
        ing = Ingestor(db, dedup=Deduplicator(db, config))
        t = time.perf_counter()
        for gp, result in zip(pages, extracted, strict=True):
            ing.store(Page(gp.url, gp.html), result)
        elapsed = time.perf_counter() - t
        problems = store.check_invariant(db)
        assert not problems, problems[:5]
        kinds = dict(db.execute("SELECT kind, count(*) FROM duplicates GROUP BY kind").fetchall())
        pred = clusters_in(db, [p.url for p in pages])
        db.close()
    return pred, elapsed, kinds


def naive(pages, extracted) -> tuple[dict, float]:
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    pred = {}
    t = time.perf_counter()
    for gp, result in zip(pages, extracted, strict=True):
        docs = result.documents
        if not docs or len(docs[0].text) < 100:
            pred[gp.url] = f"rejected:{gp.url}"
            continue
        text = docs[0].text
        m = MinHash(num_perm=128)
        m.update_batch([text[i:i + 5].encode("utf-8") for i in range(max(len(text) - 4, 1))])
        hit = lsh.query(m)
        if hit:
            pred[gp.url] = pred[hit[0]]
        else:
            lsh.insert(gp.url, m)
            pred[gp.url] = gp.url
    return pred, time.perf_counter() - t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--sweep", action="append", default=[],
                    help="FIELD=V1,V2,... of DedupConfig to vary (one at a time), e.g. shingle=3,4,5,6,7")
    ap.add_argument("--no-baseline", action="store_true")
    args = ap.parse_args(argv)

    pages = generate(args.docs, args.seed)
    gold = {p.url: p.cluster for p in pages}
    variants = Counter(k for p in pages for k in p.variant if k != "site")
    print(f"collection: seed {args.seed}, {args.docs} documents, {len(pages)} pages, "
          f"{pairs(gold)} duplicate pairs; variants {dict(variants)}")
    t = time.perf_counter()
    extracted = [run_extraction(Page(p.url, p.html)) for p in pages]
    t_extract = time.perf_counter() - t
    print(f"extraction: {t_extract:.1f} s, {len(pages) / t_extract:.0f} pages/s")

    configs = [("default", DedupConfig())]
    for spec in args.sweep:
        name, values = spec.split("=")
        for v in values.split(","):
            typ = type(getattr(DedupConfig(), name))
            configs.append((f"{name}={v}", replace(DedupConfig(), **{name: typ(v)})))
    for label, config in configs:
        pred, elapsed, kinds = run_pipeline(pages, extracted, config)
        s = pairwise(gold, pred)
        print(f"docsites dedup [{label}]: precision {s['precision']:.4f} recall {s['recall']:.4f} "
              f"F1 {s['f1']:.4f} ({s['pred_pairs']} predicted / {s['gold_pairs']} gold pairs); "
              f"dedup+store {len(pages) / elapsed:.0f} pages/s, whole pipeline "
              f"{len(pages) / (elapsed + t_extract):.0f} pages/s; duplicates by kind {kinds}")
    if not args.no_baseline:
        pred, elapsed = naive(pages, extracted)
        s = pairwise(gold, pred)
        print(f"naive baseline (MinHash 128, char 5-grams, LSH 0.8): precision {s['precision']:.4f} "
              f"recall {s['recall']:.4f} F1 {s['f1']:.4f}; {len(pages) / elapsed:.0f} pages/s (dedup only)")


if __name__ == "__main__":
    main()
