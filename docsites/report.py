"""One self-contained HTML page about a corpus: figures and inline SVG charts, no script, no CDN.

`gather(conn)` reads the figures (read-only); `render(figures)` returns the page. The charts are
drawn here as plain SVG (bars and a histogram), so the page opens anywhere, offline, for ever.
"""
from __future__ import annotations

import html
import itertools
import json
import math
from datetime import UTC, datetime

RUN_KEYS = ("documents", "duplicates", "rejected")
# Text length bins (characters): the corpus runs from short notices to book-length reports.
LENGTH_BINS = [0, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000]
COLORS = {"documents": "#2a6f97", "duplicates": "#e09f3e", "rejected": "#9e2a2b", "bar": "#2a6f97"}


def _rows(conn, sql, params=()):
    return [tuple(r) for r in conn.execute(sql, params).fetchall()]


def run_counts(stats: str | None) -> dict[str, int]:
    """documents / duplicates / rejected of a run: `docsites/<table>` in a crawl's Scrapy stats,
    `<table>` in an ingest's."""
    try:
        data = json.loads(stats) if stats else {}
    except ValueError:
        data = {}
    if not isinstance(data, dict):
        data = {}
    return {k: int(data.get(f"docsites/{k}", data.get(k, 0)) or 0) for k in RUN_KEYS}


# A document counts in every year it reports on or plans for (`years`; a 2023 summary and 2024 plan
# in both), else in the year of its own date (`doc_date`); `published` (the site's) is not used.
YEARS_SQL = """SELECT coalesce(CAST(j.value AS TEXT), substr(d.doc_date, 1, 4), 'unknown') AS year, count(*)
FROM documents AS d LEFT JOIN json_each(CASE WHEN json_valid(d.years) THEN d.years ELSE '[]' END) AS j
GROUP BY 1 ORDER BY 1"""


def gather(conn) -> dict:
    one = lambda sql: conn.execute(sql).fetchone()[0]  # noqa: E731
    bins = LENGTH_BINS
    case = " ".join(f"WHEN chars < {hi} THEN {i}" for i, hi in enumerate(bins[1:]))
    length_rows = dict(_rows(conn, f"SELECT CASE {case} ELSE {len(bins) - 1} END, count(*) FROM documents GROUP BY 1"))
    labels = [f"{lo:,}–{hi:,}" for lo, hi in itertools.pairwise(bins)] + [f"≥ {bins[-1]:,}"]
    runs = []
    for run_id, spider, started, finished, reason, stats in _rows(
            conn, "SELECT id, spider, started_at, finished_at, finish_reason, stats FROM crawl_runs ORDER BY id"):
        runs.append({"id": run_id, "spider": spider, "started_at": started, "finished_at": finished,
                     "finish_reason": reason or "running", **run_counts(stats)})
    return {
        "generated_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "pages": one("SELECT count(*) FROM pages"),
        "documents": one("SELECT count(*) FROM documents"),
        "duplicates": one("SELECT count(*) FROM duplicates"),
        "rejected": one("SELECT count(*) FROM rejected"),
        "characters": one("SELECT coalesce(sum(chars), 0) FROM documents"),
        "median_chars": _median(conn),
        "sites": _rows(conn, "SELECT coalesce(site, '-'), count(*) FROM documents GROUP BY 1 ORDER BY 2 DESC, 1"),
        "years": _rows(conn, YEARS_SQL),
        "duplicate_kinds": _rows(conn, "SELECT coalesce(kind, '-'), count(*) FROM duplicates GROUP BY 1 ORDER BY 2 DESC"),
        "rejection_reasons": _rows(conn, "SELECT coalesce(reason, '-'), count(*) FROM rejected GROUP BY 1 ORDER BY 2 DESC"),
        "lengths": [(label, length_rows.get(i, 0)) for i, label in enumerate(labels)],
        "traditional": one("SELECT coalesce(sum(traditional), 0) FROM documents"),
        "truncated": one("SELECT coalesce(sum(truncated), 0) FROM documents"),
        "traditional_by_site": _rows(conn, "SELECT coalesce(site, '-'), count(*), sum(traditional), sum(truncated) "
                                           "FROM documents GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 20"),
        "runs": runs,
    }


