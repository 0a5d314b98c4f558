#!/usr/bin/env python3
"""Writes the package variants of the seed sample that fixtures/README.md lists (issue 18).

Each is `fixtures/qiannan-finance-2023.xlsx` re-packed the way some other producer legally
packs a workbook, its cells unchanged, so each must give the sample's two errors (H29
score-formula 1.98 -> 2.00, H38 total-score 99.95 -> 99.97) and a corrected copy that
opens:

  package-workbook-renamed.xlsx   the workbook part is xl/book.xml, named by _rels/.rels (its
                                  relationships part and content type follow it)
  package-part-names-case.xlsx    every part name stored in another case (XL/Workbook.xml...),
                                  the relationships and content types naming them as before
  package-backslash-sheet.xlsx    the sheet stored as xl\\worksheets\\sheet1.xml
  package-utf16.xlsx              the sheet and the shared strings in UTF-16 (byte-order mark
                                  and encoding declaration)
  package-comments-cdata.xlsx     the sheet over 64 KB: a long XML comment between rows that
                                  quotes `</row>` and row markup, a CDATA section holding
                                  `</row>` in an inline string, and a `<mergeCell>` commented
                                  out inside <mergeCells>
  package-spoofed-main-part.xlsx  the spoof: _rels/.rels names xl/real.xml (the sample), while
                                  a decoy xl/workbook.xml lists a sheet already corrected; the
                                  spreadsheet programs show the real part, so must the checker

The expected findings beside each (`NAME.xlsx.expected.json`) are the sample's, written by
this script from the sample's own file (the variants change packaging, never a cell).

Run: python3 scripts/packages.py   (standard library only)
"""

import json
import pathlib
import re
import zipfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SAMPLE = FIXTURES / "qiannan-finance-2023.xlsx"
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
TYPES = "[Content_Types].xml"
PKG_RELS = "_rels/.rels"
WORKBOOK = "xl/workbook.xml"
WB_RELS = "xl/_rels/workbook.xml.rels"
WORKSHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
MAIN_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"


def sample_parts():
    """The sample's parts in package order: [(name, bytes)]."""
    with zipfile.ZipFile(SAMPLE) as z:
        return [(i.filename, z.read(i.filename)) for i in z.infolist()]


def write(name, parts):
    """Writes fixtures/NAME deflated, with fixed times, so that a rerun gives the same bytes."""
    with zipfile.ZipFile(FIXTURES / name, "w", zipfile.ZIP_DEFLATED) as z:
        for part, data in parts:
            info = zipfile.ZipInfo(part, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)


def text(parts, name):
    return dict(parts)[name].decode("utf-8")


def replace(parts, name, new_name=None, data=None):
    """`parts` with part `name` renamed and/or given new bytes, in its place."""
    out = []
    for part, old in parts:
        if part == name:
            out.append((new_name or part, old if data is None else data))
        else:
            out.append((part, old))
    return out


def once(haystack, old, new):
    assert haystack.count(old) == 1, (old, haystack.count(old))
    return haystack.replace(old, new)


def renamed_workbook():
    parts = sample_parts()
    rels = once(text(parts, PKG_RELS), 'Target="xl/workbook.xml"', 'Target="xl/book.xml"')
    types = once(text(parts, TYPES), 'PartName="/xl/workbook.xml"', 'PartName="/xl/book.xml"')
    parts = replace(parts, PKG_RELS, data=rels.encode())
    parts = replace(parts, TYPES, data=types.encode())
    parts = replace(parts, WORKBOOK, "xl/book.xml")
    return replace(parts, WB_RELS, "xl/_rels/book.xml.rels")


def part_names_in_another_case():
    def recase(name):
        # XL/Worksheets/Sheet1.xml: every segment capitalised, `_rels` and `.rels` kept.
        return "/".join(
            s if s.startswith("_rels") or s.startswith("[") else s[:1].upper() + s[1:]
            for s in name.split("/")
        ).replace("Xl/", "XL/", 1)

    return [(recase(name), data) for name, data in sample_parts()]


def backslash_sheet():
    return replace(sample_parts(), SHEET, SHEET.replace("/", "\\"))


def utf16(xml):
    declared = once(xml, 'encoding="UTF-8"', 'encoding="UTF-16"')
    return b"\xff\xfe" + declared.encode("utf-16-le")


