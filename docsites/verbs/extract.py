"""`docsites extract`: print the documents found in saved pages, one JSON line each."""
from __future__ import annotations

import json
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import click

from pipelines.ingest import run_extraction
from pipelines.inputs import InputError, read_pages
from pipelines.timelimit import DEFAULT_TIME_BUDGET

# Below this many inputs a process pool costs more to start than it saves.
POOL_MIN_INPUTS = 8


def _extract_one(args: tuple[str, str | None, float]) -> tuple[str, list[dict], str | None]:
    """Worker: (path, lines of JSON documents, error message or None)."""
    path, url, budget = args
    docs = []
    try:
        for page in read_pages(path, url):
            result = run_extraction(page, budget=budget)
            docs.extend(d.to_json() for d in result.documents)
            if result.problem is not None:
                return path, docs, f"{page.url}: {result.problem}"
    except InputError as e:
        return path, docs, str(e)
    except Exception as e:  # noqa: BLE001 - one bad input must not stop the others
        return path, docs, f"{path}: {e.__class__.__name__}: {e}"
    return path, docs, None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--url", help="URL to report for the inputs (default: the WARC target URI, else the path)")
@click.option("-j", "--jobs", type=int, default=None, help="worker processes (default: all cores)")
@click.option("--time-budget", type=float, default=DEFAULT_TIME_BUDGET, show_default=True, metavar="SECONDS",
              help="extraction time per page; a page past it is reported as an error (0: no limit)")
def extract(paths, url, jobs, time_budget):
    """Print one JSON line per document found in each saved page.

    Inputs: .html/.htm (raw bytes, charset detected), .warc/.warc.gz (response records),
    .txt (a page already flattened to text). A bad input is reported on stderr and the
    others are still processed; the exit status is 1 if any input failed.

    \b
    Example:
        docsites extract page.html saved.warc.gz > docs.jsonl
    """
    jobs = jobs or os.cpu_count() or 1
    work = [(p, url, time_budget) for p in paths]
    failed = 0
    if jobs > 1 and len(work) >= POOL_MIN_INPUTS:
        pool = ProcessPoolExecutor(max_workers=jobs)
        results = pool.map(_extract_one, work, chunksize=max(1, len(work) // (jobs * 8)))
    else:
        pool, results = None, map(_extract_one, work)
    try:
        for _path, docs, error in results:
            for d in docs:
                click.echo(json.dumps(d, ensure_ascii=False))
            if error:
                failed += 1
                click.echo(f"error: {error}", err=True)
    finally:
        if pool:
            pool.shutdown()
    if failed:
        sys.exit(1)

