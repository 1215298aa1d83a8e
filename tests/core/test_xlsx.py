import io
import itertools
import tracemalloc
import zipfile
from decimal import Decimal

from openpyxl import load_workbook

from core.xlsx import MAX_CELL_CHARS, stream_xlsx


def read(chunks, **kwargs):
    book = load_workbook(io.BytesIO(b"".join(chunks)), **kwargs)
    return book.active


def test_cells_read_back_as_written_numbers_as_numbers():
    rows = [
        ["编号", "姓名", "满意度", "建议"],
        [1, "李娜", Decimal("4.5"), "多办活动"],
        [2, "王芳", 3.25, None],
    ]

    sheet = read(stream_xlsx(rows, sheet_title="校友需求调查"))

    assert sheet.title == "校友需求调查"
    assert list(sheet.iter_rows(values_only=True)) == [
        ("编号", "姓名", "满意度", "建议"),
        (1, "李娜", 4.5, "多办活动"),
        (2, "王芳", 3.25, None),
    ]


def test_numbers_that_are_not_finite_are_written_as_text():
    rows = [["数"], [Decimal("NaN")], [float("inf")], [Decimal("-Infinity")], [True]]

    sheet = read(stream_xlsx(rows))

    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        "NaN",
        "inf",
        "-Infinity",
        "True",
    ]


def test_markup_and_spaces_in_text_stay_text():
    rows = [["建议"], ["<b>a & b</b>"], ["  两个空格  "], ["第一行\n第二行"]]

    sheet = read(stream_xlsx(rows))

    assert [r[0] for r in sheet.iter_rows(min_row=2, values_only=True)] == [
        "<b>a & b</b>",
        "  两个空格  ",
        "第一行\n第二行",
    ]


def test_characters_xml_cannot_hold_are_dropped_not_breaking_the_file():
    sheet = read(stream_xlsx([["建议"], ["响\x00铃\x07\x1b了\ufffe"]]))

    assert sheet["A2"].value == "响铃了"


def test_text_longer_than_excel_allows_is_cut_to_its_limit():
    sheet = read(stream_xlsx([["建议"], ["长" * (MAX_CELL_CHARS + 10)]]))

    assert len(sheet["A2"].value) == MAX_CELL_CHARS


def test_header_is_bold_and_frozen():
    sheet = read(stream_xlsx([["编号", "姓名"], [1, "李娜"]]))

    assert sheet["A1"].font.b and not sheet["A2"].font.b
    assert sheet.freeze_panes == "A2"


def test_sheet_name_loses_what_excel_forbids_and_is_cut_to_31():
    sheet = read(stream_xlsx([["编号"]], sheet_title="2026年[校友]:需求/调查?" + "长" * 40))

    assert sheet.title == ("2026年校友需求调查" + "长" * 40)[:31]


def test_many_columns_get_two_letter_names():
    header = [f"问题{n}" for n in range(30)]
    sheet = read(stream_xlsx([header, list(range(30))]))

    assert sheet["AD1"].value == "问题29"
    assert sheet["AD2"].value == 29


def test_bytes_leave_before_the_rows_are_all_read():
    taken = []

    def rows():
        yield ["编号"]
        for n in range(5000):
            taken.append(n)
            yield [n]

    chunks = stream_xlsx(rows())
    sent = 0
    while len(taken) < 5000:
        sent += len(next(chunks))
        if len(taken) < 2000:
            break

    assert sent > 0 and len(taken) < 2000


def test_memory_does_not_grow_with_the_number_of_rows():
    def peak(count):
        rows = ([n, f"校友{n}", f"建议{n}" * 5] for n in range(count))
        tracemalloc.start()
        try:
            for _chunk in stream_xlsx(itertools.chain([["编号", "姓名", "建议"]], rows)):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(2_000), peak(20_000)

    assert large < small * 1.5


def test_the_file_is_a_zip_with_the_parts_excel_needs():
    with zipfile.ZipFile(io.BytesIO(b"".join(stream_xlsx([["编号"], [1]])))) as book:
        names = set(book.namelist())
        assert book.testzip() is None

    assert {
        "[Content_Types].xml",
        "_rels/.rels",
        "xl/workbook.xml",
        "xl/_rels/workbook.xml.rels",
        "xl/styles.xml",
        "xl/worksheets/sheet1.xml",
    } <= names
