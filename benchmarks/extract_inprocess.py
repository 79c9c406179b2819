#!/usr/bin/env python3
"""In-process extraction time on ../shared/devset/real-zh: `extract_page` over every page, best of 3,
in one process (no CLI start-up, no worker pool), for the tree given (default: this one). Run it on
two trees interleaved to compare them under the same load.

usage: .venv/bin/python benchmarks/extract_inprocess.py [TREE] [--ab]

--ab: in this one process, alternate rounds with and without the issue-12 cleaning passes (pinyin,
simplified reading, site name, watermark, notices, intros, taken out by replacing them with the
identity), so both face the same load; prints the best round of each.
"""
import glob
import os
import pathlib
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ARGS = [a for a in sys.argv[1:] if not a.startswith("--")]
TREE = ARGS[0] if ARGS else ROOT
sys.path.insert(0, TREE)

from pipelines.extract import extract_page  # noqa: E402
from pipelines.model import Page  # noqa: E402

PAGES = sorted(glob.glob(os.path.join(os.path.dirname(ROOT), "shared", "devset", "real-zh", "html", "*.html")))


_ORIGINALS: dict = {}  # (module, name): the pass as the module defined it


def passes(on: bool, saved: dict = _ORIGINALS):
    """Put the cleaning passes in (on) or replace them with the identity (off)."""
    from pipelines import extract
    from pipelines.extract import clean, convert, intros, notices, pinyin, watermark
    targets = [(pinyin, "strip"), (convert, "simplify_page"), (clean, "drop_site_name"), (watermark, "clean"),
               (notices, "drop"), (intros, "drop")]
    off = {"strip": lambda text: text, "simplify_page": lambda pl, ls, t: (pl, ls, t, False),
           "drop_site_name": lambda lines, rules: lines, "clean": lambda lines, vocab=None: lines,
           "drop": lambda lines, vocab=None: lines}
    for mod, name in targets:
        saved.setdefault((mod, name), getattr(mod, name))
        setattr(mod, name, saved[(mod, name)] if on else off[name])
    extract.pinyin, extract.convert = pinyin, convert


def rounds(pages, n=3):
    best = None
    for _ in range(n):
        t = time.perf_counter()
        for p in pages:
            extract_page(p)
        dt = time.perf_counter() - t
        best = dt if best is None else min(best, dt)
    return best


def main():
    if not PAGES:
        sys.exit("../shared/devset/real-zh not present")
    pages = [Page(url=p, body=pathlib.Path(p).read_bytes(), kind="html") for p in PAGES]
    for p in pages[:5]:  # imports, caches, compiled rules
        extract_page(p)
    if "--ab" not in sys.argv:
        best = rounds(pages)
        print(f"{TREE}: {len(pages)} pages in {best:.2f} s = {1000 * best / len(pages):.1f} ms a page")
        return
    best = {True: None, False: None}
    for _ in range(3):
        for on in (False, True):
            passes(on)
            dt = rounds(pages, 1)
            best[on] = dt if best[on] is None else min(best[on], dt)
    for on in (False, True):
        print(f"{'with' if on else 'without'} the cleaning passes: {len(pages)} pages in {best[on]:.2f} s"
              f" = {1000 * best[on] / len(pages):.1f} ms a page")


if __name__ == "__main__":
    main()
