"""Site profiles: what the crawler knows about one site, read from `crawler/sites/*.yaml`.

A profile is data, never code: the hosts it covers, where to start (listing pages, a search-URL
template taking `{query}`), which URLs are document pages and which are listings to follow, the
chrome family its document pages use, extraction hints and politeness overrides. See
docs/crawling.md for the format. `SiteProfile.hints` is what extraction gets of it
(`pipelines.extract.SiteHints`): the crawl, `docsites rebuild`/`merge` and `docsites ingest` pass it
with every page of the site.

`SITE_BASE_URLS` (a setting: profile name -> base URL such as ``http://127.0.0.1:8001``) moves a
profile onto another host — a loopback test server, a mirror — keeping its paths and link rules,
so every profile can be tested against fixture pages without touching the live site.
"""
from __future__ import annotations

import logging
import os
import pathlib
import re
from dataclasses import dataclass, field
from functools import cached_property
from importlib import resources
from urllib.parse import quote_plus, urlsplit, urlunsplit

import yaml
from lxml import etree

from pipelines import han
from pipelines.model import SiteHints

logger = logging.getLogger(__name__)

# A Traversable, not a path: inside a zipped egg (Scrapyd) the profiles are no files on disk.
SITES_DIR = resources.files("crawler") / "sites"

CHROME_FAMILIES = ("kv-header", "member-share", "uploader-coins", "read-wall", "seller-list", "article")

# Per-profile politeness overrides that the crawler understands (see docs/crawling.md).
POLITENESS_KEYS = ("download_delay", "concurrency", "page_budget", "follow_from_documents")
# Extraction hints (see pipelines.extract.SiteHints and docs/crawling.md).
# the page roles of a profile's link rules that hold no document: recorded as not_a_document
LISTING_ROLES = ("listing", "start")
EXTRACTION_KEYS = ("body_container", "stop_at", "body_after", "numbered_pages")


class ProfileError(ValueError):
    """A profile file is malformed; the message names the file and the field."""


@dataclass
class SiteProfile:
    name: str
    allowed_domains: list[str]
    start_urls: list[str]
    documents: list[re.Pattern]
    follow: list[re.Pattern]
    deny: list[re.Pattern] = field(default_factory=list)
    search_url: str | None = None
    chrome_family: str = "article"
    extraction: dict = field(default_factory=dict)
    politeness: dict = field(default_factory=dict)
    title: str = ""
    verified: bool = False
    path: str = ""
    # Set by rebase(): exact netlocs (host:port) this profile now lives on.
    netlocs: list[str] = field(default_factory=list)

    # --- which URLs belong to the profile, and what they are ---------------------------------
    def owns(self, url: str) -> bool:
        parts = urlsplit(url)
        if self.netlocs:
            return parts.netloc.lower() in self.netlocs
        host = (parts.hostname or "").lower()
        return any(host == d or host.endswith("." + d) for d in self.allowed_domains)

    def classify(self, url: str) -> str | None:
        """``document``, ``listing`` or None (not for this crawl) for a URL the profile owns."""
        if not self.owns(url):
            return None
        parts = urlsplit(url)
        target = parts.path + ("?" + parts.query if parts.query else "")
        if any(p.search(target) for p in self.deny):
            return None
        if any(p.search(target) for p in self.documents):
            return "document"
        if any(p.search(target) for p in self.follow):
            return "listing"
        return None

    @cached_property
    def hints(self) -> SiteHints:
        """What extraction gets of this profile: its chrome family and `extraction:` hints."""
        x = self.extraction
        return SiteHints(family=self.chrome_family, body_container=x.get("body_container"),
                         stop_at=tuple(x.get("stop_at") or ()), body_after=tuple(x.get("body_after") or ()),
                         numbered_pages=x.get("numbered_pages"))

    def search_urls(self, query: str) -> list[str]:
        if not self.search_url:
            return []
        return [self.search_url.replace("{query}", quote_plus(query))]

    @property
    def hosts(self) -> list[str]:
        """Download-slot keys (host names) of the profile's start URLs, for politeness settings."""
        return sorted({urlsplit(u).hostname for u in self.start_urls if urlsplit(u).hostname})

    def rebase(self, base_url: str) -> SiteProfile:
        """The same profile served from `base_url` (scheme://host:port): start and search URLs move
        there, link rules stay, and only that exact host:port is allowed."""
        base = urlsplit(base_url)
        if not base.scheme or not base.netloc:
            raise ProfileError(f"{self.name}: base URL {base_url!r} needs a scheme and a host")

        def move(url: str) -> str:
            p = urlsplit(url)
            return urlunsplit((base.scheme, base.netloc, p.path or "/", p.query, p.fragment))

        search = move(self.search_url) if self.search_url else None
        if search:  # urlsplit/urlunsplit keep the {query} placeholder as typed
            search = search.replace("%7Bquery%7D", "{query}")
        return SiteProfile(
            name=self.name, allowed_domains=[base.hostname], start_urls=[move(u) for u in self.start_urls],
            documents=self.documents, follow=self.follow, deny=self.deny, search_url=search,
            chrome_family=self.chrome_family, extraction=self.extraction, politeness=self.politeness,
            title=self.title, verified=self.verified, path=self.path, netlocs=[base.netloc.lower()],
        )


