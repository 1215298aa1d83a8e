"""Cells for the spreadsheets the office downloads (CSV and Excel exports).

Excel, WPS and LibreOffice run a cell that starts like a formula: `=HYPERLINK(...)` typed into
a self-service field would become a live link (or worse) in the office's copy. Every export
passes its text cells through `escape_formula`, which puts an apostrophe in front of them (the
spreadsheet programs' own "this is text" mark); imports take it off again.
"""

import re

# = and @ always start a formula, tab and CR can hide one; + and - do unless what follows is a
# plain number (a negative figure, a phone number such as +86 138 0013 8000).
FORMULA = re.compile(r"^(?:[=@\t\r\n]|[+-](?![\d\s.,%]*$))")


def escape_formula(value):
    """`value` safe for a spreadsheet cell: text that would run as a formula gets a leading
    apostrophe; anything else (numbers, dates, plain text) is returned as it is."""
    if isinstance(value, str) and FORMULA.match(value):
        return "'" + value
    return value


def unescape_formula(value):
    """Undo `escape_formula` on a cell read back from a spreadsheet the office exported."""
    if isinstance(value, str) and value.startswith("'") and FORMULA.match(value[1:]):
        return value[1:]
    return value


class FormulaSafeResourceMixin:
    """For django-import-export resources: exported cells escaped, imported ones unescaped.

    IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT only drops one leading "=" (so "==1+1" stays a
    formula, and "+", "-" and "@" pass); this covers every formula start.
    """

    def export_field(self, field, instance, **kwargs):
        return escape_formula(super().export_field(field, instance, **kwargs))

    def before_import_row(self, row, **kwargs):
        for key, value in row.items():
            row[key] = unescape_formula(value)
        super().before_import_row(row, **kwargs)
