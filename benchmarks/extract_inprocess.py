#!/usr/bin/env python3
"""In-process extraction time on ../shared/devset/real-zh: `extract_page` over every page, best of 3,
in one process (no CLI start-up, no worker pool), for the tree given (default: this one). Run it on
two trees interleaved to compare them under the same load.

usage: .venv/bin/python benchmarks/extract_inprocess.py [TREE]
"""
import glob
import os
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TREE = sys.argv[1] if len(sys.argv) > 1 else ROOT
sys.path.insert(0, TREE)

from pipelines.extract import extract_page  # noqa: E402
from pipelines.model import Page  # noqa: E402

PAGES = sorted(glob.glob(os.path.join(os.path.dirname(ROOT), "shared", "devset", "real-zh", "html", "*.html")))


def main():
    if not PAGES:
        sys.exit("../shared/devset/real-zh not present")
    pages = [Page(url=p, body=open(p, "rb").read(), kind="html") for p in PAGES]
    for p in pages[:5]:  # imports, caches, compiled rules
        extract_page(p)
    best = None
    for _ in range(3):
        t = time.perf_counter()
        for p in pages:
            extract_page(p)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    print(f"{TREE}: {len(pages)} pages in {best:.2f} s = {1000 * best / len(pages):.1f} ms a page")


if __name__ == "__main__":
    main()
