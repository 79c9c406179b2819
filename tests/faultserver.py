"""A hostile web site on loopback: every fault the crawler must survive, on one server.

`FaultServer().start()` serves, on 127.0.0.1 and a free port, ordinary document pages and a page
for each fault (`FAULTS`: path -> what it does and the outcome the crawl must give it). A second
server (`other`) on another port stands for "the same host, another port". Every request is logged
(path as sent, with its raw query), and `hostile = True` turns every document page into a failure
(a reset, a stall, a 500, in turn) — what a site does to pages the corpus already holds.

    server = FaultServer(tmp_path).start()
    run_crawl(db, {"start_urls": ",".join(server.start_urls())}, {"ALLOWED_ADDRESSES": "127.0.0.1", …})
    server.stop()

Kept under ~5 MiB a page, so the crawl's memory measures the crawler, not one enormous page.
"""
from __future__ import annotations

import gzip
import html
import os
import random
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from tests.sitefarm import ROBOTS, document_page, listing_page, make_text, make_title

N_DOCS = 8
BOMB_BYTES = 64 * 1024 * 1024      # what the gzip bomb inflates to (the crawl's DOWNLOAD_MAXSIZE is less)
BIG_BODY_BYTES = 12 * 1024 * 1024  # a body over the crawl's DOWNLOAD_MAXSIZE
LARGE_PAGE_CHARS = 300_000         # a real, large document page (~1 MB of UTF-8)
STALL_SECONDS = 4.0                # longer than the crawl's DOWNLOAD_TIMEOUT
GBK_QUERIES = ("q=%BF%C6%BC%BC&page=2", "q=%D5%FE%B8%AE&page=2")   # 科技, 政府 in GBK

# path -> (what it does, the outcome the crawl must give the URL linking/requesting it)
FAULTS = {
    "/error/500": ("500 on every request", "rejected:http_error"),
    "/busy/503": ("503 with Retry-After: 1, then the page", "documents"),
    "/busy/429": ("429 with Retry-After: 1, then the page", "documents"),
    "/reset": ("connection reset before any response", "rejected:fetch_error"),
    "/stall": ("headers never sent (stall past DOWNLOAD_TIMEOUT)", "rejected:fetch_error"),
    "/truncated.html": ("Content-Length larger than the body, then close", "rejected:fetch_error"),
    "/big": ("12 MiB body, over DOWNLOAD_MAXSIZE", "rejected:fetch_error"),
    "/large.html": ("a 300k-character document page (~1 MB)", "documents"),
    "/binary": ("binary body with an HTML content type", "rejected"),
    "/image": ("binary body, image/png", "rejected"),
    "/bomb.html": ("gzip bomb: 64 KiB that inflate to 64 MiB", "rejected:fetch_error"),
    "/loop/a": ("redirect loop /loop/a -> /loop/b -> /loop/a", "rejected:fetch_error"),
    "/go/other-port": ("redirect to the same host, another port", "rejected:fetch_error"),
    "/go/metadata": ("redirect to 169.254.169.254 (cloud metadata)", "rejected:fetch_error"),
    "/go/private-name": ("redirect to localhost (another name of this host)", "rejected:fetch_error"),
    "/go/file": ("redirect to file:///etc/passwd", "rejected"),
    "/go/known": ("redirect to a document fetched anyway", "one place"),
    "/cookie.html": ("a document page setting a session cookie", "documents"),
    "/calendar/2020-01": ("calendar trap: every month links the next", "rejected:not_a_document"),
    "/page/1": ("pagination trap: /page/N links /page/N+1", "rejected:not_a_document"),
    "/links.html": ("file://, ftp://, data: and credential links", "rejected:not_a_document"),
    "/gbk-search": ("two GBK-encoded search queries, distinct pages", "rejected:not_a_document"),
}


