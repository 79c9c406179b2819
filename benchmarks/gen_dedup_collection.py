"""Generate a labelled Chinese near-duplicate collection of document-sharing pages.

Source documents look like government work reports (sentence templates over a bureau vocabulary,
plus a few sentences taken from the demo site's pages). Each is published on 1–4 sites, each site
with its own chrome (families from ../shared/docs/doc-sites.md: key/value header, member share,
uploader + coins, article); a copy may be truncated at 30–90 % (a preview), converted to traditional
script (OpenCC s2t, a mirror), or respun by "pseudo-original" word substitutions (发展→开展 …).
Distinct documents share long boilerplate — three standard report openings and three policy
quotations — and must stay apart.

    .venv/bin/python benchmarks/gen_dedup_collection.py --docs 300 --seed 1 --out /tmp/dedup-coll

writes one .html per page and labels.jsonl (url, file, cluster, variant). `generate()` is what
benchmarks/dedup_quality.py calls.
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import pathlib
import random
import re
from dataclasses import dataclass, field

from pipelines.han import CLASS as HAN

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

UNITS = ["市科技局", "县教育局", "区民政局", "市交通运输局", "县农业农村局", "市生态环境局", "区卫生健康委员会",
         "市住房和城乡建设局", "县人力资源和社会保障局", "市市场监督管理局", "区文化和旅游局", "县水利局",
         "市商务局", "区应急管理局", "县自然资源局", "市统计局", "区司法局", "县财政局", "市审计局", "区退役军人事务局"]
KINDS = ["工作总结", "年度工作报告", "工作计划", "述职报告", "调研报告", "上半年工作总结和下半年工作计划",
         "工作要点", "自查报告"]
SUBJECTS = ["我局", "局党组", "全局干部职工", "各科室", "局机关", "各乡镇（街道）", "基层站所", "领导班子",
            "业务骨干", "执法队伍", "驻村工作队", "项目专班"]
ADVERBS = ["认真", "扎实", "全面", "积极", "持续", "大力", "稳步", "着力", "深入", "切实", "有序", "统筹"]
VERBS = ["推进", "落实", "开展", "实施", "加强", "完善", "优化", "组织", "部署", "督导", "推动", "深化"]
OBJECTS = ["重点项目建设", "民生实事工程", "基层治理改革", "安全生产检查", "人才引进计划", "营商环境优化",
           "乡村振兴示范", "数字政府建设", "城乡环境整治", "公共服务提升", "科技成果转化", "防汛抗旱准备",
           "高新技术企业培育", "农村饮水安全", "义务教育均衡发展", "社会保障体系", "基础设施配套",
           "产学研合作", "知识产权保护", "服务企业专项行动", "信用体系建设", "党风廉政建设",
           "统计基础工作", "财政资金监管", "审计整改落实", "矛盾纠纷排查", "应急预案演练", "文旅融合发展"]
MEASURES = ["完成投资{n}万元", "覆盖{n}个村（社区）", "新增就业{n}人", "培训干部{n}人次", "办结事项{n}件",
            "同比增长{p}%", "受益群众{n}余人", "整改问题{n}个", "争取上级资金{n}万元", "走访企业{n}家",
            "新建项目{n}个", "发放补贴{n}万元", "开展检查{n}次", "化解矛盾{n}起", "申报专利{n}件"]
PURPOSES = ["为全年目标任务的完成打下了坚实基础", "有力促进了经济社会高质量发展", "群众满意度明显提升",
            "得到了上级部门的充分肯定", "形成了一批可复制可推广的经验", "为下一步工作积累了经验",
            "切实解决了群众急难愁盼问题", "进一步夯实了发展基础", "服务水平不断提高", "工作机制更加健全"]
PROBLEMS = ["工作推进不够平衡", "资金保障压力较大", "专业人才相对缺乏", "基础数据不够完善", "部门协调有待加强",
            "创新能力仍需提升", "宣传引导力度不够", "监管手段比较单一"]
SECTIONS = ["主要工作及成效", "存在的问题和不足", "下一步工作计划", "工作措施", "基本情况", "经验做法"]
NUMERALS = "一二三四五六七八九十"

# Shared by many distinct documents, so they must not decide: openings and quotations.
OPENINGS = [
    "今年以来，在市委、市政府的正确领导下，在上级主管部门的精心指导下，我局坚持以习近平新时代中国特色社会主义思想为指导，"
    "全面贯彻党的二十大和二十届二中、三中全会精神，认真落实市委全会和市政府工作报告部署，紧紧围绕全年目标任务，"
    "统筹发展和安全，锐意进取、真抓实干，各项工作取得了新的进展和成效。现将有关情况报告如下：",
    "根据上级有关文件要求，结合我单位工作实际，现将本年度工作完成情况、存在的问题以及下一年度的工作打算总结汇报如下。"
    "一年来，在局党组的坚强领导下，全体干部职工团结协作、攻坚克难，紧扣中心、服务大局，以高度的政治责任感和使命感，"
    "全力推动各项决策部署落地落实，较好地完成了年初确定的各项目标任务。",
    "为深入贯彻落实党中央、国务院决策部署和省委、省政府工作要求，进一步提升工作质效，按照市委、市政府统一安排，"
    "我们坚持稳中求进工作总基调，完整准确全面贯彻新发展理念，主动服务和融入新发展格局，着力推动高质量发展，"
    "以钉钉子精神抓好各项任务落实，全年工作呈现稳中有进、进中提质的良好态势。具体情况如下：",
]
QUOTES = [
    "正如党的二十大报告指出的：“高质量发展是全面建设社会主义现代化国家的首要任务。发展是党执政兴国的第一要务。"
    "没有坚实的物质技术基础，就不可能全面建成社会主义现代化强国。必须完整、准确、全面贯彻新发展理念，"
    "坚持社会主义市场经济改革方向，坚持高水平对外开放，加快构建以国内大循环为主体、国内国际双循环相互促进的新发展格局。”",
    "中央经济工作会议强调：“要坚持稳中求进、以进促稳、先立后破，多出有利于稳预期、稳增长、稳就业的政策，"
    "在转方式、调结构、提质量、增效益上积极进取，不断巩固稳中向好的基础。要强化宏观政策逆周期和跨周期调节，"
    "继续实施积极的财政政策和稳健的货币政策，加强政策工具创新和协调配合。”",
    "《关于进一步优化营商环境更好服务市场主体的实施意见》明确提出：“要持续深化简政放权、放管结合、优化服务改革，"
    "着力打造市场化法治化国际化一流营商环境，进一步激发市场主体活力和社会创造力，"
    "推动政务服务事项全面实现一网通办、跨省通办，切实降低制度性交易成本。”",
]
# "Pseudo-original" rewriting seen on real sites (../shared/docs/doc-sites.md).
RESPIN = [("发展", "开展"), ("服务", "效劳"), ("基础", "根底"), ("项目", "工程"), ("计划", "方案"),
          ("多次", "屡次"), ("先进", "现金"), ("则", "那么"), ("提升", "提高"), ("加强", "增强"),
          ("完善", "健全"), ("推进", "推动"), ("积极", "踊跃"), ("明显", "显著")]

SITES = [
    # name, family, script
    ("wk-alpha.example", "kv", "s"),
    ("wk-beta.example", "member", "s"),
    ("fw-gamma.example", "article", "s"),
    ("wk-delta.example", "uploader", "s"),
    ("tw-mirror.example", "article", "t"),
    ("wk-epsilon.example", "kv", "s"),
]


def demo_sentences() -> list[str]:
    """Sentences of the demo site's documents (real work-report prose), for colour."""
    out = []
    for path in glob.glob(os.path.join(ROOT, "docsites", "demo", "site", "**", "*"), recursive=True):
        if not os.path.isfile(path) or path.endswith((".txt",)):
            continue
        text = re.sub(r"<[^>]+>", " ", pathlib.Path(path).read_text(encoding="utf-8", errors="ignore"))
        for s in re.split(r"[。；]", text):
            s = re.sub(r"\s+", "", s)
            if 20 <= len(s) <= 90 and re.search(rf"{HAN}{{10}}", s):
                out.append(s + "。")
    return sorted(set(out))