def _patterns(data: dict, key: str, where: str) -> list[re.Pattern]:
    value = data.get(key) or []
    if isinstance(value, str):
        value = [value]
    try:
        return [re.compile(p) for p in value]
    except re.error as e:
        raise ProfileError(f"{where}: links.{key}: bad regular expression: {e}") from e


def _extraction(data: dict, where: str) -> dict:
    """The `extraction:` block, checked: known keys, phrases as lists of strings, a valid XPath."""
    hints = data.get("extraction") or {}
    if not isinstance(hints, dict):
        raise ProfileError(f"{where}: `extraction` is a mapping of hints")
    unknown = set(hints) - set(EXTRACTION_KEYS)
    if unknown:
        raise ProfileError(f"{where}: unknown extraction hints {sorted(unknown)}; known: {', '.join(EXTRACTION_KEYS)}")
    hints = dict(hints)
    for key in ("stop_at", "body_after"):
        phrases = hints.get(key)
        if isinstance(phrases, str):
            phrases = hints[key] = [phrases]
        if phrases is not None and not (isinstance(phrases, list) and all(isinstance(p, str) and p for p in phrases)):
            raise ProfileError(f"{where}: extraction.{key} must list phrases (strings)")
    xpath = hints.get("body_container")
    if xpath is not None:
        try:
            etree.XPath(xpath)
        except (etree.XPathError, TypeError) as e:
            raise ProfileError(f"{where}: extraction.body_container: not an XPath: {e}") from e
    if "numbered_pages" in hints and not isinstance(hints["numbered_pages"], bool):
        raise ProfileError(f"{where}: extraction.numbered_pages must be true or false")
    return hints


def profile_from_dict(data: dict, path: str = "<dict>") -> SiteProfile:
    where = os.path.basename(path)
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: a profile is a mapping")
    for key in ("name", "allowed_domains", "start_urls", "links", "chrome_family"):
        if not data.get(key):
            raise ProfileError(f"{where}: missing `{key}`")
    links = data["links"]
    if not isinstance(links, dict) or not links.get("documents"):
        raise ProfileError(f"{where}: `links.documents` must list the URL patterns of document pages")
    family = data["chrome_family"]
    if family not in CHROME_FAMILIES:
        raise ProfileError(f"{where}: chrome_family {family!r} is not one of {', '.join(CHROME_FAMILIES)}")
    search = data.get("search_url")
    if search and "{query}" not in search:
        raise ProfileError(f"{where}: search_url must contain {{query}}")
    politeness = data.get("politeness") or {}
    unknown = set(politeness) - set(POLITENESS_KEYS)
    if unknown:
        raise ProfileError(f"{where}: unknown politeness keys {sorted(unknown)}; known: {', '.join(POLITENESS_KEYS)}")
    return SiteProfile(
        name=str(data["name"]),
        allowed_domains=[d.lower() for d in data["allowed_domains"]],
        start_urls=list(data["start_urls"]),
        documents=_patterns(links, "documents", where),
        follow=_patterns(links, "follow", where),
        deny=_patterns(links, "deny", where),
        search_url=search,
        chrome_family=family,
        extraction=_extraction(data, where),
        politeness=politeness,
        title=data.get("title", ""),
        verified=bool(data.get("verified", False)),
        path=path,
    )


def load_profile(path) -> SiteProfile:
    """The profile in `path`: a file name or a Traversable (importlib.resources)."""
    if isinstance(path, str):
        path = pathlib.Path(path)
    try:
        data = yaml.safe_load(han.expand(path.read_text(encoding="utf-8")))
    except yaml.YAMLError as e:
        raise ProfileError(f"{path.name}: not valid YAML: {e}") from e
    return profile_from_dict(data, str(path))


def load_profiles(directory: str | None = None, base_urls: dict | None = None) -> dict[str, SiteProfile]:
    """Every profile in `directory` by name, moved onto `base_urls` where one is given."""
    folder = pathlib.Path(directory) if directory else SITES_DIR
    profiles: dict[str, SiteProfile] = {}
    files = sorted((f for f in folder.iterdir() if f.name.endswith((".yaml", ".yml"))), key=lambda f: f.name)
    for path in files:
        profile = load_profile(path)
        if profile.name in profiles:
            raise ProfileError(f"{path.name}: profile name {profile.name!r} is used twice")
        profiles[profile.name] = profile
    for name, base in (base_urls or {}).items():
        if name not in profiles:
            raise ProfileError(f"SITE_BASE_URLS names unknown profile {name!r}; known: {', '.join(profiles)}")
        profiles[name] = profiles[name].rebase(base)
    return profiles


def owner_of(profiles: dict[str, SiteProfile], url: str) -> SiteProfile | None:
    """The profile whose domains hold `url` (saved pages carry no profile name, only their URL)."""
    return next((p for p in profiles.values() if p.owns(url)), None)


def select(profiles: dict[str, SiteProfile], names: str | list[str] | None) -> list[SiteProfile]:
    """Profiles named in `names` (comma-separated or a list); all of them for None, ``""`` or ``all``."""
    if isinstance(names, str):
        names = [n.strip() for n in names.split(",") if n.strip()]
    if not names or names == ["all"]:
        return list(profiles.values())
    unknown = [n for n in names if n not in profiles]
    if unknown:
        raise ProfileError(f"unknown site profile {unknown[0]!r}; known: {', '.join(profiles)}")
    return [profiles[n] for n in names]
