"""Site knowledge as data: pipelines/extract/rules.yaml (generic) and pipelines/extract/families/*.yaml (per family).

`load()` returns compiled rules; `detect_family()` names the page family whose tell-tales a page
shows most (or None). Adding a family is adding a YAML file: see docs/extraction.md.
"""
from __future__ import annotations

import functools
import pathlib
import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable

import yaml

from pipelines import han

# Traversables, not paths: inside a zipped egg (Scrapyd) the rules are no files on disk.
RULES_FILE = resources.files("pipelines.extract") / "rules.yaml"
FAMILIES_DIR = resources.files("pipelines.extract") / "families"


@dataclass
class Family:
    id: str
    telltales: list[re.Pattern]
    min_telltales: int = 2
    url_patterns: list[re.Pattern] = field(default_factory=list)
    containers: list[str] = field(default_factory=list)
    preview: bool = False
    numbered_pages: bool = False
    drop_line_phrases: list[str] = field(default_factory=list)
    description: str = ""

    def score(self, lines: list[str], url: str | None, text: str | None = None) -> int:
        """Tell-tales the page shows (`text`: the lines joined by newlines, if the caller has it)."""
        text = "\n".join(lines) if text is None else text
        hits = sum(1 for p in self.telltales if matches_a_line(p, text, lines))
        if url and any(p.search(url) for p in self.url_patterns):
            hits += 1
        return hits


def matches_a_line(pattern: re.Pattern, text: str, lines: list[str]) -> bool:
    """`pattern` matches within one of `lines` (`text` is them joined by newlines, patterns are
    compiled with re.M). One search over the page instead of one per line; only a match that runs
    across a line break (`\\s` can) sends us back to the lines one by one."""
    m = pattern.search(text)
    if m is None:
        return False
    return "\n" not in m.group(0) or any(pattern.search(line) for line in lines)


@dataclass
class Rules:
    drop_line_phrases: list[str]
    drop_line_patterns: list[re.Pattern]
    promo_patterns: list[re.Pattern]
    nav_words: frozenset
    tip_headers: list[re.Pattern]
    tail_markers: list[re.Pattern]
    appendix_markers: re.Pattern
    title_endings: list[str]
    meta_keys: dict[str, list[str]]
    broken_entities: dict[str, str]
    rewrite_markers: list[str]
    families: list[Family]
    byline_time: re.Pattern | None = None
    byline_max: int = 60
    thread_line_patterns: list[re.Pattern] = field(default_factory=list)
    thread_markers: list[re.Pattern] = field(default_factory=list)
    site_name_patterns: list[re.Pattern] = field(default_factory=list)

    def __post_init__(self) -> None:
        # a promo pattern runs only on lines holding its literal part (they scan every body line)
        self.promo_needles = [required_literal(p) for p in self.promo_patterns]
        keys = "|".join(k for ks in self.meta_keys.values() for k in ks)
        # `key: value` pairs of the known metadata keys (clean.is_meta_line runs it on every line)
        self.meta_pairs = re.compile(rf"(^|\s)({keys})\s*[:：]\s*\S*(\s\d{{1,2}}:\d{{2}}(:\d{{2}})?)?")

    def family(self, family_id: str | None) -> Family | None:
        return next((f for f in self.families if f.id == family_id), None)


def _compile(patterns: list[str] | None) -> list[re.Pattern]:
    return [re.compile(p) for p in patterns or []]


def required_literal(pattern: re.Pattern) -> str:
    """The longest run of literal characters every match of `pattern` contains ('' if none):
    `needle in line` then rules out most lines before the pattern's own (slower) search. Only
    top-level literals count; anything inside a branch or a repeat may be absent from a match."""
    # the stdlib's own parser of pattern syntax; typeshed has no stubs for the private module
    from re import _parser  # type: ignore[attr-defined]

    if pattern.flags & re.IGNORECASE:
        return ""
    best, run = "", []
    for op, arg in _parser.parse(pattern.pattern, pattern.flags):
        if op is _parser.LITERAL:
            run.append(chr(arg))
            continue
        best, run = max(best, "".join(run), key=len), []
    return max(best, "".join(run), key=len)


def _traversable(path: str | Traversable) -> Traversable:
    return pathlib.Path(path) if isinstance(path, str) else path


def load_family(path: str | Traversable) -> Family:
    """The family in `path`: a file name or a Traversable (importlib.resources)."""
    d = yaml.safe_load(han.expand(_traversable(path).read_text(encoding="utf-8"))) or {}
    return Family(
        id=d["id"], telltales=[re.compile(p, re.M) for p in d.get("telltales", [])],
        min_telltales=int(d.get("min_telltales", 2)), url_patterns=_compile(d.get("url_patterns")),
        containers=list(d.get("containers") or []), preview=bool(d.get("preview")),
        numbered_pages=bool(d.get("numbered_pages")),
        drop_line_phrases=list(d.get("drop_line_phrases") or []), description=d.get("description", ""),
    )


@functools.lru_cache(maxsize=4)
def load(rules_file: str | Traversable = RULES_FILE, families_dir: str | Traversable = FAMILIES_DIR) -> Rules:
    d = yaml.safe_load(han.expand(_traversable(rules_file).read_text(encoding="utf-8")))
    family_files = sorted((f for f in _traversable(families_dir).iterdir() if f.name.endswith(".yaml")),
                          key=lambda f: f.name)
    families = [load_family(p) for p in family_files]
    return Rules(
        drop_line_phrases=list(d.get("drop_line_phrases", [])),
        drop_line_patterns=_compile(d.get("drop_line_patterns")),
        promo_patterns=_compile(d.get("promo_patterns")),
        nav_words=frozenset(d.get("nav_words", [])),
        tip_headers=_compile(d.get("tip_headers")),
        tail_markers=_compile(d.get("tail_markers")),
        appendix_markers=re.compile("|".join(f"(?:{p})" for p in d.get("appendix_markers", ["(?!x)x"]))),
        title_endings=sorted(d.get("title_endings", []), key=len, reverse=True),
        meta_keys={k: list(v) for k, v in (d.get("meta_keys") or {}).items()},
        broken_entities=dict(d.get("broken_entities") or {}),
        rewrite_markers=list(d.get("rewrite_markers") or []),
        families=families,
        byline_time=re.compile(d["byline_time"]) if d.get("byline_time") else None,
        byline_max=int(d.get("byline_max", 60)),
        thread_line_patterns=_compile(d.get("thread_line_patterns")),
        thread_markers=_compile(d.get("thread_markers")),
        site_name_patterns=_compile(d.get("site_name_patterns")),
    )


def detect_family(lines: list[str], url: str | None = None, rules: Rules | None = None) -> str | None:
    """Id of the family whose tell-tales the page shows most, if it shows enough of them."""
    rules = rules or load()
    best, best_score = None, 0
    text = "\n".join(lines)
    for fam in rules.families:
        s = fam.score(lines, url, text)
        if s >= fam.min_telltales and s > best_score:
            best, best_score = fam.id, s
    return best
