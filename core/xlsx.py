"""An Excel workbook of one sheet, written row by row as it is sent (long exports).

openpyxl's write-only mode and XlsxWriter's constant_memory mode both build a Python object
and escape through several calls per cell: at 50,000 survey answers of 25 columns (1.25 million
cells) each took about 20 s of CPU on our two cores (bench/README.md), and openpyxl keeps every
distinct text in memory for its shared-strings table. A sheet of plain values needs none of
that: this writes its XML itself, a string join per row with the text as inline strings, into
the standard library's zipfile on a sink the response drains. Memory stays flat (one batch of
rows and zlib's window), the first bytes leave at once, and the file is an ordinary .xlsx
(Excel, WPS, LibreOffice and openpyxl read it; tests read it back with openpyxl).

Cells are ints, floats, Decimals (numbers), None or "" (left empty) and anything else as text;
callers escape formulas first (core.spreadsheet.escape_formula): nothing here is a formula.
"""

import zipfile
from collections.abc import Iterable, Iterator
from decimal import Decimal
from math import isfinite
from xml.sax.saxutils import quoteattr

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Excel refuses a file whose cell holds more (it offers to "repair" it and drops the text).
MAX_CELL_CHARS = 32767
# Rows per write into the zip: big enough that the per-write cost vanishes, small enough that
# a batch is a few hundred kilobytes.
ROWS_PER_WRITE = 500

# XML 1.0 has no place for C0 controls other than tab, LF and CR, nor for U+FFFE and U+FFFF:
# a free-text answer carrying one would make the whole file unreadable. They are dropped.
_TEXT = {ord("&"): "&amp;", ord("<"): "&lt;", ord(">"): "&gt;", 0xFFFE: None, 0xFFFF: None}
_TEXT.update({code: None for code in range(32) if code not in (9, 10, 13)})

_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PACKAGE_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
_DECLARATION = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'

_CONTENT_TYPES = (
    _DECLARATION + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships'
    '+xml"/><Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.sheet.main+xml"/>'
    '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.worksheet+xml"/>'
    '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
    'officedocument.spreadsheetml.styles+xml"/></Types>'
)
_ROOT_RELS = (
    _DECLARATION + f'<Relationships xmlns="{_PACKAGE_REL}">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WORKBOOK_RELS = (
    _DECLARATION + f'<Relationships xmlns="{_PACKAGE_REL}">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/></Relationships>'
)
# Style 0 is the default, style 1 the header row's bold.
_STYLES = (
    _DECLARATION + f'<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _column(index: int) -> str:
    """0 -> A, 25 -> Z, 26 -> AA."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(65 + rest) + name
    return name


def _text(value) -> str:
    return str(value)[:MAX_CELL_CHARS].translate(_TEXT)


def _row(number: int, values, columns: list[str], style: str) -> str:
    cells = []
    for column, value in zip(columns, values, strict=False):
        if value is None or value == "":
            continue
        kind = type(value)
        # NaN and infinity have no place in a cell's number: they go as text.
        if (
            kind is int
            or (kind is float and isfinite(value))
            or (kind is Decimal and value.is_finite())
        ):
            cells.append(f'<c r="{column}{number}"{style}><v>{value}</v></c>')
        else:
            cells.append(
                f'<c r="{column}{number}"{style} t="inlineStr"><is><t xml:space="preserve">'
                f"{_text(value)}</t></is></c>"
            )
    return f'<row r="{number}">{"".join(cells)}</row>'


class _Sink:
    """Where zipfile writes: collects the bytes until the generator hands them on. It has no
    tell() or seek(), so zipfile writes each member's sizes after its data, as streaming needs."""

    def __init__(self):
        self.parts: list[bytes] = []

    def write(self, data) -> int:
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data = b"".join(self.parts)
        self.parts.clear()
        return data


def stream_xlsx(rows: Iterable[list], *, sheet_title: str = "Sheet1") -> Iterator[bytes]:
    """The workbook's bytes, piece by piece, for a StreamingHttpResponse. The first row is
    the header (bold, frozen at the top); every row may have up to as many cells as it.
    Raises nothing of its own; an error from `rows` stops the file (the download is broken,
    as any interrupted download)."""
    rows = iter(rows)
    header = next(rows, [])
    columns = [_column(n) for n in range(max(len(header), 1))]
    # A sheet's name: at most 31 characters, none of []:*?/\ (Excel refuses the file).
    title = "".join(c for c in str(sheet_title) if c not in "[]:*?/\\")[:31] or "Sheet1"
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr(
            "xl/workbook.xml",
            _DECLARATION + f'<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            f'<sheet name={quoteattr(_text(title))} sheetId="1" r:id="rId1"/></sheets>'
            "</workbook>",
        )
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        yield sink.take()
        with book.open("xl/worksheets/sheet1.xml", "w") as sheet:
            sheet.write(
                (
                    _DECLARATION + f'<worksheet xmlns="{_MAIN}"><sheetViews>'
                    '<sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
                    'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews>'
                    "<sheetData>" + _row(1, header, columns, ' s="1"')
                ).encode("utf-8", "replace")
            )
            batch = []
            for number, values in enumerate(rows, start=2):
                batch.append(_row(number, values, columns, ""))
                if len(batch) == ROWS_PER_WRITE:
                    sheet.write("".join(batch).encode("utf-8", "replace"))
                    batch.clear()
                    yield sink.take()
            batch.append("</sheetData></worksheet>")
            sheet.write("".join(batch).encode("utf-8", "replace"))
    yield sink.take()
