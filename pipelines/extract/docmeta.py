"""Report metadata of a document, from its title first and its text second.

`describe(title, text)` gives the fields researchers filter on (docs/extraction.md, "Report metadata"):

- `doc_types`: the kinds of report the title names (工作总结, 工作计划, …; a 总结及计划 has both),
  from the vocabulary in pipelines/extract/docmeta.yaml; `其他` when neither title nor opening line names one;
- `admin_level`: the issuer's level (省 市 县 区 乡镇 街道 村), from the suffix of the place named;
- `department`: the issuing body without place and level, long forms folded to one name;
- `region`: the place named as the issuer's, recognised with the cpca gazetteer (its data ships in
  the package: no network); a masked place (xx市, **区) gives None, not a guess;
- `years`: the years reported on or planned for (`2024年工作总结及2025年工作打算` → [2024, 2025]);
- `doc_date`: the document's own date (its signature line, `时间：…`), ISO 8601.

Runs on simplified text (after OpenCC in `extract.finish`).
"""
from __future__ import annotations

import functools
import pathlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any, NamedTuple

import yaml

from pipelines import han
from pipelines.han import RANGES
from pipelines.model import REPORT_FIELDS, ReportMeta

# A Traversable, not a path: inside a zipped egg (Scrapyd) the vocabulary is no file on disk.
VOCABULARY_FILE = resources.files("pipelines.extract") / "docmeta.yaml"

FIELDS = REPORT_FIELDS
HAN = RANGES
CN_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")} | {"零": 0, "○": 0, "О": 0}
_CN = "〇零○一二三四五六七八九"
YEAR = re.compile(rf"((?:19[5-9]|20[0-9])\d|[{_CN}]{{4}})\s*(?:[-—–~至到]\s*((?:19|20)\d\d|[{_CN}]{{4}})\s*)?(?=年|学年)")
DATE = re.compile(rf"((?:19|20)\d\d|[{_CN}]{{4}})\s*[年\-/.]\s*([0-9]{{1,2}}|[十{_CN}]{{1,3}})\s*[月\-/.]\s*"
                  rf"(?:([0-9]{{1,2}}|[十{_CN}]{{1,3}})\s*[日号]?)?")


@dataclass
class Vocabulary:
    types: list[tuple[str, list[str], list[str]]]  # (name, words, not_in)
    other_type: str
    level_of_suffix: dict[str, str]
    not_units: list[str]
    not_levels: list[str]
    text_level_words: dict[str, list[str]]
    text_level_leaders: dict[str, list[str]]
    occasion: re.Pattern
    mask_chars: str
    departments: dict[str, str]  # variant -> stored name
    body_suffixes: list[str]
    body_followers: list[str]
    max_range: int
    text_opening: int
    date_keys: list[str]
    signature_lines: int

    # Derived once (the vocabulary is loaded once, `vocabulary` is cached), not on every document.
    @functools.cached_property
    def suffixes_longest_first(self) -> list[str]:
        return sorted(self.level_of_suffix, key=len, reverse=True)

    @functools.cached_property
    def type_words(self) -> tuple[list[tuple[str, str]], list[str]]:
        """((word, type) longest first, words a type word may sit inside without counting)."""
        words = [(w, name) for name, ws, _ in self.types for w in ws]
        return sorted(words, key=lambda wo: -len(wo[0])), [w for _, _, not_in in self.types for w in not_in]

    @functools.cached_property
    def masked_unit(self) -> re.Pattern:
        """xx县, **区: masked characters and a unit suffix."""
        suffixes = "|".join(map(re.escape, self.suffixes_longest_first))
        return re.compile(rf"([{re.escape(self.mask_chars)}]{{1,4}})({suffixes})")

    @functools.cached_property
    def lower_unit(self) -> re.Pattern:
        """A town, street or village: a name and 镇/乡/街道/村/社区."""
        lower = [s for s in self.suffixes_longest_first if self.level_of_suffix[s] in ("乡镇", "街道", "村")]
        return re.compile(rf"(?<![{HAN}])([{HAN}]{{2,4}}?)({'|'.join(map(re.escape, lower))})")

    @functools.cached_property
    def departments_longest_first(self) -> list[str]:
        return sorted(self.departments, key=len, reverse=True)

    @functools.cached_property
    def body_at_start(self) -> re.Pattern:
        """A body's name at the start of a text: up to 8 characters and a body suffix (局, 办公室…)."""
        suffixes = "|".join(map(re.escape, self.body_suffixes))
        follow = "|".join(map(re.escape, sorted(self.body_followers + [w for _, ws, _ in self.types for w in ws],
                                                key=len, reverse=True)))
        return re.compile(rf"([{HAN}]{{1,8}}?(?:{suffixes}))(?=$|[^{HAN}]|年|{follow})")


