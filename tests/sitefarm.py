"""Fake document sites on loopback, for crawler tests and benchmarks.

Each `FakeSite` is a threaded HTTP/1.1 server of its own on 127.0.0.1 (own port, own robots.txt),
serving pages from a route table that a test can change between crawls. It logs every request
(time, path, headers), answers conditional requests (ETag / Last-Modified -> 304) and can add a
per-response latency, as real servers have.

Pages are built from the chrome-family templates in `tests/fixtures/sites/families/` and
synthetic Chinese bodies (`make_text`): distinct per document, so no two fixture documents are
duplicates of each other.

    farm = SiteFarm()
    site = farm.add(profile_site("wnwk", n_docs=12))
    farm.start()            # site.base == "http://127.0.0.1:PORT"
    ...
    farm.stop()
"""
from __future__ import annotations

import email.utils
import hashlib
import html
import os
import random
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

FAMILIES_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures", "sites", "families")
ROBOTS = b"User-agent: *\nDisallow: /download/\n"
LAST_MODIFIED = email.utils.formatdate(1_700_000_000, usegmt=True)


# --- synthetic documents ----------------------------------------------------------------------
PLACES = """东城 西湖 南山 北塘 青云 白沙 金水 龙岗 松江 桂林 柳河 江宁 海门 石城 永安 长宁 黄岩 红旗 新华 兴隆 凤凰 清河 平遥
云岭 安平 乐山 宁远 通州 河口 太和 临江 双桥 望城 鹿泉 滨海 嘉禾 华容 紫阳 丰润 玉泉 兰溪 昌平 沙坪 高陵 富顺 洪山 德安 秀屿
汉阳 梅江 新城 崇明 花溪 惠阳 曲江 江北 钟楼 雁塔 香洲 武侯 镇海 城阳 芙蓉 天心 开福""".split()
UNITS = """科技局 教育局 财政局 农业农村局 卫生健康委 人社局 文旅局 住建局 交通运输局 市场监管局 统计局 水利局 民政局 商务局
生态环境局 自然资源局 应急管理局 审计局 司法局 退役军人事务局 医保局 林业局 粮食和物资储备局 税务局 档案馆 发改委 工信局
城管局 信访局 机关事务局""".split()
TOPICS = """科技创新 成果转化 人才引进 项目申报 企业培育 知识产权 平台建设 资金管理 安全生产 作风建设 乡村振兴 数字经济
校企合作 标准制定 质量提升 招商引资 营商环境 民生实事 信息公开 应急管理 绿色发展 基层治理 产业升级 对外合作 河长制
污染防治 耕地保护 医疗保障 义务教育 职业培训 就业创业 社会救助 养老服务 文物保护 公共文化 全民健身 食品安全 药品监管
统计调查 审计监督 法治宣传 人民调解 档案管理 政务服务 网格管理 城市更新 老旧小区改造 燃气安全 防汛抗旱 森林防火 冬季供暖
粮食收储 价格监测 节能降耗 碳达峰 数据共享 电子政务 信用体系 减税降费 融资担保 农村电商 冷链物流 高标准农田 种业振兴""".split()
VERBS = """扎实推进 全面落实 持续深化 大力开展 稳步实施 积极探索 不断完善 认真组织 切实加强 统筹推进 着力优化 加快构建
深入推动 聚焦抓好 严格落实 有序推进 协同推进 重点抓好 全力保障 创新开展""".split()
RESULTS = """取得了明显成效 完成了年度目标 得到了上级肯定 形成了工作合力 群众满意度不断提升 带动了区域经济发展
为下一步工作打下了坚实基础 各项指标稳中有进 工作机制更加健全 服务能力显著增强 超额完成了目标任务 受到社会各界好评
短板弱项逐步补齐 典型经验在全市推广 风险隐患得到有效管控 基础数据实现动态更新""".split()
KINDS = "工作总结 工作计划 述职报告 调研报告 实施方案 工作要点 情况汇报".split()
OBJECTS = "家企业 个项目 人次 场活动 项成果 个村 所学校 个社区 户家庭 公里道路 亩土地 件案件 条意见 个平台".split()
ACTIONS = "新增 完成 服务 走访 培训 整改 验收 受理 办结 摸排 核查 签约 认定 申报 建成".split()
TEMPLATES = (
    "{v}{t}工作，{p}{u}围绕{t2}和{t3}，累计投入{n}万元，{a}{m}{o}，{r}。",
    "在{t}方面，我们坚持问题导向，{v}{t2}，全年{a}{m}{o}，较上年增长{pct}%，{r}。",
    "针对{t}中存在的薄弱环节，{p}{u}{v}{t2}专项行动，{a}{m}{o}，涉及资金{n}万元。",
    "下一步，将继续{v}{t}，把{t2}与{t3}结合起来，力争{a}{m}{o}以上，确保{r}。",
    "{p}{u}联合相关部门开展{t}督查{m2}次，发现问题{m3}个，已{a}{m4}个，整改率达到{pct}%。",
)


