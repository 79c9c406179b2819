"""Per-site boilerplate learned from several pages of the same site.

Lines (or line shapes: digits folded) that recur on many of a site's pages are chrome: a footer,
a download prompt worded in a way no rule knows. `Boilerplate.learn(site, lines)` is fed one page
at a time (ingest/rebuild can feed every page it sees); `is_boilerplate(site, line)` answers once a
site has `min_pages` pages. It is a plain picklable object, so it can go to worker processes.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict

DIGITS = re.compile(r"\d+")
MAX_LINE = 80  # longer lines are prose, never boilerplate


def shape(line: str) -> str:
    return DIGITS.sub("0", re.sub(r"\s+", " ", line.strip()))


class Boilerplate:
    def __init__(self, min_pages: int = 3, min_share: float = 0.6):
        self.min_pages = min_pages
        self.min_share = min_share
        self.pages: Counter = Counter()
        self.lines: dict[str, Counter] = defaultdict(Counter)

    def learn(self, site: str | None, lines) -> None:
        if not site:
            return
        self.pages[site] += 1
        self.lines[site].update({shape(x) for x in lines if x.strip() and len(x) <= MAX_LINE})

    def is_boilerplate(self, site: str | None, line: str) -> bool:
        n = self.pages.get(site, 0) if site else 0
        if n < self.min_pages or len(line) > MAX_LINE:
            return False
        return self.lines[site][shape(line)] >= max(self.min_pages, self.min_share * n)

    def __getstate__(self):
        return {"min_pages": self.min_pages, "min_share": self.min_share,
                "pages": dict(self.pages), "lines": {k: dict(v) for k, v in self.lines.items()}}

    def __setstate__(self, state):
        self.min_pages, self.min_share = state["min_pages"], state["min_share"]
        self.pages = Counter(state["pages"])
        self.lines = defaultdict(Counter, {k: Counter(v) for k, v in state["lines"].items()})
