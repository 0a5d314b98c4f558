#!/usr/bin/env python3
"""Writes one workbook per template family of SPEC §10 into fixtures/.

Each workbook is laid out as that family prints in published forms, with invented numbers
that agree with each other except for the planted mistakes listed in fixtures/README.md
(section "Template families"). Written totals follow the written scores; rates and execution
scores follow the amounts (rounded half away from zero to 2 decimals), unless planted.

    fixtures/family-split-target.xlsx   Yunnan/Sichuan: 指标性质 | 指标值 | 度量单位, two-row header
    fixtures/family-no-weight.xlsx      Baoshan 20/80: no 分值 column, points in the labels
    fixtures/family-weighted.xlsx       Hebei 2020: 权重占比 | 单项指标得分 | 折算得分
    fixtures/family-department.xlsx     部门整体支出: 得分系数(%), no 三级指标 column
    fixtures/family-rubric.xlsx         four-part rubric, 项目总得分 at the top, 填报说明 sheet
    fixtures/family-no-score.xlsx       转移支付 by source, no 分值/得分 at all
    fixtures/family-unknown.xlsx        a 绩效目标表 (targets only): to be skipped with a reason

The output is byte-for-byte the same on every run: document dates are fixed
(2024-01-15) and so are the zip entries' timestamps.

Run: python3 scripts/families.py   (needs openpyxl; rewrites all seven files)
"""

import datetime
import io
import pathlib
import zipfile
from decimal import ROUND_HALF_UP, Decimal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, Side
from openpyxl.utils import get_column_letter, range_boundaries
from openpyxl.writer.excel import ExcelWriter

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
DATE = datetime.datetime(2024, 1, 15)
ZIP_DATE = (2024, 1, 15, 0, 0, 0)

MONEY = "0.00"
SCORE = "0.00"
RATE = "0.00%"
THIN = Side(style="thin")
BOX = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
FONT = Font(name="宋体", size=10)
BOLD = Font(name="宋体", size=10, bold=True)
TITLE = Font(name="宋体", size=16, bold=True)
CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)
LEFT = Alignment(horizontal="left", vertical="center", wrap_text=True)
RIGHT = Alignment(horizontal="right", vertical="center")


def d(x):
    return Decimal(str(x))


def r2(x):
    """Round half away from zero to 2 decimals (all values here are positive)."""
    return d(x).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def r4(x):
    return d(x).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


def num(x):
    """A Decimal as the float a number cell stores (2 or 4 decimals, exact in repr)."""
    return float(x)


class Form:
    """One sheet being laid out: values, merges, formats; the frame is drawn at the end."""

    def __init__(self, ws, ncols, widths):
        self.ws = ws
        self.ncols = ncols
        for i, w in enumerate(widths, start=1):
            ws.column_dimensions[get_column_letter(i)].width = w
        self.framed = []  # (first_row, last_row) bands that get borders
        self.aligned = {}

    def put(self, ref, value, fmt=None, font=None, align=None):
        c = self.ws[ref]
        c.value = value
        if fmt:
            c.number_format = fmt
        c.font = font or FONT
        self.aligned[ref] = align
        return c

    def span(self, rng, value, fmt=None, font=None, align=None):
        top = rng.split(":")[0]
        self.put(top, value, fmt, font, align)
        if ":" in rng and rng.split(":")[0] != rng.split(":")[1]:
            self.ws.merge_cells(rng)

    def frame(self, first, last):
        self.framed.append((first, last))

    def finish(self):
        ws = self.ws
        for first, last in self.framed:
            for row in range(first, last + 1):
                for col in range(1, self.ncols + 1):
                    c = ws.cell(row=row, column=col)
                    c.border = BOX
        for row in ws.iter_rows(min_row=1, max_row=ws.max_row, max_col=self.ncols):
            for c in row:
                if not hasattr(c, "column_letter"):
                    continue
                align = self.aligned.get(c.coordinate)
                c.alignment = align or CENTER
                if c.font is None or c.font.name != "宋体":
                    c.font = FONT
        ws.page_setup.orientation = "landscape"
        ws.page_setup.paperSize = ws.PAPERSIZE_A4
        ws.page_setup.fitToWidth = 1
        ws.page_setup.fitToHeight = 0
        ws.sheet_properties.pageSetUpPr.fitToPage = True


def new_book():
    wb = Workbook()
    wb.remove(wb.active)
    wb.properties.created = DATE
    wb.properties.modified = DATE
    wb.properties.creator = "selfeval fixtures"
    wb.properties.lastModifiedBy = "selfeval fixtures"
    return wb


def save(wb, name):
    """Save with the fixed dates: openpyxl's save_workbook would stamp `modified` with now,
    and zip entries written by name carry the current time, so both are set here."""
    wb.properties.created = DATE
    wb.properties.modified = DATE
    raw = io.BytesIO()
    archive = zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED, allowZip64=True)
    ExcelWriter(wb, archive).save()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(raw.getvalue())) as src, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            dst.writestr(entry, src.read(info.filename))
    (FIXTURES / name).write_bytes(out.getvalue())
    print(f"wrote fixtures/{name}")