def utf16_parts():
    parts = sample_parts()
    parts = replace(parts, SHEET, data=utf16(text(parts, SHEET)))
    return replace(parts, STRINGS, data=utf16(text(parts, STRINGS)))


def comments_and_cdata():
    parts = sample_parts()
    sheet = text(parts, SHEET)
    # About 80 KB of comment before row 29, quoting the markup a byte scanner looks for.
    fake = '</row><row r="29"><c r="H29" t="s"><v>0</v></c></row><mergeCell ref="A1:I40"/>'
    comment = "<!-- 以下为填报软件留下的注释 " + " ".join(
        f"{n:05d} {fake}" for n in range(1000)
    ) + " -->"
    sheet = once(sheet, '<row r="29"', comment + '<row r="29"')
    # A CDATA section holding `</row>`, in a note beside the form's last row.
    cdata = '<c r="K40" t="inlineStr"><is><t><![CDATA[备注：</row> 不是行的结束]]></t></is></c>'
    sheet = once(sheet, '<v>111</v></c></row>', '<v>111</v></c>' + cdata + '</row>')
    # A merged range commented out: no merge at all.
    sheet = once(
        sheet,
        '<mergeCells count="18">',
        '<mergeCells count="18"><!-- <mergeCell ref="A11:I37"/> -->',
    )
    assert len(sheet.encode()) > 64 * 1024
    return replace(parts, SHEET, data=sheet.encode())


def spoofed_main_part():
    parts = sample_parts()
    pkg_rels = once(text(parts, PKG_RELS), 'Target="xl/workbook.xml"', 'Target="xl/real.xml"')
    types = once(
        text(parts, TYPES),
        "</Types>",
        f'<Override PartName="/xl/real.xml" ContentType="{MAIN_TYPE}"/>'
        f'<Override PartName="/xl/worksheets/sheet2.xml" ContentType="{WORKSHEET_TYPE}"/>'
        "</Types>",
    )
    # The decoy's sheet: the sample with H29 and H38 already right.
    decoy_sheet = text(parts, SHEET)
    for cell, shown in [("H29", "2.00"), ("H38", "99.97")]:
        decoy_sheet = re.sub(
            rf'<c r="{cell}" s="1" t="s"><v>\d+</v></c>',
            f'<c r="{cell}" s="1" t="inlineStr"><is><t>{shown}</t></is></c>',
            decoy_sheet,
        )
    assert decoy_sheet.count('t="inlineStr"') == 2
    decoy_rels = once(
        text(parts, WB_RELS), 'Target="worksheets/sheet1.xml"', 'Target="worksheets/sheet2.xml"'
    )
    real = dict(parts)
    out = []
    for name, data in parts:
        if name == PKG_RELS:
            out.append((name, pkg_rels.encode()))
        elif name == TYPES:
            out.append((name, types.encode()))
        elif name == WB_RELS:
            # The decoy's relationships, then the real part's.
            out.append((name, decoy_rels.encode()))
            out.append(("xl/_rels/real.xml.rels", real[WB_RELS]))
        elif name == WORKBOOK:
            out.append((name, data))
            out.append(("xl/real.xml", data))
        elif name == SHEET:
            out.append((name, data))
            out.append(("xl/worksheets/sheet2.xml", decoy_sheet.encode()))
        else:
            out.append((name, data))
    return out


VARIANTS = {
    "package-workbook-renamed.xlsx": renamed_workbook,
    "package-part-names-case.xlsx": part_names_in_another_case,
    "package-backslash-sheet.xlsx": backslash_sheet,
    "package-utf16.xlsx": utf16_parts,
    "package-comments-cdata.xlsx": comments_and_cdata,
    "package-spoofed-main-part.xlsx": spoofed_main_part,
}


def main():
    expected = json.loads((FIXTURES / (SAMPLE.name + ".expected.json")).read_text("utf-8"))
    for name, make in VARIANTS.items():
        write(name, make())
        expected["file"] = name
        (FIXTURES / (name + ".expected.json")).write_text(
            json.dumps(expected, ensure_ascii=False, indent=1) + "\n", "utf-8"
        )
        print(f"wrote fixtures/{name}")


if __name__ == "__main__":
    main()
