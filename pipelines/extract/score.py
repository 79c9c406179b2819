"""Scoring extracted text against gold text: F1 of character bigrams (whitespace removed), chrome
phrases left. The same measure as the shared devset scorer, so figures from
`benchmarks/eval_extract.py` and the tests compare with it."""
from __future__ import annotations

import re
from collections import Counter

# Phrases download sites print around a document; left in a body they are chrome.
CHROME = [
    "下载文档", "下载本文档", "马上下载", "下载此文档", "版权申诉", "文档编号", "上传人", "上传时间",
    "已阅读", "继续免费阅读", "免费预览", "预览加载中", "在线预览结束", "温馨提示", "网站客服",
    "此文档下载收益", "你可能关注的文档", "分享赚钱", "由会员分享", "来源于网友上传", "不代表本站观点",
    "本站为你精心整理", "上一篇", "下一篇", "海量公文素材", "备案号", "相关资源", "最新文档", "下载提示",
    "版权说明", "点击查看更多", "页未读", "以下内容供阅读", "Copyright", "版权所有", "举报 版权",
    "金币", "下载积分", "友情提示", "支付方式", "此处隐藏", "仅供预览", "合集下载", "资源描述", "文档简介",
    "上传文档赚钱", "下载声明", "精选优质文档", "点击这里给我发消息", "小编",
]
# pinyin a site printed after a character, 導(dǎo)語 (only toned syllables: plain Latin in brackets is text);
# the shared scorer's own pattern, Han range included (not pipelines/han.py's): the measure must be its
PINYIN = re.compile(r"[\u4e00-\u9fff][(（][a-zü]*[āáǎàēéěèīíǐìōóǒòūúǔùǖǘǚǜ][a-zü]*[)）]")
WS = re.compile(r"\s+")


def bigrams(text: str | None) -> Counter:
    s = WS.sub("", text or "")
    return Counter(s[i:i + 2] for i in range(len(s) - 1))


def f1(pred: str | None, gold: str | None) -> float:
    """The shared scorer's F1 of character bigrams, whitespace removed (tests/test_score.py holds them equal)."""
    return bigram_f1(bigrams(pred), bigrams(gold))


def bigram_f1(p: Counter, g: Counter) -> float:
    """F1 of two bags of bigrams (`bigrams`): for a text compared with several others, its bag is
    counted once (html.generic_body's agreement of extractors)."""
    if not p and not g:
        return 1.0
    overlap = sum((p & g).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / sum(p.values()), overlap / sum(g.values())
    return 2 * precision * recall / (precision + recall)


def chrome_left(pred: str, gold: str) -> list[str]:
    """Chrome phrases in `pred` that `gold` does not hold; inline pinyin counts as one."""
    left = [c for c in CHROME if c in pred and c not in gold]
    if PINYIN.search(pred) and not PINYIN.search(gold):
        left.append("pinyin")
    return left


def pair(preds: list[str], golds: list[str]) -> tuple[list[tuple[float, str, str]], int, int]:
    """Pair predicted with gold documents of one page, best overlap first.
    Returns ([(f1, pred, gold)], missing, spurious); a missing gold scores 0."""
    preds = list(preds)
    rows, missing = [], 0
    for g in golds:
        if not preds:
            rows.append((0.0, "", g))
            missing += 1
            continue
        best = max(range(len(preds)), key=lambda i: f1(preds[i], g))
        p = preds.pop(best)
        rows.append((f1(p, g), p, g))
    return rows, missing, len(preds)
