"""`docsites ingest`: the whole pipeline on saved pages, into corpus.db.

A page whose URL is on a site profile's domains (crawler/sites/*.yaml `allowed_domains`) is
extracted with that profile's hints, as a crawl of the site would extract it.

Extraction (and the dedup fingerprints of what it finds) runs in worker processes while this
process stores the pages that came back, in input order, so the outcome is the one a single
process gets. Pages are committed in batches (`--batch` pages, or what `--batch-seconds` brought): a
transaction a batch, the search index included, so a kill loses at most the batch in progress and
never leaves one half-written; ingesting the same input again finishes the job.
"""
from __future__ import annotations

import os
import sys
import time
from concurrent.futures.process import BrokenProcessPool

import click
from warcio.archiveiterator import ArchiveIterator

from crawler.pageroles import hints_for_url
from crawler.profiles import load_profiles
from docsites.cli import db_option, fail, keep_languages_option, min_chars_option, open_db_or_fail, workers_option
from docsites.progress import Progress
from pipelines import store
from pipelines.ingest import Ingestor, prepared, warm_up
from pipelines.inputs import InputError, kind_of, read_pages


def count_pages(path: str) -> int | None:
    """Pages in an input, for the progress bar's total (None when it cannot be read: the ingest
    itself says why). A WARC is read once more without its payloads: ~1 % of the ingest's time."""
    if kind_of(path) != "warc":
        return 1
    try:
        with open(path, "rb") as f:
            return sum(1 for record in ArchiveIterator(f) if record.rec_type == "response")
    except Exception:  # noqa: BLE001 - unreadable input is reported when it is ingested
        return None


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@db_option
@click.option("--url", help="URL to record for the inputs (default: the WARC target URI, else the path)")
@keep_languages_option
@min_chars_option
@workers_option
@click.option("--batch", "batch_pages", type=click.IntRange(1), default=500, show_default=True,
              help="pages per transaction, at most")
@click.option("--batch-seconds", type=click.FloatRange(0), default=1.0, show_default=True,
              help="commit a batch this long after its first page even when it is not full")
def ingest(paths, db_path, url, keep_languages, min_chars, workers, batch_pages, batch_seconds):
    """Run the whole pipeline (extract, convert, language, dedup, store) on saved pages.

    Shows a progress bar on a terminal, a line every 10 s otherwise.

    \b
    Example:
        docsites ingest crawl-2026-11.warc.gz pages/*.html --db corpus.db
    """
    workers = workers or os.cpu_count() or 1
    profiles = load_profiles()
    if workers > 1:
        warm_up()  # before the workers fork, so they start with everything loaded
    db = open_db_or_fail(db_path)
    ingestor = Ingestor(db, keep_languages=keep_languages.split(","), min_chars=min_chars)
    run_id = store.start_run(db, "ingest", {"paths": list(paths)})
    counts: dict[str, int] = {}
    failed = []

    def tasks():
        for path in paths:
            try:
                for page in read_pages(path, url):
                    page.run_id = run_id
                    yield page, hints_for_url(profiles, page.final_url or page.url)
            except InputError as e:
                failed.append(e)
                click.echo(f"error: {e}", err=True)

    totals = [count_pages(p) for p in paths]
    results = prepared(tasks(), ingestor.dedup.config, workers)
    try:
        with Progress(None if None in totals else sum(totals), "ingest") as progress:
            while _store_batch(db, ingestor, results, batch_pages, batch_seconds, counts, progress):
                pass
    except BrokenProcessPool as e:
        store.finish_run(db, run_id, "failed", {**counts, "error": f"an extraction worker died: {e}"})
        fail(f"an extraction worker died ({e}); what was committed is kept, run the ingest again to finish it")
    store.finish_run(db, run_id, "finished" if not failed else "finished_with_errors",
                     {**counts, "input_errors": len(failed)})
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing ingested")
    if failed:
        sys.exit(1)


def _store_batch(db, ingestor, results, batch_pages: int, batch_seconds: float, counts: dict, progress) -> bool:
    """Store pages from `results` in one transaction until `batch_pages` of them, or
    `batch_seconds` after the first; False once `results` is exhausted."""
    deadline = None
    n = 0
    with store.transaction(db):  # the search index is written once for the batch, before COMMIT
        for page, result, fingerprints in results:
            deadline = deadline or time.monotonic() + batch_seconds
            for outcome in ingestor.store(page, result, fingerprints):
                counts[outcome.table] = counts.get(outcome.table, 0) + 1
            n += 1
            progress.update()
            if n >= batch_pages or time.monotonic() >= deadline:
                return True
    return False
