"""`docsites ingest` against the naive pipeline (benchmarks/naive_pipeline.py) on the same WARC.

Generates doc-site pages with known duplicate clusters (benchmarks/gen_dedup_collection.py: the
kv-header, member-share, uploader and article families of ../shared/docs/doc-sites.md; each
report on 1-4 sites, some copies truncated previews, respun or on a traditional-script mirror),
stores a share of them as GBK (simplified) or Big5 (traditional), half of those with the charset
only in the page's <meta>, and writes them to WARC files. Then runs, each as its own process on
the same files, in the same run:

  naive     benchmarks/naive_pipeline.py (trafilatura, OpenCC, langdetect, datasketch, sqlite-utils)
  docsites  `docsites ingest` (the command as a user runs it, start-up included)

and prints for each: wall time, pages/s, CPU time a page (the process and its workers), peak memory (summed RSS of the process tree, sampled
every 0.1 s), duplicate-cluster F1 (pairwise over pages: a page's cluster is its document, or the
document its duplicate row points at; a rejected page is alone) and mean text F1 (character
bigrams, as benchmarks/eval_extract.py; over the documents stored, each against the text its page
carried, and every rejected page scoring 0); then the ratio of the wall times. `--repeat` runs
the pair again, alternating, and prints every run. `--profile` runs the ingest in this process
with one worker under cProfile and prints where its time goes, stage by stage.

    .venv/bin/python benchmarks/ingest_bench.py --pages 2000
    .venv/bin/python benchmarks/ingest_bench.py --pages 2000 --repeat 3
    .venv/bin/python benchmarks/ingest_bench.py --pages 2000 --profile --no-naive
    .venv/bin/python benchmarks/ingest_bench.py --pages 20000 --no-naive     # memory against size
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from io import BytesIO

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, ROOT)
sys.path.insert(0, HERE)

from dedup_quality import pairwise  # noqa: E402
from gen_dedup_collection import generate  # noqa: E402
from pipelines.extract.score import f1  # noqa: E402
from tests.proctree import TreeSampler  # noqa: E402

BIN = os.path.dirname(sys.executable)
PAGES_PER_DOC = 2.2  # generate()'s mean copies per report
PAGES_PER_FILE = 5000  # a WARC per this many pages (docsites ingest reads inputs up to 64 MiB each)


def encode(page, rng: random.Random) -> tuple[bytes, str]:
    """The page's bytes as its site serves them, and the Content-Type header: utf-8 mostly, a share
    GBK or Big5 (declared in the header, or only in the page's <meta>)."""
    html = page.html.decode("utf-8")
    charset = "utf-8"
    roll = rng.random()
    if page.variant.get("traditional") and roll < 0.5:
        charset = "big5"
    elif not page.variant.get("traditional") and roll < 0.2:
        charset = "gbk"
    if charset != "utf-8":
        html = html.replace("<meta charset='utf-8'>", f"<meta charset='{charset}'>")
    body = html.encode(charset, errors="xmlcharrefreplace")
    in_header = charset == "utf-8" or rng.random() < 0.5
    return body, "text/html" + (f"; charset={charset}" if in_header else "")


def write_warcs(pages, folder: str, seed: int) -> list[str]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter
    rng = random.Random(seed)
    paths = []
    for start in range(0, len(pages), PAGES_PER_FILE):
        path = os.path.join(folder, f"pages-{start // PAGES_PER_FILE:03d}.warc.gz")
        with open(path, "wb") as f:
            writer = WARCWriter(f, gzip=True)
            for page in pages[start:start + PAGES_PER_FILE]:
                body, content_type = encode(page, rng)
                http = StatusAndHeaders("200 OK", [("Content-Type", content_type),
                                                   ("Content-Length", str(len(body)))], protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(page.url, "response", payload=BytesIO(body),
                                                              http_headers=http))
        paths.append(path)
    return paths


def fresh(db_path: str) -> str:
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(db_path + suffix):
            os.remove(db_path + suffix)
    return db_path


def run_measured(cmd: list[str], env: dict | None = None) -> dict:
    """Run `cmd`; its wall time, peak RSS of its process tree, and output."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, **(env or {})})
    with TreeSampler(proc) as sampler:
        out, err = proc.communicate()
        wall = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the process and its waited-for workers
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"wall": wall, "cpu": cpu, "peak_rss": sampler.peak_rss, "stdout": out, "stderr": err}


def outcomes(db_path: str) -> tuple[dict, dict, list[str]]:
    """From a corpus (docsites' or the naive one): url -> cluster, url -> stored text, rejected urls."""
    conn = sqlite3.connect(db_path)
    try:
        part0 = " WHERE part = 0" if "part" in {r[1] for r in conn.execute("PRAGMA table_info(documents)")} else ""
        docs = conn.execute(f"SELECT url, id, text FROM documents{part0}").fetchall()
        dups = conn.execute(f"SELECT url, dup_of FROM duplicates{part0}").fetchall()
        rejected = [r[0] for r in conn.execute(f"SELECT url FROM rejected{part0}")]
    finally:
        conn.close()
    cluster = {url: doc_id for url, doc_id, _ in docs}
    cluster.update(dict(dups))
    return cluster, {url: text for url, _, text in docs}, rejected


def score(db_path: str, pages) -> dict:
    gold_cluster = {p.url: p.cluster for p in pages}
    gold_text = {p.url: p.text for p in pages}
    cluster, texts, rejected = outcomes(db_path)
    pred = {u: cluster.get(u, f"alone:{u}") for u in gold_cluster}
    scores = [f1(text, gold_text[url]) for url, text in texts.items()] + [0.0 for _ in rejected]
    return {"cluster_f1": pairwise(gold_cluster, pred)["f1"],
            "text_f1": sum(scores) / len(scores) if scores else 0.0,
            "documents": len(texts), "rejected": len(rejected)}


def report(name: str, n: int, run: dict, s: dict | None) -> None:
    quality = (f"; duplicate-cluster F1 {s['cluster_f1']:.3f}, mean text F1 {s['text_f1']:.3f} "
               f"({s['documents']} documents, {s['rejected']} rejected)") if s else ""
    print(f"{name}: {n} pages in {run['wall']:.2f} s wall, {n / run['wall']:.1f} pages/s, "
          f"CPU {1000 * run['cpu'] / n:.1f} ms a page, peak RSS {run['peak_rss'] / 2**20:.0f} MiB{quality}", flush=True)


STAGES = [  # (label, file suffix, function): cumulative time of each, from cProfile
    ("read WARC (warcio)", "pipelines/inputs.py", "read_warc"),
    ("extract_page, all of it", "pipelines/extract/__init__.py", "extract_page"),
    ("  decode", "pipelines/extract/decode.py", "decode"),
    ("  parse + flatten (lxml)", "pipelines/extract/html.py", "flatten"),
    ("  body finder", "pipelines/extract/__init__.py", "_body_lines"),
    ("  clean (line rules)", "pipelines/extract/clean.py", "clean_lines"),
    ("  OpenCC t2s", "pipelines/extract/convert.py", "simplify"),
    ("  language id", "pipelines/extract/langid.py", "identify"),
    ("Ingestor.store, all of it", "pipelines/ingest.py", "store"),
    ("  save raw page (zstd + row)", "pipelines/store.py", "save_page"),
    ("  dedup match", "pipelines/dedup/__init__.py", "match"),
    ("  dedup index add", "pipelines/dedup/__init__.py", "added"),
    ("  outcome rows", "pipelines/store.py", "record_document"),
    ("  site boilerplate: count lines", "pipelines/extract/boilerplate.py", "learn"),
    ("  site boilerplate: cut", "pipelines/extract/boilerplate.py", "strip"),
    ("  site boilerplate: re-cut stored", "pipelines/ingest.py", "_reclean"),
    ("search index flush", "pipelines/search.py", "flush"),
]


def profile_ingest(paths: list[str], db_path: str, n: int) -> None:
    import cProfile
    import pstats

    from click.testing import CliRunner

    from docsites.cli import cli
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    result = CliRunner().invoke(cli, ["ingest", *paths, "--db", db_path, "--workers", "1"], catch_exceptions=False)
    profiler.disable()
    wall = time.perf_counter() - started
    assert result.exit_code == 0, result.output
    stats = pstats.Stats(profiler).stats
    print(f"profile of `docsites ingest --workers 1` in one process (cProfile, {wall:.2f} s, "
          f"{n / wall:.1f} pages/s under the profiler; cumulative ms per page):")
    for label, suffix, name in STAGES:
        total = sum(v[3] for (file, _, func), v in stats.items() if func == name and file.endswith(suffix))
        print(f"  {label:<32} {1000 * total / n:7.2f}")
    top = sorted(stats.items(), key=lambda kv: kv[1][2], reverse=True)[:12]
    print("  own time, top functions:")
    for (file, line, func), v in top:
        print(f"    {1000 * v[2] / n:6.2f} ms  {func} ({os.path.relpath(file, ROOT) if file.startswith(ROOT) else file}:{line})")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--pages", type=int, default=2000, help="about this many pages (whole clusters)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="run the pair this many times, alternating")
    ap.add_argument("--workers", type=int, default=0, help="docsites ingest --workers (default: its own)")
    ap.add_argument("--no-naive", action="store_true", help="only docsites ingest")
    ap.add_argument("--profile", action="store_true", help="also profile docsites ingest in this process")
    ap.add_argument("--keep", help="folder to keep the WARC files and databases in")
    args = ap.parse_args(argv)

    folder = args.keep or tempfile.mkdtemp(prefix="ingest-bench-")
    os.makedirs(folder, exist_ok=True)
    pages = generate(max(1, round(args.pages / PAGES_PER_DOC)), args.seed)
    paths = write_warcs(pages, folder, args.seed)
    n = len(pages)
    variants = {k: sum(1 for p in pages if k in p.variant) for k in ("truncated", "traditional", "respun")}
    print(f"collection: {n} pages of {len({p.cluster for p in pages})} reports in {len(paths)} WARC file(s) "
          f"({sum(map(os.path.getsize, paths)) / 2**20:.1f} MiB), variants {json.dumps(variants)}; "
          f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}", flush=True)
    ratios = []
    for i in range(args.repeat):
        naive = None
        if not args.no_naive:
            naive_db = fresh(os.path.join(folder, f"naive-{i}.db"))
            naive = run_measured([sys.executable, os.path.join(HERE, "naive_pipeline.py"), *paths, "--db", naive_db])
            report("naive", n, naive, score(naive_db, pages))
        db = fresh(os.path.join(folder, f"docsites-{i}.db"))
        cmd = [os.path.join(BIN, "docsites"), "ingest", *paths, "--db", db]
        if args.workers:
            cmd += ["--workers", str(args.workers)]
        ours = run_measured(cmd)
        report("docsites ingest", n, ours, score(db, pages))
        if naive:
            ratios.append(naive["wall"] / ours["wall"])
            print(f"docsites ingest is {ratios[-1]:.2f}x the naive pipeline's speed (wall time); "
                  f"CPU a page {naive['cpu'] / ours['cpu']:.2f}x less", flush=True)
    if len(ratios) > 1:
        print(f"ratio over {len(ratios)} runs: " + ", ".join(f"{r:.2f}" for r in ratios)
              + f" (min {min(ratios):.2f}, max {max(ratios):.2f})")
    if args.profile:
        profile_ingest(paths, fresh(os.path.join(folder, "profiled.db")), n)
    if not args.keep:
        import shutil
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
