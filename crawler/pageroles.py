"""Crawl-specific schema: `page_roles`, and an index on `pages.final_url`.

`page_roles`: what the crawler took each stored page for (start, listing, document, page) and
which site profile it belonged to.

`docsites rebuild` and `merge` read it to leave a profile's listing pages out of extraction, as the
crawl did, and to extract its document pages with the profile's hints, whatever host the site was
served from. A table of its own, added through `store.SCHEMA_HOOKS`,
because the core schema (`pipelines/store.py`) is shared by every input, not only crawls.
"""
from __future__ import annotations

from pipelines import store

LISTING_ROLES = ("listing", "start")


def ensure_schema(db) -> None:
    db.execute("""CREATE TABLE IF NOT EXISTS page_roles (
        url TEXT PRIMARY KEY, site TEXT, role TEXT NOT NULL)""")
    # incremental lookups find a page under the URL a redirect led to as well
    db.execute("CREATE INDEX IF NOT EXISTS idx_pages_final_url ON pages(final_url)")


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


if ensure_schema not in store.SCHEMA_HOOKS:
    store.SCHEMA_HOOKS.append(ensure_schema)