class FaultServer:
    def __init__(self, folder: str, seed: int = 0):
        self.folder = str(folder)
        self.rng = random.Random(f"faults-{seed}")
        self.log: list[str] = []
        self.lock = threading.Lock()
        self.hostile = False
        self.servers: list[ThreadingHTTPServer] = []
        self.docs: dict[str, str] = {}
        self.pages: dict[str, bytes] = {}
        self.counts: dict[str, int] = {}
        # a local file a page links to as file://: its text must never reach the corpus
        self.secret_file = os.path.join(self.folder, "secret.html")
        self.secret_phrase = "本机机密文件内容不得入库"
        with open(self.secret_file, "w", encoding="utf-8") as f:
            f.write(f"<html><body><p>{self.secret_phrase * 40}</p></body></html>")
        for i in range(1, N_DOCS + 1):
            self.add_document(f"/doc/{i}.html", i)
        self.add_document("/busy/503", 503)
        self.add_document("/busy/429", 429)
        self.add_document("/cookie.html", 90)
        large = "".join(f"<p>{p}</p>" for p in make_text(self.rng, 91, LARGE_PAGE_CHARS))
        self.docs["/large.html"] = "大型文档页面"
        self.pages["/large.html"] = (f"<html><head><meta charset='utf-8'><title>大型文档页面</title></head><body>"
                                     f"<article><h1>大型文档页面</h1>{large}</article></body></html>").encode()
        self.bomb = gzip.compress(b"\0" * BOMB_BYTES, compresslevel=9)

    def add_document(self, path: str, n: int) -> None:
        title = make_title(self.rng, n)
        self.docs[path] = title
        self.pages[path] = document_page("article", n, title, make_text(self.rng, n), "故障站点", "/", []).encode()

    # --- addresses -------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.servers[0].server_address[1]}"

    @property
    def other_base(self) -> str:
        return f"http://127.0.0.1:{self.servers[1].server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def start_urls(self) -> list[str]:
        """The home page, and many robots.txt-disallowed pages that wait for robots.txt together."""
        return [self.url("/")] + [self.url(f"/download/{i}") for i in range(12)]

    def hits(self, prefix: str) -> list[str]:
        with self.lock:
            return [p for p in self.log if p.startswith(prefix)]

    # --- pages -----------------------------------------------------------------------------
    def home(self) -> bytes:
        links = [(p, t) for p, t in self.docs.items() if p.startswith("/doc/")]
        links += [(p, what) for p, (what, _) in FAULTS.items()]
        links += [(f"/download/{i}", "下载") for i in range(20, 30)]
        links.append(("/go/3", "短链接"))
        return listing_page("故障站点", "首页", links).encode()

    def links_page(self) -> bytes:
        host = self.base.split("//", 1)[1]
        links = [
            (f"file://{host}{self.secret_file}", "本地文件"), (f"file://{self.secret_file}", "本地文件2"),
            (f"ftp://{host}/doc/1.html", "FTP"), ("data:text/html;charset=utf-8,%3Cp%3E数据%3C/p%3E", "数据"),
            (f"http://alice:s3cr3t-pw@{host}/doc/2.html", "带密码的链接"),
            (f"http://bob:hunter2@{host}/doc/{N_DOCS + 1}.html", "带密码的新链接"),
        ]
        return listing_page("故障站点", "奇怪的链接", links).encode()

    def route(self, handler, path: str):
        """(status, headers, body) or a string naming a raw action."""
        if path == "/robots.txt":
            return 200, {"Content-Type": "text/plain"}, ROBOTS
        if self.hostile and path in self.docs:
            return ("reset", "stall", (500, {}, b"oops"))[self.count("#hostile") % 3]
        if path == "/":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self.home()
        if path == "/links.html":
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self.links_page()
        if path in ("/busy/503", "/busy/429"):
            if self.count(path) == 1:
                return int(path[-3:]), {"Retry-After": "1", "Content-Type": "text/html"}, b"<p>busy</p>"
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self.pages[path]
        if path == "/cookie.html":
            return 200, {"Content-Type": "text/html; charset=utf-8",
                         "Set-Cookie": "SESSIONID=sess-abc123; Path=/; HttpOnly"}, self.pages[path]
        if path in self.pages:
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self.pages[path]
        if path == f"/doc/{N_DOCS + 1}.html":
            self.add_document(path, N_DOCS + 1)
            return 200, {"Content-Type": "text/html; charset=utf-8"}, self.pages[path]
        if path == "/error/500":
            return 500, {"Content-Type": "text/html"}, b"<p>Internal Server Error</p>"
        if path in ("/reset", "/stall", "/truncated.html"):
            return path.strip("/").split(".")[0]
        if path == "/big":
            return "big"
        if path == "/binary":
            return 200, {"Content-Type": "text/html"}, b"PK\x03\x04" + bytes(self.rng.randrange(256) for _ in range(4000))
        if path == "/image":
            return 200, {"Content-Type": "image/png"}, b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 20
        if path == "/bomb.html":
            return 200, {"Content-Type": "text/html", "Content-Encoding": "gzip"}, self.bomb
        if path == "/loop/a":
            return 302, {"Location": "/loop/b"}, b""
        if path == "/loop/b":
            return 302, {"Location": "/loop/a"}, b""
        if path == "/go/other-port":
            return 302, {"Location": self.other_base + "/doc/1.html"}, b""
        if path == "/go/metadata":
            return 302, {"Location": "http://169.254.169.254/latest/meta-data/"}, b""
        if path == "/go/private-name":
            return 302, {"Location": self.base.replace("127.0.0.1", "localhost") + "/doc/1.html"}, b""
        if path == "/go/file":
            return 302, {"Location": "file:///etc/passwd"}, b""
        if path in ("/go/known", "/go/3"):
            return 302, {"Location": "/doc/1.html" if path == "/go/known" else "/doc/3.html"}, b""
        if path.startswith("/calendar/"):
            year, month = map(int, path.rsplit("/", 1)[1].split("-"))
            nxt = f"/calendar/{year + month // 12}-{month % 12 + 1:02d}"
            return 200, {"Content-Type": "text/html; charset=utf-8"}, listing_page(
                "故障站点", f"{year}年{month}月", [("/", "首页")], nxt).encode()
        if path.startswith("/page/"):
            n = int(path.rsplit("/", 1)[1])
            return 200, {"Content-Type": "text/html; charset=utf-8"}, listing_page(
                "故障站点", f"第{n}页", [], f"/page/{n + 1}").encode()
        if path == "/gbk-search":
            links = [(f"/search?{q}", html.escape(q)) for q in GBK_QUERIES]
            return 200, {"Content-Type": "text/html; charset=utf-8"}, listing_page("故障站点", "搜索", links).encode()
        if path.startswith("/search?"):
            return 200, {"Content-Type": "text/html; charset=gbk"}, listing_page(
                "故障站点", f"搜索结果 {path}", [], None).encode("gbk")
        return 404, {"Content-Type": "text/html"}, b"<p>not found</p>"

    def count(self, key: str) -> int:
        with self.lock:
            self.counts[key] = self.counts.get(key, 0) + 1
            return self.counts[key]

    # --- the servers -----------------------------------------------------------------------
    def start(self) -> FaultServer:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True

            def do_GET(self):
                with server.lock:  # the second server's requests are logged as other:/path
                    server.log.append(("" if self.server is server.servers[0] else "other:") + self.path)
                answer = server.route(self, self.path)
                if answer == "reset":
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")
                    self.connection.close()
                    self.close_connection = True
                    return
                if answer == "stall":
                    time.sleep(STALL_SECONDS)
                    self.close_connection = True
                    return
                if answer == "truncated":
                    self.send_response(200)
                    self.send_header("Content-Type", "text/html; charset=utf-8")
                    self.send_header("Content-Length", "100000")
                    self.end_headers()
                    self.wfile.write("<html><body><p>截断的页面".encode())
                    self.close_connection = True
                    return
                if answer == "big":
                    self.send_response(200)
                    self.send_header("Content-Type", "application/octet-stream")
                    self.send_header("Content-Length", str(BIG_BODY_BYTES))
                    self.end_headers()
                    chunk = b"\xab" * 65536
                    try:
                        for _ in range(BIG_BODY_BYTES // len(chunk)):
                            self.wfile.write(chunk)
                    except OSError:
                        pass  # the crawler hung up at its size limit, as it should
                    self.close_connection = True
                    return
                status, headers, body = answer
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                try:
                    self.wfile.write(body)
                except OSError:
                    self.close_connection = True

            def log_message(self, format, *args):
                pass

        for _ in range(2):
            httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            httpd.daemon_threads = True
            threading.Thread(target=httpd.serve_forever, daemon=True).start()
            self.servers.append(httpd)
        return self

    def stop(self) -> None:
        for httpd in self.servers:
            httpd.shutdown()
            httpd.server_close()
