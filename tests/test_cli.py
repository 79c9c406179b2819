"""The `docsites` command: input kinds, clear errors, every verb documented."""
import io
import json
import os

from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from docsites.cli import cli
from tests.conftest import FIXTURES

BODY = "市科技局围绕创新驱动发展战略，加大自主创新工作力度，加强知识产权保护，各项工作扎实推进，取得了明显成效。" * 6
TRAD_BODY = "科技局圍繞創新驅動發展戰略，加大自主創新工作力度，加強知識產權保護，各項工作確實推進，取得了明顯成效。" * 6


def page(title, body, meta=""):
    return f"<html><head>{meta}<title>{title}</title></head><body><div id='nav'>home</div><article><h1>{title}</h1><p>{body}</p><p>{body}</p></article></body></html>"


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def lines(result):
    return [json.loads(line) for line in result.stdout.splitlines() if line.strip()]


def write_warc(path, records):
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=path.endswith(".gz"))
        for url, headers, body in records:
            http = StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))


def test_every_verb_has_help_with_an_example():
    verbs = cli.list_commands(None)
    assert {"extract", "ingest", "stats"} <= set(verbs)
    for name in verbs:
        assert cli.get_command(None, name) is not None, f"docsites/verbs/{name}.py defines no `{name}` command"
        result = CliRunner().invoke(cli, [name, "--help"])
        assert result.exit_code == 0, name
        assert "Example:" in result.output and "docsites " + name in result.output, f"`docsites {name}` is undocumented"


def test_extract_big5_declared_only_in_meta(tmp_path):
    path = tmp_path / "big5.html"
    path.write_bytes(page("工作總結", TRAD_BODY, '<meta http-equiv="Content-Type" content="text/html; charset=big5">').encode("big5"))
    [doc] = lines(run("extract", str(path)))
    assert "科技局围绕创新驱动发展战略" in doc["text"]      # decoded, then converted to simplified
    assert doc["traditional"] == 1 and doc["lang"] == "zh"
    assert doc["url"] == str(path)
    assert set(doc) >= {"url", "part", "site", "title", "text", "lang", "traditional", "truncated", "published", "meta", "quality"}


def test_extract_warc_with_gbk_charset_only_in_http_header(tmp_path):
    path = str(tmp_path / "crawl.warc.gz")
    write_warc(path, [("http://wk.example/doc/1.html", [("Content-Type", "text/html; charset=gbk")],
                       page("工作总结", BODY).encode("gbk"))])
    [doc] = lines(run("extract", path))
    assert doc["url"] == "http://wk.example/doc/1.html"
    assert doc["site"] == "wk.example"
    assert "知识产权保护" in doc["text"] and doc["traditional"] == 0


def test_extract_flattened_text_and_url_option():
    result = run("extract", os.path.join(FIXTURES, "flattened.txt"), "--url", "http://wk.example/doc/5550001.html")
    [doc] = lines(result)
    assert doc["url"] == "http://wk.example/doc/5550001.html"
    assert "立德树人根本任务" in doc["text"] and doc["lang"] == "zh"


def test_missing_file_is_a_one_line_error_and_others_still_run(tmp_path):
    good = tmp_path / "good.html"
    good.write_text(page("工作总结", BODY), encoding="utf-8")
    result = CliRunner().invoke(cli, ["extract", str(tmp_path / "nope.html"), str(good)])
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0 and "nope.html: no such file" in result.stderr
    assert len(lines(result)) == 1


def test_unreadable_warc_is_a_clear_error(tmp_path):
    bad = tmp_path / "broken.warc.gz"
    bad.write_bytes(b"\x1f\x8b\x08\x00garbage that is not a warc")
    result = CliRunner().invoke(cli, ["extract", str(bad)])
    assert result.exit_code == 1 and "broken.warc.gz" in result.stderr and "Traceback" not in result.stderr


def test_ingest_into_missing_folder_writes_nothing(tmp_path):
    src = tmp_path / "a.html"
    src.write_text(page("工作总结", BODY), encoding="utf-8")
    target = tmp_path / "no" / "such" / "corpus.db"
    result = CliRunner().invoke(cli, ["ingest", str(src), "--db", str(target)])
    assert result.exit_code != 0
    assert "does not exist" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "no").exists()


def test_ingest_missing_input_writes_nothing(tmp_path):
    db = tmp_path / "corpus.db"
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "nope.warc"), "--db", str(db)])
    assert result.exit_code != 0 and "does not exist" in result.stderr
    assert not db.exists()


def test_ingest_then_stats(tmp_path):
    a, b = tmp_path / "a.html", tmp_path / "b.html"
    a.write_text(page("工作总结", BODY), encoding="utf-8")
    b.write_text(page("About", "An English page that a Chinese doc site also serves. " * 20), encoding="utf-8")
    db = str(tmp_path / "corpus.db")
    assert run("ingest", str(a), str(b), "--db", db).exit_code == 0
    figures = json.loads(run("stats", "--db", db, "--json").stdout)
    assert figures["documents"] == 1 and figures["rejected_by_reason"] == [["language", 1]]
    assert figures["last_runs"][0][1] == "ingest"
    # a second ingest of the same input adds nothing
    run("ingest", str(a), str(b), "--db", db)
    again = json.loads(run("stats", "--db", db, "--json").stdout)
    assert (again["documents"], again["duplicates"], again["rejected"]) == (1, 0, 1)


def test_the_verbs_that_extract_share_their_options():
    """--keep-languages, --min-chars and --workers mean the same in ingest, merge and rebuild: one
    definition each (docsites/cli.py), with the corpus defaults the crawl uses."""
    from pipelines import defaults
    names = ("keep_languages", "min_chars", "workers")
    verbs = [cli.get_command(None, verb) for verb in ("ingest", "merge", "rebuild")]
    described = [{p.name: (p.opts, p.default, p.help, str(p.type)) for p in verb.params if p.name in names}
                 for verb in verbs]
    assert all(d == described[0] for d in described) and set(described[0]) == set(names)
    assert described[0]["min_chars"][1] == defaults.MIN_DOCUMENT_CHARS
    assert described[0]["keep_languages"][1] == ",".join(defaults.KEEP_LANGUAGES)
