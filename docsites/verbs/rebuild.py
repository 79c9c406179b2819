"""`docsites rebuild`: re-run extraction and dedup over the raw pages kept in corpus.db.

After a change to the extraction rules or the dedup settings, the corpus is rebuilt from `pages`
without touching the network: every outcome (documents, duplicates, rejections) and the dedup
index are cleared and every page goes through extraction -> dedup -> store again, in the order it
was first fetched, so the first copy of a document stays the document and keeps its id (and its
`first_seen`), and the sites' boilerplate (pipelines/extract/boilerplate.py) is learned again in that
order, as the crawl learned it. A site profile's listing pages are left out of extraction as the crawl left them
(`page_roles`). All of it is one transaction: a kill or an error leaves the corpus as it was.
Extraction runs in worker processes; the database work stays in this one.
"""
from __future__ import annotations

import os
import time

import click

from crawler.pageroles import PageHints
from docsites.cli import (
    existing_db_option,
    fail,
    keep_languages_option,
    min_chars_option,
    open_db_or_fail,
    workers_option,
)
from docsites.progress import Progress
from docsites.stored import extract_stored, profiles_option, profiles_or_fail, stored_pages
from pipelines import store
from pipelines.dedup import Deduplicator
from pipelines.extract import boilerplate
from pipelines.ingest import DEFAULT_KEEP_LANGUAGES, DEFAULT_MIN_CHARS, Ingestor


def rebuild_corpus(db, keep_languages=DEFAULT_KEEP_LANGUAGES, min_chars=DEFAULT_MIN_CHARS, workers: int = 1,
                   progress=None, profiles: dict | None = None) -> dict:
    """Rebuild every outcome from `pages`; returns counts before and after. `profiles`: the site
    profiles by name (default: crawler/sites)."""
    tables = ("documents", "duplicates", "rejected")
    before = {t: db[t].count for t in tables}
    with store.transaction(db):
        db.execute("DROP TABLE IF EXISTS temp._rebuild_first_seen")
        db.execute("CREATE TEMP TABLE _rebuild_first_seen AS SELECT id, first_seen FROM documents")
        dedup = Deduplicator(db, index_missing=False)
        for (doc_id,) in db.execute("SELECT id FROM documents").fetchall():
            dedup.removed(doc_id)
        for table in tables:
            db.execute(f"DELETE FROM [{table}]")
        boilerplate.clear(db)  # learned again page by page, in the order the pages were stored
        role_of = PageHints(db, profiles)
        ingestor = Ingestor(db, keep_languages, min_chars, keep_pages=False, dedup=dedup, hints=role_of.hints)
        pages = 0
        for page, result in extract_stored(db, stored_pages(db), workers, role_of):
            ingestor.store(page, result)
            pages += 1
            if progress:
                progress(pages)
        db.execute("""UPDATE documents SET first_seen = (SELECT f.first_seen FROM temp._rebuild_first_seen f
                      WHERE f.id = documents.id) WHERE id IN (SELECT id FROM temp._rebuild_first_seen)""")
        db.execute("DROP TABLE temp._rebuild_first_seen")
    after = {t: db[t].count for t in tables}
    return {"pages": pages, "before": before, "after": after}


@click.command()
@existing_db_option
@workers_option
@keep_languages_option
@min_chars_option
@profiles_option
def rebuild(db_path, workers, keep_languages, min_chars, profiles_dir):
    """Re-run extraction and dedup over the raw pages kept in the database (no network).

    Use it after changing extraction rules or dedup settings. One transaction: interrupting it
    leaves the corpus as it was. Shows a progress bar on a terminal, a line every 10 s otherwise.

    \b
    Example:
        docsites rebuild --db corpus.db --workers 2
        docsites rebuild --db corpus.db --profiles my-sites/
    """
    db = open_db_or_fail(db_path)
    profiles = profiles_or_fail(profiles_dir)
    total = db["pages"].count
    if not total:
        fail(f"{db_path} holds no pages to rebuild from")
    run_id = store.start_run(db, "rebuild", {"workers": workers, "keep_languages": keep_languages,
                                             "min_chars": min_chars, "profiles": profiles_dir})
    started = time.monotonic()
    with Progress(total, "rebuild") as bar:
        last = [0]

        def progress(n):
            bar.update(n - last[0])
            last[0] = n
        result = rebuild_corpus(db, keep_languages.split(","), min_chars, workers or os.cpu_count() or 1, progress,
                                profiles)
    seconds = time.monotonic() - started
    store.finish_run(db, run_id, "finished", {**result, "seconds": round(seconds, 1)})
    b, a = result["before"], result["after"]
    click.echo(f"{result['pages']} pages in {seconds:.1f}s: " + ", ".join(
        f"{t} {b[t]} -> {a[t]}" for t in ("documents", "duplicates", "rejected")))
    problems = store.check_invariant(db)
    if problems:
        fail(f"rebuild left {len(problems)} problems, first: {problems[0]}")