def _median(conn) -> int:
    n = conn.execute("SELECT count(*) FROM documents").fetchone()[0]
    if not n:
        return 0
    return conn.execute("SELECT chars FROM documents ORDER BY chars LIMIT 1 OFFSET ?", [(n - 1) // 2]).fetchone()[0]


# ---------------------------------------------------------------------------- SVG

def _e(s) -> str:
    return html.escape(str(s), quote=True)


def hbar_chart(items: list[tuple[str, int]], title: str, limit: int = 20, color: str = COLORS["bar"]) -> str:
    """Horizontal bars, one per label (the largest `limit`, the rest summed as 'other')."""
    if not items:
        return f'<p class="empty">{_e(title)}: none</p>'
    if len(items) > limit:
        items = items[:limit - 1] + [(f"other ({len(items) - limit + 1})", sum(n for _, n in items[limit - 1:]))]
    width, label_w, row_h, top = 720, 220, 22, 8
    height = top + row_h * len(items) + 8
    top_n = max(n for _, n in items) or 1
    total = sum(n for _, n in items) or 1
    parts = [f'<svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">']
    for i, (label, n) in enumerate(items):
        y = top + i * row_h
        w = (width - label_w - 120) * n / top_n
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{_e(_short(label))}</text>'
            f'<rect x="{label_w}" y="{y + 3}" width="{max(w, 1):.1f}" height="{row_h - 6}" fill="{color}">'
            f'<title>{_e(label)}: {n:,}</title></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{n:,} ({100 * n / total:.1f}%)</text>')
    parts.append("</svg>")
    return "".join(parts)


def _axes(title: str, width: int, height: int, left: int, bottom: int, plot_h: float, top_n: int) -> list[str]:
    """Opening <svg>, the x axis, and labelled horizontal gridlines up to `top_n`."""
    parts = [f'<svg role="img" aria-label="{_e(title)}" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f'<line x1="{left}" y1="{height - bottom}" x2="{width - 10}" y2="{height - bottom}" stroke="#888"/>']
    for tick in _ticks(top_n):
        y = height - bottom - plot_h * tick / top_n
        parts.append(f'<line x1="{left - 4}" y1="{y:.1f}" x2="{width - 10}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="tick">{tick:,}</text>')
    return parts


def column_chart(items: list[tuple[str, int]], title: str, color: str = COLORS["bar"]) -> str:
    """Vertical bars in the given order (years, length bins)."""
    if not items:
        return f'<p class="empty">{_e(title)}: none</p>'
    width, height, left, bottom, top = 720, 260, 50, 50, 20
    n_items = len(items)
    slot = (width - left - 10) / n_items
    top_n = max(n for _, n in items) or 1
    plot_h = height - bottom - top
    parts = _axes(title, width, height, left, bottom, plot_h, top_n)
    rotate = n_items > 8
    for i, (label, n) in enumerate(items):
        h = plot_h * n / top_n
        x = left + i * slot
        parts.append(f'<rect x="{x + slot * 0.1:.1f}" y="{height - bottom - h:.1f}" width="{slot * 0.8:.1f}" '
                     f'height="{max(h, 0):.1f}" fill="{color}"><title>{_e(label)}: {n:,}</title></rect>')
        lx, ly = x + slot / 2, height - bottom + 14
        if rotate:
            parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="end" class="tick" '
                         f'transform="rotate(-45 {lx:.1f} {ly:.1f})">{_e(label)}</text>')
        else:
            parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="middle" class="tick">{_e(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def stacked_runs_chart(runs: list[dict]) -> str:
    """Per run (oldest first): documents, duplicates and rejected stacked, labelled by start date."""
    if not runs:
        return '<p class="empty">No crawl or ingest runs recorded.</p>'
    runs = runs[-60:]
    width, height, left, bottom, top = 720, 280, 50, 70, 20
    slot = (width - left - 10) / len(runs)
    top_n = max(sum(r[k] for k in RUN_KEYS) for r in runs) or 1
    plot_h = height - bottom - top
    parts = _axes("crawl runs over time", width, height, left, bottom, plot_h, top_n)
    for i, r in enumerate(runs):
        x, y = left + i * slot, height - bottom
        for key in RUN_KEYS:
            h = plot_h * r[key] / top_n
            if h > 0:
                y -= h
                parts.append(f'<rect x="{x + slot * 0.1:.1f}" y="{y:.1f}" width="{slot * 0.8:.1f}" height="{h:.1f}" '
                             f'fill="{COLORS[key]}"><title>run {r["id"]} ({_e(r["spider"])}, {_e(r["started_at"])}): '
                             f'{r[key]:,} {key}</title></rect>')
        lx, ly = x + slot / 2, height - bottom + 12
        label = f'#{r["id"]} {(r["started_at"] or "")[:10]}'
        parts.append(f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="end" class="tick" '
                     f'transform="rotate(-45 {lx:.1f} {ly:.1f})">{_e(label)}</text>')
    parts.append("</svg>")
    legend = " ".join(f'<span class="key" style="background:{COLORS[k]}"></span>{k}' for k in RUN_KEYS)
    return "".join(parts) + f'<p class="legend">{legend}</p>'


def share_bar(part: int, whole: int, label: str, color: str) -> str:
    pct = 100 * part / whole if whole else 0
    return (f'<div class="share"><span class="share-label">{_e(label)}</span>'
            f'<svg width="400" height="18" role="img" aria-label="{_e(label)} {pct:.1f}%">'
            f'<rect width="400" height="18" fill="#eee"/><rect width="{4 * pct:.1f}" height="18" fill="{color}"/></svg>'
            f' {part:,} of {whole:,} ({pct:.1f}%)</div>')


def _ticks(top: int) -> list[int]:
    if top <= 0:
        return []
    step = 10 ** max(0, int(math.log10(top)))
    if top / step < 2:
        step //= 5 if step >= 5 else 1
    elif top / step < 5:
        step = step // 2 if step >= 2 else step
    step = max(step, 1)
    return list(range(step, top + 1, step))[:10]


def _short(label: str, n: int = 32) -> str:
    return label if len(label) <= n else label[:n - 1] + "…"


# ---------------------------------------------------------------------------- page

CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "WenQuanYi Micro Hei", sans-serif;
       max-width: 780px; margin: 2em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { font-size: 1.2em; margin-top: 2em; border-bottom: 1px solid #ddd; }
svg text { font-size: 12px; fill: #333; } svg text.tick { font-size: 11px; fill: #666; }
table.figures td { padding: 2px 14px 2px 0; } table.figures td:last-child { text-align: right; font-variant-numeric: tabular-nums; }
.share { margin: 6px 0; } .share-label { display: inline-block; width: 200px; } .share svg { vertical-align: middle; }
.key { display: inline-block; width: 12px; height: 12px; margin: 0 4px 0 12px; vertical-align: middle; }
.empty, .legend, .note { color: #666; }
"""


def render(f: dict, title: str) -> str:
    total_seen = f["documents"] + f["duplicates"] + f["rejected"]
    figures = [
        ("pages fetched", f["pages"]), ("documents", f["documents"]), ("duplicates folded in", f["duplicates"]),
        ("rejected", f["rejected"]), ("characters in documents", f["characters"]),
        ("median document length (characters)", f["median_chars"]), ("sites", len(f["sites"])),
        ("crawl and ingest runs", len(f["runs"])),
    ]
    rows = "".join(f"<tr><td>{_e(k)}</td><td>{v:,}</td></tr>" for k, v in figures)
    by_site = "".join(
        f"<tr><td>{_e(site)}</td><td>{n:,}</td><td>{trad or 0:,}</td><td>{trunc or 0:,}</td></tr>"
        for site, n, trad, trunc in f["traditional_by_site"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{_e(title)}</title><style>{CSS}</style></head>
<body>
<h1>{_e(title)}</h1>
<p class="note">Generated {_e(f["generated_at"])} by <code>docsites report</code>.</p>
<table class="figures">{rows}</table>

<h2>Outcomes</h2>
{hbar_chart([("documents", f["documents"]), ("duplicates", f["duplicates"]), ("rejected", f["rejected"])],
            "outcome of every document found")}
<p class="note">Every document found in a fetched page is stored, folded into a stored copy, or rejected with a reason
({total_seen:,} in all).</p>

<h2>Documents per site</h2>
{hbar_chart(f["sites"], "documents per site")}

<h2>Documents per year</h2>
<p class="note">The years a document reports on or plans for (a document on two years counts in both), else the year
of its own date; not the date the site put it up.</p>
{column_chart(f["years"], "documents per year")}

<h2>Duplicates by kind</h2>
{hbar_chart(f["duplicate_kinds"], "duplicates by kind", color=COLORS["duplicates"])}

<h2>Rejections by reason</h2>
{hbar_chart(f["rejection_reasons"], "rejections by reason", color=COLORS["rejected"])}

<h2>Text length</h2>
{column_chart(f["lengths"], "documents by text length in characters")}
<p class="note">Characters of body text per document; median {f["median_chars"]:,}.</p>

<h2>Traditional-script and truncated sources</h2>
{share_bar(f["traditional"], f["documents"], "traditional script (converted)", "#6a4c93")}
{share_bar(f["truncated"], f["documents"], "truncated previews", "#e09f3e")}
<table class="figures"><tr><th>site</th><th>documents</th><th>traditional</th><th>truncated</th></tr>{by_site}</table>

<h2>Crawl runs over time</h2>
{stacked_runs_chart(f["runs"])}
</body></html>
"""
