"""Crawl speed with and without processing: does extraction + dedup + storage slow fetching down?

Serves a loopback site shaped like wnwk.com (profile `wnwk`, kv-header chrome): `--docs` document
pages of ~38 KB (a 3,000-character body in real-size chrome: menus, scripts) behind paginated
listings, each response delayed by `--latency` seconds as a real server's would be (and by nothing
else: the server answers with TCP_NODELAY; without it every response waited ~40 ms for the
client's delayed ACK, see docs/benchmarks.md). Then runs the real `scrapy crawl docsites -a sites=wnwk`
twice with the same settings:

  off   DOCSITES_PROCESSING=False: fetch and follow links, store nothing
  full  extraction in worker processes, dedup and storage in the writer process (the default)

and prints, for each, pages/s (pages fetched / time from the first to the last request the server
saw, so process start-up is left out), wall time, and peak memory (summed RSS of the crawl process
and its extraction workers, sampled every 0.1 s), CPU time per page (the whole process tree, the
crawl process alone: reactor and item pipeline, each child, and the loopback server, which runs in
this process on the same cores), then the ratio full/off.

    .venv/bin/python benchmarks/crawl_bench.py --docs 2000 --latency 0.05 --concurrency 16
    .venv/bin/python benchmarks/crawl_bench.py --docs 2000 --latency 0 --concurrency 16   # the CPU ceiling
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pipelines import store  # noqa: E402
from tests.proctree import TreeSampler  # noqa: E402
from tests.sitefarm import crawl_command, profile_site  # noqa: E402


def own_process_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run(mode: str, site, args) -> dict:
    site.reset_log()
    with tempfile.TemporaryDirectory() as tmp:
        db_path = os.path.join(tmp, "corpus.db")
        settings = {
            "SITE_BASE_URLS": {"wnwk": site.base}, "LOG_LEVEL": "WARNING", "DEPTH_LIMIT": 0,
            "CONCURRENT_REQUESTS": max(16, args.concurrency),
            # Scrapy keeps this many connections per host open (HTTP11DownloadHandler); fewer than
            # the slot's concurrency and every response beyond them costs a new TCP connection
            "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
            "DOWNLOAD_SLOTS": {"127.0.0.1": {"delay": 0, "concurrency": args.concurrency}},
            "EXTRACT_WORKERS": args.workers, "DOCSITES_PROCESSING": mode == "full",
        }
        cmd = crawl_command(db_path, {"sites": "wnwk"}, settings)
        started, cpu_before, own_before = time.monotonic(), children_cpu(), own_process_cpu()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        with TreeSampler(proc, cpu=True) as sampler:
            _, err = proc.communicate()
            wall = time.monotonic() - started
        per_pid = sampler.cpu
        if proc.returncode != 0:
            raise SystemExit(f"crawl failed:\n{err[-3000:]}")
        hits = [t for t, path, _ in site.log if path != "/robots.txt"]
        span = max(hits) - min(hits)
        result = {"mode": mode, "pages": len(hits), "seconds": span, "pages_per_s": len(hits) / span,
                  "wall": wall, "peak_mb": sampler.peak_rss / 2 ** 20,
                  "cpu_ms_per_page": 1000 * (children_cpu() - cpu_before) / len(hits),
                  "main_cpu_ms_per_page": 1000 * per_pid.get(proc.pid, 0.0) / len(hits),
                  # this process: the loopback site's server threads (and the 10 Hz sampler)
                  "server_cpu_ms_per_page": 1000 * (own_process_cpu() - own_before) / len(hits),
                  # the writer is the crawl process's first child (started on spider_opened), the
                  # extraction workers come after it
                  "children_ms_per_page": [round(1000 * per_pid[p] / len(hits), 1)
                                           for p in sorted(per_pid) if p != proc.pid]}
        if mode == "full":
            db = store.open_db(db_path)
            result["documents"] = db["documents"].count
            result["problems"] = len(store.check_invariant(db))
        return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=2000)
    parser.add_argument("--per-listing", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds the server takes per response")
    parser.add_argument("--concurrency", type=int, default=8, help="requests in flight to the site")
    parser.add_argument("--workers", type=int, default=0, help="EXTRACT_WORKERS (0: the default, one per CPU but one)")
    parser.add_argument("--body-chars", type=int, default=3000)
    parser.add_argument("--padding-kb", type=int, default=40)
    parser.add_argument("--modes", default="off,full", help="which runs, in order (the ratio needs both)")
    args = parser.parse_args()
    print(f"building {args.docs} document pages ...", flush=True)
    site = profile_site("wnwk", n_docs=args.docs, per_listing=args.per_listing, latency=args.latency,
                        body_chars=args.body_chars, padding_kb=args.padding_kb).start()
    sizes = [len(r.body) for p, r in site.routes.items() if p.startswith("/doc/")]
    print(f"site: {len(sizes)} documents, mean page {sum(sizes) / len(sizes) / 1024:.1f} KiB, "
          f"latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency}, cpus {os.cpu_count()}, "
          f"load average before {os.getloadavg()[0]:.2f}")
    results = []
    try:
        for mode in args.modes.split(","):
            r = run(mode, site, args)
            results.append(r)
            extra = f", {r['documents']} documents stored, {r['problems']} invariant problems" if mode == "full" else ""
            print(f"{mode:>4}: {r['pages']} pages in {r['seconds']:.1f}s = {r['pages_per_s']:.1f} pages/s "
                  f"(wall {r['wall']:.1f}s), peak memory {r['peak_mb']:.0f} MiB, CPU {r['cpu_ms_per_page']:.1f} ms/page "
                  f"(crawl process {r['main_cpu_ms_per_page']:.1f}, start-up included; its children in start order: {r['children_ms_per_page']}; "
                  f"the loopback server {r['server_cpu_ms_per_page']:.1f}){extra}", flush=True)
    finally:
        site.stop()
    by_mode = {r["mode"]: r for r in results}
    if "off" not in by_mode or "full" not in by_mode:
        return
    ratio = by_mode["full"]["pages_per_s"] / by_mode["off"]["pages_per_s"]
    print(f"full processing reaches {ratio:.0%} of the pages/s without processing "
          f"(load average after {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    main()
