"""Editor intros and outros of 范文 sites: `下面是小编为大家整理的…,供大家参考`, `以上就是小编…希望对你有帮助`.

Contract: `drop(lines) -> lines`. A sentence in which an editor word (小编, 本站 …) is followed by a
gathering verb (整理, 收集, 为大家 …) and a closing (参考, 希望…帮助, 欢迎阅读 …), or a plain
`以下是为大家整理的…供大家参考`, is the site's. When it ends its paragraph the whole paragraph is
the editor's lead-in (the generic sentences before it introduce the collection, not the document)
and goes; when the document goes on after it in the same paragraph, only the sentence goes.
A document's own `下面是我在延安培训的心得体会` (no editor, no closing) stays.
"""
from __future__ import annotations

import re

from .passes import Vocabulary, load

# where a plain intro or outro can start a sentence (they are matched per sentence after this test)
INTRO_START = re.compile(r"以下|下面|下文|本文|以上|上文|上面|上述|这里|今天|接下来")
SENTENCE = re.compile(r"[^。！？!?]*[。！？!?]?")
MAX_PARAGRAPH = 400  # a longer paragraph holding such a sentence is the document quoting one


def is_editor_sentence(sentence: str, vocab: Vocabulary | None = None) -> bool:
    vocab = vocab or load()
    return bool(vocab.editor_intro.search(sentence) or vocab.plain_intro.search(sentence.lstrip()))


def _sentences(line: str) -> list[str]:
    return [s for s in SENTENCE.findall(line) if s]


def drop(lines: list[str], vocab: Vocabulary | None = None) -> list[str]:
    vocab = vocab or load()
    out = []
    for line in lines:
        if not vocab.editor_intro.search(line) and not INTRO_START.search(line):
            out.append(line)
            continue
        sentences = _sentences(line)
        marked = [is_editor_sentence(s, vocab) for s in sentences]
        if not any(marked):
            out.append(line)
            continue
        if marked[-1] and len(line) <= MAX_PARAGRAPH:
            continue  # the paragraph is the editor's lead-in or outro
        kept = "".join(s for s, m in zip(sentences, marked, strict=True) if not m).strip()
        if kept:
            out.append(kept)
    return out
