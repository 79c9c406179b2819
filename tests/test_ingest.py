"""`docsites ingest`: extraction in worker processes, batched commits, the corpus a single process
would build, crash safety under kill -9, and progress on a terminal and in a log."""
import fcntl
import io
import os
import pty
import select
import signal
import sqlite3
import struct
import subprocess
import sys
import termios
import time

from click.testing import CliRunner
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from docsites.cli import cli
from pipelines import search, store
from pipelines.extract.convert import to_traditional
from tests.proctree import children
from tests.test_dedup import html, report

BIN = os.path.dirname(sys.executable)


def write_warc(path, n_reports: int, seed: int = 0) -> int:
    """A WARC of `n_reports` reports, each on up to three sites (a full copy, a truncated preview,
    a traditional-script mirror in Big5), a GBK page, an English page and a 404 among them;
    returns the number of response records."""
    records = []
    for i in range(n_reports):
        text = report(seed + i, 1200)
        records.append((f"http://a.example/doc/{i}.html", html(f"报告{i}", text), "text/html; charset=utf-8", 200))
        if i % 2 == 0:
            records.append((f"http://b.example/p-{i}.html", html(f"报告{i}", text[:700]), "text/html", 200))
        if i % 3 == 0:
            body = to_traditional(html(f"报告{i}", text).decode("utf-8")).replace("charset='utf-8'", "charset='big5'")
            records.append((f"http://tw.example/article/{i}", body.encode("big5", errors="xmlcharrefreplace"),
                            "text/html", 200))
    gbk = html("报告GBK", report(seed + 999, 1200)).decode("utf-8").replace("charset='utf-8'", "charset='gbk'")
    records.append(("http://c.example/gbk.html", gbk.encode("gbk"), "text/html; charset=gbk", 200))
    english = ("<html><body><article>" + "<p>This annual report describes the work of the bureau in detail.</p>" * 20
               + "</article></body></html>")
    records.append(("http://d.example/en.html", english.encode(), "text/html", 200))
    records.append(("http://d.example/missing.html", b"<html><body>not found</body></html>", "text/html", 404))
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for url, body, content_type, status in records:
            http = StatusAndHeaders(f"{status} X", [("Content-Type", content_type)], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(body), http_headers=http))
    return len(records)


def corpus(db_path) -> dict:
    """What a corpus holds, without the clock: equal for two runs that stored the same."""
    conn = sqlite3.connect(db_path)
    try:
        return {
            "documents": conn.execute("SELECT id, url, part, title, text, lang, traditional, truncated, content_hash "
                                      "FROM documents ORDER BY id").fetchall(),
            "duplicates": conn.execute("SELECT url, part, dup_of, kind, similarity FROM duplicates "
                                       "ORDER BY url, part").fetchall(),
            "rejected": conn.execute("SELECT url, part, reason FROM rejected ORDER BY url, part").fetchall(),
            "pages": conn.execute("SELECT url, sha1, encoding FROM pages ORDER BY url").fetchall(),
            "signatures": conn.execute("SELECT doc_id, sig, psig FROM dedup_signatures ORDER BY doc_id").fetchall(),
        }
    finally:
        conn.close()


def ingest(*args, env=None):
    return CliRunner(env=env).invoke(cli, ["ingest", *args], catch_exceptions=False)


def test_workers_build_the_corpus_one_process_builds(tmp_path):
    warc = str(tmp_path / "pages.warc.gz")
    n = write_warc(warc, 24)
    one, two = str(tmp_path / "one.db"), str(tmp_path / "two.db")
    assert ingest(warc, "--db", one, "--workers", "1").exit_code == 0
    result = ingest(warc, "--db", two, "--workers", "2", "--batch", "7")
    assert result.exit_code == 0, result.output
    assert corpus(one) == corpus(two)
    db = store.open_db(two)
    assert store.check_invariant(db) == [] and search.check(db) == []
    assert db["pages"].count == n
    reasons = dict(db.execute("SELECT reason, count(*) FROM rejected GROUP BY reason").fetchall())
    assert reasons == {"language": 1, "http_error": 1}
    kinds = dict(db.execute("SELECT kind, count(*) FROM duplicates GROUP BY kind").fetchall())
    assert kinds.get("contained") and kinds.get("exact", 0) + kinds.get("near", 0) >= 8  # previews, mirrors
    assert db.execute("SELECT count(*) FROM documents WHERE url LIKE 'http://tw.example/%'").fetchone()[0] == 0
    assert db.execute("SELECT encoding FROM pages WHERE url = 'http://c.example/gbk.html'").fetchone()[0] in (
        "gbk", "gb18030")


