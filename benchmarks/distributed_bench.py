"""Distributed crawl throughput: 1, 2 and 4 `scrapy crawl docsites` workers sharing one Redis queue.

Starts a real redis-server on a free loopback port and a loopback site shaped like wnwk.com
(profile `wnwk`: `--docs` document pages behind paginated listings, every response delayed by
`--latency` seconds), then for each worker count runs that many real crawl processes (full
processing: extraction, dedup, storage, each worker its own corpus database) with
`--concurrency` requests in flight per worker — the per-worker limit (a per-IP rate limit) that
makes more workers worth having.

pages/s is measured while all N workers are crawling: from the moment the last worker sent its
first request to the moment the first worker sent its last one, counting every request the
server saw in that window (workers are told apart by their User-Agent), so process start-up,
which differs by seconds between workers on a busy machine, is left out. Each count is run
`--repeat` times; the machine's load average is printed before each run.

    .venv/bin/python benchmarks/distributed_bench.py --docs 800 --latency 0.05 --concurrency 2 --repeat 3
"""
from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, ROOT)

from pipelines import store  # noqa: E402
from tests.sitefarm import crawl_command, profile_site  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(folder: str) -> tuple[subprocess.Popen, str]:
    import redis
    server = shutil.which("redis-server")
    if server is None:
        raise SystemExit("redis-server is not on PATH (scripts/system-deps.sh installs it)")
    port = free_port()
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", folder], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            redis.Redis.from_url(url).ping()
            return proc, url
        except redis.ConnectionError:
            time.sleep(0.05)
    proc.kill()
    raise SystemExit("redis-server did not answer")


def run(n: int, site, redis_url: str, args, tmp: str, job: str) -> dict:
    site.reset_log()
    settings = {"SITE_BASE_URLS": {"wnwk": site.base}, "LOG_LEVEL": "WARNING", "DEPTH_LIMIT": 0,
                "REDIS_URL": redis_url, "DISTRIBUTED_JOB": job, "MAX_IDLE_TIME_BEFORE_CLOSE": "3",
                "CONCURRENT_REQUESTS": max(16, args.concurrency), "CONCURRENT_REQUESTS_PER_DOMAIN": args.concurrency,
                "DOWNLOAD_SLOTS": {"127.0.0.1": {"delay": 0, "concurrency": args.concurrency}},
                "EXTRACT_WORKERS": 1, "ALLOWED_ADDRESSES": "127.0.0.1"}
    dbs = [os.path.join(tmp, f"{job}-w{i}.db") for i in range(n)]
    procs = [subprocess.Popen(crawl_command(db, {"sites": "wnwk"}, {**settings, "USER_AGENT": f"bench-worker{i}"}),
                              cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
             for i, db in enumerate(dbs)]
    errors = [p.communicate()[1] for p in procs]
    for p, err in zip(procs, errors, strict=True):
        if p.returncode != 0:
            raise SystemExit(f"a worker failed:\n{err[-3000:]}")
    hits = [(t, h.get("User-Agent", "")) for t, path, h in site.log if path != "/robots.txt"]
    by_worker: dict[str, list[float]] = {}
    for t, agent in hits:
        by_worker.setdefault(agent, []).append(t)
    start = max(min(ts) for ts in by_worker.values())
    end = min(max(ts) for ts in by_worker.values())
    window = [t for t, _ in hits if start <= t <= end]
    paths = [path for _, path, _ in site.log if path != "/robots.txt"]
    documents = sum(store.open_db(db)["documents"].count for db in dbs)
    return {"workers": n, "active": len(by_worker), "pages": len(hits), "twice": len(paths) - len(set(paths)),
            "window_s": end - start, "window_pages": len(window),
            "pages_per_s": len(window) / (end - start) if end > start else float("nan"),
            "documents": documents, "per_worker": sorted(len(ts) for ts in by_worker.values())}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--docs", type=int, default=800)
    parser.add_argument("--per-listing", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.05, help="seconds the server takes per response")
    parser.add_argument("--concurrency", type=int, default=2, help="requests in flight per worker")
    parser.add_argument("--workers", default="1,2,4", help="worker counts to run")
    parser.add_argument("--repeat", type=int, default=2)
    args = parser.parse_args()
    site = profile_site("wnwk", n_docs=args.docs, per_listing=args.per_listing, latency=args.latency).start()
    print(f"site: {args.docs} documents, latency {args.latency * 1000:.0f} ms, concurrency {args.concurrency} "
          f"per worker, cpus {os.cpu_count()}", flush=True)
    results: dict[int, list[float]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        redis_proc, redis_url = start_redis(tmp)
        try:
            for rep in range(args.repeat):
                for n in (int(x) for x in args.workers.split(",")):
                    load = os.getloadavg()[0]
                    r = run(n, site, redis_url, args, tmp, f"bench-{n}-{rep}")
                    results.setdefault(n, []).append(r["pages_per_s"])
                    print(f"{n} workers (run {rep + 1}, load average {load:.2f}): {r['pages_per_s']:.1f} pages/s "
                          f"over {r['window_s']:.1f}s with all {r['active']} crawling; {r['pages']} pages "
                          f"(per worker {r['per_worker']}), {r['twice']} fetched twice, {r['documents']} documents",
                          flush=True)
        finally:
            redis_proc.terminate()
            redis_proc.wait(10)
            site.stop()
    base = sorted(results.get(1, [float("nan")]))
    one = base[len(base) // 2]
    for n, rates in sorted(results.items()):
        rates = sorted(rates)
        median = rates[len(rates) // 2]
        print(f"{n} workers: median {median:.1f} pages/s ({', '.join(f'{x:.1f}' for x in rates)}), "
              f"{median / one:.2f}x one worker")


if __name__ == "__main__":
    main()
