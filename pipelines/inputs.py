"""Saved pages on disk -> Page records: .html/.htm, .warc/.warc.gz, .txt (flattened text)."""
from __future__ import annotations

import os
from collections.abc import Iterator

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed

from .model import Page, utcnow

MAX_INPUT_BYTES = 64 * 1024 * 1024


class InputError(Exception):
    """An input cannot be read; the message names the input and says why."""


def kind_of(path: str) -> str:
    name = path.lower()
    if name.endswith((".warc", ".warc.gz", ".arc.gz")):
        return "warc"
    if name.endswith(".txt"):
        return "text"
    return "html"


def read_pages(path: str, url: str | None = None) -> Iterator[Page]:
    """Yield the pages held in `path`. Raises InputError for missing, empty or unreadable input."""
    if not os.path.exists(path):
        raise InputError(f"{path}: no such file")
    if os.path.isdir(path):
        raise InputError(f"{path}: is a directory")
    size = os.path.getsize(path)
    if size == 0:
        raise InputError(f"{path}: empty file")
    if size > MAX_INPUT_BYTES:
        raise InputError(f"{path}: {size} bytes is larger than the {MAX_INPUT_BYTES} byte limit")
    kind = kind_of(path)
    if kind == "warc":
        yield from read_warc(path)
        return
    with open(path, "rb") as f:
        body = f.read()
    yield Page(url=url or path, body=body, kind=kind)


def read_warc(path: str) -> Iterator[Page]:
    found = 0
    try:
        with open(path, "rb") as f:
            for record in ArchiveIterator(f):
                if record.format != "warc":  # warcio falls back to ARC parsing on garbage
                    raise ValueError(f"record {found + 1} is not a WARC record")
                if record.rec_type != "response":
                    continue
                target = record.rec_headers.get_header("WARC-Target-URI")
                http = record.http_headers
                headers = {k.lower(): v for k, v in (http.headers if http else [])}
                status = int(http.get_statuscode() or 0) if http else 200
                body = record.content_stream().read()
                found += 1
                yield Page(url=target or path, body=body, kind="html", status=status, headers=headers,
                           fetched_at=record.rec_headers.get_header("WARC-Date") or utcnow())
    except (ArchiveLoadFailed, ValueError, OSError, EOFError, AttributeError, TypeError, KeyError) as e:
        # warcio raises AttributeError/TypeError on records with missing headers
        raise InputError(f"{path}: not a readable WARC file ({e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else 'truncated'})") from e
    if not found:
        raise InputError(f"{path}: WARC file holds no response records")