def make_title(rng: random.Random, n: int) -> str:
    return f"{2018 + n % 7}年{rng.choice(PLACES)}区{rng.choice(UNITS)}{rng.choice(KINDS)}（第{n}号）"


def make_text(rng: random.Random, n: int, min_chars: int = 400) -> list[str]:
    """Paragraphs of a plausible, unique work report (≥ min_chars characters)."""
    place, unit = rng.choice(PLACES), rng.choice(UNITS)
    paras, total = [], 0
    while total < min_chars:
        sentences = []
        for _ in range(rng.randint(3, 5)):
            sentences.append(rng.choice(TEMPLATES).format(
                v=rng.choice(VERBS), t=rng.choice(TOPICS), t2=rng.choice(TOPICS), t3=rng.choice(TOPICS),
                p=place, u=unit, n=rng.randint(11, 99999), a=rng.choice(ACTIONS), m=rng.randint(3, 9999),
                m2=rng.randint(2, 99), m3=rng.randint(2, 999), m4=rng.randint(1, 999), o=rng.choice(OBJECTS),
                r=rng.choice(RESULTS), pct=f"{rng.uniform(1, 99):.1f}"))
        para = f"{'一二三四五六七八九十'[len(paras) % 10]}、" + "".join(sentences)
        paras.append(para)
        total += len(para)
    paras.append(f"（编号{n:06d}）")
    return paras


def template(family: str) -> str:
    with open(os.path.join(FAMILIES_DIR, f"{family}.html"), encoding="utf-8") as f:
        return f.read()


def document_page(family: str, doc_id: int, title: str, paragraphs: list[str], site_title: str,
                  listing: str, related: list[tuple[str, str]]) -> str:
    body = "</p>\n<p>".join(html.escape(p) for p in paragraphs)
    links = "".join(f'<li><a href="{html.escape(u)}">{html.escape(t[:12])}...</a></li>' for u, t in related)
    return template(family).format(
        title=html.escape(title), body=body, id=doc_id, site_title=site_title, listing=listing,
        keywords=" ".join(title[i:i + 2] for i in range(0, min(len(title), 10), 2)),
        related=f"<ul>{links}</ul>",
    )


def listing_page(site_title: str, heading: str, links: list[tuple[str, str]], next_url: str | None = None) -> str:
    items = "".join(f'<li><a href="{html.escape(u)}">{html.escape(t)}</a></li>' for u, t in links)
    nxt = f'<a href="{html.escape(next_url)}">下一页</a>' if next_url else ""
    return (f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>{heading} - {site_title}</title>'
            f'</head><body><div class="nav"><a href="/">首页</a></div><h1>{heading}</h1><ul>{items}</ul>{nxt}'
            f'</body></html>')


# --- the server -------------------------------------------------------------------------------
@dataclass
class Reply:
    body: bytes = b""
    status: int = 200
    headers: dict = field(default_factory=dict)
    validators: bool = True  # send ETag / Last-Modified and answer conditional requests

    @classmethod
    def html(cls, text: str, status: int = 200, charset: str = "utf-8", headers: dict | None = None,
             **kw) -> Reply:
        return cls(text.encode(charset), status, {"Content-Type": f"text/html; charset={charset}", **(headers or {})},
                   **kw)