@functools.cache
def vocabulary(path: str | Traversable = VOCABULARY_FILE) -> Vocabulary:
    """The vocabulary in `path`: a file name or a Traversable (importlib.resources)."""
    v = yaml.safe_load(han.expand((pathlib.Path(path) if isinstance(path, str) else path).read_text(encoding="utf-8")))
    return Vocabulary(
        types=[(t["name"], list(t["words"]), list(t.get("not_in", []))) for t in v["doc_types"]],
        other_type=v["other_type"],
        level_of_suffix=dict(v["level_of_suffix"]),
        not_units=list(v["not_units"]),
        not_levels=list(v["not_levels"]),
        text_level_words={k: list(ws) for k, ws in v["text_level_words"].items()},
        text_level_leaders={k: list(ws) for k, ws in v["text_level_leaders"].items()},
        occasion=re.compile(v["occasion"]),
        mask_chars=v["mask_chars"],
        departments={variant: name for name, variants in v["departments"].items() for variant in [name, *variants]},
        body_suffixes=list(v["body_suffixes"]),
        body_followers=list(v["body_followers"]),
        max_range=int(v["max_range"]),
        text_opening=int(v["text_opening"]),
        date_keys=list(v["date_keys"]),
        signature_lines=int(v["signature_lines"]),
    )


# ---------------------------------------------------------------------------- numbers and dates

def _number(s: str) -> int | None:
    """An Arabic or Chinese number: 2023, 二〇二三, 十二, 二十八."""
    if s.isdigit():
        return int(s)
    if all(c in CN_DIGITS for c in s):  # digit by digit (years)
        return int("".join(str(CN_DIGITS[c]) for c in s))
    if "十" in s:
        tens, _, ones = s.partition("十")
        t = CN_DIGITS.get(tens, 0) if tens else 1
        o = CN_DIGITS.get(ones, 0) if ones else 0
        return t * 10 + o
    return None


def find_years(text: str, max_range: int = 10) -> list[int]:
    """Years followed by 年 in order of appearance, ranges expanded (2021-2025年 → 2021…2025)."""
    out: list[int] = []
    for m in YEAR.finditer(text):
        first, last = _number(m.group(1)), _number(m.group(2)) if m.group(2) else None
        if first is None or not 1950 <= first <= 2100:
            continue
        span = [first]
        if last and first < last <= first + max_range:
            span = list(range(first, last + 1))
        for y in span:
            if y not in out:
                out.append(y)
    return out


def iso_date(m: re.Match) -> str | None:
    y, mo = _number(m.group(1)), _number(m.group(2))
    d = _number(m.group(3)) if m.group(3) else None
    if y is None or mo is None or not (1950 <= y <= 2100 and 1 <= mo <= 12):
        return None
    if d is None:
        return f"{y:04d}-{mo:02d}"
    if not 1 <= d <= 31:
        return None
    return f"{y:04d}-{mo:02d}-{d:02d}"


def find_doc_date(text: str, vocab: Vocabulary) -> str | None:
    """The document's own date: `时间：…` near its top or end, else a signature line at its end
    (a line that is a date, or a body's name and a date)."""
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    keyed = re.compile(rf"^(?:{'|'.join(map(re.escape, vocab.date_keys))})\s*[:：]\s*")
    for line in lines[:10] + lines[-10:]:
        if len(line) <= 60 and (k := keyed.match(line)) and (m := DATE.match(line, k.end())) and (d := iso_date(m)):
            return d
    for line in reversed(lines[-vocab.signature_lines:]):
        if len(line) > 40:
            continue
        m = DATE.search(line)
        # the date ends the line: a signature, not a sentence that mentions a day
        if m and not line[m.end():].strip(" 。.") and (d := iso_date(m)) and len(d) == 10:
            return d
    return None


# ---------------------------------------------------------------------------- kinds of report

def _occurrences(text: str, word: str) -> Iterator[int]:
    """Start of each occurrence of `word` in `text`, left to right, not overlapping."""
    i = text.find(word)
    while i >= 0:
        yield i
        i = text.find(word, i + len(word))


def _claimed(text: str, words: list[tuple[str, str]], skip: list[str]) -> list[tuple[int, str]]:
    """(position, owner) of each word occurrence not inside a longer word already matched;
    `words` longest first."""
    taken = [False] * len(text)
    for w in skip:
        for i in _occurrences(text, w):
            taken[i:i + len(w)] = [True] * len(w)
    found = []
    for word, owner in words:
        for i in _occurrences(text, word):
            if not any(taken[i:i + len(word)]):
                taken[i:i + len(word)] = [True] * len(word)
                found.append((i, owner))
    return sorted(found)


