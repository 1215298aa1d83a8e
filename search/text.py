"""Chinese-aware tokens for the search index, the query's terms, and highlighted snippets.

Chinese has no spaces between words, and no word list is needed to find one: every run of
CJK characters is cut into overlapping pairs of characters (北京大学 → 北京 京大 大学), the
approach of Lucene's CJKBigramFilter and Elasticsearch's `cjk` analyzer. A query is cut the same
way and its pairs must follow each other (a phrase), so a two-, three- or four-character word is
found exactly where it stands in the text, never as scattered characters. A run's last character
is kept as a token of its own as well, so a one-character query (`学`) is a prefix query that
finds every character: each one starts a pair or ends a run. Other letters and digits are words,
as spaces and punctuation separate them; everything is NFKC-normalized (full-width Ａ１ → a1),
case-folded and folded from Traditional to Simplified characters (`fold_traditional`), so alumni
in Hong Kong, Taiwan or abroad who type 校友會 find 校友会, and an item written in Traditional
characters is found by 捐赠. The database only ever sees tokens made of letters and digits
separated by spaces, so its own tokenizer (SQLite FTS5 `unicode61`, PostgreSQL's `simple`
configuration) has nothing left to decide.
"""

import re
import unicodedata
from dataclasses import dataclass
from functools import cache

import opencc
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

_CJK_CHARS = (
    "\u2e80-\u2fdf"  # radicals
    "\u3040-\u30ff"  # kana
    "\u3100-\u312f"  # bopomofo
    "\u3400-\u4dbf"  # extension A
    "\u4e00-\u9fff"  # unified ideographs
    "\uac00-\ud7af"  # hangul
    "\uf900-\ufaff"  # compatibility ideographs
    "\U00020000-\U0003134f"  # extensions B–G
)
_CJK = f"[{_CJK_CHARS}]"
_WORD = re.compile(r"[^\W_]+")
_CJK_RUN = re.compile(f"({_CJK}+)")
_IS_CJK = re.compile(f"{_CJK}")
# A Latin "word" longer than this is no word anyone types (a hash, a pasted URL's innards).
WORD_MAX_LENGTH = 40
# Terms of one query: more says nothing more and costs the database more.
QUERY_MAX_TERMS = 12


# The ideograph blocks folded (unified, extension A, compatibility, extensions B–G).
_IDEOGRAPHS = ((0x3400, 0x4DC0), (0x4E00, 0xA000), (0xF900, 0xFB00), (0x20000, 0x31350))


@cache
def _folding() -> tuple[dict[int, int], dict[str, str]]:
    """({code point: its Simplified code point}, {Simplified character: the characters that
    fold to it}) for every ideograph OpenCC's Traditional→Simplified table (t2s) changes.

    One character at a time, not OpenCC's phrase conversion: a folded text keeps every
    character where it was, and the index and the query fold alike whatever surrounds a
    character. The price is the few characters whose Simplified form depends on the word (乾隆
    folds to 干隆), identically on both sides. Built once per process on first use (two calls
    to OpenCC, about 0.2 s): the characters go one a line, so no phrase spans two.
    """
    chars = [chr(cp) for low, high in _IDEOGRAPHS for cp in range(low, high)]
    text = "\n".join(chars)
    folded = opencc.OpenCC("t2s").convert(text).split("\n")
    # Hong Kong's own forms that t2s leaves alone (衞生, 枱, 敍): its hk2s table, for those only.
    hong_kong = opencc.OpenCC("hk2s").convert(text).split("\n")
    table, variants = {}, {}
    for char, simple, hk_simple in zip(chars, folded, hong_kong, strict=True):
        if simple == char:
            simple = hk_simple
        if len(simple) == 1 and simple != char:
            table[ord(char)] = ord(simple)
            variants[simple] = variants.get(simple, "") + char
    return table, variants


def fold_traditional(text: str) -> str:
    """`text` with each Traditional Chinese character replaced by its Simplified form (校友會 →
    校友会); same length, every other character unchanged."""
    return text.translate(_folding()[0])