class FakeSite:
    """One site: `routes` maps a path (with its query string) to a Reply, or to a callable taking
    (site, request headers) and returning one."""

    def __init__(self, name: str, latency: float = 0.0):
        self.name = name
        self.latency = latency
        self.routes: dict = {"/robots.txt": Reply(ROBOTS, headers={"Content-Type": "text/plain"}, validators=False)}
        self.log: list[tuple[float, str, dict]] = []
        self.lock = threading.Lock()
        self.server: ThreadingHTTPServer | None = None
        self.docs: dict[str, str] = {}  # path of each document page -> its title (what tests expect stored)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def hits(self, path: str | None = None, prefix: str | None = None) -> list[tuple[float, str, dict]]:
        with self.lock:
            return [e for e in self.log if (path is None or e[1] == path) and (prefix is None or e[1].startswith(prefix))]

    def reset_log(self) -> None:
        with self.lock:
            self.log.clear()

    def start(self) -> FakeSite:
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Without TCP_NODELAY the body, written after the headers, waits for the client's
            # delayed ACK of them: ~40 ms a response on Linux loopback, a latency nobody asked for.
            disable_nagle_algorithm = True

            def do_GET(self):
                with site.lock:
                    site.log.append((time.monotonic(), self.path, dict(self.headers)))
                if site.latency:
                    time.sleep(site.latency)
                route = site.routes.get(self.path)
                if callable(route):
                    route = route(site, self.headers)
                if route is None:
                    route = Reply.html(listing_page(site.name, "页面不存在", []), status=404, validators=False)
                headers = dict(route.headers)
                status, body = route.status, route.body
                if route.validators and status == 200:
                    etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
                    headers.setdefault("ETag", etag)
                    headers.setdefault("Last-Modified", LAST_MODIFIED)
                    if self.headers.get("If-None-Match") == headers["ETag"]:
                        status, body = 304, b""
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()


class SiteFarm:
    def __init__(self):
        self.sites: dict[str, FakeSite] = {}

    def add(self, site: FakeSite) -> FakeSite:
        self.sites[site.name] = site
        return site

    def start(self) -> SiteFarm:
        for site in self.sites.values():
            site.start()
        return self

    def stop(self) -> None:
        for site in self.sites.values():
            site.stop()

    def base_urls(self) -> dict[str, str]:
        return {name: site.base for name, site in self.sites.items()}

    def __getitem__(self, name: str) -> FakeSite:
        return self.sites[name]


# --- sites shaped like the shipped profiles ---------------------------------------------------
# URL shapes of each profile's document pages (doc-sites.md), its listing pages and search page.
PROFILE_SHAPES = {
    "wnwk": dict(family="kv-header", title="汇文网", doc="/doc/{id}.html", listing="/list/zongjie/{n}.html",
                 search="/search/?q={q}"),
    "renrendoc": dict(family="read-wall", title="人人文库", doc=("/paper/{id}.html", "/p-{id}.html"),
                      listing="/list/kejiju-{n}.html", search="/search.html?q={q}"),
    "jinchutou": dict(family="seller-list", title="金锄头文库", doc="/p-{id}.html", listing="/list-{n}.html",
                      search="/search.html?q={q}"),
    "31ppt": dict(family="member-share", title="三一办公", doc="/d-{id}.html", listing="/list-{n}.html",
                  search="/search.html?q={q}"),
    "wenke99": dict(family="member-share", title="文客久久", doc="/p-{id}.html", listing="/list-{n}.html",
                    search="/search.html?q={q}"),
    "laojin123": dict(family="article", title="老金范文", doc="/article/{id}", listing="/list/fanwen/{n}",
                      search="/search?q={q}"),
}


def padding(kb: int, rng: random.Random) -> str:
    """~kb KiB of the chrome real doc-site pages carry: a category menu, scripts, styles."""
    if kb <= 0:
        return ""
    menu = "".join(f'<li><a href="/topic/{i}.html">{rng.choice(PLACES)}{rng.choice(TOPICS)}</a></li>' for i in range(kb * 8))
    script = "var cfg={" + ",".join(f'"k{i}":"{rng.random():.8f}"' for i in range(kb * 12)) + "};"
    return f'<ul class="menu">{menu}</ul><script>{script}</script><style>.menu li{{float:left}}</style>'