def find_types(text: str, vocab: Vocabulary) -> list[str]:
    if m := vocab.occasion.match(text):  # 在…大会上的讲话: the meeting's name is not the kind
        text = text[m.end():]
    words, skip = vocab.type_words
    found = {owner for _, owner in _claimed(text, words, skip)}
    return [name for name, _, _ in vocab.types if name in found]


# ---------------------------------------------------------------------------- issuer

@functools.lru_cache(maxsize=1)
def _gazetteer() -> Any:  # cpca ships no types
    """cpca's Aho-Corasick matcher over China's administrative divisions (province, city, county),
    built from the adcodes table in its package."""
    import cpca
    return cpca.matcher


@dataclass
class Place:
    start: int
    end: int  # exclusive
    name: str | None  # None when masked
    level: str


def _level_of(name: str, vocab: Vocabulary) -> str | None:
    for suffix in vocab.suffixes_longest_first:
        if name.endswith(suffix):
            return vocab.level_of_suffix[suffix]
    return None


def find_places(text: str, vocab: Vocabulary) -> list[Place]:
    """Places named in `text`, in order: gazetteer names (full names only: 清远市, not 清远), masked
    places (xx县) and towns, streets and villages (a name and 镇/乡/街道/村/社区)."""
    places: list[Place] = []
    for m in _gazetteer().iter(text):
        name = m.origin_value
        info = m.attr_infos[0]
        # full names only (an abbreviation is too often a word), and not cpca's bare `县` / `市辖区`
        if len(name) < 2 or name != info.name or name in ("市辖区", "县"):
            continue
        if level := _level_of(name, vocab):
            places.append(Place(m.start_index, m.end_index + 1, name, level))
    # blank out what is not a unit, then find the units the gazetteer does not hold
    masked = text
    for w in vocab.not_units:
        masked = masked.replace(w, "#" * len(w))
    for p in places:
        masked = masked[:p.start] + "#" * (p.end - p.start) + masked[p.end:]
    for m in vocab.masked_unit.finditer(masked):
        places.append(Place(m.start(), m.end(), None, vocab.level_of_suffix[m.group(2)]))
    for m in vocab.lower_unit.finditer(masked):
        if any(p.start <= m.start() < p.end for p in places):
            continue
        places.append(Place(m.start(), m.end(), m.group(0), vocab.level_of_suffix[m.group(2)]))
    return sorted(places, key=lambda p: p.start)


def _department_at(text: str, vocab: Vocabulary) -> str | None:
    """The body named at the start of `text` (after its place), folded to its stored name."""
    text = re.sub(r"^(?:[省市县区旗镇乡村]|街道)(?=[委政府人纪组宣统团妇法检])", "", text) if text else text
    for variant in vocab.departments_longest_first:
        if text.startswith(variant):
            return vocab.departments[variant]
    m = vocab.body_at_start.match(text)
    if m and not find_types(m.group(1), vocab) and not re.search(r"关于|工作|年度", m.group(1)):
        return m.group(1)
    return None


def _level_prefix(text: str, vocab: Vocabulary) -> str | None:
    """县科技局, 市委组织部: a level named without a place, right before the body."""
    if any(map(text.startswith, vocab.not_levels)):
        return None
    m = re.match(r"(乡镇|省|市|县|区|旗|镇|乡|街道|村)(?=[委政府人纪组宣统团妇法检]|[^\W\d_]{1,6}?(?:局|委员会|办公室|院|中心|所|站))", text)
    if not m:
        return None
    return {"旗": "县", "镇": "乡镇", "乡": "乡镇"}.get(m.group(1), m.group(1))


def _level_word(text: str, vocab: Vocabulary) -> str:
    m = re.match(r"乡镇|街道|[省市县区旗镇乡村]", text)
    return m.group(0) if m and _level_prefix(text, vocab) else ""


def _strip(title: str) -> str:
    """The title without years and the words around them that are no issuer (关于, 年度)."""
    t = YEAR.sub(lambda m: "，" * len(m.group(0)), title)
    return re.sub(r"^关于|年度|年", lambda m: "，" * len(m.group(0)), t)


class Issuer(NamedTuple):
    """Who one piece of text (a title, a signature line) names as its issuer."""

    level: str | None
    region: str | None
    department: str | None
    found: bool  # anything at all


