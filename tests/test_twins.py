"""Invented pages in the style of sites the devsets do not hold (tests/fixtures/twins): the trap classes
of the real doc sites (inline pinyin, watermarks, editor intros, notice blocks, download templates, read
walls, folds) in other wording, order and markup, and pages that must come through whole (`keep-*`: a
document about pinyin, a safety notice whose own 温馨提示 list is the document, a report that says 下载
and 金币). The cleaning rules were not written against them: they measure whether the rules generalise."""
import glob
import json
import os

import pytest

from pipelines.extract import extract_page
from pipelines.extract.score import chrome_left, f1
from pipelines.model import Page
from tests.conftest import FIXTURES

PAGES = sorted(p for p in glob.glob(os.path.join(FIXTURES, "twins", "*")) if not p.endswith(".gold.json"))


@pytest.mark.parametrize("path", PAGES, ids=[os.path.basename(p) for p in PAGES])
def test_twin_page_matches_gold(path):
    with open(path, "rb") as f:
        page = Page(url="http://twin.example/" + os.path.basename(path), body=f.read(),
                    kind="text" if path.endswith(".txt") else "html")
    with open(path.rsplit(".", 1)[0] + ".gold.json", encoding="utf-8") as f:
        gold = json.load(f)
    docs = extract_page(page).documents
    assert len(docs) == len(gold)
    for doc, g in zip(docs, gold, strict=True):
        assert f1(doc.text, g["text"]) >= 0.95, doc.text
        assert chrome_left(doc.text, g["text"]) == []


def test_there_are_twins_of_every_class():
    classes = set()
    for p in PAGES:
        with open(p.rsplit(".", 1)[0] + ".gold.json", encoding="utf-8") as f:
            classes.update(g["class"] for g in json.load(f))
    assert {"pinyin", "watermark", "intro", "notice", "download", "read-wall", "folded", "keep"} <= classes