def profile_site(name: str, n_docs: int = 8, per_listing: int = 4, first_id: int = 1000, seed: int = 0,
                 latency: float = 0.0, query: str | None = None, body_chars: int = 400,
                 padding_kb: int = 0) -> FakeSite:
    """A site with the URL shapes and chrome family of profile `name`: a home page, paginated
    listings, `n_docs` document pages, links the profile must not follow (downloads — also
    disallowed by robots.txt —, login) and tracking-parameter spellings of document links. With
    `query`, its search page lists the first half of the documents."""
    shape = PROFILE_SHAPES[name]
    site = FakeSite(name, latency)
    rng = random.Random(f"{name}-{seed}")
    doc_shapes = shape["doc"] if isinstance(shape["doc"], tuple) else (shape["doc"],)
    ids = [first_id + i for i in range(n_docs)]
    paths = [doc_shapes[i % len(doc_shapes)].format(id=doc_id) for i, doc_id in enumerate(ids)]
    titles = [make_title(rng, doc_id) for doc_id in ids]
    n_listings = max(1, -(-n_docs // per_listing))
    listing_paths = [shape["listing"].format(n=n + 1) for n in range(n_listings)]
    for i, (doc_id, path, title) in enumerate(zip(ids, paths, titles, strict=True)):
        related = [(paths[j], titles[j]) for j in (i - 1, (i + 1) % n_docs) if 0 <= j < n_docs and j != i]
        page = document_page(shape["family"], doc_id, title, make_text(rng, doc_id, body_chars), shape["title"],
                             listing_paths[0], related)
        if padding_kb:
            page = page.replace("</body>", padding(padding_kb, rng) + "</body>")
        site.routes[path] = Reply.html(page)
        site.routes[f"/download/{doc_id}"] = Reply(b"PK\x03\x04 binary", headers={"Content-Type": "application/octet-stream"})
        site.docs[path] = title
    for n, lpath in enumerate(listing_paths):
        chunk = list(zip(paths, titles, strict=True))[n * per_listing:(n + 1) * per_listing]
        links = chunk + [(f"/download/{ids[n * per_listing]}", "下载"), ("/user/login", "登录")]
        if chunk:  # the same document again, with tracking parameters: one page after canonicalisation
            links.append((chunk[0][0] + "?spm=a2c4e.11153940&utm_source=list", "推荐"))
        nxt = listing_paths[n + 1] if n + 1 < n_listings else None
        site.routes[lpath] = Reply.html(listing_page(shape["title"], f"文档列表 第{n + 1}页", links, nxt))
    site.routes["/"] = Reply.html(listing_page(shape["title"], "首页", [(listing_paths[0], "最新文档")]
                                               + list(zip(paths, titles, strict=True))[:2]))
    if query:
        q = quote(query).replace("%20", "+")
        half = list(zip(paths, titles, strict=True))[: max(1, n_docs // 2)]
        site.routes[shape["search"].format(q=q)] = Reply.html(listing_page(shape["title"], f"搜索:{query}", half))
    return site


def add_document(site: FakeSite, name: str, doc_id: int, listing_n: int = 1, seed: int = 99) -> str:
    """A new document on a profile site, linked from listing page `listing_n`; returns its path."""
    shape = PROFILE_SHAPES[name]
    rng = random.Random(f"{name}-new-{doc_id}-{seed}")
    path = (shape["doc"][0] if isinstance(shape["doc"], tuple) else shape["doc"]).format(id=doc_id)
    title = make_title(rng, doc_id)
    site.routes[path] = Reply.html(document_page(shape["family"], doc_id, title, make_text(rng, doc_id),
                                                 shape["title"], "/", []))
    site.docs[path] = title
    lpath = shape["listing"].format(n=listing_n)
    old = site.routes[lpath].body.decode("utf-8")
    site.routes[lpath] = Reply.html(old.replace("<ul>", f'<ul><li><a href="{path}">{html.escape(title)}</a></li>', 1))
    return path


def change_document(site: FakeSite, name: str, path: str, seed: int = 7) -> None:
    """Give a document page a new body (a revised upload): same URL, new text."""
    shape = PROFILE_SHAPES[name]
    rng = random.Random(f"{path}-changed-{seed}")
    doc_id = int("".join(c for c in path if c.isdigit()))
    site.routes[path] = Reply.html(document_page(shape["family"], doc_id, site.docs[path],
                                                 make_text(rng, doc_id + 7), shape["title"], "/", []))


# --- a site for generic mode, with every trap the crawler must survive --------------------------
def generic_site(n_docs: int = 6, seed: int = 0, latency: float = 0.0, trap: bool = True) -> FakeSite:
    """Generic mode's fixture: documents of several chrome families under /doc/N.html, a listing,
    a 404 link, a 503 with Retry-After (then 200), a redirect, a GBK page whose charset is only in
    the HTTP header, robots.txt-disallowed download links, tracking and session-id spellings, and
    an endless pagination trap (/trap/N links to /trap/N+1)."""
    site = FakeSite("generic", latency)
    rng = random.Random(f"generic-{seed}")
    families = ["kv-header", "article", "member-share", "read-wall", "seller-list", "uploader-coins"]
    links = []
    for i in range(1, n_docs + 1):
        path = f"/doc/{i}.html"
        title = make_title(rng, i)
        site.routes[path] = Reply.html(document_page(families[i % len(families)], i, title, make_text(rng, i),
                                                     "通用文库", "/list/2.html", [("/doc/1.html", "第一篇")]))
        site.docs[path] = title
        links.append((path, title))
    # 503 with Retry-After on the first request, the document after
    busy_title = make_title(rng, 501)
    busy_page = Reply.html(document_page("article", 501, busy_title, make_text(rng, 501), "通用文库", "/", []))
    site.docs["/busy.html"] = busy_title

    def busy(site_, headers):
        if len(site_.hits("/busy.html")) <= 1:
            return Reply.html(listing_page("通用文库", "服务器繁忙", []), status=503,
                              headers={"Retry-After": "1"}, validators=False)
        return busy_page
    site.routes["/busy.html"] = busy
    # GBK, charset only in the Content-Type header (no <meta>)
    gbk_title = "2022年青云区统计局统计工作总结（国标码）"
    gbk_body = "".join(f"<p>{p}</p>" for p in make_text(rng, 777))
    gbk_html = (f"<html><head><title>{gbk_title}</title></head><body><div class='nav'><a href='/'>首页</a></div>"
                f"<article><h1>{gbk_title}</h1>{gbk_body}<p>统计数据质量稳步提升。</p></article></body></html>")
    site.routes["/gbk.html"] = Reply(gbk_html.encode("gbk"), headers={"Content-Type": "text/html; charset=GBK"})
    site.docs["/gbk.html"] = gbk_title
    # a redirect to a document that is also linked directly
    site.routes["/go/3"] = Reply(b"", status=301, headers={"Location": "/doc/3.html"}, validators=False)
    # the endless pagination trap
    if trap:
        def trap_page(n):
            return Reply.html(listing_page("通用文库", f"归档 第{n}页", [("/", "首页")], f"/trap/{n + 1}"))
        for n in range(1, 500):
            site.routes[f"/trap/{n}"] = trap_page(n)
    home_links = links[: n_docs // 2] + [
        ("/list/2.html", "更多文档"), ("/missing.html", "已删除的文档"), ("/busy.html", "热门文档"),
        ("/gbk.html", "统计工作总结"), ("/go/3", "短链接"), ("/download/1", "下载"),
        ("/doc/2.html?utm_source=home&spm=1.2.3", "推荐"), ("/doc/1.html;jsessionid=ABC123", "会话"),
    ] + ([("/trap/1", "归档")] if trap else [])
    site.routes["/"] = Reply.html(listing_page("通用文库", "首页", home_links))
    site.routes["/list/2.html"] = Reply.html(listing_page("通用文库", "文档列表 第2页", links[n_docs // 2:]))
    site.routes["/download/1"] = Reply(b"PK\x03\x04", headers={"Content-Type": "application/octet-stream"})
    return site


# --- running the real `scrapy crawl docsites` -------------------------------------------------
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TEST_SETTINGS = {
    "AUTOTHROTTLE_ENABLED": "False", "DOWNLOAD_DELAY": "0", "LOG_LEVEL": "INFO",
    "EXTRACT_WORKERS": "1", "RETRY_BACKOFF_BASE": "0.2", "TELNETCONSOLE_ENABLED": "False",
    # every fake site is on 127.0.0.1: one download slot, without the profiles' real-site delays
    "DOWNLOAD_SLOTS": {"127.0.0.1": {"delay": 0, "concurrency": 8}},
    # the fake sites live on loopback, which the crawler refuses unless told (crawler/addresses.py)
    "ALLOWED_ADDRESSES": "127.0.0.1",
}


def crawl_command(db_path: str, args: dict | None = None, settings: dict | None = None) -> list[str]:
    import json
    import sys
    cmd = [os.path.join(os.path.dirname(sys.executable), "scrapy"), "crawl", "docsites"]
    for k, v in (args or {}).items():
        cmd += ["-a", f"{k}={v}"]
    merged = {**TEST_SETTINGS, "CORPUS_DB": db_path, **(settings or {})}
    for k, v in merged.items():
        cmd += ["-s", f"{k}={json.dumps(v) if isinstance(v, (dict, list)) else v}"]
    return cmd


def run_crawl(db_path: str, args: dict | None = None, settings: dict | None = None, timeout: float = 300):
    """`scrapy crawl docsites` in a subprocess; returns the CompletedProcess (stderr has the log)."""
    import subprocess
    proc = subprocess.run(crawl_command(db_path, args, settings), cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc
