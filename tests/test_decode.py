"""pipelines/decode.py: header, BOM, <meta>, detection, verification, widening."""
import random

import pytest

from pipelines.decode import DecodeError, decode, normalise_charset

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
