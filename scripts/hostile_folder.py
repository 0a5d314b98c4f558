"""A folder of broken and hostile workbooks mixed with good ones, checked the way a finance
bureau runs selfeval unattended. Builds the folder, runs

    selfeval check FOLDER --out-dir OUT --format json

under /usr/bin/time, and checks what the run must guarantee: it ends in time, every file has
an entry, every bad file a reason, every good file its forms, and every input is
byte-identical afterwards. Prints the wall time and peak memory.

    cargo build --release
    python3 scripts/hostile_folder.py [target/release/selfeval] [WORK_DIR]

Good workbooks are the bundled samples and, if present, the folder benchmark's corpus
(target/tmp/bench/corpus, made by `cargo bench --bench folder`).
"""
import hashlib
import io
import json
import os
import random
import shutil
import subprocess
import sys
import zipfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SAMPLE = os.path.join(ROOT, "fixtures", "qiannan-finance-2023")


def digest(folder):
    out = {}
    for root, _, names in os.walk(folder):
        for n in names:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                out[p] = hashlib.sha256(f.read()).hexdigest()
    return out


def repack(src, dst, part, edit):
    """A copy of the package `src` with one part changed by `edit` (bytes -> bytes)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == part:
                data = edit(data)
            zout.writestr(info.filename, data)


def bad_files(bad, rng):
    """Each broken or hostile kind once; returns their names."""
    xlsx = open(SAMPLE + ".xlsx", "rb").read()
    xls = open(SAMPLE + ".xls", "rb").read()
    files = {
        "empty.xlsx": b"",
        "random.xlsx": bytes(rng.getrandbits(8) for _ in range(65536)),
        "cut.xlsx": xlsx[: len(xlsx) // 2],
        "scan.xlsx": b"%PDF-1.7\n%\xe2\xe3\n1 0 obj\n",
        "export.xls": "<html><body><table><tr><td>项目名称</td></tr></table></body></html>".encode(),
        "export-csv.xls": "项目名称,金额\n办公设备,12.5\n".encode(),
    }
    for name, data in files.items():
        open(os.path.join(bad, name), "wb").write(data)
    # A Word document named .xlsx.
    with zipfile.ZipFile(os.path.join(bad, "memo.xlsx"), "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    # A zip bomb: 200 MB of zeros in one part.
    with zipfile.ZipFile(os.path.join(bad, "bomb.xlsx"), "w", zipfile.ZIP_DEFLATED) as z:
        with z.open("xl/workbook.xml", "w", force_zip64=True) as f:
            zeros = bytes(1 << 20)
            for _ in range(200):
                f.write(zeros)
    # 20 MB of shared strings.
    more = "".join(f"<si><t>{n}</t></si>" for n in range(1_000_000)).encode()
    repack(SAMPLE + ".xlsx", os.path.join(bad, "strings.xlsx"), "xl/sharedStrings.xml",
           lambda d: d.replace(b"</sst>", more + b"</sst>"))
    # A million rows below the form: handled, not refused.
    rows = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>'
                   for r in range(1000, 1_001_000)).encode()
    repack(SAMPLE + ".xlsx", os.path.join(bad, "long.xlsx"), "xl/worksheets/sheet1.xml",
           lambda d: d.replace(b"</sheetData>", rows + b"</sheetData>"))
    # One row of 16 384 cells repeated 6 000 times in an .ods.
    with zipfile.ZipFile(os.path.join(bad, "repeated.ods"), "w") as z:
        z.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet")
        z.writestr("META-INF/manifest.xml",
                   '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                   '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
                   "</manifest:manifest>")
        z.writestr("content.xml",
                   '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                   'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
                   'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body>'
                   '<office:spreadsheet><table:table table:name="自评表">'
                   '<table:table-row table:number-rows-repeated="6000">'
                   '<table:table-cell table:number-columns-repeated="16384" office:value-type="float" '
                   'office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>'
                   "</table:table></office:spreadsheet></office:body></office:document-content>",
                   zipfile.ZIP_DEFLATED)
    # Damaged copies of both samples: bits flipped, cut short, runs zeroed.
    for k in range(400):
        data = bytearray(xlsx if k % 2 == 0 else xls)
        kind = rng.randrange(3)
        if kind == 0:
            for _ in range(rng.randint(1, 16)):
                i = rng.randrange(len(data))
                data[i] ^= 1 << rng.randrange(8)
        elif kind == 1:
            data = data[: rng.randrange(len(data))]
        else:
            i = rng.randrange(len(data))
            n = rng.randrange(2048)
            data[i:i + n] = bytes(len(data[i:i + n]))
        ext = ".xlsx" if k % 2 == 0 else ".xls"
        open(os.path.join(bad, f"damaged-{k:03}{ext}"), "wb").write(data)


def main():
    exe = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "target/release/selfeval"))
    work = os.path.abspath(sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "target/tmp/hostile"))
    shutil.rmtree(work, ignore_errors=True)
    folder, out = os.path.join(work, "in"), os.path.join(work, "out")
    bad, good = os.path.join(folder, "bad"), os.path.join(folder, "good")
    os.makedirs(bad)
    os.makedirs(good)
    bad_files(bad, random.Random(2023))
    shutil.copy(SAMPLE + ".xlsx", good)
    shutil.copy(SAMPLE + ".xls", good)
    corpus = os.path.join(ROOT, "target/tmp/bench/corpus")
    if os.path.isdir(corpus):
        names = sorted(os.listdir(os.path.join(corpus, "00")))[:200]
        for n in names:
            shutil.copy(os.path.join(corpus, "00", n), good)
    before = digest(folder)

    run = subprocess.run(
        ["/usr/bin/time", "-f", "%e %M", exe, "check", folder, "--out-dir", out, "--format", "json"],
        capture_output=True, timeout=300)
    seconds, peak_kb = run.stderr.decode().strip().splitlines()[-1].split()
    report = json.loads(run.stdout)
    files = {f["path"]: f for f in report["files"]}
    problems = []
    if run.returncode != 2:
        problems.append(f"exit status {run.returncode}, not 2")
    for path in before:
        f = files.get(path)
        if f is None:
            problems.append(f"{path}: no entry")
        elif path.startswith(good) and not f.get("forms"):
            problems.append(f"{path}: good file not checked: {f.get('error')}")
        elif not f.get("forms") and not (f.get("error") or f.get("skipped")):
            problems.append(f"{path}: no form and no reason")
    panics = [p for p, f in files.items() if "内部错误" in (f.get("error") or "")]
    problems += [f"{p}: internal error" for p in panics]
    if digest(folder) != before:
        problems.append("an input changed")
    unread = sum(1 for f in files.values() if f.get("error"))
    print(f"{len(before)} files ({unread} unreadable with a reason) in {seconds} s, "
          f"peak memory {int(peak_kb) / 1024:.0f} MB (the largest process: selfeval or a child)")
    if float(seconds) > 60 or int(peak_kb) > 1024 * 1024:
        problems.append("over the one-minute / 1 GB budget")
    for p in problems[:20]:
        print("PROBLEM", p)
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
