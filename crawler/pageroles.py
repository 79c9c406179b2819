"""Crawl-specific schema: `page_roles`, and an index on `pages.final_url`.

`page_roles`: what the crawler took each stored page for (start, listing, document, page) and
which site profile it belonged to.

`docsites rebuild` and `merge` read it to leave a profile's listing pages out of extraction, as the
crawl did, and to extract its document pages with the profile's hints, whatever host the site was
served from. A table of its own, set up by the corpus extension `PAGE_ROLES`, because the core
schema (`pipelines/store.py`) is shared by every input, not only crawls; the crawl and the
`docsites` command name it where they open a corpus (crawler/addon.py CORPUS_EXTENSIONS,
docsites/cli.py), beside pipelines.defaults.CORPUS_EXTENSIONS.
"""
from __future__ import annotations

import functools
import logging

from crawler import profiles as profiles_mod
from crawler.profiles import LISTING_ROLES
from pipelines import store
from pipelines.model import Page, SiteHints

logger = logging.getLogger(__name__)



def ensure_schema(db) -> None:
    db.execute("""CREATE TABLE IF NOT EXISTS page_roles (
        url TEXT PRIMARY KEY, site TEXT, role TEXT NOT NULL)""")


def record(db, url: str, site: str | None, role: str | None) -> None:
    db.execute("INSERT OR REPLACE INTO page_roles (url, site, role) VALUES (?, ?, ?)", [url, site, role or "page"])


def site_and_role(db, url: str) -> tuple[str | None, str] | None:
    """(profile name or None, role) the crawler recorded for `url`; None for a page it did not fetch."""
    row = db.execute("SELECT site, role FROM page_roles WHERE url = ?", [url]).fetchone()
    return (row[0], row[1]) if row else None


def is_profile_listing(db, url: str) -> bool:
    """True when a site profile's link rules made this page a listing (it was not extracted)."""
    row = db.execute("SELECT site, role FROM page_roles WHERE url = ?", [url]).fetchone()
    return bool(row and row[0] and row[1] in LISTING_ROLES)


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
        found = site_and_role(self.db, page.url) if self.has_roles else None
        if found is None:  # not crawled: ingested from a saved file
            return False, hints_for_url(self.profiles, page.final_url or page.url)
        site, role = found
        if not site:  # generic mode: no profile, no hints
            return False, None
        if role in LISTING_ROLES:
            return True, None
        profile = self.profiles.get(site)
        if profile is None and site not in self.missing:
            self.missing.add(site)
            logger.warning("pages of site profile %r: no such profile now (--profiles / SITE_PROFILES_DIR name "
                           "the folder they were crawled with); extracted without its hints", site)
        return False, profile.hints if profile else None

    def hints(self, page: Page) -> SiteHints | None:
        """The hints alone (`Ingestor(hints=…)`, `reextract_part`): None for a listing."""
        return self(page)[1]


@functools.lru_cache(maxsize=1)
def _shipped_profiles() -> dict:
    return profiles_mod.load_profiles()


def stored_page_hints(db, page: Page) -> SiteHints | None:
    """PAGE_ROLES' hints: the hints a stored page is extracted again with (re-homing a duplicate,
    `docsites dedup --explain`) when no profiles were named, the same `docsites rebuild` gives it."""
    return PageHints(db, _shipped_profiles())(page)[1]


# The corpus extension: the page_roles table, and the shipped profiles' hints for stored pages
# (`pipelines.ingest.stored_hints`).
PAGE_ROLES = store.Extension("page_roles", ensure_schema, hints=stored_page_hints)
