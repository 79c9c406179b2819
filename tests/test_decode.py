"""pipelines/extract/decode.py: BOM, header, <meta>, attributes, detection checked by script, widening, bad bytes."""
import json
import os
import random
import re

import pytest
from charset_normalizer import from_bytes

from pipelines.extract import extract_page
from pipelines.extract.decode import DecodeError, decode, decode_page, normalise_charset
from pipelines.extract.score import f1
from pipelines.model import Page
from tests.conftest import FIXTURES

TEXT = "科技局工作总结:加强知识产权保护,推进产学研合作。" * 20


def html(charset_decl: str, text: str = TEXT) -> str:
    return f'<html><head><meta charset="{charset_decl}"></head><body><p>{text}</p></body></html>'


def test_header_charset_wins():
    body = html("utf-8").encode("gb18030")  # meta lies, header is right
    text, charset = decode(body, "text/html; charset=GBK")
    assert charset == "gb18030" and TEXT in text


def test_meta_declares_wrong_charset_verified_and_retried():
    body = html("gbk").encode("utf-8")  # saved page declares gbk, stored as utf-8
    text, charset = decode(body)
    assert TEXT in text and charset == "utf-8"


def test_meta_only_big5_widened_to_hkscs():
    trad = "香港特區政府今日公布最新經濟數據,市民關注樓價走勢。" * 10
    body = html("big5", trad).encode("big5hkscs")
    text, charset = decode(body)
    assert trad in text and charset == "big5hkscs"


def test_gb2312_declared_but_uses_gb18030_characters():
    rare = "镕基喆" * 30 + TEXT  # 镕 and 喆 are outside GB2312
    body = html("gb2312", rare).encode("gb18030")
    text, charset = decode(body)
    assert rare in text and charset == "gb18030"


def test_bom():
    text, charset = decode("\ufeff".encode("utf-8") + TEXT.encode("utf-8"))
    assert text.lstrip("\ufeff").startswith("科技局") and charset in ("utf-8-sig", "utf-8")


def test_detection_without_any_declaration():
    body = f"<html><body><p>{TEXT}</p></body></html>".encode("gb18030")
    text, _ = decode(body)
    assert TEXT in text


def test_binary_bytes_raise():
    rnd = random.Random(1)
    with pytest.raises(DecodeError):
        decode(bytes(rnd.randrange(256) for _ in range(5000)))


def test_empty_is_empty_text():
    assert decode(b"") == ("", "utf-8")


@pytest.mark.parametrize("name,expected", [("GB2312", "gb18030"), ("gbk", "gb18030"), ("big5", "big5hkscs"),
                                           ("UTF8", "utf-8"), ("no-such-charset", None)])
def test_normalise_charset(name, expected):
    assert normalise_charset(name) == expected


# --- as a browser reads it (issues 11.5 and 12) ---------------------------------------------------
DECODE_FIXTURES = os.path.join(FIXTURES, "decode")


def fixture(name):
    with open(os.path.join(DECODE_FIXTURES, name + ".html"), "rb") as f:
        body = f.read()
    with open(os.path.join(DECODE_FIXTURES, name + ".gold.json"), encoding="utf-8") as f:
        return body, json.load(f)


@pytest.mark.parametrize("name", ["gbk-encoding-attribute", "gb18030-rare-characters"])
def test_fixture_decodes_and_extracts_to_gold(name):
    body, gold = fixture(name)
    decoded = decode_page(body)
    assert decoded.charset == "gb18030"
    assert all(line in decoded.text for line in gold[0]["text"].split("\n"))
    docs = extract_page(Page(url=f"http://sample.example/{name}.html", body=body)).documents
    assert len(docs) == 1 and docs[0].lang == "zh" and docs[0].title == gold[0]["title"]
    assert f1(docs[0].text, gold[0]["text"]) >= 0.95


def test_charset_in_an_encoding_attribute_and_control_bytes_in_comments():
    body, _ = fixture("gbk-encoding-attribute")
    assert b"<meta" not in body and b'encoding="gb2312"' in body and re.search(rb"[\x01-\x08]", body)
    decoded = decode_page(body)
    assert decoded.source == "attribute" and decoded.controls > 0
    assert not re.search(r"[\x00-\x08\x0b\x0e-\x1f]", decoded.text)