def normalize(text: str) -> str:
    return fold_traditional(unicodedata.normalize("NFKC", text or "").casefold())


def _runs(text: str) -> list[str]:
    """The CJK runs and the other words of `text`, normalized, in order."""
    runs = []
    for word in _WORD.findall(normalize(text)):
        parts = [word] if word.isascii() else [part for part in _CJK_RUN.split(word) if part]
        runs.extend(part for part in parts if len(part) <= WORD_MAX_LENGTH or _IS_CJK.match(part))
    return runs


def _bigrams(run: str) -> list[str]:
    return [run[i : i + 2] for i in range(len(run) - 1)]


def index_tokens(text: str) -> str:
    """`text` as the index stores it: CJK pairs (and each run's last character), words."""
    tokens = []
    for run in _runs(text):
        if _IS_CJK.match(run):
            tokens.extend(_bigrams(run))
            tokens.append(run[-1])
        else:
            tokens.append(run)
    return " ".join(tokens)


@dataclass(frozen=True)
class Term:
    """One term of a query: `tokens` must follow each other in the text; `prefix` for a single
    CJK character (any token that starts with it)."""

    text: str
    tokens: tuple[str, ...]
    prefix: bool = False


def query_terms(query: str) -> list[Term]:
    """The terms of what a person typed (every one must match); [] when nothing searchable is
    left (only punctuation, symbols or emoji)."""
    terms: list[Term] = []
    for run in _runs(query):
        if _IS_CJK.match(run):
            term = (
                Term(run, (run,), prefix=True) if len(run) == 1 else Term(run, tuple(_bigrams(run)))
            )
        else:
            term = Term(run, (run,))
        if term not in terms:
            terms.append(term)
    return terms[:QUERY_MAX_TERMS]


# Highlighting: escape first, then mark. The text is cut at the matches and every piece is
# escaped on its own, so nothing from the content or the query reaches the page unescaped.

SNIPPET_LENGTH = 110
SNIPPET_BEFORE = 24


def _either_form(word: str) -> str:
    """A regular expression of `word` (Simplified, as terms are) that also matches it written
    in Traditional characters, so a text is marked as written without folding it (a page's
    snippets would otherwise fold every hit's whole text)."""
    variants = _folding()[1]
    return "".join(
        f"[{re.escape(char)}{variants[char]}]" if char in variants else re.escape(char)
        for char in word
    )


def _pattern(terms: list[Term]) -> re.Pattern | None:
    words = sorted({term.text for term in terms}, key=len, reverse=True)
    if not words:
        return None
    return re.compile("|".join(_either_form(word) for word in words), re.IGNORECASE)


def _marked(text: str, pattern: re.Pattern | None) -> SafeString:
    if pattern is None:
        return mark_safe(escape(text))  # escaped whole
    parts, last = [], 0
    for match in pattern.finditer(text):
        parts.append(escape(text[last : match.start()]))
        parts.append(f"<mark>{escape(match.group())}</mark>")
        last = match.end()
    parts.append(escape(text[last:]))
    return mark_safe("".join(parts))  # every piece above is escaped


def highlight(text: str, terms: list[Term]) -> SafeString:
    """`text`, escaped, with the query's terms in <mark>."""
    return _marked(text, _pattern(terms))


def snippet(text: str, terms: list[Term], *, length: int = SNIPPET_LENGTH) -> SafeString:
    """About `length` characters of `text` around the first match (its start when none),
    escaped, with the terms in <mark> and … where it was cut."""
    text = " ".join((text or "").split())
    pattern = _pattern(terms)
    match = pattern.search(text) if pattern is not None else None
    start = 0
    if match is not None and match.start() > SNIPPET_BEFORE:
        start = match.start() - SNIPPET_BEFORE
    end = min(len(text), start + length)
    if end == len(text):
        start = max(0, end - length)
    piece = _marked(text[start:end], pattern)
    return mark_safe(("…" if start else "") + piece + ("…" if end < len(text) else ""))
