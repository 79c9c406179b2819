"""`docsites ingest`: the whole pipeline on saved pages, into corpus.db.

A page whose URL is on a site profile's domains (crawler/sites/*.yaml `allowed_domains`) is
extracted with that profile's hints, as a crawl of the site would extract it.
"""
from __future__ import annotations

import os
import sys

import click

from crawler.profiles import load_profiles
from docsites.cli import db_option, fail, open_db_or_fail
from crawler.pageroles import hints_for_url
from pipelines import store
from pipelines.ingest import DEFAULT_KEEP_LANGUAGES, DEFAULT_MIN_CHARS, Ingestor, run_extraction
from pipelines.inputs import InputError, read_pages


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@db_option
@click.option("--url", help="URL to record for the inputs (default: the WARC target URI, else the path)")
@click.option("--keep-languages", default=",".join(DEFAULT_KEEP_LANGUAGES), show_default=True,
              help="comma-separated languages to keep; others are rejected with reason `language`")
@click.option("--min-chars", default=DEFAULT_MIN_CHARS, show_default=True, help="shorter documents are rejected")
def ingest(paths, db_path, url, keep_languages, min_chars):
    """Run the whole pipeline (extract, convert, language, dedup, store) on saved pages.

    \b
    Example:
        docsites ingest crawl-2026-11.warc.gz pages/*.html --db corpus.db
    """
    missing = [p for p in paths if not os.path.exists(p)]
    if missing:
        fail(f"{missing[0]}: no such file")
    db = open_db_or_fail(db_path)
    ingestor = Ingestor(db, keep_languages=keep_languages.split(","), min_chars=min_chars)
    profiles = load_profiles()
    run_id = store.start_run(db, "ingest", {"paths": list(paths)})
    counts: dict[str, int] = {}
    failed = 0
    for path in paths:
        try:
            for page in read_pages(path, url):
                page.run_id = run_id
                result = run_extraction(page, hints_for_url(profiles, page.final_url or page.url))
                for outcome in ingestor.store(page, result):
                    counts[outcome.table] = counts.get(outcome.table, 0) + 1
        except InputError as e:
            failed += 1
            click.echo(f"error: {e}", err=True)
    store.finish_run(db, run_id, "finished" if not failed else "finished_with_errors",
                     {**counts, "input_errors": failed})
    click.echo(", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing ingested")
    if failed:
        sys.exit(1)

