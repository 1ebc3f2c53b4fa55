"""Text relevance of a resource to a need: jieba segments the Chinese text, BM25 ranks.

The query is the need's title (counted twice) and description; the document is the resource's
title (twice) and description, with the name and description of the partner unit (共建单位)
that offers it, so a 助老餐厅's 午餐 reads as a meal for the elderly. Quantity labels (份, 袋)
are left out: every other entry says 份, which tells nothing of what it is.

BM25 (k1 = 1.2, b = 0.75) needs a document frequency per term. Taking it from the resources
in the database would make a pair's score drift with every resource posted and differ between
`matchesForNeed` and `matchesForResource` (different candidate sets), so it comes from one fixed
corpus instead: jieba's own dictionary counts, idf(t) = ln(1 + total ÷ (count(t) + 1)) (a word
jieba does not know is as rare as it gets). Document lengths are measured against a fixed
average (AVERAGE_LENGTH terms). The pair's relevance is BM25 divided by the BM25 of a document
holding each query term once at the average length (the query's own weight), capped at 1: the
share of what the need asks for that the resource's text speaks of, the same from both sides.

jieba loads its dictionary (~1 s) on first use, in a worker thread, once per process
(`await ready()`); segmented texts are cached, so a long candidate list costs dictionary lookups.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import warnings
from collections import Counter
from functools import lru_cache
from typing import Any

K1, B = 1.2, 0.75
AVERAGE_LENGTH = 16
TITLE_WEIGHT = 2

# Words that say nothing about what is needed or offered (beside punctuation and spaces).
STOP_WORDS = frozenset(
    """的 了 和 与 及 或 等 为 给 对 在 是 有 把 被 让 由 从 向 到 于 以 将 也 都 就 还 并 每 各
    个 位 名 些 这 那 其 之 可 能 需 需要 提供 用于 进行 开展 一 一些 我们 社区 居民 辖区""".split()  # noqa: SIM905
)

_lock = threading.Lock()
_tokenizer: Any = None
_frequency: dict[str, int] = {}
_total = 1


def _load() -> None:
    """Load jieba and its dictionary once (thread-safe); jieba stays quiet."""
    global _tokenizer, _frequency, _total
    with _lock:
        if _tokenizer is not None:
            return
        with warnings.catch_warnings():
            # jieba 0.42 tries `import pkg_resources`, which newer setuptools flag as deprecated.
            warnings.filterwarnings("ignore", message=".*pkg_resources", category=Warning)
            import jieba

        jieba.setLogLevel(logging.WARNING)
        tokenizer = jieba.Tokenizer()
        tokenizer.initialize()
        _frequency, _total = tokenizer.FREQ, max(int(tokenizer.total), 1)
        _tokenizer = tokenizer


async def ready() -> None:
    """Make sure the segmenter is loaded, without blocking the event loop the first time."""
    if _tokenizer is None:
        await asyncio.to_thread(_load)


@lru_cache(maxsize=131_072)
def terms(text: str) -> tuple[str, ...]:
    """The terms of a text: jieba's search-mode segments (a long word and the shorter words in
    it), lower-cased, without punctuation, spaces, numbers and stop words."""
    if _tokenizer is None:
        _load()
    return tuple(
        word
        for raw in _tokenizer.cut_for_search(text)
        if (word := raw.strip().lower())
        and word not in STOP_WORDS
        and any(c.isalnum() for c in word)
        and not word.isdigit()  # counts, dates and house numbers say nothing of the topic
    )


@lru_cache(maxsize=65_536)
def _idf(term: str) -> float:
    return math.log(1 + _total / (_frequency.get(term, 0) + 1))


def bag(*, title: str, rest: tuple[str, ...]) -> Counter[str]:
    """Term counts of an entry: its title's terms TITLE_WEIGHT times, then the other texts."""
    counts: Counter[str] = Counter()
    for term in terms(title):
        counts[term] += TITLE_WEIGHT
    for text in rest:
        counts.update(terms(text))
    return counts


@lru_cache(maxsize=131_072)
def _document(title: str, rest: tuple[str, ...]) -> tuple[dict[str, int], int]:
    counts = bag(title=title, rest=rest)
    return dict(counts), sum(counts.values())


@lru_cache(maxsize=16_384)
def _query(title: str, rest: tuple[str, ...]) -> tuple[tuple[tuple[str, float, int], ...], float]:
    counts = bag(title=title, rest=rest)
    weighted = tuple((t, _idf(t), n) for t, n in counts.items())
    return weighted, sum(idf * n for _, idf, n in weighted)


def relevance(
    *, need_title: str, need_rest: tuple[str, ...], offer_title: str, offer_rest: tuple[str, ...]
) -> float:
    """0-1: BM25 of the resource's text for the need's text over the need's own weight."""
    query, full = _query(need_title, need_rest)
    if full <= 0:
        return 0.0
    document, length = _document(offer_title, offer_rest)
    norm = K1 * (1 - B + B * length / AVERAGE_LENGTH)
    score = 0.0
    for term, idf, weight in query:
        tf = document.get(term)
        if tf:
            score += weight * idf * tf * (K1 + 1) / (tf + norm)
    return min(1.0, score / full)


def common(
    *, need_title: str, need_rest: tuple[str, ...], offer_title: str, offer_rest: tuple[str, ...]
) -> list[str]:
    """The need's terms the resource's text holds, the most telling (rarest) first, without the
    shorter words of a longer one that is listed."""
    query, _ = _query(need_title, need_rest)
    document, _ = _document(offer_title, offer_rest)
    shared = sorted((t for t, _, _ in query if t in document), key=lambda t: (-_idf(t), t))
    return [t for t in shared if not any(t != o and t in o for o in shared)]


def probes(*, title: str, rest: tuple[str, ...]) -> list[str]:
    """The fewest terms of a text such that another text shares a term with it only if it holds
    one of them: the terms that hold no shorter term of the same text (a text holding 孤寡老人
    holds 老人). Each term of a text occurs in it, so a SQL `LIKE '%probe%'` on the other text
    finds every candidate whose relevance can be above 0 (and a few more)."""
    found = set(bag(title=title, rest=rest))
    return sorted(t for t in found if not any(o != t and o in t for o in found))
