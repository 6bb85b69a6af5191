"""Proximity in the officers' catalogue names, scored in memory.

Procedure, agency and field names repeat across dossiers: a hundred thousand dossiers carry a few hundred
distinct names. Phrases of common words in those fields ("đăng ký", "quyền sử dụng đất") cost the engine a walk
through positions of most entries; scored once per distinct name instead, they cost nothing, and the engine only
adds a constant per name (a keyword term). The words themselves are still BM25-scored by the engine.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from search.analysis import words


@dataclass(frozen=True)
class _Name:
    value: str  # the keyword the index holds (the name as written)
    tokens: tuple[str, ...]  # folded words
    vocabulary: frozenset[str]
    pairs: frozenset[tuple[str, str]]


class Catalogue:
    """Distinct names of one metadata field (procedures, agencies, fields)."""

    def __init__(self, names: Iterable[str]) -> None:
        self._names = [_Name(n, tokens, frozenset(tokens), frozenset(itertools.pairwise(tokens)))
                       for n, tokens in ((n, tuple(words(n))) for n in sorted(set(names)))]
        frequency: dict[str, int] = {}
        for name in self._names:
            for token in set(name.tokens):
                frequency[token] = frequency.get(token, 0) + 1
        total = max(1, len(self._names))
        self._idf = {t: math.log(1 + (total - n + 0.5) / (n + 0.5)) for t, n in frequency.items()}

    def __len__(self) -> int:
        return len(self._names)

    def covered(self, query: Sequence[str]) -> set[int]:
        """Positions of the query words found in the one name that holds most of them."""
        best: set[int] = set()
        for name in self._names:
            found = {i for i, w in enumerate(query) if w in name.vocabulary}
            if len(found) > len(best):
                best = found
        return best

    def proximity(self, query: Sequence[str], *, pair: float, run: float, run_size: int = 3,
                  limit: int = 30) -> list[tuple[str, float]]:
        """Names scored for the query's adjacent word pairs (weight `pair`) and runs of `run_size` words found in
        order at most one word apart (weight `run`), each scored by the sum of its words' idf in the catalogue;
        the best `limit` names with a positive score."""
        pairs = set(itertools.pairwise(query))
        runs = {tuple(query[i:i + run_size]) for i in range(len(query) - run_size + 1)} if run else set()
        scored: list[tuple[str, float]] = []
        for name in self._names:
            score = 0.0
            if pair:
                score += pair * sum(self._idf[a] + self._idf[b] for a, b in name.pairs & pairs)
            for words_run in runs:
                if name.vocabulary.issuperset(words_run) and _in_order(name.tokens, words_run, slop=1):
                    score += run * sum(self._idf.get(w, 0.0) for w in words_run)
            if score > 0:
                scored.append((name.value, score))
        scored.sort(key=lambda item: -item[1])
        return scored[:limit]


def _in_order(tokens: tuple[str, ...], run: tuple[str, ...], *, slop: int) -> bool:
    """Whether the run's words occur in order in the tokens, with at most `slop` extra words in all between."""
    for start, token in enumerate(tokens):
        if token != run[0]:
            continue
        position, gaps = start, 0
        for word in run[1:]:
            nxt = position + 1
            while nxt < len(tokens) and tokens[nxt] != word and nxt - position - 1 + gaps < slop:
                nxt += 1
            if nxt >= len(tokens) or tokens[nxt] != word:
                break
            gaps += nxt - position - 1
            position = nxt
        else:
            return True
    return False
