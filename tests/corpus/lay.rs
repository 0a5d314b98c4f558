//! Lays a generated form out the ways real forms are dressed (SPEC §1), in its template
//! family's columns and blocks (§10): anywhere on the sheet, labels spelt and spaced many
//! ways, columns in any order, the target split in three, headers on one row or two, level
//! cells merged, repeated or written once, numbers as numbers or text. Records the cell of
//! every place a mistake can sit.

use std::path::Path;

use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy::MidpointAwayFromZero as HALF_UP;
use rust_decimal::prelude::ToPrimitive;
use rust_xlsxwriter::{Format, Workbook};

use selfeval::model::Family;

use super::form::{Content, Ind, Rng, Spot, round2};

pub enum Val {
    S(String),
    /// A number and its format code (empty: General).
    N(f64, &'static str),
}

fn s(text: impl Into<String>) -> Val {
    Val::S(text.into())
}

fn n(v: Decimal, format: &'static str) -> Val {
    Val::N(v.to_f64().expect("f64"), format)
}

pub struct Sheet {
    pub name: String,
    pub hidden: bool,
    pub cells: Vec<(u32, u32, Val)>,
    pub merges: Vec<[u32; 4]>,
}

impl Sheet {
    /// Moves every cell and merged range `rows` down.
    pub fn shift_down(&mut self, rows: u32) {
        for cell in &mut self.cells {
            cell.0 += rows;
        }
        for m in &mut self.merges {
            m[0] += rows;
            m[2] += rows;
        }
    }
}

pub fn sheet(name: &str) -> Sheet {
    Sheet {
        name: name.into(),
        hidden: false,
        cells: vec![],
        merges: vec![],
    }
}

/// Writes sheets as one .xlsx workbook.
pub fn save(sheets: &[Sheet], path: &Path) {
    let mut wb = Workbook::new();
    let wrap = Format::new().set_text_wrap();
    for sh in sheets {
        let ws = wb.add_worksheet().set_name(&sh.name).expect("name");
        for &[r1, c1, r2, c2] in &sh.merges {
            ws.merge_range(r1, c1 as u16, r2, c2 as u16, "", &wrap)
                .expect("merge");
        }
        for (r, c, v) in &sh.cells {
            match v {
                Val::S(t) => ws.write_string_with_format(*r, *c as u16, t, &wrap),
                Val::N(x, f) => {
                    ws.write_number_with_format(*r, *c as u16, *x, &wrap.clone().set_num_format(*f))
                }
            }
            .expect("cell");
        }
        ws.set_hidden(sh.hidden);
    }
    wb.save(path).expect("save workbook");
}

/// A label as people type it: stray spaces (`分 值`), a line break, padding, or as is.
fn dress(rng: &mut Rng, base: &str) -> String {
    let chars: Vec<String> = base.chars().map(String::from).collect();
    let half = chars.len() / 2;
    match rng.below(7) {
        0 => chars.join(rng.pick(&[" ", "  ", "\u{3000}"])),
        1 if half >= 2 => format!("{}\n{}", chars[..half].concat(), chars[half..].concat()),
        2 => format!(" {base} "),
        _ => base.into(),
    }
}

fn one_of(rng: &mut Rng, family: &str) -> String {
    let word = rng.word(family);
    dress(rng, word)
}

/// `全年预算数`, `全年预算数(A)` or `全年预算数（A）`.
fn suffix(rng: &mut Rng, base: &str, s: &str) -> String {
    let k = rng.below(3);
    dress(
        rng,
        &[
            base.to_string(),
            format!("{base}({s})"),
            format!("{base}（{s}）"),
        ][k],
    )
}

fn fixed(v: Decimal, places: u32) -> String {
    let mut r = v.round_dp_with_strategy(places, HALF_UP);
    r.rescale(places);
    r.to_string()
}

/// A number as forms hold one: a number cell (General, `0.00`), `9.68`, `10分` for a weight,
/// `１２０．００`, `1,234.50` for an amount, `100.00`.
fn number(rng: &mut Rng, v: Decimal, what: &str) -> Val {
    let two = fixed(v, 2);
    match rng.below(8) {
        0 | 1 => n(v, ""),
        2 => n(v, if what == "weight" { "0" } else { "0.00" }),
        3 => s(if what == "amount" {
            two
        } else {
            v.normalize().to_string()
        }),
        4 => s(two
            .chars()
            .map(|c| char::from_u32(c as u32 + 0xfee0).unwrap_or(c))
            .collect::<String>()),
        5 if what == "weight" => s(format!("{}分", v.normalize())),
        5 if what == "amount" && v >= Decimal::from(1000) => {
            let (int, dec) = two.split_once('.').expect("decimals");
            let groups: Vec<&str> = int
                .as_bytes()
                .rchunks(3)
                .rev()
                .map(|g| std::str::from_utf8(g).expect("ascii"))
                .collect();
            s(format!("{}.{dec}", groups.join(",")))
        }
        _ => s(two),
    }
}

/// `94.50%`, `94.50％`, `94.50` (the sign left off), or 0.945 in a percent format.
fn percent(rng: &mut Rng, fraction: Decimal, places: u32) -> Val {
    let shown = fixed(fraction * Decimal::ONE_HUNDRED, places);
    match rng.below(5) {
        0 => n(fraction, if places == 0 { "0%" } else { "0.00%" }),
        1 => s(format!("{shown}％")),
        2 if places > 0 => s(shown),
        _ => s(format!("{shown}%")),
    }
}

/// What a formula leaves: the unrounded value, shown rounded by its format; only where the
/// written value is the right one, and only in workbooks that stay .xlsx (.xls/.ods lose the
/// format, and the scorer's total-sum does not yet allow for summing unrounded scores).
fn formula(
    rng: &mut Rng,
    c: &Content,
    exact: Decimal,
    written: Decimal,
    places: u32,
) -> Option<Val> {
    // What the reader will see: the float the cell holds (as its shortest decimal), rounded
    // as its format shows it. 95/96 × 12 is 11.875, but its float is 11.874999999999998.
    let x = exact.to_f64().expect("f64");
    let shown = x
        .to_string()
        .parse::<Decimal>()
        .map(|d| d.round_dp_with_strategy(places, HALF_UP));
    let format = if places == 4 { "0.00%" } else { "0.00" };
    (c.formulas && shown == Ok(written) && rng.chance(0.15)).then_some(Val::N(x, format))
}

/// The target as one text: `≥1000人次`, `不低于95%`, `控制在8.90万元以内`, `90%-95%`.
fn target_text(rng: &mut Rng, ind: &Ind, u: &str) -> String {
    let v = &ind.value;
    let forms = match (ind.op, v.split_once('-')) {
        (_, Some((lo, hi))) => vec![
            format!("{lo}%-{hi}%"),
            format!("{lo}-{hi}%"),
            format!("{lo}%～{hi}%"),
        ],
        ("≥", _) => vec![
            format!("≥{v}{u}"),
            format!(">={v}{u}"),
            format!("不低于{v}{u}"),
            format!("{v}{u}以上"),
            format!("＞＝{v}{u}"),
        ],
        ("≤", _) => vec![
            format!("≤{v}{u}"),
            format!("不超过{v}{u}"),
            format!("控制在{v}{u}以内"),
            format!("<={v}{u}"),
        ],
        ("=", _) => vec![format!("={v}{u}"), format!("＝{v}{u}")],
        _ => vec![format!("{v}{u}")],
    };
    forms[rng.below(forms.len())].clone()
}

/// The actual: `1200人次`, `≥1200人次` (operator copied), `8.83万`, `88300元` against 万元,
/// 0.95 in a percent format, a bare number where the unit is given elsewhere, a date cell, or
/// words.
fn actual(rng: &mut Rng, ind: &Ind, unit_elsewhere: bool) -> Val {
    let a = match ind.actual {
        // A completion month typed as a date (`2023/11/30`), which the sheet keeps as a serial.
        Err(month) if month.starts_with("20") && rng.chance(0.25) => {
            let serial = match month {
                "2023年10月" => 45214, // 2023-10-15
                "2023年11月" => 45260, // 2023-11-30
                "2023年12月" => 45280, // 2023-12-20
                _ => 45366,            // 2024-03-15
            };
            return Val::N(serial as f64, "yyyy/m/d");
        }
        Err(words) => return s(words),
        Ok(a) => a,
    };
    let op = if ind.op == "≥" && rng.chance(0.1) {
        "≥"
    } else {
        ""
    };
    match ind.unit {
        _ if unit_elsewhere && rng.chance(0.35) => n(a, ""),
        _ if unit_elsewhere && rng.chance(0.5) => s(a.to_string()),
        "%" if rng.chance(0.5) => percent(rng, a / Decimal::ONE_HUNDRED, a.normalize().scale()),
        "万元" if rng.chance(0.15) => {
            s(format!("{op}{}元", (a * Decimal::from(10_000)).normalize()))
        }
        "万元" if rng.chance(0.3) => s(format!("{op}{a}万")),
        u => s(format!("{op}{a}{u}")),
    }
}

/// Cells at logical columns of a form placed at `x0`, with a blank `spacer` column inside.
struct Grid {
    sh: Sheet,
    x0: u32,
    spacer: Option<u32>,
}

impl Grid {
    fn at(&self, r: u32, k: u32) -> (u32, u32) {
        (
            r,
            self.x0 + k + u32::from(self.spacer.is_some_and(|s| k >= s)),
        )
    }
    fn put(&mut self, r: u32, k: u32, v: Val) {
        self.span(r, k, r, k, v);
    }
    /// A value over a merged range; one cell is not merged.
    fn span(&mut self, r: u32, k: u32, r2: u32, k2: u32, v: Val) {
        let ((r, c), (r2, c2)) = (self.at(r, k), self.at(r2, k2));
        if (r, c) != (r2, c2) {
            self.sh.merges.push([r, c, r2, c2]);
        }
        self.sh.cells.push((r, c, v));
    }
}

/// An indicator-block field, its first logical column and its last.
type Col = (&'static str, u32, u32);
pub type Places = Vec<(Spot, Vec<(u32, u32)>)>;

/// Lays out one form; returns the sheet and the cell of every place a mistake can be.
pub fn lay(rng: &mut Rng, c: &Content, name: &str) -> (Sheet, Places) {
    let fam = c.family;
    let mut places: Places = vec![(Spot::Sheet, vec![(0, 0)])];
    // Indicator columns set the width: value fields in the family's order or shuffled, the
    // split target kept together as Yunnan prints it, 0–2 ignored columns, some two wide.
    let split = fam == Family::SplitTarget;
    // The header on one row; on two with 年度指标值 over 指标性质 | 指标值 | 度量单位; or on two
    // with 绩效指标 over 一级 | 二级 | 三级指标 (and 年度指标值 over its parts).
    let header_mode = match () {
        _ if split => rng.below(3),
        _ if !c.no_level3 && rng.chance(0.1) => 2,
        _ => 0,
    };
    let two_row_header = header_mode > 0;
    let v = |f: &'static str| vec![f];
    let mut fields: Vec<Vec<&str>> = match fam {
        Family::NoWeight => vec![v("target"), v("actual"), v("score"), v("reason")],
        Family::Weighted => vec![
            v("target"),
            v("actual"),
            v("weight"),
            v("single"),
            v("score"),
            v("reason"),
        ],
        Family::Department if c.coefficient => vec![
            v("target"),
            v("actual"),
            v("weight"),
            v("coef"),
            v("score"),
            v("reason"),
        ],
        Family::Rubric => {
            let mut f = vec![
                v("criteria"),
                v("target"),
                v("actual"),
                v("weight"),
                v("score"),
            ];
            if rng.chance(0.4) {
                f.push(v("reason"));
            }
            f
        }
        Family::NoScore => vec![v("target"), v("actual"), v("reason")],
        _ => vec![
            v("target"),
            v("actual"),
            v("weight"),
            v("score"),
            v("reason"),
        ],
    };
    if split {
        fields[0] = vec!["op", "target", "unit"];
    }
    if rng.chance(0.5) {
        for i in (1..fields.len()).rev() {
            fields.swap(i, rng.below(i + 1));
        }
    }
    for _ in 0..rng.range(0, 2) {
        fields.insert(rng.below(fields.len() + 1), vec!["extra"]);
    }
    // 绩效指标: 0 none, 1 on the header row, 2 down the block (over the levels in mode 2).
    let block_label = if header_mode == 2 { 0 } else { rng.below(3) };
    let levels: &[&'static str] = if c.no_level3 {
        &["l1", "l3"]
    } else {
        &["l1", "l2", "l3"]
    };
    let mut cols: Vec<Col> = vec![];
    let mut next = u32::from(block_label > 0);
    for &f in levels.iter().chain(fields.iter().flatten()) {
        let wide = matches!(f, "l3" | "reason") && rng.chance(0.25);
        cols.push((f, next, next + u32::from(wide)));
        next += 1 + u32::from(wide);
    }
    let col = |f: &str| *cols.iter().find(|c| c.0 == f).expect("field");
    let has = |f: &str| cols.iter().any(|c| c.0 == f);
    let end = next.max(8) - 1;
    let spacer = rng
        .chance(0.15)
        .then(|| rng.range(1, end as i64 - 1) as u32);
    let mut g = Grid {
        sh: sheet(name),
        x0: rng.range(0, 2) as u32,
        spacer,
    };
    let mut row = rng.range(0, 3) as u32;
    let gap = |rng: &mut Rng, row: &mut u32| *row += u32::from(rng.chance(0.12));

    // Title, year and unit rows, each there or not; 项目名称, 主管部门, 实施单位 (a 部门整体
    // form names its department; a rubric prints its total beside the project).
    let titled = fam == Family::Department || rng.chance(0.85);
    if titled {
        places.push((Spot::Top, vec![(row, 0)]));
        let title = match fam {
            Family::Department => rng.pick(&[
                "2023年度部门整体支出绩效自评表",
                "部门整体支出绩效自评表",
                "部门整体支出绩效自评表（2023年度）",
            ]),
            Family::NoScore => rng.pick(&[
                "2023年度转移支付绩效目标自评表",
                "转移支付绩效目标自评表",
                "2023年度专项资金绩效自评表",
            ]),
            _ => rng.word("title"),
        };
        g.span(row, 0, row, end, s(title));
        row += 1;
        if !title.contains("2023") && rng.chance(0.5) {
            g.span(row, 0, row, end, s("（2023年度）"));
            row += 1;
        }
    }
    let money = if c.yuan { "元" } else { "万元" };
    let unit_row = fam != Family::Rubric && rng.chance(0.3);
    if unit_row {
        g.put(row, end, s(format!("单位：{money}")));
        row += 1;
    }
    gap(rng, &mut row);
    if !titled {
        places.push((Spot::Top, vec![(row, 0)]));
    }
    // A rubric's total: beside the project (`项目总得分 | 98.53`), inside its label
    // (`项目总得分98.53分`), or on a row of its own.
    let top_total = if fam == Family::Rubric {
        rng.below(3)
    } else {
        3
    };
    let total_text = fixed(round2(c.total), 2);
    if fam == Family::Department {
        g.put(row, 0, s(dress(rng, "部门名称")));
        g.span(row, 1, row, end, s(c.dept));
        row += 1;
    } else {
        let label = match fam {
            Family::NoScore => rng.pick(&["转移支付（项目）名称", "项目名称"]),
            _ => "项目名称",
        };
        g.put(row, 0, s(dress(rng, label)));
        match top_total {
            0 => {
                g.span(row, 1, row, end - 3, s(c.project));
                let label = rng.pick(&["项目总得分", "自评总分", "总得分"]);
                g.span(row, end - 2, row, end - 1, s(dress(rng, label)));
                g.put(row, end, s(total_text.clone()));
                places.push((Spot::Total, vec![g.at(row, end)]));
            }
            1 => {
                g.span(row, 1, row, end - 1, s(c.project));
                g.put(row, end, s(format!("项目总得分{total_text}分")));
                places.push((Spot::Total, vec![g.at(row, end)]));
            }
            _ => g.span(row, 1, row, end, s(c.project)),
        }
        g.put(row + 1, 0, s(one_of(rng, "dept")));
        g.span(row + 1, 1, row + 1, 3, s(c.dept));
        let unit = match fam {
            Family::NoScore => rng.pick(&["资金使用单位", "实施单位"]),
            _ => "实施单位",
        };
        g.put(row + 1, 4, s(dress(rng, unit)));
        g.span(row + 1, 5, row + 1, end, s(c.dept));
        row += 2;
        if top_total == 2 {
            let label = rng.pick(&["自评总分", "项目总得分"]);
            g.put(row, 0, s(dress(rng, label)));
            g.put(row, 1, s(total_text));
            places.push((Spot::Total, vec![g.at(row, 1)]));
            row += 1;
        }
    }
    gap(rng, &mut row);

    if fam != Family::Rubric {
        row = funding(rng, c, &mut g, &mut places, row, unit_row);
        gap(rng, &mut row);
    }

    // Goals, free text.
    g.span(row, 0, row + 1, 0, s(dress(rng, "年度总体目标")));
    g.span(row, 1, row, 4, s("预期目标"));
    g.span(row, 5, row, end, s("实际完成情况"));
    g.span(
        row + 1,
        1,
        row + 1,
        4,
        s("目标1：按期完成年度建设任务，提升服务质量。"),
    );
    g.span(row + 1, 5, row + 1, end, s("已按计划完成。"));
    row += 2;
    gap(rng, &mut row);

    // Indicator header, on one row or two.
    let head = row;
    row += 1 + u32::from(two_row_header);
    for &(f, a, b) in &cols {
        let text = match f {
            "l1" => dress(rng, "一级指标"),
            "l2" => dress(rng, "二级指标"),
            "l3" if c.no_level3 => dress(rng, "二级指标"),
            "l3" => dress(rng, "三级指标"),
            "op" => "指标性质".into(),
            "target" if split => "指标值".into(),
            "unit" => rng.word("unit").into(),
            "extra" if fam == Family::NoScore => {
                rng.pick(&["指标值设置依据", "佐证资料", "备注"]).into()
            }
            "extra" => rng.word("extra").into(),
            "weight" if fam == Family::Weighted => {
                let w = rng.pick(&["权重占比", "权重占比", "权重"]);
                dress(rng, w)
            }
            "weight" if fam == Family::Department => {
                let w = rng.pick(&["指标权重", "权重", "分值"]);
                dress(rng, w)
            }
            "single" => {
                let w = rng.pick(&["单项指标得分", "单项得分"]);
                dress(rng, w)
            }
            "score" if fam == Family::Weighted => dress(rng, "折算得分"),
            "score" if fam == Family::Rubric => {
                let w = rng.pick(&["自评分", "自评分", "得分", "自评得分"]);
                dress(rng, w)
            }
            "coef" => rng
                .pick(&["得分系数（%）", "得分系数(%)", "得分系数"])
                .into(),
            "criteria" => {
                let w = rng.pick(&["评分标准", "评分标准", "评分细则", "评分要点"]);
                dress(rng, w)
            }
            other => one_of(rng, other),
        };
        let below = match header_mode {
            1 => matches!(f, "op" | "target" | "unit"),
            2 => {
                matches!(f, "l1" | "l2" | "l3") || (split && matches!(f, "op" | "target" | "unit"))
            }
            _ => false,
        };
        if below {
            g.span(head + 1, a, head + 1, b, s(text));
        } else {
            g.span(head, a, row - 1, b, s(text));
        }
    }
    if split && two_row_header {
        let label = suffix(rng, "年度指标值", "A");
        g.span(head, col("op").1, head, col("unit").1, s(label));
    }
    if header_mode == 2 {
        let label = dress(rng, "绩效指标");
        g.span(head, col("l1").1, head, col("l3").2, s(label));
    }

    // Indicator rows, with empty placeholders (`指标2：`) after some level-2 runs.
    let unit_in_name = !split && rng.chance(0.3);
    let mut rows: Vec<(usize, Option<usize>)> = vec![];
    for (gi, group) in c.groups.iter().enumerate() {
        for (i, ind) in group.inds.iter().enumerate() {
            rows.push((gi, Some(i)));
            if group.inds.get(i + 1).is_none_or(|n| n.l2 != ind.l2) && rng.chance(0.15) {
                rows.push((gi, None));
            }
        }
    }
    // Formula results stand where a score is the formula's own: not a weighted form's, not
    // one by 得分系数, not a 20/80 form's (whose weights may be inferred from the scores).
    let formulas = !matches!(fam, Family::Weighted | Family::NoWeight) && !c.coefficient;
    let first = row;
    for &(gi, i) in &rows {
        let (_, a, b) = col("l3");
        let Some(i) = i else {
            let text = rng.word("placeholder");
            g.span(row, a, row, b, s(text));
            row += 1;
            continue;
        };
        let ind = &c.groups[gi].inds[i];
        let in_name = unit_in_name && ind.unit == "%";
        for &(f, a, b) in &cols {
            let v = match f {
                "l3" => {
                    let mut name = ind.name.to_string();
                    if fam == Family::NoWeight && ind.named {
                        let (l, r) = rng.pick(&[("（", "）"), ("(", ")")]);
                        name += &format!("{l}{}分{r}", ind.weight.normalize());
                    }
                    if in_name {
                        name += rng.pick(&["（%）", "(%)"]);
                    }
                    s(name)
                }
                "target" | "actual" | "op" | "unit" if !ind.rated => continue,
                "target"
                    if split
                        && ind.actual.is_ok()
                        && !ind.value.contains('-')
                        && rng.chance(0.5) =>
                {
                    n(ind.value.parse().expect("number"), "")
                }
                "target" if split => s(ind.value.clone()),
                "target" => s(target_text(rng, ind, if in_name { "" } else { ind.unit })),
                "op" if ind.actual.is_err() => s(rng.pick(&["", "定性"])),
                "op" => s(ind.op),
                "unit" => s(ind.unit),
                "actual" => match (ind.actual_unit, ind.actual) {
                    (Some(u), Ok(a)) => s(format!("{a}{u}")),
                    _ => actual(rng, ind, split || in_name),
                },
                "weight" => number(rng, ind.weight, "weight"),
                "single" => number(rng, ind.single, "score"),
                "coef" => coefficient(rng, ind.coef.expect("coefficient")),
                "criteria" => s(ind.criteria),
                "score" if ind.band || !ind.rated || !formulas => number(rng, ind.score, "score"),
                "score" => formula(rng, c, ind.share * ind.weight, ind.score, 2)
                    .unwrap_or_else(|| number(rng, ind.score, "score")),
                "reason" => s(ind.reason),
                "extra" => s(rng.pick(&["", "见附件", "按完成比例计分"])),
                _ => continue, // level cells come below
            };
            g.span(row, a, row, b, v);
        }
        let at = |f: &str| vec![g.at(row, col(f).1)];
        if has("score") {
            places.push((Spot::Score(gi, i), at("score")));
        }
        if has("single") {
            places.push((Spot::Single(gi, i), at("single")));
        }
        if has("reason") {
            places.push((Spot::Reason(gi, i), at("reason")));
        }
        places.push((Spot::Actual(gi, i), at("actual")));
        row += 1;
    }
    // Level-1 and level-2 cells: merged down their rows, repeated on each, or written once.
    let short_l2 = rng.chance(0.3);
    let level_cols: &[&str] = if c.no_level3 { &["l1"] } else { &["l1", "l2"] };
    for &level in level_cols {
        let (mode, at) = (rng.below(3), col(level).1);
        let key = |k: usize| {
            let (gi, i) = rows[k];
            // A placeholder belongs to the run it follows.
            let i = i
                .or_else(|| rows[..k].iter().rev().find_map(|r| r.1))
                .unwrap_or(0);
            (
                gi,
                if level == "l2" {
                    c.groups[gi].inds[i].l2
                } else {
                    ""
                },
            )
        };
        let mut k = 0;
        while k < rows.len() {
            let run = (k..rows.len()).take_while(|j| key(*j) == key(k)).count() as u32;
            let ((gi, l2), top) = (key(k), first + k as u32);
            let text = match c.groups[gi].points {
                _ if level == "l2" => dress(
                    rng,
                    if short_l2 {
                        l2.trim_end_matches("指标")
                    } else {
                        l2
                    },
                ),
                Some(p) => format!(
                    "{}{}{p}分{}",
                    c.groups[gi].l1,
                    rng.pick(&["(", "（"]),
                    rng.pick(&[")", "）"])
                ),
                None => c.groups[gi].l1.to_string(),
            };
            let text = if level == "l1" {
                dress(rng, &text)
            } else {
                text
            };
            match mode {
                0 => g.span(top, at, top + run - 1, at, s(text)),
                1 => (0..run).for_each(|j| g.put(top + j, at, s(text.clone()))),
                _ => g.put(top, at, s(text)),
            }
            if level == "l1" {
                places.push((Spot::L1(gi), vec![g.at(top, at)]));
            }
            k += run as usize;
        }
    }
    if block_label > 0 {
        let bottom = if block_label == 2 { row - 1 } else { head };
        // A 20/80 form states its indicators' points in the block's label.
        let text = if fam == Family::NoWeight && block_label == 2 && rng.chance(0.5) {
            format!(
                "年度绩效目标1（{}分）",
                (Decimal::ONE_HUNDRED - c.exec_weight).normalize()
            )
        } else {
            dress(rng, "绩效指标")
        };
        g.span(head, 0, bottom, 0, s(text));
    }

    // Totals (unless left off, or printed at the top), conclusion, contact line.
    let mut grade_placed = false;
    if !c.no_totals && !matches!(fam, Family::Rubric | Family::NoScore) {
        g.span(row, 0, row, col("l3").2, s(one_of(rng, "totals")));
        let hundred = number(rng, Decimal::ONE_HUNDRED, "weight");
        let hundred_at = match () {
            _ if has("weight") => Some(col("weight").1),
            _ if rng.chance(0.5) => Some(col("target").1),
            _ => None,
        };
        if let Some(k) = hundred_at {
            g.put(row, k, hundred);
        }
        let score = col("score");
        g.put(row, score.1, number(rng, round2(c.total), "score"));
        places.push((Spot::Total, vec![g.at(row, score.1)]));
        // A 20/80 form may give its grade beside the total: `自评等级 | 优`.
        let free = hundred_at.is_none_or(|k| k <= score.2 || k > score.2 + 2);
        if fam == Family::NoWeight && score.2 + 2 <= end && free && rng.chance(0.5) {
            g.put(row, score.2 + 1, s(dress(rng, "自评等级")));
            g.put(row, score.2 + 2, s(grade_text(rng, c.grade)));
            places.push((Spot::Grade, vec![g.at(row, score.2 + 2)]));
            grade_placed = true;
        }
        row += 1;
    }
    if c.graded && !grade_placed {
        g.put(row, 0, s(one_of(rng, "conclusion")));
        let grade = grade_text(rng, c.grade);
        g.span(row, 1, row, end, s(grade));
        places.push((Spot::Grade, vec![g.at(row, 1)]));
        row += 1;
    }
    g.put(
        row,
        0,
        s("填表人：张三    联系电话：0854-0000000    填报日期：2024年3月1日"),
    );
    (g.sh, places)
}

/// `优`, sometimes `优秀`; `良`, sometimes `良好`.
fn grade_text(rng: &mut Rng, grade: &'static str) -> &'static str {
    match grade {
        "优" if rng.chance(0.2) => "优秀",
        "良" if rng.chance(0.2) => "良好",
        grade => grade,
    }
}

/// A 得分系数: `95%`, `95.00%`, `95` (the sign left off), or 0.95 in a percent format. Never a
/// bare `1` for 100%, which reads as anything from 50% to 150%.
fn coefficient(rng: &mut Rng, fraction: Decimal) -> Val {
    let pct = (fraction * Decimal::ONE_HUNDRED).normalize();
    match rng.below(4) {
        0 if fraction < Decimal::ONE => n(fraction, rng.pick(&["0%", "0.00%"])),
        1 => s(format!("{}%", fixed(pct, 2))),
        2 => s(pct.to_string()),
        _ => s(format!("{pct}%")),
    }
}

/// The funding block from `row`: its label, header (on two rows under a 20/80 form's
/// `预算执行情况（万元）（20分）`), the total and source rows; returns the row below it.
fn funding(
    rng: &mut Rng,
    c: &Content,
    g: &mut Grid,
    places: &mut Places,
    row: u32,
    unit_row: bool,
) -> u32 {
    let fam = c.family;
    let money = if c.yuan { "元" } else { "万元" };
    // Source, amounts, then 分值/执行率/得分 in either order (what the family scores).
    let mut fund_cols = vec!["src", "initial", "budget", "executed"];
    match fam {
        Family::NoWeight => fund_cols.extend(["rate", "score"]),
        f if f.scores_execution() => fund_cols.extend(["weight", "rate", "score"]),
        _ => fund_cols.push("rate"),
    }
    if rng.chance(0.2) {
        fund_cols.remove(1);
    }
    if fund_cols.contains(&"weight") && rng.chance(0.3) {
        let w = fund_cols.len() - 3;
        fund_cols.swap(w, w + 1);
    }
    let fc = |f: &str| 1 + fund_cols.iter().position(|c| *c == f).unwrap_or(0) as u32;
    let two_rows = fam == Family::NoWeight && rng.chance(0.5);
    let label = match fam {
        Family::Department if rng.chance(0.5) => "年度预算申请".to_string(),
        Family::NoScore if rng.chance(0.5) => suffix(rng, "资金情况", money),
        _ if unit_row => "项目资金".to_string(),
        _ => suffix(rng, "项目资金", money),
    };
    // Rows in order: the total first, or (by source) last.
    let sources = 1..c.funds.len();
    let order: Vec<usize> = match () {
        _ if c.sources_in_words => vec![0],
        _ if fam == Family::NoScore && rng.chance(0.7) => sources.chain([0]).collect(),
        _ => [0].into_iter().chain(sources).collect(),
    };
    // A 部门整体 form's sources in words, amounts in the label: `一般公共预算:1873.66万元`.
    let mut words: Vec<String> = vec![];
    if c.sources_in_words {
        let b = c.funds[0].budget;
        let part = |k: i64| round2(b * Decimal::new(k, 2));
        let (p2, p3) = (part(rng.range(5, 15)), part(rng.range(1, 5)));
        let q1 = part(rng.range(50, 65));
        for (head, items) in [
            (
                "按收入性质分：",
                vec![
                    ("一般公共预算", b - p2 - p3),
                    ("政府性基金预算", p2),
                    ("其他资金", p3),
                ],
            ),
            (
                "按支出性质分：",
                vec![("基本支出", q1), ("项目支出", b - q1)],
            ),
        ] {
            words.push(head.into());
            words.extend(
                items
                    .into_iter()
                    .map(|(l, v)| format!("{l}:{}{money}", fixed(v, 2))),
            );
        }
    }
    let hrow = row + u32::from(two_rows);
    let last = hrow + (order.len() + words.len()) as u32;
    g.span(
        row,
        0,
        if rng.chance(0.8) { last } else { row },
        0,
        s(label),
    );
    for (k, f) in fund_cols.iter().enumerate() {
        let amount = matches!(*f, "initial" | "budget" | "executed");
        let text = match *f {
            "src" => rng.word("source").to_string(),
            "initial" => dress(rng, "年初预算数"),
            "budget" => suffix(rng, "全年预算数", "A"),
            "executed" => suffix(rng, "全年执行数", "B"),
            "rate" => suffix(rng, "执行率", "B/A"),
            "score" if fam == Family::NoWeight && !two_rows => {
                let (l, r) = rng.pick(&[("（", "）"), ("(", ")")]);
                let times = rng.pick(&["*", "×"]);
                format!("得分{l}{}分{times}执行率{r}", c.exec_weight.normalize())
            }
            other => one_of(rng, other),
        };
        let k = 1 + k as u32;
        if two_rows && !amount {
            g.span(row, k, hrow, k, s(text));
        } else {
            g.put(hrow, k, s(text));
        }
    }
    if two_rows {
        let from = fc(if fund_cols.contains(&"initial") {
            "initial"
        } else {
            "budget"
        });
        let text = format!("预算执行情况（{money}）（{}分）", c.exec_weight.normalize());
        g.span(row, from, row, fc("executed"), s(text));
    }
    // Source rows show `—`, `/`, nothing, or repeat the total row's figures (as the seed does);
    // a transfer payment's give their own rate.
    let sub = rng.pick(&["—", "/", "", "repeat"]);
    let own_rates = fam == Family::NoScore && rng.chance(0.6);
    for (j, &k) in order.iter().enumerate() {
        let r = hrow + 1 + j as u32;
        let f = &c.funds[k];
        g.put(r, fc("src"), s(dress(rng, f.label)));
        let amounts = [
            ("initial", f.initial),
            ("budget", f.budget),
            ("executed", f.executed),
        ];
        let amounts: Vec<u32> = amounts
            .into_iter()
            .filter(|a| fund_cols.contains(&a.0))
            .map(|(f, v)| {
                let v = number(rng, v, "amount");
                g.put(r, fc(f), v);
                fc(f)
            })
            .collect();
        let tail = fund_cols
            .iter()
            .filter(|f| matches!(**f, "weight" | "rate" | "score"));
        for &t in tail {
            let v = match t {
                _ if k > 0 && own_rates && t == "rate" && f.budget > Decimal::ZERO => {
                    let own = (f.executed / f.budget).round_dp_with_strategy(4, HALF_UP);
                    percent(rng, own, 2)
                }
                _ if k > 0 && sub != "repeat" => s(sub),
                "rate" => {
                    let sources = &c.funds[1..];
                    let sum = |f: fn(&super::form::Fund) -> Decimal| {
                        sources.iter().map(f).sum::<Decimal>()
                    };
                    let exact = sum(|f| f.executed) / sum(|f| f.budget);
                    formula(rng, c, exact, c.rate, 4).unwrap_or_else(|| percent(rng, c.rate, 2))
                }
                "score" => {
                    let sources = &c.funds[1..];
                    let sum = |f: fn(&super::form::Fund) -> Decimal| {
                        sources.iter().map(f).sum::<Decimal>()
                    };
                    let exact =
                        (sum(|f| f.executed) / sum(|f| f.budget)).min(Decimal::ONE) * c.exec_weight;
                    formula(rng, c, exact, c.exec_score, 2)
                        .unwrap_or_else(|| number(rng, c.exec_score, "score"))
                }
                _ => number(rng, c.exec_weight, "weight"),
            };
            g.put(r, fc(t), v);
        }
        if k == 0 {
            if fund_cols.contains(&"rate") {
                places.push((Spot::ExecRate, vec![g.at(r, fc("rate"))]));
            }
            if fund_cols.contains(&"score") {
                places.push((Spot::ExecScore, vec![g.at(r, fc("score"))]));
            }
            places.push((
                Spot::FundTotal,
                amounts.iter().map(|k| g.at(r, *k)).collect(),
            ));
        }
    }
    for (j, line) in words.iter().enumerate() {
        let r = hrow + 1 + (order.len() + j) as u32;
        g.put(r, fc("src"), s(line.clone()));
    }
    last + 1
}

/// Sheets that are not forms: instructions, a summary list, a hidden list of choices.
pub fn not_a_form(kind: usize) -> Sheet {
    let (name, text) = match kind {
        0 => (
            "填报说明",
            "填报说明|1. 本表由项目实施单位填写，预算执行率与各项指标分值合计100分。|2. 绩效指标包括一级指标、二级指标和三级指标，得分按完成比例计算。|3. 绩效结论分为优、良、中、差四个等级。",
        ),
        1 => ("汇总", "序号|项目名称|主管部门|自评得分|评价等级"),
        _ => ("下拉选项", "优|良|中|差|≥|≤|="),
    };
    let mut sh = sheet(name);
    for (k, line) in text.split('|').enumerate() {
        let (r, c) = if kind == 1 {
            (0, k as u32)
        } else {
            (k as u32, 0)
        };
        sh.cells.push((r, c, s(line)));
    }
    sh.hidden = kind == 2;
    sh
}
