"""The records that travel through the pipeline: a fetched Page, a site profile's SiteHints, the
Extraction of a page and the Documents found in it, with their ReportMeta.

Plain dataclasses that import no stage, so the crawl process (profiles, the item pipeline) holds
them without loading OpenCC, langdetect, readability or trafilatura (tests/test_model.py).
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .extract.rules import Family


def utcnow() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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


@dataclass(kw_only=True)
class ReportMeta:
    """What researchers filter a report on (pipelines/extract/docmeta.py `describe`), from the title
    first and the text second. A Document holds these fields as its own; the corpus stores them as
    columns (the two lists as JSON arrays)."""

    doc_types: list[str] = field(default_factory=list)
    admin_level: str | None = None
    department: str | None = None
    region: str | None = None
    years: list[int] = field(default_factory=list)
    doc_date: str | None = None

    def to_json(self) -> dict:
        return asdict(self)


REPORT_FIELDS = tuple(f.name for f in fields(ReportMeta))
REPORT_LISTS = ("doc_types", "years")  # JSON arrays in the corpus and in csv/parquet exports


@dataclass
class Document(ReportMeta):
    """One document found in a page; `part` is its index within the page (0 for the first); its
    report metadata are the fields of ReportMeta (keyword-only)."""

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

    @property
    def id(self) -> str:
        return document_id(self.url, self.part)

    def to_json(self) -> dict:
        d = asdict(self)
        d |= {name: d.pop(name) for name in REPORT_FIELDS}  # after the document's own fields, as before
        d["traditional"], d["truncated"] = int(self.traditional), int(self.truncated)
        return d


def document_id(url: str, part: int) -> str:
    """Stable id of the document first seen at (url, part): it survives re-extraction and rebuilds."""
    return hashlib.sha1(f"{url}#{part}".encode()).hexdigest()[:16]


@dataclass
class Rejection:
    """A page, or one document of it, kept out of the corpus, with a reason code and a detail."""

    url: str
    reason: str
    detail: str = ""
    part: int = 0
    site: str | None = None
    title: str | None = None


@dataclass(frozen=True)
class SiteHints:
    """What a site profile knows about its document pages (`chrome_family` and `extraction:` of
    crawler/sites/*.yaml). Small and picklable: it travels with the page to extraction workers.

    - `family`: the chrome family to use when the page's own tell-tales name none;
    - `body_container`: an XPath tried before the family's containers;
    - `body_after`: the document starts after the first body line holding one of these phrases;
    - `stop_at`: the document ends before the first (remaining) body line holding one of these;
    - `numbered_pages`: `1、` `2、` start preview pages (None: as the family says).
    """

    family: str | None = None
    body_container: str | None = None
    stop_at: tuple[str, ...] = ()
    body_after: tuple[str, ...] = ()
    numbered_pages: bool | None = None

    def cut(self, lines: list[str]) -> list[str]:
        """The body lines between the `body_after` line and the `stop_at` line (each if found)."""
        if self.body_after:
            start = next((i for i, x in enumerate(lines) if any(p in x for p in self.body_after)), None)
            if start is not None:
                lines = lines[start + 1:]
        if self.stop_at:
            end = next((i for i, x in enumerate(lines) if any(p in x for p in self.stop_at)), None)
            if end is not None:
                lines = lines[:end]
        return lines

    def family_of(self, family: Family | None) -> Family | None:
        """The page's family with the hints' `numbered_pages` over the family's own flag."""
        if self.numbered_pages is None or (family is not None and family.numbered_pages == self.numbered_pages):
            return family
        if family is None:  # no family, but the site numbers its preview pages
            from .extract.rules import Family  # a family only hints make: rules are not needed to hold hints
            return Family(id="", telltales=[], numbered_pages=self.numbered_pages) if self.numbered_pages else None
        return replace(family, numbered_pages=self.numbered_pages)


# page -> the site hints it is extracted with (None: no site profile knows it)
HintsLookup = Callable[[Page], SiteHints | None]


@dataclass(frozen=True, slots=True)
class Problem:
    """Why a page gives no documents: the reason code of its `rejected` row and a detail.
    Extraction's: `decode_error` (no charset reads it), `extract_timeout` (past its time budget),
    `extract_error` (the extractor failed, or the worker running it died), `not_a_document`."""

    reason: str
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.reason}: {self.detail}" if self.detail else self.reason


@dataclass
class Extraction:
    """What extraction made of a page: its documents, or none and the `problem` that stopped it.
    A failure is always this record (pipelines/ingest.py `run_extraction`), never an exception
    passed on as a value; the page's rejection is written from `problem` (`page_problem`)."""

    documents: list[Document] = field(default_factory=list)
    encoding: str | None = None
    family: str | None = None
    extractor: str | None = None  # which body finder answered (for evaluation)
    problem: Problem | None = None

    @classmethod
    def failed(cls, reason: str, detail: str = "") -> Extraction:
        return cls(problem=Problem(reason, detail))
