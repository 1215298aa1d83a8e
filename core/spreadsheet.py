"""Cells for the spreadsheets the office downloads (CSV and Excel exports).

Excel, WPS and LibreOffice run a cell that starts like a formula: `=HYPERLINK(...)` typed into
a self-service field would become a live link (or worse) in the office's copy. Every export
passes its text cells through `escape_formula`, which puts an apostrophe in front of them (the
spreadsheet programs' own "this is text" mark); imports take it off again.
"""

import re

from django.utils.translation import gettext
from import_export.formats.base_formats import CSV
from import_export.forms import SelectableFieldsExportForm

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


# Excel on Chinese Windows saves "CSV" in GBK; saved as "CSV UTF-8" it starts with a BOM. GB18030
# is a superset of GBK (and of GB2312), so one attempt covers all three.
TEXT_ENCODINGS = ("utf-8-sig", "gb18030")


class UnreadableFileError(ValueError):
    """A spreadsheet file that is neither UTF-8 nor GBK/GB18030 text."""


def decode_text(data: bytes) -> str:
    """The text of an uploaded CSV file, read as UTF-8 (with or without a BOM), then as
    GB18030. Raises UnreadableFileError, with a message for the person, when neither works
    or the file holds NUL bytes (a binary file that happens to decode)."""
    for encoding in TEXT_ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UnreadableFileError(
        gettext(
            "This file cannot be read as a CSV table. Save it from Excel as "
            "“CSV (comma delimited)” or “CSV UTF-8”, or upload the Excel workbook (.xlsx)."
        )
    )


class ExcelCSV(CSV):
    """CSV as the office's Excel reads and writes it. Imports accept UTF-8 with or without a
    BOM and GBK/GB18030 (see `decode_text`); exports are UTF-8 with a BOM, without which Excel
    reads UTF-8 as the system's GBK and shows mojibake. The format handles the bytes itself,
    so it declares itself binary: the admin then passes the upload and the download through
    untouched instead of decoding them with one fixed `from_encoding`."""

    def is_binary(self):
        return True

    def get_read_mode(self):
        return "rb"

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = decode_text(in_stream)
        return super().create_dataset(in_stream, **kwargs)

    def export_data(self, dataset, **kwargs):
        return super().export_data(dataset, **kwargs).encode("utf-8-sig")


class ColumnNamesExportForm(SelectableFieldsExportForm):
    """The export page with each field's checkbox labelled by the column name the file will
    carry (Chinese for the office), not by the field name in English capitals."""

    def __init__(self, formats, resources, **kwargs):
        super().__init__(formats, resources, **kwargs)
        for resource in resources:
            for name, field in resource().fields.items():
                box = self.fields.get(self.create_boolean_field_name(resource, name))
                if box is not None:
                    box.label = field.column_name