@dataclass
class Source:
    cluster: int
    title: str
    text: str
    boilerplate: list = field(default_factory=list)


@dataclass
class GenPage:
    url: str
    html: bytes
    cluster: int
    variant: dict
    text: str = ""  # the document as published on this page (simplified script): the gold text


class Writer:
    def __init__(self, rng: random.Random, demo: list[str]):
        self.rng, self.demo = rng, demo

    def sentence(self, unit: str) -> str:
        r = self.rng
        n, p = r.randint(3, 9800), r.randint(2, 45)
        kind = r.random()
        if kind < 0.45:
            return (f"{r.choice(SUBJECTS)}{r.choice(ADVERBS)}{r.choice(VERBS)}{r.choice(OBJECTS)}，"
                    f"{r.choice(MEASURES).format(n=n, p=p)}，{r.choice(PURPOSES)}。")
        if kind < 0.65:
            parts = [f"{NUMERALS[i]}是{r.choice(ADVERBS)}{r.choice(VERBS)}{r.choice(OBJECTS)}，"
                     f"{r.choice(MEASURES).format(n=r.randint(3, 9800), p=r.randint(2, 45))}" for i in range(r.randint(2, 4))]
            return "；".join(parts) + "。"
        if kind < 0.8:
            return (f"{r.randint(1, 12)}月{r.randint(1, 28)}日，{unit}召开{r.choice(OBJECTS)}推进会，"
                    f"{r.choice(ADVERBS)}{r.choice(VERBS)}{r.choice(OBJECTS)}，{r.choice(PURPOSES)}。")
        if kind < 0.9:
            return f"同时也要看到，{r.choice(PROBLEMS)}，{r.choice(PROBLEMS)}，需要在今后工作中{r.choice(ADVERBS)}加以解决。"
        if self.demo:
            return r.choice(self.demo)
        return f"{r.choice(SUBJECTS)}{r.choice(VERBS)}{r.choice(OBJECTS)}。"

    def source(self, cluster: int) -> Source:
        r = self.rng
        unit = r.choice(UNITS)
        year = r.randint(2016, 2025)
        title = f"{year}年{unit}{r.choice(KINDS)}"
        target = r.randint(1000, 3500)
        paras, boiler = [], []
        if r.random() < 0.35:
            i = r.randrange(len(OPENINGS))
            paras.append(OPENINGS[i])
            boiler.append(f"opening{i}")
        else:
            paras.append(f"{year}年，{unit}{r.choice(ADVERBS)}{r.choice(VERBS)}{r.choice(OBJECTS)}，"
                         f"{r.choice(PURPOSES)}。现将有关情况总结如下：")
        quote = r.randrange(len(QUOTES)) if r.random() < 0.25 else None
        sec = 0
        while sum(map(len, paras)) < target:
            if r.random() < 0.2 and sec < len(NUMERALS):
                paras.append(f"{NUMERALS[sec]}、{r.choice(SECTIONS)}")
                sec += 1
            paras.append("".join(self.sentence(unit) for _ in range(r.randint(2, 5))))
            if quote is not None and sum(map(len, paras)) > target * 0.4:
                paras.append(QUOTES[quote])
                boiler.append(f"quote{quote}")
                quote = None
        return Source(cluster, title, "\n".join(paras), boiler)


