"""The openpyxl baseline of the folder benchmark: load each workbook, read every cell,
save it. Prints the number of workbooks and the seconds taken.

    python3 scripts/openpyxl_floor.py FOLDER COUNT OUT
"""
import os
import sys
import time

import openpyxl


def main():
    folder, count, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    os.makedirs(out, exist_ok=True)
    files = sorted(
        os.path.join(root, f)
        for root, _, names in os.walk(folder)
        for f in names
        if f.endswith(".xlsx")
    )[:count]
    start = time.perf_counter()
    cells = 0
    for path in files:
        book = openpyxl.load_workbook(path)
        for sheet in book.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.value is not None:
                        cells += 1
        book.save(os.path.join(out, os.path.basename(path)))
    print(len(files), cells, time.perf_counter() - start)


if __name__ == "__main__":
    main()