def sheet(wb, ncols, widths, title="自评表"):
    ws = wb.create_sheet(title)
    return Form(ws, ncols, widths)


def goals(f, row, target_cols, actual_cols, target, actual):
    """年度总体目标 over two rows: 预期目标 | 实际完成情况, then the two texts."""
    f.span(f"A{row}:A{row + 1}", "年度总体目标")
    f.span(f"{target_cols[0]}{row}:{target_cols[1]}{row}", "预期目标")
    f.span(f"{actual_cols[0]}{row}:{actual_cols[1]}{row}", "实际完成情况")
    f.span(f"{target_cols[0]}{row + 1}:{target_cols[1]}{row + 1}", target, align=LEFT)
    f.span(f"{actual_cols[0]}{row + 1}:{actual_cols[1]}{row + 1}", actual, align=LEFT)
    f.ws.row_dimensions[row + 1].height = 48


def runs(f, col, first, labels):
    """Merge a level column down its runs: labels is one entry per row, None = same as above."""
    start = first
    current = labels[0]
    for i, lab in enumerate(labels[1:] + ["<end>"], start=1):
        if lab is not None:
            end = first + i - 1
            f.span(f"{col}{start}:{col}{end}", current)
            start = first + i
            current = lab


# ---------------------------------------------------------------------------------------
# 1. Split target (Yunnan / Sichuan)


def split_target():
    wb = new_book()
    f = sheet(wb, 10, [14, 16, 24, 9, 14, 9, 16, 8, 9, 26])
    f.span("A1:J1", "2023年度项目支出绩效自评表", font=TITLE)
    f.ws.row_dimensions[1].height = 30
    f.put("A2", "项目名称")
    f.span("B2:J2", "农村饮水安全巩固提升工程补助资金")
    f.put("A3", "主管部门")
    f.span("B3:E3", "某县水务局")
    f.put("F3", "实施单位")
    f.span("G3:J3", "某县农村供水管理站")

    # Funding: 年初 | 全年 | 执行 | 分值 | 执行率 | 得分 (得分 two cells wide)
    f.span("A4:A8", "项目资金（万元）")
    f.span("B4:C4", "资金来源")
    for col, lab in zip("DEFGH", ["年初预算数", "全年预算数（A）", "全年执行数（B）", "分值",
                                  "执行率（B/A）"]):
        f.put(f"{col}4", lab)
    f.span("I4:J4", "得分")
    sources = [("其中：当年财政拨款", "80.00", "80.00", "76.12"),
               ("上年结转资金", "0.00", "6.50", "6.25"),
               ("其他资金", "0.00", "0.00", "0.00")]
    total = [sum(d(s[i]) for s in sources) for i in (1, 2, 3)]
    rate = total[2] / total[1]
    f.span("B5:C5", "年度资金总额")
    for col, v in zip("DEF", total):
        f.put(f"{col}5", num(v), MONEY)
    f.put("G5", 10)
    f.put("H5", num(r4(rate)), RATE)
    exec_score = r2(min(rate, 1) * 10)
    f.span("I5:J5", num(exec_score), SCORE)
    for i, (lab, a, b, c) in enumerate(sources, start=6):
        f.span(f"B{i}:C{i}", lab)
        f.put(f"D{i}", num(d(a)), MONEY)
        f.put(f"E{i}", num(d(b)), MONEY)
        f.put(f"F{i}", num(d(c)), MONEY)
        f.put(f"G{i}", "—")
        f.put(f"H{i}", "—")
        f.span(f"I{i}:J{i}", "—")
    goals(f, 9, "BE", "FJ",
          "新建集中供水工程12处，改造供水管网50公里，巩固提升1.5万农村人口饮水安全保障水平。",
          "新建集中供水工程12处，改造供水管网46公里，受益人口15620人，工程通过竣工验收。")

    # Two-row header
    f.span("A11:C11", "绩效指标")
    f.span("D11:F11", "年度指标值")
    f.span("G11:G12", "实际完成值")
    f.span("H11:H12", "分值")
    f.span("I11:I12", "得分")
    f.span("J11:J12", "偏差原因分析及改进措施")
    for col, lab in zip("ABCDEF", ["一级指标", "二级指标", "三级指标", "指标性质", "指标值",
                                   "度量单位"]):
        f.put(f"{col}12", lab)

    # (l1, l2, name, nature, value, unit, actual, weight, score, reason)
    rows = [
        ("产出指标", "数量指标", "新建集中供水工程", "≥", 12, "处", 12, 10, "10.00", None),
        (None, None, "改造供水管网", "≥", 50, "公里", 46, 10, "10.00", None),  # planted: 9.20
        (None, "质量指标", "工程验收合格率", "=", 100, "%", "100%", 10, "10.00", None),
        (None, None, "水质达标率", "≥", 95, "%", "96%", 5, "5.00", None),
        (None, "时效指标", "工程完工时间", "定性", "2023年11月底前", None, "2023年11月28日", 5,
         "5.00", None),
        (None, "成本指标", "工程建设成本", "≤", 78, "万元", "74.60万元", 10, "10.00", None),
        ("效益指标", "社会效益指标", "受益人口", "≥", 15000, "人", 15620, 10, "10.00", None),
        (None, None, "农村集中供水率", "≥", 92, "%", "90.5%", 10, "9.84",
         "部分偏远自然村水源工程2024年汛期后完工通水，将督促施工单位加快进度。"),
        (None, "可持续影响指标", "工程长效运行管护机制", "定性", "健全", None, "健全", 10, "10.00",
         None),
        ("满意度指标", "服务对象满意度指标", "受益群众满意度", "≥", 90, "%", "93%", 10, "10.00",
         None),
    ]
    first = 13
    last = first + len(rows) - 1
    runs(f, "A", first, [r[0] for r in rows])
    runs(f, "B", first, [r[1] for r in rows])
    for i, (_, _, name, nature, value, unit, actual, w, score, reason) in enumerate(rows,
                                                                                    start=first):
        f.put(f"C{i}", name, align=LEFT)
        f.put(f"D{i}", nature)
        f.put(f"E{i}", value)
        f.put(f"F{i}", unit)
        f.put(f"G{i}", actual)
        f.put(f"H{i}", w)
        f.put(f"I{i}", num(d(score)), SCORE)
        f.put(f"J{i}", reason, align=LEFT)
    written = exec_score + sum(d(r[8]) for r in rows)
    t = last + 1
    f.span(f"A{t}:G{t}", "总分")
    f.put(f"H{t}", 100)
    f.put(f"I{t}", num(written), SCORE)
    f.put(f"A{t + 1}", "绩效结论")
    f.span(f"B{t + 1}:J{t + 1}", "优")
    f.frame(2, t + 1)
    f.span(f"A{t + 2}:J{t + 2}", "联系人：李某    联系电话：0000-0000000", align=LEFT)
    f.finish()
    save(wb, "family-split-target.xlsx")


