"""Page to documents: decode -> find the body -> convert -> identify language.

`extract_page` is a pure function of a Page (no database, no network), so it can run in worker
processes; dedup and storage happen afterwards in `pipelines.ingest`.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import trafilatura

from . import convert, langid
from .decode import decode
from .model import Document, Page

logger = logging.getLogger(__name__)

TITLE_SUFFIX = re.compile(r"\.(docx?|pdf|pptx?|xlsx?|txt|wps)$", re.I)


@dataclass
class Extraction:
    documents: list[Document] = field(default_factory=list)
    encoding: str | None = None


def site_of(url: str) -> str | None:
    host = urlsplit(url).hostname if "://" in url else None
    if not host:
        return None
    return host[4:] if host.startswith("www.") else host


def clean_title(title: str | None) -> str | None:
    if not title:
        return None
    title = re.split(r"\s+[-_|–—]\s+", title.strip())[0]
    return TITLE_SUFFIX.sub("", title.strip()) or None


def body_from_html(html: str, url: str) -> tuple[str, str | None, str | None]:
    """(text, title, published) of the main content of an HTML page."""
    text = trafilatura.extract(html, url=url, favor_recall=True, include_comments=False,
                               include_tables=True) or ""
    meta = trafilatura.extract_metadata(html)
    title = meta.title if meta else None
    published = meta.date if meta else None
    return text, title, published


def body_from_text(text: str) -> tuple[str, str | None, str | None]:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    title = lines[0] if lines else None
    return "\n".join(lines), title, None


def finish(doc: Document) -> Document:
    """Convert to simplified script, identify the language, add quality signals."""
    doc.text, doc.traditional = convert.simplify(doc.text)
    if doc.title:
        doc.title = convert.to_simplified(doc.title)
    doc.lang = langid.identify(doc.text)
    han = len(langid.HAN.findall(doc.text))
    doc.quality = {"chars": len(doc.text), "han_ratio": round(han / len(doc.text), 3) if doc.text else 0.0}
    return doc


def extract_page(page: Page) -> Extraction:
    """Find the documents in a page. Raises decode.DecodeError for undecodable bytes."""
    text, encoding = decode(page.body, page.content_type)
    if page.kind == "text":
        body, title, published = body_from_text(text)
    else:
        body, title, published = body_from_html(text, page.final_url or page.url)
    if not body.strip():
        return Extraction([], encoding)
    doc = Document(url=page.url, part=0, site=site_of(page.final_url or page.url),
                   title=clean_title(title), text=body, published=published)
    return Extraction([finish(doc)], encoding)
