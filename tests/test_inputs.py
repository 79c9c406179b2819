"""Reading saved pages and the `docsites extract` verb on bad input: a message per bad input,
the other inputs still processed, exit status 1."""
import io
import json
import os
import random
import subprocess

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from pipelines.inputs import InputError, read_pages
from tests.conftest import BIN, FIXTURES, ROOT

GOOD = os.path.join(FIXTURES, "extract", "member-share.txt")


def write_warc(path, pages):
    with open(path, "wb") as f:
        w = WARCWriter(f, gzip=path.endswith(".gz"))
        for url, body in pages:
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=headers))


def test_warc_response_records_become_pages(tmp_path):
    path = str(tmp_path / "a.warc.gz")
    write_warc(path, [("http://a.example/1", "<html><body><p>一</p></body></html>".encode())])
    pages = list(read_pages(path))
    assert [p.url for p in pages] == ["http://a.example/1"] and pages[0].status == 200


def test_malformed_warc_raises_input_error(tmp_path):
    path = tmp_path / "bad.warc"
    path.write_bytes(b"WARC/1.0\r\nWARC-Type: response\r\nContent-Length: 99999\r\n\r\ngarbage")
    with pytest.raises(InputError, match="bad.warc"):
        list(read_pages(str(path)))


def test_empty_file_raises(tmp_path):
    path = tmp_path / "e.html"
    path.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        list(read_pages(str(path)))


def run_extract(*paths):
    return subprocess.run([os.path.join(BIN, "docsites"), "extract", *paths], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def test_bad_inputs_reported_others_processed(tmp_path):
    rnd = random.Random(2)
    empty = tmp_path / "empty.html"
    empty.write_bytes(b"")
    binary = tmp_path / "binary.html"
    binary.write_bytes(bytes(rnd.randrange(256) for _ in range(4000)))
    nobody = tmp_path / "nobody.html"
    nobody.write_bytes(b"<html><head><title>t</title></head></html>")
    badwarc = tmp_path / "bad.warc"
    badwarc.write_bytes(b"WARC/1.0\r\nWARC-Type: response\r\n\r\nxx")
    big = tmp_path / "big.html"  # 20 MB: a document at the start, then a flood of markup
    para = "<p>" + "这是一个很大的页面,正文在最前面,后面是大量重复的标记内容。" * 20 + "</p>"
    big.write_bytes(("<html><body>" + para + "<div><span>x</span></div>" * 800_000 + "</body></html>").encode())
    assert big.stat().st_size > 20_000_000
    proc = run_extract(str(empty), str(binary), GOOD, str(nobody), str(badwarc), str(big))
    assert proc.returncode == 1
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 4, proc.stderr
    for name in ("empty.html", "binary.html", "nobody.html", "bad.warc"):
        assert any(name in e for e in errors), name
    docs = [json.loads(line) for line in proc.stdout.splitlines()]
    assert {os.path.basename(d["url"]) for d in docs} == {"member-share.txt", "big.html"}
    assert "Traceback" not in proc.stderr


def test_all_good_inputs_exit_zero():
    proc = run_extract(GOOD, os.path.join(FIXTURES, "extract", "kv-header.html"))
    assert proc.returncode == 0, proc.stderr
    assert len(proc.stdout.splitlines()) == 3