# ---------------------------------------------------------------------------------------
# 2. No weight column (Baoshan 20/80)


def no_weight():
    wb = new_book()
    f = sheet(wb, 9, [14, 16, 16, 26, 16, 16, 12, 14, 14])
    f.span("A1:I1", "2023年度项目支出绩效自评表", font=TITLE)
    f.ws.row_dimensions[1].height = 30
    f.put("A2", "项目名称")
    f.span("B2:D2", "农民实用技术培训项目")
    f.put("E2", "主管部门")
    f.span("F2:I2", "某县农业农村局")
    f.put("A3", "实施单位")
    f.span("B3:D3", "某县农业技术推广中心")
    f.put("E3", "项目属性")
    f.span("F3:I3", "延续项目")

    # Funding: 预算执行情况(万元)(20分) over the three amounts; 执行率; 得分(20分*执行率)
    f.span("A4:A9", "项目资金")
    f.span("B4:B5", "资金来源")
    f.span("C4:E4", "预算执行情况（万元）（20分）")
    f.span("F4:F5", "执行率")
    f.span("G4:I5", "得分（20分*执行率）")
    f.put("C5", "年初预算数")
    f.put("D5", "全年预算数")
    f.put("E5", "全年执行数")
    sources = [("其中：财政拨款", "150.00", "155.00", "108.00"),
               ("上年结转资金", "0.00", "5.00", "4.00"),
               ("其他资金", "0.00", "0.00", "0.00")]
    total = [sum(d(s[i]) for s in sources) for i in (1, 2, 3)]
    rate = total[2] / total[1]
    exec_score = r2(min(rate, 1) * 20)
    f.put("B6", "年度资金总额")
    for col, v in zip("CDE", total):
        f.put(f"{col}6", num(v), MONEY)
    f.put("F6", num(r4(rate)), RATE)
    f.span("G6:I6", num(exec_score), SCORE)
    for i, (lab, a, b, c) in enumerate(sources, start=7):
        f.put(f"B{i}", lab)
        f.put(f"C{i}", num(d(a)), MONEY)
        f.put(f"D{i}", num(d(b)), MONEY)
        f.put(f"E{i}", num(d(c)), MONEY)
        f.span(f"G{i}:I{i}", None)
    goals(f, 10, "BE", "FI",
          "开展农民实用技术培训8000人次，发放技术资料5000份，推广主导品种和关键技术，带动亩均增收300元。",
          "完成培训12767人次，发放技术资料4100份，受训农户种植技术掌握率88%，亩均增收276元。")

    # Indicator block: 年度绩效目标1(80分) at the left, no 分值 column
    first = 13
    # (l1, l2, name, target, actual, score, reason)
    rows = [
        ("产出指标（50分）", "数量指标", "培训人次（10分）", "≥8000人次", "12767人次", "15.96",
         None),  # planted: over its 10 points
        (None, None, "发放技术资料", "≥5000份", "4100份", "8.20",
         "部分资料改为线上推送，印刷发放量减少。"),
        (None, "质量指标", "培训考核合格率（10分）", "≥90%", "82%", "9.11",
         "部分学员年龄偏大，考核通过率偏低，下年度增加实操辅导。"),
        (None, "时效指标", "培训完成时间（10分）", "2023年10月底前", "2023年10月25日", "10.00",
         None),
        (None, "成本指标", "人均培训成本（10分）", "≤120元", "135元", "8.89",
         "外聘专家课酬标准上调，人均成本超出预期。"),
        ("效益指标（20分）", "社会效益指标", "农户种植技术掌握率（5分）", "≥85%", "88%", "5.00",
         None),
        (None, "经济效益指标", "亩均增收", "≥300元", "276元", "9.20",
         "受农产品市场价格下行影响，增收低于预期。"),
        (None, "可持续影响指标", "技术推广长效机制（5分）", "健全", "健全", "5.00", None),
        ("满意度指标（10分）", "服务对象满意度指标", "培训对象满意度", "≥90%", "86%", "9.56",
         "培训时间与农忙冲突，下年度调整培训时段。"),
    ]
    last = first + len(rows) - 1
    f.span(f"A12:A{last}", "年度绩效目标1（80分）")
    for col, lab in zip("BCDEFG", ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值",
                                   "得分"]):
        f.put(f"{col}12", lab)
    f.span("H12:I12", "未完成原因分析")
    runs(f, "B", first, [r[0] for r in rows])
    runs(f, "C", first, [r[1] for r in rows])
    for i, (_, _, name, target, actual, score, reason) in enumerate(rows, start=first):
        f.put(f"D{i}", name, align=LEFT)
        f.put(f"E{i}", target)
        f.put(f"F{i}", actual)
        f.put(f"G{i}", num(d(score)), SCORE)
        f.span(f"H{i}:I{i}", reason, align=LEFT)
    written = exec_score + sum(d(r[5]) for r in rows)
    t = last + 1
    f.span(f"A{t}:E{t}", "总分")
    f.put(f"F{t}", 100)
    f.put(f"G{t}", num(written), SCORE)
    f.put(f"H{t}", "自评等级")
    f.put(f"I{t}", "优")  # planted: follows the written total, not the correct one
    f.frame(2, t)
    f.span(f"A{t + 1}:I{t + 1}", "填报人：赵某    联系电话：0000-0000000    填报日期：2024年1月10日",
           align=LEFT)
    f.finish()
    save(wb, "family-no-weight.xlsx")


