"""The printed check-in list: who may come in, ordered as people look for a name on paper.

Chinese names sort by the pinyin of the family name, then of the given name (as a class list
does); the family name's reading is the one it has as a surname (曾 zēng, 单 shàn, 仇 qiú), which
the everyday reading pypinyin gives first is not. Other names sort by their letters among them.
"""

from pypinyin import lazy_pinyin

from core.names import is_cjk

# Characters read differently as a family name (the common ones).
SURNAME_READINGS = {
    "曾": "zeng",
    "单": "shan",
    "仇": "qiu",
    "解": "xie",
    "查": "zha",
    "区": "ou",
    "朴": "piao",
    "乐": "yue",
    "覃": "qin",
    "缪": "miao",
    "翟": "zhai",
    "盖": "ge",
    "种": "chong",
    "秘": "bi",
    "召": "shao",
    "繁": "po",
    "员": "yun",
    "柏": "bai",
    "重": "chong",
    "折": "she",
    "谌": "chen",
    "黑": "he",
    "句": "gou",
    "长": "chang",
    "尉": "wei",
    "藏": "zang",
    "便": "pian",
    "隗": "wei",
}
COMPOUND_SURNAMES = {"尉迟": ["yu", "chi"], "万俟": ["mo", "qi"], "单于": ["chan", "yu"]}


def pinyin_key(name: str) -> tuple:
    """A sort key: the syllables of the name, the family name read as a surname."""
    name = (name or "").strip()
    if not is_cjk(name):
        return (tuple(name.casefold().split()), name)
    for compound, syllables in COMPOUND_SURNAMES.items():
        if name.startswith(compound):
            return (tuple(syllables + _syllables(name[len(compound) :])), name)
    family = SURNAME_READINGS.get(name[0])
    rest = _syllables(name[1:]) if family else []
    syllables = [family, *rest] if family else _syllables(name)
    return (tuple(syllables), name)


def _syllables(text: str) -> list[str]:
    return [s.casefold() for s in lazy_pinyin(text) if s.strip()]


def initial(name: str) -> str:
    """The letter a name is listed under (A–Z, or # for anything else)."""
    syllables = pinyin_key(name)[0]
    letter = syllables[0][:1].upper() if syllables and syllables[0] else ""
    return letter if "A" <= letter <= "Z" else "#"