def test_a_cyrillic_guess_gives_way_to_the_gb18030_reading():
    body, _ = fixture("gb18030-rare-characters")
    # charset-normalizer 3.5.3 alone reads this page in a Cyrillic code page (what decode() used to
    # return); older releases read it right, so that guess is no premise the floors share
    guess = from_bytes(body).best().encoding
    assert guess in ("gb18030", "iso8859_5", "cp1251", "koi8_r", "ptcp154", "mac_cyrillic")
    decoded = decode_page(body)
    assert decoded.charset == "gb18030" and "\u3400" in decoded.text


def test_xml_declaration_is_honoured():
    body = ('<?xml version="1.0" encoding="gb2312"?>\n' + html("x", TEXT).replace('<meta charset="x">', "")).encode("gbk")
    assert decode_page(body).source == "meta" and TEXT in decode(body)[0]


def corruptions(body: bytes, n: int, seed: int):
    rng = random.Random(seed)
    for _ in range(n):
        i = rng.randrange(len(body) // 4, len(body))  # inside the text, after the head
        yield body[:i] + bytes([rng.choice([0x80, 0xff, 0xfe, 0xc3, 0xa1])]) + body[i + 1:]


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_one_bad_byte_costs_a_character_not_the_page(charset):
    body = html(charset).encode(charset)
    for bad in corruptions(body, 50, seed=len(charset)):
        decoded = decode_page(bad)
        assert decoded.charset == normalise_charset(charset)
        assert decoded.text.count("科技局") >= 18 and decoded.replaced <= 3  # a broken UTF-8 sequence: up to 3


@pytest.mark.parametrize("charset", ["utf-8", "gbk"])
def test_a_body_cut_mid_character_is_read(charset):
    body = html(charset).encode(charset)
    cut = body[:body.rindex(TEXT[-6].encode(charset)) + 1]  # a multi-byte character cut after its first byte
    decoded = decode_page(cut, f"text/html; charset={charset}")
    assert decoded.charset == normalise_charset(charset) and decoded.text.count("科技局") >= 19


def test_stray_control_bytes_are_dropped_not_fatal():
    body = html("utf-8").encode("utf-8").replace("。".encode(), "。\x01\x1b".encode())
    text, charset = decode(body)
    assert charset == "utf-8" and TEXT.replace("。", "") in text.replace("。", "")
    assert "\x01" not in text and "\x1b" not in text


def test_replacement_characters_are_counted_in_quality():
    body = html("utf-8").encode("utf-8")
    bad = body.replace("推进".encode(), b"\xff\xfe", 1)
    doc = extract_page(Page(url="http://sample.example/a.html", body=bad)).documents[0]
    assert doc.quality["replaced_chars"] >= 1
    assert extract_page(Page(url="http://sample.example/a.html", body=body)).documents[0].quality["replaced_chars"] == 0


def test_a_markup_heavy_gbk_page_with_a_broken_declaration_reads_as_chinese():
    """Found by tests/test_robustness.py: markup letters are ASCII in every reading, so they do not
    count against the Chinese one."""
    with open(os.path.join(FIXTURES, "extract", "article-tables.html"), "rb") as f:
        body = f.read().replace(b"<html", b"\x80html", 1).replace(b"<meta", b"\x00meta", 1)
    decoded = decode_page(body)
    assert decoded.charset == "gb18030" and "政务公开" in decoded.text


def test_vertical_tab_and_form_feed_become_spaces_lxml_accepts():
    """Found by tests/test_robustness.py: a form feed in a text node made lxml raise ValueError
    when extraction edited the tree."""
    body = html("utf-8").encode().replace("。".encode(), "。\f\v".encode())
    text = decode(body)[0]
    assert "\f" not in text and "\v" not in text and "。  " in text
    doc = extract_page(Page(url="http://sample.example/ff.html", body=body)).documents[0]
    assert "科技局" in doc.text