# ---------------------------------------------------------------------------------------
# 3. Weighted score (Hebei 2020)


def weighted():
    wb = new_book()
    f = sheet(wb, 10, [12, 12, 14, 22, 16, 16, 10, 12, 10, 24])
    f.span("A1:J1", "2023年度项目支出绩效自评表", font=TITLE)
    f.ws.row_dimensions[1].height = 30
    f.put("A2", "项目名称")
    f.span("B2:E2", "农村公路建设养护补助资金")
    f.put("F2", "主管部门")
    f.span("G2:J2", "某县交通运输局")
    f.put("A3", "实施单位")
    f.span("B3:E3", "某县公路管理站")
    f.put("F3", "项目类型")
    f.span("G3:J3", "专项资金")

    # Funding without 分值/得分: the execution is not scored in this family
    f.span("A4:A8", "项目资金（万元）")
    f.span("B4:C4", "资金来源")
    f.put("D4", "年初预算数")
    f.put("E4", "全年预算数（A）")
    f.put("F4", "全年执行数（B）")
    f.span("G4:J4", "执行率（B/A）")
    sources = [("其中：财政拨款", "200.00", "200.00", "194.05"),
               ("上年结转资金", "0.00", "15.00", "14.50"),
               ("其他资金", "0.00", "0.00", "0.00")]
    total = [sum(d(s[i]) for s in sources) for i in (1, 2, 3)]
    f.span("B5:C5", "年度资金总额")
    for col, v in zip("DEF", total):
        f.put(f"{col}5", num(v), MONEY)
    f.span("G5:J5", num(r4(total[2] / total[1])), RATE)
    for i, (lab, a, b, c) in enumerate(sources, start=6):
        f.span(f"B{i}:C{i}", lab)
        f.put(f"D{i}", num(d(a)), MONEY)
        f.put(f"E{i}", num(d(b)), MONEY)
        f.put(f"F{i}", num(d(c)), MONEY)
        f.span(f"G{i}:J{i}", None)
    goals(f, 9, "BE", "FJ",
          "新建农村公路35公里，路面工程质量合格率不低于98%，改善沿线群众出行条件。",
          "新建农村公路36.2公里，路面工程质量合格率96%，11月20日全部完工。")

    f.put("B11", "一级指标")
    for col, lab in zip("CDEFGHIJ", ["二级指标", "三级指标", "年度指标值", "实际完成值",
                                     "权重占比", "单项指标得分", "折算得分",
                                     "偏差原因分析及改进措施"]):
        f.put(f"{col}11", lab)
    # (l1, l2, name, target, actual, weight, single score, weighted score, reason)
    rows = [
        ("产出指标", "数量指标", "新建农村公路里程", "≥35公里", "36.2公里", 25, "25.00", "6.25",
         None),  # planted: the weight typed as the single score; 100.00 and 25.00 are right
        (None, "质量指标", "路面工程质量合格率", "≥98%", "96%", 15, "97.96", None,
         "个别路段基层压实度不足，已返工整改，今后加强过程质量抽检。"),
        (None, "时效指标", "工程完工时间", "2023年11月30日前", "2023年11月20日", 10, "100.00",
         None, None),
        (None, "成本指标", "每公里建设成本", "≤85万元", "83.5万元", 10, "100.00", None, None),
        ("效益指标", "社会效益指标", "沿线群众出行时间缩短", "≥20%", "22%", 15, "100.00", None,
         None),
        (None, "可持续影响指标", "公路养护长效机制", "健全", "健全", 10, "100.00", None, None),
        ("满意度指标", "服务对象满意度指标", "沿线群众满意度", "≥90%", "94%", 15, "100.00", None,
         None),
    ]
    first = 12
    last = first + len(rows) - 1
    f.span(f"A11:A{last}", "绩效指标")
    runs(f, "B", first, [r[0] for r in rows])
    runs(f, "C", first, [r[1] for r in rows])
    written = Decimal(0)
    for i, (_, _, name, target, actual, w, single, scaled, reason) in enumerate(rows,
                                                                               start=first):
        scaled = d(scaled) if scaled else r2(d(w) * d(single) / 100)
        written += scaled
        f.put(f"D{i}", name, align=LEFT)
        f.put(f"E{i}", target)
        f.put(f"F{i}", actual)
        f.put(f"G{i}", w)
        f.put(f"H{i}", num(d(single)), SCORE)
        f.put(f"I{i}", num(scaled), SCORE)
        f.put(f"J{i}", reason, align=LEFT)
    assert sum(r[5] for r in rows) == 100
    t = last + 1
    f.span(f"A{t}:F{t}", "合计")
    f.put(f"G{t}", 100)
    f.put(f"I{t}", num(written), SCORE)
    f.put(f"A{t + 1}", "绩效结论")
    f.span(f"B{t + 1}:J{t + 1}", "良")  # follows the written total
    f.frame(2, t + 1)
    f.span(f"A{t + 2}:J{t + 2}", "联系人：孙某    联系电话：0000-0000000", align=LEFT)
    f.finish()
    save(wb, "family-weighted.xlsx")


