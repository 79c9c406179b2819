"""Stored pages back through extraction: what `docsites rebuild` and `docsites merge` share."""
from __future__ import annotations

import multiprocessing
from collections import deque
from concurrent.futures import ProcessPoolExecutor

from crawler import pageroles
from pipelines import store
from pipelines.extract import Extraction
from pipelines.ingest import run_extraction


def stored_pages(db, batch: int = 200):
    """Stored pages in first-fetched order, a batch at a time (a corpus does not fit in memory)."""
    cursor = db.conn.cursor()
    cursor.execute("SELECT * FROM pages ORDER BY fetched_at, rowid")
    columns = [c[0] for c in cursor.description]
    while rows := cursor.fetchmany(batch):
        for row in rows:
            yield store.load_page(dict(zip(columns, row)))


def extract_stored(db, pages, workers: int):
    """(page, extraction result) in the order of `pages`, with at most a few pages per worker in flight."""
    has_roles = "page_roles" in db.table_names()
    listing = lambda page: has_roles and pageroles.is_profile_listing(db, page.url)  # noqa: E731
    if workers <= 1:
        for page in pages:
            yield page, Extraction() if listing(page) else run_extraction(page)
        return
    window: deque = deque()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        for page in pages:
            window.append((page, None if listing(page) else pool.submit(run_extraction, page)))
            if len(window) >= workers * 8:
                page, future = window.popleft()
                yield page, Extraction() if future is None else future.result()
        while window:
            page, future = window.popleft()
            yield page, Extraction() if future is None else future.result()