def truncate(text: str, share: float) -> str:
    return text[: max(1, int(len(text) * share))]


def respin(text: str, rng: random.Random, rate: float) -> str:
    for a, b in RESPIN:
        text = re.sub(a, lambda m, b=b: b if rng.random() < rate else m.group(0), text)
    return text


def chrome_page(site: str, family: str, doc_no: int, title: str, body: str, related: list[str],
                rng: random.Random) -> str:
    paras = "".join(f"<p>{p}</p>" for p in body.split("\n") if p)
    rel = "".join(f"<li><a href='/doc/{rng.randint(10000, 99999)}.html'>{t}</a></li>" for t in related)
    nav = ("<div class='nav'><a href='/'>首页</a> | <a href='/list/1.html'>最新文档</a> | "
           "<a href='/download/'>下载中心</a> | <a href='/vip/'>开通VIP</a></div>")
    if family == "kv":
        head = (f"<h1>{title}.docx</h1><a class='btn' href='/download/{doc_no}'>下载文档</a>"
                f"<ul class='info'><li>ID:{doc_no}</li><li>大小:{rng.randint(12, 300)}.{rng.randint(10, 99)}KB</li>"
                f"<li>页数:{rng.randint(2, 30)}页</li><li>格式:DOCX</li><li>时间:2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}</li></ul>"
                f"<div>收藏 分享赚钱</div><div class='tips'>温馨提示:<br>1. 部分包含数学公式或PPT动画的文件,查看预览时可能会显示错乱或异常,"
                f"文件下载后无此问题,请放心下载。<br>2. 本文档由用户上传,版权归属用户,{site}负责整理代发布。<br>网站客服:0000000</div>")
        main = f"<div class='content'>{paras}</div>"
        foot = f"<div>此文档下载收益归作者所有</div><div class='related'><h3>你可能关注的文档</h3><ul>{rel}</ul></div>"
    elif family == "member":
        head = f"<h1>{title}</h1>"
        main = (f"<div class='content'><p>《{title}.docx》由会员分享,可在线阅读,更多相关《{title}({rng.randint(3, 20)}页珍藏版)》"
                f"请在{site}上搜索。</p>{paras}</div>")
        foot = f"<div class='related'><h3>相关资源</h3><ul>{rel}</ul></div><div>{site} 版权所有</div>"
    elif family == "uploader":
        head = (f"<h1>{title}</h1><div class='meta'>上传人:user{rng.randint(100, 999)} 上传时间:2024-05-0{rng.randint(1, 9)} "
                f"格式:DOC 页数:{rng.randint(2, 30)} 大小:{rng.randint(20, 300)}KB 金币:{rng.randint(1, 20)} 举报 版权申诉</div>"
                f"<div>预览加载中,请您耐心等待几秒...</div>")
        main = f"<div class='doc-body'>{paras}</div>"
        foot = (f"<div>在线预览结束,喜欢就下载吧</div><a href='/down/{doc_no}'>下载此文档</a>"
                f"<div class='related'><h3>相关文档</h3><ul>{rel}</ul></div>")
    else:  # article (范文)
        head = (f"<h1>{title}</h1><div class='info'>发布时间:2024-0{rng.randint(1, 9)}-2{rng.randint(0, 8)} 阅读 {rng.randint(100, 9999)}</div>"
                f"<div class='lead'>导语:本文来源于网友上传,不代表本站观点,若需要原创文章可咨询客服老师。</div>")
        main = f"<article><div class='content'>{paras}</div></article>"
        foot = (f"<div class='pager'>上一篇:{related[0] if related else ''} 下一篇:{related[-1] if related else ''}</div>"
                f"<div class='related'><h3>相关范文</h3><ul>{rel}</ul></div>")
    return (f"<!DOCTYPE html><html lang='zh-CN'><head><meta charset='utf-8'><title>{title} - {site}</title></head>"
            f"<body>{nav}{head}{main}{foot}</body></html>")