# ---------------------------------------------------------------------------------------
# 4. Department overall (部门整体支出绩效自评表)


def department():
    wb = new_book()
    f = sheet(wb, 8, [14, 24, 30, 14, 14, 10, 12, 10])
    f.span("A1:H1", "2023年度部门整体支出绩效自评表", font=TITLE)
    f.ws.row_dimensions[1].height = 30
    f.span("A2:H2", "单位：万元", align=RIGHT)
    f.put("A3", "部门名称")
    f.span("B3:H3", "某县农业农村局")

    # 年度预算申请: the sources are label-and-amount cells, amounts only on the total row
    f.put("B4", "资金来源")
    for col, lab in zip("CDEFGH", ["年初预算数", "全年预算数", "全年执行数", "分值", "执行率",
                                   "得分"]):
        f.put(f"{col}4", lab)
    income = [("一般公共预算", "1873.66"), ("政府性基金预算", "180.00"), ("其他资金", "46.34")]
    spending = [("基本支出", "1216.52"), ("项目支出", "883.48")]
    budget = sum(d(v) for _, v in income)
    assert budget == sum(d(v) for _, v in spending)
    executed = d("2016.84")
    rate = executed / budget
    exec_score = r2(min(rate, 1) * 10)
    f.put("B5", "年度资金总额")
    f.put("C5", num(d("1980.00")), MONEY)
    f.put("D5", num(budget), MONEY)
    f.put("E5", num(executed), MONEY)
    f.put("F5", 10)
    f.put("G5", num(r4(rate)), RATE)
    f.put("H5", num(exec_score), SCORE)
    row = 6
    for head, items in (("按收入性质分：", income), ("按支出性质分：", spending)):
        f.put(f"B{row}", head, align=LEFT)
        row += 1
        for lab, v in items:
            f.put(f"B{row}", f"{lab}:{v}万元", align=LEFT)
            row += 1
    f.span(f"A4:A{row - 1}", "年度预算申请")
    g = row
    f.span(f"A{g}:A{g + 1}", "年度总体目标")
    f.span(f"B{g}:D{g}", "预期目标")
    f.span(f"E{g}:H{g}", "实际完成情况")
    f.span(f"B{g + 1}:D{g + 1}",
           "建设高标准农田2.5万亩，重大动物疫病强制免疫应免尽免，促进农民持续增收。", align=LEFT)
    f.span(f"E{g + 1}:H{g + 1}",
           "建成高标准农田2.6万亩，强制免疫密度85.5%，农村居民人均可支配收入增长6.3%。",
           align=LEFT)
    f.ws.row_dimensions[g + 1].height = 48

    h = g + 2
    for col, lab in zip("BCDEFGH", ["一级指标", "二级指标", "年度指标值", "实际完成值",
                                    "指标权重", "得分系数（%）", "得分"]):
        f.put(f"{col}{h}", lab)
    # (l1, name in the 二级指标 column, target, actual, weight, coefficient, score)
    rows = [
        ("产出指标", "高标准农田建设面积", "≥25000亩", "26000亩", 15, "1", None),
        (None, "农作物病虫害统防统治覆盖率", "≥45%", "47%", 15, "1", None),
        (None, "动物疫病强制免疫密度", "≥90%", "85.5%", 10, "0.95", None),
        (None, "涉农资金拨付及时率", "=100%", "100%", 10, "1", None),
        ("效益指标", "农村居民人均可支配收入增长率", "≥7%", "6.3%", 20, "0.9", "19.00"),
        # planted: 0.9 × 20 = 18.00
        (None, "带动农户数", "≥3000户", "3150户", 10, "1", None),
        ("满意度指标", "服务对象满意度", "≥90%", "94%", 10, "1", None),
    ]
    first = h + 1
    last = first + len(rows) - 1
    f.span(f"A{h}:A{last}", "年度绩效指标")
    runs(f, "B", first, [r[0] for r in rows])
    written = exec_score
    for i, (_, name, target, actual, w, coef, score) in enumerate(rows, start=first):
        score = d(score) if score else r2(d(coef) * w)
        written += score
        f.put(f"C{i}", name, align=LEFT)
        f.put(f"D{i}", target)
        f.put(f"E{i}", actual)
        f.put(f"F{i}", w)
        f.put(f"G{i}", num(d(coef)), RATE)
        f.put(f"H{i}", num(score), SCORE)
    assert 10 + sum(r[4] for r in rows) == 100
    t = last + 1
    f.span(f"A{t}:E{t}", "总分")
    f.put(f"F{t}", 100)
    f.put(f"H{t}", num(written), SCORE)
    f.put(f"A{t + 1}", "评价等级")
    f.span(f"B{t + 1}:H{t + 1}", "优")
    f.frame(3, t + 1)
    f.span(f"A{t + 2}:H{t + 2}", "填报人：周某    联系电话：0000-0000000", align=LEFT)
    f.finish()
    save(wb, "family-department.xlsx")


