"""One spelling per page: canonical URLs with tracking and session parameters dropped.

Doc sites hang `spm=`, `utm_*`, `from=` and session ids on their links; without this each spelling
would be fetched, stored and deduplicated as a page of its own (and a session id per visit is a
crawler trap by itself).
"""
from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

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
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not self.dropped(k)]
        url = urlunsplit((parts.scheme, parts.netloc, path, urlencode(query), ""))
        # sorted query, percent-encoding normalised, fragment dropped, default port and case fixed
        return canonicalize_url(url)


canonical_url = Canonicalizer()
