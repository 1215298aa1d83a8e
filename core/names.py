"""How the site names a person: one helper for emails, the admin and the audit trail.

Chinese names are written family name first with no space (林晓舟), as the office writes
them; Django's `get_full_name()` gives "first last" with a space (晓舟 林). Other names keep
the Western order. A user without a name is named by their login.
"""

import re

# CJK Unified Ideographs with extension A, the compatibility block and the supplementary
# ideographic planes (rare family names such as 𠮷 live there), plus kana and Hangul.
_CJK = re.compile(
    "[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\U00020000-\U0003134f]"
)


def is_cjk(text: str) -> bool:
    """Whether `text` holds a Chinese, Japanese or Korean character."""
    return bool(_CJK.search(text or ""))


def display_name(user) -> str:
    """`user`'s name as people read it: 林晓舟, "Ada Lovelace", or the login without a name.

    Returns "" for no user (the caller names the system, e.g. "the scheduler").
    """
    if user is None:
        return ""
    first = (getattr(user, "first_name", "") or "").strip()
    last = (getattr(user, "last_name", "") or "").strip()
    if is_cjk(first) or is_cjk(last):
        return f"{last}{first}"
    full = " ".join(part for part in (first, last) if part)
    return full or user.get_username()