def generate(n_docs: int = 300, seed: int = 1) -> list[GenPage]:
    """The pages of a collection, in arrival order (shuffled: previews often come before full copies)."""
    from pipelines.extract.convert import to_traditional

    rng = random.Random(seed)
    writer = Writer(rng, demo_sentences())
    sources = [writer.source(i) for i in range(n_docs)]
    titles = [s.title for s in sources]
    pages = []
    for src in sources:
        n_sites = rng.choices([1, 2, 3, 4], weights=[35, 25, 22, 18])[0]
        for k, (site, family, script) in enumerate(rng.sample(SITES, n_sites)):
            variant = {"site": site}
            text = src.text
            if rng.random() < 0.3:
                text = respin(text, rng, rate=rng.uniform(0.5, 1.0))
                variant["respun"] = True
            if rng.random() < (0.35 if k == 0 else 0.55):
                share = rng.uniform(0.3, 0.9)
                text = truncate(text, share)
                variant["truncated"] = round(share, 2)
            title = src.title
            doc_no = rng.randint(100000, 9999999)
            html = chrome_page(site, family, doc_no, title, text, rng.sample(titles, 5), rng)
            if script == "t":
                html = to_traditional(html)
                variant["traditional"] = True
            path = {"kv": f"doc/{doc_no}.html", "member": f"d-{doc_no}.html", "uploader": f"p-{doc_no}.html",
                    "article": f"article/{doc_no}"}[family]
            pages.append(GenPage(f"http://{site}/{path}", html.encode("utf-8"), src.cluster, variant, text))
    rng.shuffle(pages)
    return pages


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=300)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", required=True)
    args = ap.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "labels.jsonl"), "w", encoding="utf-8") as labels:
        for i, p in enumerate(generate(args.docs, args.seed)):
            name = f"{i:05d}.html"
            with open(os.path.join(args.out, name), "wb") as f:
                f.write(p.html)
            labels.write(json.dumps({"url": p.url, "file": name, "cluster": p.cluster, "variant": p.variant},
                                    ensure_ascii=False) + "\n")
    print(f"wrote {i + 1} pages to {args.out}")


if __name__ == "__main__":
    import sys
    sys.path.insert(0, ROOT)
    main()
