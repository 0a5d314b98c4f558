#!/usr/bin/env python3
"""Writes the edited copies of the seed sample that fixtures/README.md lists.

Each `fixtures/edits/NAME.toml` names cells of the sample's 自评表 and what they hold
instead; this script writes `fixtures/NAME.xlsx` from `fixtures/qiannan-finance-2023.xlsx`
(or the spec's `base`), every other byte of every part as the sample has it. A spec with
`to_xls = true` makes a legacy fixture instead: the edited workbook is converted by
LibreOffice (`soffice --headless --convert-to xls`) and only `fixtures/NAME.xls` is kept. The
expected findings beside each fixture (`NAME.xlsx.expected.json`, `NAME.xls.expected.json`)
are written by hand, from the rules, never by this script or by selfeval.

A cell's new content is one of:
  H38 = "99.97"                                  text (a shared string)
  H38 = { number = 99.97 }                       a number cell
  H38 = { number = 0.82, format = "0.00%" }      a number cell with its own number format
  H38 = { formula = "H5+SUM(H11:H37)", value = 99.97 }   a formula and its cached result
  H38 = { blank = true }                         an empty cell

Run: python3 scripts/fixtures.py [NAME...]   (standard library only, and LibreOffice for
`to_xls`; rewrites the named fixtures, or every one)
"""

import pathlib
import re
import shutil
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from xml.sax.saxutils import escape

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
SHEET = "xl/worksheets/sheet1.xml"
STRINGS = "xl/sharedStrings.xml"
STYLES = "xl/styles.xml"
CELL = re.compile(r'<c r="([A-Z]+)(\d+)"([^>]*?)(?:/>|>.*?</c>)', re.S)


def col_index(letters):
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


class Book:
    def __init__(self, parts):
        self.parts = parts
        self.strings = re.findall(r"<si>.*?</si>", parts[STRINGS].decode(), re.S)
        self.uses = int(re.search(r'<sst [^>]*?count="(\d+)"', parts[STRINGS].decode()).group(1))
        self.formats = {}

    def string(self, text):
        self.strings.append(f'<si><t xml:space="preserve">{escape(text)}</t></si>')
        self.uses += 1
        return len(self.strings) - 1

    def style(self, base, fmt):
        """A cell style like `base` showing numbers as `fmt`."""
        key = (base, fmt)
        if key in self.formats:
            return self.formats[key]
        styles = self.parts[STYLES].decode()
        xfs = re.search(r"<cellXfs count=\"(\d+)\">(.*?)</cellXfs>", styles, re.S)
        # An xf is empty (`<xf .../>`) or holds children such as `<alignment .../>`.
        xf_list = re.findall(r"<xf\b[^>]*?(?:/>|>.*?</xf>)", xfs.group(2), re.S)
        fmt_id = 164 + len(self.formats)
        numfmt = f'<numFmt numFmtId="{fmt_id}" formatCode="{escape(fmt)}"/>'
        if "<numFmts" in styles:
            styles = re.sub(r"<numFmts count=\"(\d+)\">",
                            lambda m: f'<numFmts count="{int(m.group(1)) + 1}">' + numfmt, styles)
        else:
            styles = styles.replace("<fonts", f'<numFmts count="1">{numfmt}</numFmts><fonts', 1)
        xf = re.sub(r'numFmtId="\d+"', f'numFmtId="{fmt_id}" applyNumberFormat="1"',
                    xf_list[int(base)], count=1)
        new_xfs = f'<cellXfs count="{len(xf_list) + 1}">' + xfs.group(2) + xf + "</cellXfs>"
        styles = styles.replace(xfs.group(0), new_xfs)
        self.parts[STYLES] = styles.encode()
        self.formats[key] = len(xf_list)
        return len(xf_list)

    def set(self, ref, content):
        sheet = self.parts[SHEET].decode()
        letters, row = re.fullmatch(r"([A-Z]+)(\d+)", ref).groups()
        found = None
        for m in CELL.finditer(sheet):
            if m.group(1) == letters and m.group(2) == row:
                found = m
                break
        style = "1"
        if found:
            s = re.search(r's="(\d+)"', found.group(3))
            style = s.group(1) if s else "0"
        if isinstance(content, str):
            xml = f'<c r="{ref}" s="{style}" t="s"><v>{self.string(content)}</v></c>'
        elif content.get("blank"):
            xml = f'<c r="{ref}" s="{style}"/>'
        elif "formula" in content:
            value = content.get("value")
            v = "" if value is None else f"<v>{value}</v>"
            xml = f'<c r="{ref}" s="{style}"><f>{escape(content["formula"])}</f>{v}</c>'
        else:
            if "format" in content:
                style = str(self.style(style, content["format"]))
            xml = f'<c r="{ref}" s="{style}"><v>{content["number"]}</v></c>'
        if found:
            sheet = sheet[: found.start()] + xml + sheet[found.end():]
        else:
            sheet = self.insert(sheet, ref, letters, row, xml)
        self.parts[SHEET] = sheet.encode()

    @staticmethod
    def insert(sheet, ref, letters, row, xml):
        m = re.search(rf'<row r="{row}"[^>]*>(.*?)</row>', sheet, re.S)
        if not m:
            sys.exit(f"row {row} of {ref} is not in the sample")
        body = m.group(1)
        at = len(body)
        for c in CELL.finditer(body):
            if col_index(c.group(1)) > col_index(letters):
                at = c.start()
                break
        body = body[:at] + xml + body[at:]
        return sheet[: m.start(1)] + body + sheet[m.end(1):]

    def finish(self):
        n = len(self.strings)
        self.parts[STRINGS] = re.sub(
            r"<sst ([^>]*?)count=\"\d+\" uniqueCount=\"\d+\">.*</sst>",
            lambda m: f'<sst {m.group(1)}count="{self.uses}" uniqueCount="{n}">' + "".join(self.strings) + "</sst>",
            self.parts[STRINGS].decode(), flags=re.S).encode()


