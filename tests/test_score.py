"""pipelines/extract/score.py is the one bigram F1 of the project (the tests, eval_extract, ingest_bench
and html.generic_body's agreement of extractors use it) and it agrees with the shared devset scorer,
../shared/tools/score_extract.py, which is the reference."""
import glob
import importlib.util
import json
import os

import pytest

from pipelines.extract import html, score
from tests.conftest import FIXTURES
from tests.sitefarm import ROOT

SHARED_SCORER = os.path.join(os.path.dirname(ROOT), "shared", "tools", "score_extract.py")


@pytest.fixture(scope="module")
def shared():
    if not os.path.exists(SHARED_SCORER):
        pytest.skip("../shared/tools/score_extract.py not present")
    spec = importlib.util.spec_from_file_location("score_extract", SHARED_SCORER)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _gold_texts():
    for path in sorted(glob.glob(os.path.join(FIXTURES, "extract", "*.gold.json")))[:6]:
        with open(path, encoding="utf-8") as f:
            yield from (g["text"] for g in json.load(f))


def pairs():
    yield from [("", ""), (None, ""), ("a", ""), ("", "a"), ("中文", "中文"), ("中文文本", "中文"),
                ("哈哈哈哈", "哈哈"), ("中 文\n文\t本", "中文文本"), ("abc", "xyz"), ("😀𠀀中😀", "𠀀中")]
    for text in _gold_texts():
        lines = text.split("\n")
        yield text, text
        yield text[: len(text) // 2], text                       # a truncated prediction
        yield "下载文档\n" + text + "\n上一篇 下一篇", text          # chrome left around it
        yield "\n".join(reversed(lines)), text                   # the same bigrams but at line joins
        yield "\n".join(lines[1:]), "\n".join(lines[:-1])


def test_f1_is_the_shared_scorers(shared):
    checked = 0
    for pred, gold in pairs():
        assert score.f1(pred, gold) == shared.f1(pred, gold), (pred and pred[:40], gold[:40])
        assert score.bigram_f1(score.bigrams(pred), score.bigrams(gold)) == shared.f1(pred, gold)
        checked += 1
    assert checked > 30


def test_chrome_phrases_are_the_shared_scorers(shared):
    assert score.CHROME == shared.CHROME and score.PINYIN.pattern == shared.PINYIN.pattern
    for pred, gold in pairs():
        if pred is not None:
            assert score.chrome_left(pred, gold) == [
                c for c in shared.CHROME if c in pred and c not in gold
            ] + (["pinyin"] if shared.PINYIN.search(pred) and not shared.PINYIN.search(gold) else [])


def test_the_extractors_agreement_is_the_same_f1():
    """html.generic_body decides between extractors by this F1, not a copy of its own."""
    assert html.bigram_f1 is score.bigram_f1 and html.bigrams is score.bigrams
    assert not hasattr(html, "_f1") and not hasattr(html, "_bigrams")