# ---------------------------------------------------------------------------------------
# 5. Four-part rubric


def rubric():
    wb = new_book()
    notes = wb.create_sheet("填报说明")
    notes.column_dimensions["A"].width = 100
    for i, line in enumerate([
        "填报说明",
        "1. 本表由项目实施单位填报，主管部门审核后报送财政部门。",
        "2. 指标体系分项目决策、项目过程、项目产出、项目效益四部分，各部分分值见一级指标。",
        "3. 自评分按评分标准逐项打分，不得超过该项分值；项目总得分为各项自评分之和。",
        "4. 预算执行率=全年执行数/全年预算数×100%，得分=预算执行率×分值。",
        "5. 佐证材料随表报送，不在本表中列示。",
    ], start=1):
        c = notes.cell(row=i, column=1, value=line)
        c.font = BOLD if i == 1 else FONT
        c.alignment = LEFT

    f = sheet(wb, 8, [14, 12, 18, 44, 14, 14, 8, 9])
    f.span("A1:H1", "2023年度项目支出绩效自评表", font=TITLE)
    f.ws.row_dimensions[1].height = 30
    f.put("A2", "项目名称")
    f.span("B2:E2", "城乡环境卫生整治专项经费")
    f.span("F2:G2", "项目总得分")
    f.put("A3", "主管部门")
    f.span("B3:E3", "某县住房和城乡建设局")
    f.span("F3:G3", "实施单位")
    f.put("H3", "某县环境卫生管理所")
    for col, lab in zip("ABCDEFGH", ["一级指标", "二级指标", "三级指标", "评分标准", "年度指标值",
                                     "实际完成值", "分值", "自评分"]):
        f.put(f"{col}4", lab)
    # (l1, l2, name, rule, target, actual, weight, score)
    rows = [
        ("项目决策（10分）", "项目立项", "立项依据充分性",
         "项目立项符合国家法律法规、部门职责和发展规划，与相关项目无重复，得3分；每有一项不符合扣1分，扣完为止。",
         None, None, 3, "3.00"),
        (None, None, "立项程序规范性",
         "按规定程序申请设立，审批文件、材料符合要求，得2分；否则酌情扣分。",
         None, None, 2, "2.00"),
        (None, "绩效目标", "绩效目标合理性",
         "绩效目标与实际工作内容相关，预期产出和效果符合正常业绩水平，得3分；目标不明确或与预算不匹配的酌情扣分。",
         None, None, 3, "2.50"),
        (None, "资金投入", "预算编制科学性",
         "预算编制经过论证，内容与项目内容匹配，额度测算依据充分，得2分；否则酌情扣分。",
         None, None, 2, "2.00"),
        ("项目过程（25分）", "资金管理", "资金到位率",
         "资金到位率=实际到位资金/计划投入资金×100%，得分=资金到位率×分值。",
         "100%", "100%", 5, "5.00"),
        (None, None, "预算执行率",
         "预算执行率=实际支出资金/实际到位资金×100%，得分=预算执行率×分值。",
         "100%", "96.5%", 5, "5.00"),  # planted: 0.965 × 5 = 4.825 → 4.83
        (None, None, "资金使用合规性",
         "资金使用符合财务管理制度和资金管理办法，无截留、挤占、挪用、虚列支出，得5分；发现一项违规扣1分。",
         None, None, 5, "5.00"),
        (None, "组织实施", "管理制度健全性",
         "已制定相应的项目管理制度和财务管理制度且合法合规、完整，得5分；否则酌情扣分。",
         None, None, 5, "5.00"),
        (None, None, "制度执行有效性",
         "遵守相关法律法规和管理规定，项目调整及支出调整手续完备，资料齐全并及时归档，得5分；每有一项不符合扣0.5分。",
         None, None, 5, "4.50"),
        ("项目产出（30分）", "产出数量", "垃圾清运量",
         "完成目标值得满分，未完成按完成比例计分。", "≥18000吨", "18650吨", 10, "10.00"),
        (None, "产出质量", "保洁覆盖率",
         "达到目标值得满分，未达到按实际值/目标值×分值计分。", "≥95%", "97%", 10, "10.00"),
        (None, "产出时效", "整治任务完成时间",
         "按期完成得满分，逾期完成的得分不超过分值的80%。", "2023年12月底前", "2023年12月20日",
         5, "5.00"),
        (None, "产出成本", "清运服务费",
         "控制在目标值以内得满分，超出的按目标值/实际值×分值计分。", "≤150万元", "148.60万元", 5,
         "5.00"),
        ("项目效益（35分）", "社会效益", "村庄环境卫生达标率",
         "达到目标值得满分，未达到按实际值/目标值×分值计分。", "≥90%", "92%", 15, "15.00"),
        (None, "生态效益", "垃圾无害化处理率",
         "达到目标值得满分，未达到按实际值/目标值×分值计分。", "≥95%", "93.1%", 10, "9.80"),
        (None, "满意度", "群众满意度",
         "满意度≥90%得满分，每低1个百分点扣1分。", "≥90%", "91%", 10, "10.00"),
    ]
    first = 5
    last = first + len(rows) - 1
    runs(f, "A", first, [r[0] for r in rows])
    runs(f, "B", first, [r[1] for r in rows])
    for i, (_, _, name, rule, target, actual, w, score) in enumerate(rows, start=first):
        f.put(f"C{i}", name, align=LEFT)
        f.put(f"D{i}", rule, align=LEFT)
        f.put(f"E{i}", target)
        f.put(f"F{i}", actual)
        f.put(f"G{i}", w)
        f.put(f"H{i}", num(d(score)), SCORE)
    assert sum(r[6] for r in rows) == 100
    f.put("H2", num(sum(d(r[7]) for r in rows)), SCORE)  # follows the written scores
    f.frame(2, last)
    f.span(f"A{last + 1}:H{last + 1}", "联系人：吴某    联系电话：0000-0000000", align=LEFT)
    f.finish()
    save(wb, "family-rubric.xlsx")