def build(spec_path):
    spec = tomllib.loads(spec_path.read_text(encoding="utf-8"))
    base = FIXTURES / spec.get("base", "qiannan-finance-2023.xlsx")
    with zipfile.ZipFile(base) as z:
        infos = z.infolist()
        parts = {i.filename: z.read(i.filename) for i in infos}
    book = Book(parts)
    for ref, content in spec["cells"].items():
        book.set(ref, content)
    book.finish()
    if not spec.get("to_xls"):
        out = FIXTURES / f"{spec_path.stem}.xlsx"
        write_package(out, infos, parts)
        return out
    with tempfile.TemporaryDirectory() as tmp:
        edited = pathlib.Path(tmp) / f"{spec_path.stem}.xlsx"
        write_package(edited, infos, parts)
        converted = to_xls(edited, pathlib.Path(tmp))
        out = FIXTURES / f"{spec_path.stem}.xls"
        shutil.copyfile(converted, out)
    return out


def write_package(out, infos, parts):
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in infos:
            entry = zipfile.ZipInfo(info.filename, date_time=(2024, 1, 1, 0, 0, 0))
            entry.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(entry, parts[info.filename])


def to_xls(xlsx, tmp):
    """`xlsx` as legacy BIFF8 `.xls`, by LibreOffice with a profile of its own (so that it
    runs beside an open LibreOffice); the path of the converted file."""
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if not soffice:
        sys.exit(f"{xlsx.name}: to_xls needs LibreOffice (soffice) on the PATH")
    outdir = tmp / "xls"
    subprocess.run(
        [soffice, f"-env:UserInstallation={(tmp / 'lo-profile').as_uri()}", "--headless",
         "--convert-to", "xls", "--outdir", str(outdir), str(xlsx)],
        check=True, stdout=subprocess.DEVNULL, timeout=300)
    converted = outdir / f"{xlsx.stem}.xls"
    if not converted.is_file():
        sys.exit(f"{xlsx.name}: LibreOffice wrote no .xls")
    return converted


def main():
    specs = sorted((FIXTURES / "edits").glob("*.toml"))
    names = set(sys.argv[1:])
    unknown = names - {spec.stem for spec in specs}
    if unknown:
        sys.exit(f"no such spec in fixtures/edits: {', '.join(sorted(unknown))}")
    for spec in specs:
        if not names or spec.stem in names:
            print(build(spec).relative_to(ROOT))


if __name__ == "__main__":
    main()
