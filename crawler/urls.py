"""One spelling per page: canonical URLs with tracking and session parameters dropped.

Doc sites hang `spm=`, `utm_*`, `from=` and session ids on their links; without this each spelling
would be fetched, stored and deduplicated as a page of its own (and a session id per visit is a
crawler trap by itself). Credentials typed into a URL (`user:pw@host`) are dropped too.
"""
from __future__ import annotations

import re
from urllib.parse import unquote_plus, urlsplit, urlunsplit

from w3lib.url import canonicalize_url

# Exact parameter names (lower case) and prefixes dropped by default; the setting URL_DROP_PARAMS
# replaces the list (entries ending in `*` are prefixes).
DEFAULT_DROP_PARAMS = (
    "utm_*", "spm", "from", "fromid", "from_source", "source", "ref", "referer", "refer", "share",
    "share_from", "fr", "track", "trackid", "scm", "bd_vid", "gclid", "fbclid", "yclid", "msclkid",
    "sessionid", "session_id", "sid", "jsessionid", "phpsessid", "aspsessionid", "token", "_t", "t_",
    "timestamp", "rnd", "rand",
)

PATH_SESSION = re.compile(r";(jsessionid|phpsessid|sid)=[^/?#]*", re.I)


class Canonicalizer:
    def __init__(self, drop_params=DEFAULT_DROP_PARAMS):
        drop = [p.lower() for p in drop_params]
        self.exact = {p for p in drop if not p.endswith("*")}
        self.prefixes = tuple(p[:-1] for p in drop if p.endswith("*"))

    def dropped(self, name: str) -> bool:
        name = name.lower()
        return name in self.exact or (bool(self.prefixes) and name.startswith(self.prefixes))

    def __call__(self, url: str) -> str:
        parts = urlsplit(url)
        path = PATH_SESSION.sub("", parts.path)
        # Filter the raw `name=value` pieces: decoding the query (parse_qsl) would turn a GBK
        # `q=%BF%C6%BC%BC` into U+FFFD and two different search URLs into one.
        query = "&".join(piece for piece in parts.query.split("&")
                         if piece and not self.dropped(unquote_plus(piece.split("=", 1)[0], errors="replace")))
        url = urlunsplit((parts.scheme, host_and_port(parts.netloc), path, query, ""))
        # sorted query, percent-encoding normalised (bytes kept), fragment dropped, host lower-cased
        return canonicalize_url(url)


def host_and_port(netloc: str) -> str:
    """A URL's netloc without `user:password@`: credentials are never stored, logged or sent."""
    return netloc.rpartition("@")[2]


def strip_credentials(url: str) -> str:
    parts = urlsplit(url)
    if "@" not in parts.netloc:
        return url
    return urlunsplit(parts._replace(netloc=host_and_port(parts.netloc)))


canonical_url = Canonicalizer()
