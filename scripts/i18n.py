#!/usr/bin/env python3
"""Build the zh-hans catalogue from the translation tables in locale/src/*.tsv.

    python scripts/i18n.py          # write locale/zh_Hans/LC_MESSAGES/django.po and .mo
                                    # (and djangojs.po/.mo from locale/src/js/*.tsv)
    python scripts/i18n.py --check  # also list msgids in the code that no table translates

Each table line is `English msgid<TAB>中文`, or `singular<TAB>plural<TAB>中文` for a plural.
The .mo is written by this script (no GNU gettext needed); `--check` uses makemessages, which
needs xgettext.
"""

import array
import ast
import struct
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "locale" / "zh_Hans" / "LC_MESSAGES"
HEADER = (
    "Project-Id-Version: alumni-cms\n"
    "Language: zh_Hans\n"
    "MIME-Version: 1.0\n"
    "Content-Type: text/plain; charset=UTF-8\n"
    "Content-Transfer-Encoding: 8bit\n"
    "Plural-Forms: nplurals=1; plural=0;\n"
)


def load_tables(folder: Path = ROOT / "locale" / "src") -> dict:
    entries = {}
    for path in sorted(folder.glob("*.tsv")):
        for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            parts = [_unescape(p) for p in line.split("\t")]
            if len(parts) == 2:
                entries[parts[0]] = (None, parts[1])
            elif len(parts) == 3:
                entries[parts[0]] = (parts[1], parts[2])
            else:
                sys.exit(f"{path.name}:{lineno}: expected 2 or 3 tab-separated columns")
    return entries


def _unescape(text: str) -> str:
    return text.replace("\\n", "\n").replace("\\t", "\t")


def _po_quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def write_po(entries: dict, domain: str = "django") -> None:
    lines = ['msgid ""', "msgstr " + _po_quote(HEADER), ""]
    for msgid, (plural, msgstr) in sorted(entries.items()):
        lines.append("msgid " + _po_quote(msgid))
        if plural is None:
            lines.append("msgstr " + _po_quote(msgstr))
        else:
            lines += ["msgid_plural " + _po_quote(plural), "msgstr[0] " + _po_quote(msgstr)]
        lines.append("")
    (OUT / f"{domain}.po").write_text("\n".join(lines), encoding="utf-8")


def write_mo(entries: dict, domain: str = "django") -> None:
    """GNU .mo format, as CPython's Tools/i18n/msgfmt.py writes it."""
    catalog = {"": HEADER}
    for msgid, (plural, msgstr) in entries.items():
        catalog[msgid if plural is None else f"{msgid}\0{plural}"] = msgstr
    keys = sorted(catalog)
    ids = strs = b""
    offsets = []
    for key in keys:
        kb, vb = key.encode(), catalog[key].encode()
        offsets.append((len(ids), len(kb), len(strs), len(vb)))
        ids += kb + b"\0"
        strs += vb + b"\0"
    keystart = 7 * 4 + 16 * len(keys)
    valuestart = keystart + len(ids)
    koffsets, voffsets = [], []
    for o1, l1, o2, l2 in offsets:
        koffsets += [l1, o1 + keystart]
        voffsets += [l2, o2 + valuestart]
    header = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    body = array.array("i", koffsets + voffsets)
    (OUT / f"{domain}.mo").write_bytes(header + body.tobytes() + ids + strs)


def code_msgids() -> set:
    # makemessages rewrites django.po in place; main() writes it again from the tables after.
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-location",
         "--ignore=.venv/*", "--ignore=data/*", "--ignore=tests/*", "--ignore=bench/*"],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    text = (OUT / "django.po").read_text(encoding="utf-8")
    found, current = set(), None
    for line in text.splitlines() + [""]:
        if line.startswith("msgid "):
            current = ast.literal_eval(line[6:])
        elif line.startswith('"') and current is not None:
            current += ast.literal_eval(line)
        else:
            if current:
                found.add(current)
            current = None
    return found


def main() -> int:
    OUT.mkdir(parents=True, exist_ok=True)
    entries = load_tables()
    missing = []
    if "--check" in sys.argv:
        missing = sorted(code_msgids() - set(entries))
    write_po(entries)
    write_mo(entries)
    print(f"{len(entries)} translations written to {OUT.relative_to(ROOT)}")
    # JavaScript's catalogue (the admin's jsi18n): strings of Django's own admin scripts that
    # Django's zh_Hans lacks, e.g. SelectFilter2's help under a two-list picker. LOCALE_PATHS
    # come before Django's own catalogues.
    js_entries = load_tables(ROOT / "locale" / "src" / "js")
    if js_entries:
        write_po(js_entries, "djangojs")
        write_mo(js_entries, "djangojs")
        print(f"{len(js_entries)} JavaScript translations written to {OUT.relative_to(ROOT)}")
    for msgid in missing:
        print(f"untranslated: {msgid!r}")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
