"""Scheduled crawls through Scrapyd (docs/scheduling.md): a real `scrapyd` on loopback, the project
deployed with `scrapyd-deploy` (a zipped egg: profiles, rules and families are read through
importlib.resources), a crawl of the demo site scheduled through schedule.json, its documents
found in the database named by the job's CORPUS_DB."""
import json
import os
import shutil
import socket
import subprocess
import time
import urllib.parse
import urllib.request

import pytest

from pipelines import store
from tests.conftest import BIN, ROOT

SCRAPYD = os.path.join(BIN, "scrapyd")
DEPLOY = os.path.join(BIN, "scrapyd-deploy")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, endpoint: str, data: list[tuple[str, str]] | None = None) -> dict:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    with urllib.request.urlopen(f"{base}/{endpoint}", data=body, timeout=120) as r:  # listspiders runs `scrapy list`
        return json.loads(r.read())


@pytest.fixture
def scrapyd(tmp_path):
    """A Scrapyd of its own on a free loopback port, its eggs, logs and databases under tmp_path."""
    if not (os.path.exists(SCRAPYD) and os.path.exists(DEPLOY)):
        pytest.skip("scrapyd / scrapyd-client are not installed (the test extra has them)")
    home = tmp_path / "scrapyd"
    home.mkdir()
    port = free_port()
    (home / "scrapyd.conf").write_text(
        "[scrapyd]\n"
        f"bind_address = 127.0.0.1\nhttp_port = {port}\n"
        f"eggs_dir = {home / 'eggs'}\nlogs_dir = {home / 'logs'}\ndbs_dir = {home / 'dbs'}\n"
        "items_dir =\njobs_to_keep = 5\nmax_proc = 1\npoll_interval = 0.5\n")
    with open(home / "scrapyd.log", "w+") as log:  # read back below if Scrapyd exits early
        proc = subprocess.Popen([SCRAPYD], cwd=home, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(200):
                try:
                    if call(base, "daemonstatus.json")["status"] == "ok":
                        break
                except OSError:
                    time.sleep(0.1)
                if proc.poll() is not None:
                    break
            else:
                pytest.fail("scrapyd did not answer")
            if proc.poll() is not None:
                log.seek(0)
                pytest.fail(f"scrapyd exited: {log.read()[-2000:]}")
            yield base, home
        finally:
            proc.terminate()
            proc.wait(10)


def test_deploy_and_schedule_a_crawl_of_the_demo_site(scrapyd, demo_site, tmp_path):
    base, home = scrapyd
    # scrapyd-deploy reads targets from scrapy.cfg files, ~/.config/scrapy.cfg among them: a target
    # for this Scrapyd there, the project's own scrapy.cfg untouched
    config = tmp_path / "config"
    config.mkdir()
    (config / "scrapy.cfg").write_text(f"[deploy:test]\nurl = {base}/\nproject = docsites\n")
    env = {**os.environ, "XDG_CONFIG_HOME": str(config)}
    deployed = subprocess.run([DEPLOY, "test", "--version", "1"], cwd=ROOT, env=env, capture_output=True,
                              text=True, timeout=120)
    assert deployed.returncode == 0, deployed.stdout + deployed.stderr
    assert '"status": "ok"' in deployed.stdout, deployed.stdout + deployed.stderr
    assert call(base, "listspiders.json?project=docsites")["spiders"] == ["docsites"]
    eggs = list((home / "eggs" / "docsites").glob("*.egg"))
    assert eggs, "no egg was deployed"

    corpus = tmp_path / "scheduled.db"
    job = call(base, "schedule.json", [
        ("project", "docsites"), ("spider", "docsites"), ("start_urls", demo_site),
        ("setting", f"CORPUS_DB={corpus}"), ("setting", "AUTOTHROTTLE_ENABLED=False"),
        ("setting", "DOWNLOAD_DELAY=0"), ("setting", "EXTRACT_WORKERS=1"),
        ("setting", "ALLOWED_ADDRESSES=127.0.0.1"),  # the loopback demo site (SSRF guard)
    ])
    assert job["status"] == "ok", job
    job_id = job["jobid"]
    deadline = time.monotonic() + 300  # a crawl of 10 pages; minutes only on a loaded machine
    while time.monotonic() < deadline:
        jobs = call(base, "listjobs.json?project=docsites")
        if any(j["id"] == job_id for j in jobs["finished"]):
            break
        time.sleep(0.5)
    else:
        pytest.fail(f"the job did not finish: {jobs}")

    log = (home / "logs" / "docsites" / "docsites" / f"{job_id}.log").read_text(encoding="utf-8")
    assert "Spider closed (finished)" in log, log[-3000:]
    assert "Traceback" not in log, log[-3000:]
    assert corpus.exists(), f"the job wrote no {corpus}: {log[-2000:]}"
    db = store.open_db(str(corpus))
    titles = {r[0] for r in db.execute("SELECT title FROM documents")}
    assert db["documents"].count >= 3, (titles, log[-2000:])
    assert store.check_invariant(db) == []
    run = next(db["crawl_runs"].rows)
    assert run["finish_reason"] == "finished"


def test_scrapyd_deploy_is_the_documented_target():
    """scrapy.cfg's own [deploy] target names this project and the settings module Scrapyd loads."""
    import configparser
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "scrapy.cfg"))
    assert cfg["deploy"]["project"] == "docsites"
    assert cfg["settings"]["default"] == "crawler.settings"
    assert shutil.which("scrapyd-deploy", path=BIN)