def find_issuer(text: str, vocab: Vocabulary) -> Issuer:
    """The admin level, region and department named in one piece of text (a title)."""
    t = _strip(text)
    places = find_places(t, vocab)
    # the issuer's place is the last of the first run of adjacent places (江苏省宿迁市宿城区)
    run: list[Place] = []
    for p in places:
        if run and p.start != run[-1].end:
            break
        run.append(p)
    if run:
        last = run[-1]
        rest = t[last.end:]
        department = _department_at(rest, vocab)
        return Issuer(last.level, last.name, department, True)
    t = t.lstrip("， ")  # no place named: the issuer, if any, opens what is left (2023年县科技局…)
    level = _level_prefix(t, vocab)
    department = _department_at(t[len(level_word):] if (level_word := _level_word(t, vocab)) else t, vocab)
    return Issuer(level, None, department, bool(level or department))


def describe(title: str | None, text: str | None) -> ReportMeta:
    """The report metadata of a document (`title` first, `text` second)."""
    vocab = vocabulary()
    title = (title or "").strip()
    text = text or ""
    lines = [x.strip() for x in text.splitlines() if x.strip()]
    opening = text[:vocab.text_opening]
    meta = ReportMeta()

    meta.doc_types = find_types(title, vocab) or (find_types(lines[0], vocab) if lines and len(lines[0]) <= 60 else [])
    meta.doc_types = meta.doc_types or [vocab.other_type]

    level, region, department, _ = find_issuer(title, vocab)
    # what the title leaves open, the text's lead (its first clause: a heading or `xx县审计局`) or its
    # signature lines say; masked places stay masked (a title's xx市 is not filled from the text)
    lead = re.split(r"[，。：:；;！？]", lines[0])[0] if lines else ""
    for line in [lead] + lines[-vocab.signature_lines:][::-1]:
        if level is not None and department is not None:
            break
        if not line or len(line) > 40 or DATE.fullmatch(line) or re.search("[，。；！？]", line):
            continue
        issuer = find_issuer(line, vocab)
        if not issuer.found:
            continue
        if level is None:
            level, region = issuer.level, issuer.region
        department = department or issuer.department
    if level is None:  # 我县, 全县: the level the text speaks for most often; else who leads it
        for words in (vocab.text_level_words, vocab.text_level_leaders):
            counts = {lvl: sum(text.count(w) for w in ws) for lvl, ws in words.items()}
            best = max(counts, key=counts.__getitem__)
            if counts[best]:
                level = best
                break
    meta.admin_level, meta.region, meta.department = level, region, department

    meta.doc_date = find_doc_date(text, vocab)
    opening = DATE.sub("", opening)  # a date is when it was written, not what it reports on
    meta.years = find_years(title, vocab.max_range) or find_years(opening, vocab.max_range)[:1]
    if not meta.years and meta.doc_date:
        # undated in title and opening: the year it was written in, or the one before for a summary
        # written in its first two months, the one after for a plan written in its last two
        year, month = int(meta.doc_date[:4]), int(meta.doc_date[5:7])
        if month <= 2 and {"工作总结", "述职报告", "工作报告"} & set(meta.doc_types):
            year -= 1
        elif month >= 11 and meta.doc_types == ["工作计划"]:
            year += 1
        meta.years = [year]
    return meta


# ---------------------------------------------------------------------------- evaluation

def score(cases: list[dict], predict: Callable[[str | None, str | None], ReportMeta] | None = None) -> dict[str, Any]:
    """Precision and recall of each field over labelled cases ({title, text, expect}).

    A list field counts its items (a predicted year that is not labelled is a false positive, a
    labelled one not predicted a miss); a single field counts a non-null prediction as right when it
    equals the label. `predict(title, text)` defaults to what the pipeline does: simplified script,
    then `describe`.
    """
    if predict is None:
        from .convert import to_simplified

        def predict(title: str | None, text: str | None) -> ReportMeta:
            return describe(to_simplified(title or ""), to_simplified(text or ""))
    tally: dict[str, dict[str, float]] = {f: {"tp": 0, "predicted": 0, "labelled": 0} for f in FIELDS}
    misses = []
    for case in cases:
        got = predict(case.get("title"), case.get("text")).to_json()
        want = case.get("expect", {})
        for f in FIELDS:
            g, w = got.get(f), want.get(f)
            if f in ("doc_types", "years"):
                g, w = set(g or []), set(w or [])
                tp = len(g & w)
                n_pred, n_lab = len(g), len(w)
            else:
                tp = int(g is not None and g == w)
                n_pred, n_lab = int(g is not None), int(w is not None)
            t = tally[f]
            t["tp"] += tp
            t["predicted"] += n_pred
            t["labelled"] += n_lab
            if (g or None) != (w or None):
                misses.append((f, case.get("title"), w, g))
    for t in tally.values():
        t["precision"] = t["tp"] / t["predicted"] if t["predicted"] else 1.0
        t["recall"] = t["tp"] / t["labelled"] if t["labelled"] else 1.0
    return {"fields": tally, "misses": misses, "cases": len(cases)}
