"""The two records that travel through the pipeline: a fetched Page and the Documents found in it."""
from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone


def utcnow() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Page:
    """One response as fetched (or as saved on disk).

    `kind` says how to read `body`: ``html`` (raw bytes, charset to be found), or ``text``
    (a page already flattened to text, as a browser shows it).
    """

    url: str
    body: bytes
    kind: str = "html"
    status: int = 200
    final_url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    fetched_at: str = field(default_factory=utcnow)
    run_id: int | None = None
    # why there is no response at all (a timeout, a refused connection …): status is then 0
    error: str | None = None

    @property
    def content_type(self) -> str | None:
        return self.headers.get("content-type")

    @property
    def sha1(self) -> str:
        return hashlib.sha1(self.body).hexdigest()


@dataclass
class Document:
    """One document found in a page; `part` is its index within the page (0 for the first)."""

    url: str
    part: int = 0
    site: str | None = None
    title: str | None = None
    text: str = ""
    lang: str | None = None
    traditional: bool = False
    truncated: bool = False
    published: str | None = None
    meta: dict = field(default_factory=dict)
    quality: dict = field(default_factory=dict)
    # report metadata (pipelines/docmeta.py), from the title first and the text second
    doc_types: list[str] = field(default_factory=list)
    admin_level: str | None = None
    department: str | None = None
    region: str | None = None
    years: list[int] = field(default_factory=list)
    doc_date: str | None = None

    @property
    def id(self) -> str:
        return document_id(self.url, self.part)

    def to_json(self) -> dict:
        d = asdict(self)
        d["traditional"], d["truncated"] = int(self.traditional), int(self.truncated)
        return d


def document_id(url: str, part: int) -> str:
    """Stable id of the document first seen at (url, part): it survives re-extraction and rebuilds."""
    return hashlib.sha1(f"{url}#{part}".encode("utf-8")).hexdigest()[:16]


@dataclass
class Rejection:
    """A page, or one document of it, kept out of the corpus, with a reason code and a detail."""

    url: str
    reason: str
    detail: str = ""
    part: int = 0
    site: str | None = None
    title: str | None = None
