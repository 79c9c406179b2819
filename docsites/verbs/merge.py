"""`docsites merge`: merge the corpus databases of several crawl workers into one.

A distributed crawl (crawler/distributed.py) has each worker write its own `CORPUS_DB` — SQLite is
not shared across machines. The workers never fetch the same URL twice (shared Redis seen-set), but
two URLs can still hold the same document, and each worker deduplicated only against its own pages.
So the merge does not copy outcome rows: every raw page of every source goes through extraction and
`Ingestor.store` into the target and dedup runs across all workers' pages. A profile's listing pages
stay out of extraction (`page_roles` is copied along), the sources' `crawl_runs` rows are copied and
the pages point at the copies.

The result does not depend on the order the sources are named in: their pages are merged into one
sequence in the order they were fetched (then by URL and content), as one process crawling alone
would have met them, so dedup keeps the same copy whatever the order — the most complete one (a
copy with clearly more text supersedes, docs/dedup.md), on a tie the one fetched first. A URL in
two sources (a worker killed after storing a page and before its lease ended: another worker
fetched it again) is stored once, from the copy fetched last.

One transaction: an interrupted merge leaves the target as it was, and merging a source again
re-stores its pages in place (a page's URL is its key).
"""
from __future__ import annotations

import heapq
import os
import time

import click

from crawler import pageroles
from crawler.pageroles import PageHints
from docsites.cli import db_option, fail, keep_languages_option, min_chars_option, open_db_or_fail, workers_option
from docsites.progress import Progress
from docsites.stored import extract_stored, profiles_option, profiles_or_fail, stored_pages
from pipelines import store
from pipelines.dedup import Deduplicator
from pipelines.ingest import DEFAULT_KEEP_LANGUAGES, DEFAULT_MIN_CHARS, Ingestor

TABLES = ("documents", "duplicates", "rejected")


def _copy_runs(source, target) -> dict[int, int]:
    """The source's crawl_runs rows in the target, with fresh ids; old id -> new id."""
    mapping = {}
    for row in source["crawl_runs"].rows_where(order_by="id"):
        old = row.pop("id")
        mapping[old] = target["crawl_runs"].insert(row).last_pk
    return mapping


def merge_sources(target, sources, keep_languages=DEFAULT_KEEP_LANGUAGES, min_chars=DEFAULT_MIN_CHARS,
                  workers: int = 1, progress=None, dedup: Deduplicator | None = None,
                  profiles: dict | None = None) -> int:
    """Ingest every page of every source database into `target`, all in one fetch-ordered sequence;
    returns the number of pages. `profiles`: the site profiles by name (default: crawler/sites)."""
    ingestor = Ingestor(target, keep_languages, min_chars, keep_pages=True, dedup=dedup,
                        hints=PageHints(target, profiles).hints)
    hints = [PageHints(source, profiles) for source in sources]
    has_roles = ["page_roles" in source.table_names() for source in sources]
    origin: dict[int, int] = {}  # id(page) -> index of its source, while the page is in flight

    def tagged(i, source):
        for page in stored_pages(source):
            yield (page.fetched_at, page.url, page.sha1, i), page

    def in_fetch_order():
        for (*_, i), page in heapq.merge(*(tagged(i, s) for i, s in enumerate(sources)), key=lambda t: t[0]):
            origin[id(page)] = i
            yield page

    pages = 0
    with store.transaction(target):
        runs = [_copy_runs(source, target) for source in sources]
        role_of = lambda page: hints[origin[id(page)]](page)  # noqa: E731
        for page, result in extract_stored(None, in_fetch_order(), workers, role_of):
            i = origin.pop(id(page))
            page.run_id = runs[i].get(page.run_id)
            ingestor.store(page, result)
            if has_roles[i]:
                row = sources[i].execute("SELECT site, role FROM page_roles WHERE url = ?", [page.url]).fetchone()
                if row:
                    pageroles.record(target, page.url, row[0], row[1])
            pages += 1
            if progress:
                progress(1)
    return pages


@click.command()
@db_option
@click.argument("sources", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@workers_option
@keep_languages_option
@min_chars_option
@profiles_option
def merge(db_path, sources, workers, keep_languages, min_chars, profiles_dir):
    """Merge the corpus databases of distributed crawl workers into one (--db, created if missing).

    Every raw page of every SOURCE is extracted and deduplicated again into the target, so a
    document fetched by two workers under different URLs ends as one document and a duplicate.
    Each page still ends in exactly one place. The order of the SOURCES does not matter: pages are
    merged in the order they were fetched. One transaction.

    \b
    Example:
        docsites merge --db corpus.db worker-a.db worker-b.db
    """
    target_abs = os.path.abspath(db_path)
    if any(os.path.abspath(s) == target_abs for s in sources):
        fail("a source cannot be the target database")
    profiles = profiles_or_fail(profiles_dir)
    db = open_db_or_fail(db_path)
    opened = [(path, open_db_or_fail(path)) for path in sources]
    total = sum(src["pages"].count for _, src in opened)
    before = {t: db[t].count for t in TABLES}
    started = time.monotonic()
    dedup = Deduplicator(db)  # one index over all sources: loaded once, kept up to date by the ingestor
    with Progress(total, "merge") as bar:
        pages = merge_sources(db, [src for _, src in opened], keep_languages.split(","), min_chars,
                              workers or os.cpu_count() or 1, bar.update, dedup, profiles)
    after = {t: db[t].count for t in TABLES}
    click.echo(f"{pages} pages from {len(sources)} databases in {time.monotonic() - started:.1f}s: " + ", ".join(
        f"{t} {before[t]} -> {after[t]}" for t in TABLES))
    problems = store.check_invariant(db)
    if problems:
        fail(f"merge left {len(problems)} problems, first: {problems[0]}")
