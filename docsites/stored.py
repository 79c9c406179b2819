"""Stored pages back through extraction: what `docsites rebuild` and `docsites merge` share.

Each page is extracted as the crawl extracted it: a site profile's listing pages not at all, its
document pages with the profile's hints. `page_roles` says which profile a crawled page belonged
to (by name, so a profile served from a loopback host in a test is found too); a page the crawler
did not fetch (`docsites ingest`) gets the hints of the profile whose domains hold its URL, as
ingest gave them. The profiles are read from `crawler/sites/` now: a changed hint applies on the
next rebuild, as a changed rule does.
"""
from __future__ import annotations

import logging
import multiprocessing
from collections import deque
from concurrent.futures import ProcessPoolExecutor

from crawler import pageroles
from crawler import profiles as profiles_mod
from pipelines import store
from pipelines.extract import Extraction, SiteHints
from pipelines.ingest import run_extraction
from pipelines.model import Page

logger = logging.getLogger(__name__)


def stored_pages(db, batch: int = 200):
    """Stored pages in first-fetched order, a batch at a time (a corpus does not fit in memory)."""
    cursor = db.conn.cursor()
    cursor.execute("SELECT * FROM pages ORDER BY fetched_at, rowid")
    columns = [c[0] for c in cursor.description]
    while rows := cursor.fetchmany(batch):
        for row in rows:
            yield store.load_page(dict(zip(columns, row)))


def hints_for_url(profiles: dict, url: str) -> SiteHints | None:
    """The hints of the profile whose domains hold `url` (a saved page knows only its URL)."""
    profile = profiles_mod.owner_of(profiles, url) if "://" in url else None
    return profile.hints if profile else None


class PageHints:
    """What extraction gets for each stored page of `db`: (listing, hints)."""

    def __init__(self, db, profiles: dict | None = None):
        self.db = db
        self.has_roles = "page_roles" in db.table_names()
        self._profiles = profiles
        self.missing: set[str] = set()

    @property
    def profiles(self) -> dict:
        if self._profiles is None:  # read once, and only when a page needs them
            self._profiles = profiles_mod.load_profiles()
        return self._profiles

    def __call__(self, page: Page) -> tuple[bool, SiteHints | None]:
        found = pageroles.site_and_role(self.db, page.url) if self.has_roles else None
        if found is None:  # not crawled: ingested from a saved file
            return False, hints_for_url(self.profiles, page.final_url or page.url)
        site, role = found
        if not site:  # generic mode: no profile, no hints
            return False, None
        if role in pageroles.LISTING_ROLES:
            return True, None
        profile = self.profiles.get(site)
        if profile is None and site not in self.missing:
            self.missing.add(site)
            logger.warning("pages of site profile %r: no such profile in %s now; extracted without its hints",
                           site, profiles_mod.SITES_DIR)
        return False, profile.hints if profile else None


def extract_stored(db, pages, workers: int, profiles: dict | None = None):
    """(page, extraction result) in the order of `pages`, with at most a few pages per worker in flight.
    `profiles`: site profiles by name (default: those in crawler/sites)."""
    role_of = PageHints(db, profiles)
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