# ---------------------------------------------------------------------------------------
# 6. Transfer payment, no scores


def no_score():
    wb = new_book()
    f = sheet(wb, 7, [16, 12, 16, 24, 18, 18, 30])
    f.span("A1:G1", "2023年度转移支付绩效目标自评表", font=TITLE)
    f.ws.row_dimensions[1].height = 30
    f.put("A2", "转移支付（项目）名称")
    f.span("B2:G2", "衔接推进乡村振兴补助资金")
    f.put("A3", "主管部门")
    f.span("B3:D3", "某县农业农村局")
    f.put("E3", "资金使用单位")
    f.span("F3:G3", "某县乡村振兴服务中心")

    f.span("A4:A8", "资金情况（万元）")
    f.span("B4:C4", "资金来源")
    f.put("D4", "全年预算数（A）")
    f.put("E4", "全年执行数（B）")
    f.span("F4:G4", "执行率（B/A）")
    sources = [("中央资金", "500.00", "480.00"), ("省级资金", "200.00", "190.00"),
               ("市县资金", "100.00", "86.00")]
    for i, (lab, a, b) in enumerate(sources, start=5):
        f.span(f"B{i}:C{i}", lab)
        f.put(f"D{i}", num(d(a)), MONEY)
        f.put(f"E{i}", num(d(b)), MONEY)
        f.span(f"F{i}:G{i}", num(r4(d(b) / d(a))), RATE)
    f.span("B8:C8", "合计")
    f.put("D8", num(sum(d(s[1]) for s in sources)), MONEY)
    f.put("E8", num(sum(d(s[2]) for s in sources)), MONEY)
    f.span("F8:G8", 0.96, RATE)  # planted: the 中央资金 rate copied; 756.00/800.00 = 94.50%
    goals(f, 9, "BD", "EG",
          "巩固拓展脱贫攻坚成果，扶持村集体经济项目8个，新建产业路12公里，带动脱贫户户均增收1200元以上。",
          "扶持村集体经济项目6个，新建产业路12.5公里，脱贫户户均增收1150元。")

    for col, lab in zip("BCDEFG", ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值",
                                   "未完成原因分析"]):
        f.put(f"{col}11", lab)
    # (l1, l2, name, target, actual, reason)
    rows = [
        ("产出指标", "数量指标", "受益脱贫人口", "≥500人", "480户", None),  # planted: 人 vs 户
        (None, None, "新建产业路", "≥12公里", "12.5公里", None),
        (None, None, "扶持村集体经济项目", "≥8个", "6个", None),  # planted: unmet, no reason
        (None, "质量指标", "项目验收合格率", "=100%", "100%", None),
        (None, "时效指标", "项目完工时间", "2023年12月31日前", "2023年12月15日", None),
        ("效益指标", "经济效益指标", "脱贫户户均增收", "≥1200元", "1150元",
         "受农产品价格下行影响，户均增收略低于目标，下年度加强产销对接。"),
        (None, "社会效益指标", "带动就业人数", "≥300人", "310人", None),
        (None, "可持续影响指标", "项目持续发挥效益年限", "≥5年", "5年", None),
        ("满意度指标", "服务对象满意度指标", "受益群众满意度", "≥90%", "95%", None),
    ]
    first = 12
    last = first + len(rows) - 1
    f.span(f"A11:A{last}", "绩效指标")
    runs(f, "B", first, [r[0] for r in rows])
    runs(f, "C", first, [r[1] for r in rows])
    for i, (_, _, name, target, actual, reason) in enumerate(rows, start=first):
        f.put(f"D{i}", name, align=LEFT)
        f.put(f"E{i}", target)
        f.put(f"F{i}", actual)
        f.put(f"G{i}", reason, align=LEFT)
    f.frame(2, last)
    f.span(f"A{last + 1}:G{last + 1}", "填报人：郑某    联系电话：0000-0000000", align=LEFT)
    f.finish()
    save(wb, "family-no-score.xlsx")