def test_each_batch_is_one_transaction(tmp_path):
    """--batch 5: the pages of a run arrive in commits of 5 (a reader sees 0, 5, 10 …),
    never a page without its outcome."""
    warc = str(tmp_path / "pages.warc.gz")
    n = write_warc(warc, 18)
    db_path = str(tmp_path / "corpus.db")
    store.open_db(db_path).close()
    proc = subprocess.Popen([os.path.join(BIN, "docsites"), "ingest", warc, "--db", db_path, "--batch", "5",
                             "--batch-seconds", "60"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    seen = set()
    while proc.poll() is None:
        conn = sqlite3.connect(db_path)
        try:
            pages, outcomes = conn.execute(
                "SELECT (SELECT count(*) FROM pages), (SELECT count(DISTINCT url) FROM "
                "(SELECT url FROM documents UNION ALL SELECT url FROM duplicates UNION ALL SELECT url FROM rejected))"
            ).fetchone()
        finally:
            conn.close()
        assert pages == outcomes
        seen.add(pages)
        time.sleep(0.02)
    assert proc.returncode == 0
    assert all(p % 5 == 0 or p == n for p in seen), sorted(seen)


def test_kill_9_keeps_every_committed_batch_whole_and_a_rerun_finishes(tmp_path):
    warc = str(tmp_path / "pages.warc.gz")
    write_warc(warc, 150, seed=50)
    reference = str(tmp_path / "reference.db")
    assert ingest(warc, "--db", reference).exit_code == 0
    db_path = str(tmp_path / "killed.db")
    cmd = [os.path.join(BIN, "docsites"), "ingest", warc, "--db", db_path, "--batch", "20", "--batch-seconds", "60"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        try:
            conn = sqlite3.connect(db_path)
            if conn.execute("SELECT count(*) FROM pages").fetchone()[0] >= 40:
                break
        except sqlite3.OperationalError:  # schema not there yet
            pass
        finally:
            conn.close()
    assert proc.poll() is None, "ingest finished before it could be killed; give it more pages"
    os.killpg(proc.pid, signal.SIGKILL)  # the workers too
    proc.wait()
    db = store.open_db(db_path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert store.check_invariant(db) == [] and search.check(db) == []
    stored = db["pages"].count
    assert 0 < stored < len(corpus(reference)["pages"]) and stored % 20 == 0
    db.close()
    subprocess.run(cmd, check=True, capture_output=True)
    assert corpus(db_path) == corpus(reference)


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def test_workers_leave_when_the_ingest_is_killed(tmp_path):
    warc = str(tmp_path / "pages.warc.gz")
    write_warc(warc, 150, seed=7)
    proc = subprocess.Popen([os.path.join(BIN, "docsites"), "ingest", warc, "--db", str(tmp_path / "c.db"),
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers, deadline = [], time.time() + 60
    while len(workers) < 2 and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
        workers = children(proc.pid)
    assert len(workers) >= 2, "the workers did not start"
    os.kill(proc.pid, signal.SIGKILL)  # only the ingest: nobody is left to stop its workers
    proc.wait()
    deadline = time.time() + 10
    while any(alive(w) for w in workers) and time.time() < deadline:
        time.sleep(0.1)
    left = [w for w in workers if alive(w)]
    for w in left:  # do not leave them behind when the test fails
        os.kill(w, signal.SIGKILL)
    assert not left, "extraction workers outlived the killed ingest"


def test_progress_is_a_log_line_when_not_on_a_terminal(tmp_path):
    warc = str(tmp_path / "pages.warc.gz")
    n = write_warc(warc, 6)
    result = ingest(warc, "--db", str(tmp_path / "c.db"), env={"DOCSITES_PROGRESS_SECONDS": "0"})
    assert result.exit_code == 0
    lines = [x for x in result.stderr.splitlines() if x.startswith("ingest: ")]
    assert len(lines) == n + 1  # one a page at a 0 s interval, and the last
    assert lines[-1].startswith(f"ingest: {n}/{n} pages (100%), ") and " pages/s, ETA 0s" in lines[-1]
    assert "\r" not in result.stderr
    quiet = ingest(warc, "--db", str(tmp_path / "d.db"))  # the default interval: only the last line
    assert [x for x in quiet.stderr.splitlines() if x.startswith("ingest: ")] == [
        x for x in quiet.stderr.splitlines() if x.startswith(f"ingest: {n}/{n}")]


def on_a_terminal(cmd) -> str:
    """Run `cmd` with its stderr on a pseudo-terminal; what it wrote there."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 120, 0, 0))  # as a terminal window has
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=follower)
    os.close(follower)
    out = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        out += chunk
    proc.wait(timeout=60)
    os.close(leader)
    assert proc.returncode == 0, out
    return out.decode("utf-8", "replace")


def test_progress_is_a_bar_on_a_terminal(tmp_path):
    warc = str(tmp_path / "pages.warc.gz")
    n = write_warc(warc, 6)
    db_path = str(tmp_path / "c.db")
    shown = on_a_terminal([os.path.join(BIN, "docsites"), "ingest", warc, "--db", db_path])
    assert "\r" in shown and f"{n}/{n} [" in shown and "pages/s]" in shown and "100%|" in shown
    rebuilt = on_a_terminal([os.path.join(BIN, "docsites"), "rebuild", "--db", db_path, "--workers", "1"])
    assert "rebuild: 100%|" in rebuilt and f"{n}/{n} [" in rebuilt


def test_rebuild_progress_is_a_log_line_when_not_on_a_terminal(tmp_path):
    warc = str(tmp_path / "pages.warc.gz")
    n = write_warc(warc, 4)
    db_path = str(tmp_path / "c.db")
    assert ingest(warc, "--db", db_path).exit_code == 0
    result = CliRunner(env={"DOCSITES_PROGRESS_SECONDS": "0"}).invoke(
        cli, ["rebuild", "--db", db_path, "--workers", "1"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    lines = [x for x in result.stderr.splitlines() if x.startswith("rebuild: ")]
    assert lines[-1].startswith(f"rebuild: {n}/{n} pages (100%), ") and "\r" not in result.stderr
