"""The naive pipeline: what a user would write first from the packages docsites is built on.

One page at a time, in WARC order: `trafilatura.extract` on the raw bytes -> OpenCC t2s ->
langdetect (seeded) -> datasketch `MinHash(num_perm=128)` on character 5-grams ->
`MinHashLSH(threshold=0.8)` (the first stored document the query returns is the page's original)
-> one sqlite-utils insert per row (`documents`, `duplicates` or `rejected`, each its own commit).
It is the reference `benchmarks/ingest_bench.py` measures `docsites ingest` against; it is kept
plain on purpose, not tuned.

    .venv/bin/python benchmarks/naive_pipeline.py pages-000.warc.gz … --db /tmp/naive.db
"""
from __future__ import annotations

import argparse
import time

import opencc
import sqlite_utils
import trafilatura
from datasketch import MinHash, MinHashLSH
from langdetect import DetectorFactory, LangDetectException, detect
from warcio.archiveiterator import ArchiveIterator

DetectorFactory.seed = 0
MIN_CHARS = 100


def pages(warc_paths: list[str]):
    """(url, body bytes) of every response record."""
    for path in warc_paths:
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.rec_type == "response":
                    yield record.rec_headers.get_header("WARC-Target-URI"), record.content_stream().read()


def run(warc_paths: list[str], db_path: str) -> dict:
    """Ingest every page of `warc_paths` into a fresh database at `db_path`; returns counts."""
    db = sqlite_utils.Database(db_path)
    converter = opencc.OpenCC("t2s")
    lsh = MinHashLSH(threshold=0.8, num_perm=128)
    for table, columns in (("documents", {"id": str, "url": str, "lang": str, "text": str}),
                           ("duplicates", {"url": str, "dup_of": str}), ("rejected", {"url": str, "reason": str})):
        db[table].create(columns, pk="id" if table == "documents" else "url", if_not_exists=True)
    counts = {"documents": 0, "duplicates": 0, "rejected": 0}
    for url, body in pages(warc_paths):
        text = trafilatura.extract(body) or ""
        text = converter.convert(text)
        try:
            lang = detect(text)
        except LangDetectException:
            lang = "und"
        if not lang.startswith("zh") or len(text) < MIN_CHARS:
            db["rejected"].insert({"url": url, "reason": f"lang={lang} chars={len(text)}"})
            counts["rejected"] += 1
            continue
        minhash = MinHash(num_perm=128)
        for i in range(max(len(text) - 4, 1)):
            minhash.update(text[i:i + 5].encode("utf-8"))
        hits = lsh.query(minhash)
        if hits:
            db["duplicates"].insert({"url": url, "dup_of": hits[0]})
            counts["duplicates"] += 1
        else:
            lsh.insert(url, minhash)
            db["documents"].insert({"id": url, "url": url, "lang": lang, "text": text}, pk="id")
            counts["documents"] += 1
    return counts


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("warc", nargs="+")
    ap.add_argument("--db", required=True)
    args = ap.parse_args(argv)
    started = time.perf_counter()
    counts = run(args.warc, args.db)
    print(f"naive: {sum(counts.values())} pages in {time.perf_counter() - started:.1f}s: "
          + ", ".join(f"{k} {v}" for k, v in counts.items()))


if __name__ == "__main__":
    main()
