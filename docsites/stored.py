"""Stored pages back through extraction: what `docsites rebuild` and `docsites merge` share.

Each page is extracted as the crawl extracted it: a site profile's listing pages not at all, its
document pages with the profile's hints. `page_roles` says which profile a crawled page belonged
to (by name, so a profile served from a loopback host in a test is found too); a page the crawler
did not fetch (`docsites ingest`) gets the hints of the profile whose domains hold its URL, as
ingest gave them (`crawler.pageroles.PageHints`, which also serves re-homed duplicates and
`dedup --explain`). The profiles are read now, from `crawler/sites/` or the folder `--profiles`
names (the crawl's SITE_PROFILES_DIR): a changed hint applies on the next rebuild, as a changed
rule does.
"""
from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import ProcessPoolExecutor

import click

from crawler.pageroles import PageHints
from crawler.profiles import ProfileError, load_profiles
from pipelines import store
from pipelines.extract import Extraction
from pipelines.ingest import run_extraction

profiles_option = click.option(
    "--profiles", "profiles_dir", envvar="DOCSITES_PROFILES", type=click.Path(exists=True, file_okay=False),
    help="folder of the site profiles (*.yaml) the pages were crawled with, as SITE_PROFILES_DIR "
         "[default: crawler/sites]")


def profiles_or_fail(directory: str | None) -> dict:
    """The site profiles in `directory` (None: the shipped ones) by name; a broken one is a usage error."""
    try:
        return load_profiles(directory)
    except ProfileError as e:
        raise click.ClickException(str(e)) from e


def stored_pages(db, batch: int = 200):
    """Stored pages in first-fetched order, a batch at a time (a corpus does not fit in memory)."""
    cursor = db.conn.cursor()
    cursor.execute("SELECT * FROM pages ORDER BY fetched_at, rowid")
    columns = [c[0] for c in cursor.description]
    while rows := cursor.fetchmany(batch):
        for row in rows:
            yield store.load_page(dict(zip(columns, row, strict=True)))


def extract_stored(db, pages, workers: int, role_of: PageHints | None = None):
    """(page, extraction result) in the order of `pages`, with at most a few pages per worker in flight.
    `role_of`: each page's (listing, hints) (default: with the profiles in crawler/sites)."""
    role_of = role_of or PageHints(db)
    if workers <= 1:
        for page in pages:
            listing, hints = role_of(page)
            yield page, Extraction() if listing else run_extraction(page, hints)
        return
    window: deque = deque()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for page in pages:
            listing, hints = role_of(page)
            window.append((page, None if listing else pool.submit(run_extraction, page, hints)))
            if len(window) >= workers * 8:
                page, future = window.popleft()
                yield page, Extraction() if future is None else future.result()
        while window:
            page, future = window.popleft()
            yield page, Extraction() if future is None else future.result()