# ---------------------------------------------------------------------------------------
# 7. A target-declaration table, not a self-evaluation


def unknown():
    wb = new_book()
    f = sheet(wb, 6, [12, 14, 16, 30, 18, 24])
    f.span("A1:F1", "2024年度项目绩效目标表", font=TITLE)
    f.ws.row_dimensions[1].height = 30
    f.put("A2", "项目名称")
    f.span("B2:F2", "农村人居环境整治提升项目")
    f.put("A3", "主管部门")
    f.span("B3:C3", "某县农业农村局")
    f.put("D3", "实施单位")
    f.span("E3:F3", "某县乡村建设服务中心")
    f.put("A4", "年度绩效目标")
    f.span("B4:F4", "完成农村户厕改造1200户，建设村级污水处理设施15处，村庄生活垃圾收运处置体系覆盖率达到100%。",
           align=LEFT)
    f.ws.row_dimensions[4].height = 36
    for col, lab in zip("BCDEF", ["一级指标", "二级指标", "三级指标", "指标值", "备注"]):
        f.put(f"{col}5", lab)
    rows = [
        ("产出指标", "数量指标", "农村户厕改造", "≥1200户", None),
        (None, None, "村级污水处理设施建设", "≥15处", None),
        (None, "质量指标", "改厕验收合格率", "≥95%", "按省级验收标准"),
        (None, "时效指标", "项目完成时间", "2024年11月底前", None),
        (None, "成本指标", "户厕改造补助标准", "≤1500元/户", "省级补助标准"),
        ("效益指标", "社会效益指标", "生活垃圾收运处置体系覆盖率", "=100%", None),
        (None, "生态效益指标", "农村生活污水治理率", "≥40%", None),
        ("满意度指标", "服务对象满意度指标", "受益群众满意度", "≥90%", None),
    ]
    first = 6
    last = first + len(rows) - 1
    f.span(f"A5:A{last}", "绩效指标")
    runs(f, "B", first, [r[0] for r in rows])
    runs(f, "C", first, [r[1] for r in rows])
    for i, (_, _, name, target, note) in enumerate(rows, start=first):
        f.put(f"D{i}", name, align=LEFT)
        f.put(f"E{i}", target)
        f.put(f"F{i}", note, align=LEFT)
    f.frame(2, last)
    f.finish()
    save(wb, "family-unknown.xlsx")


def main():
    split_target()
    no_weight()
    weighted()
    department()
    rubric()
    no_score()
    unknown()


if __name__ == "__main__":
    main()
