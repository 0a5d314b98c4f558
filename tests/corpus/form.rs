//! What a generated form says, correct by construction (SPEC §3; scores rounded half away
//! from zero to 2 decimals), and the mistakes injected into it. `lay.rs` decides the looks.

use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy::MidpointAwayFromZero as HALF_UP;

/// splitmix64: seedable and the same everywhere, so a failing corpus can be drawn again.
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let z = (self.0 ^ (self.0 >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        let z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Inclusive.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + self.below((hi - lo + 1) as usize) as i64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.below(1000) < (p * 1000.0) as usize
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len())]
    }
    /// One spelling of a family of [`WORDS`].
    pub fn word(&mut self, family: &str) -> &'static str {
        let line = WORDS
            .lines()
            .find_map(|l| l.split_once(": ").filter(|(k, _)| *k == family));
        let words: Vec<&str> = line.expect(family).1.split('|').map(str::trim).collect();
        self.pick(&words)
    }
}

/// Spellings seen on real forms (SPEC §1), a family a line. The reader's aliases live in
/// templates/layout.toml; these are written down separately, as forms spell them.
const WORDS: &str = "\
title: 项目支出绩效自评表（2023年度） | 项目支出绩效自评表 | 州本级项目支出绩效自评表 | 2023年度项目支出绩效自评表
dept: 主管部门 | 主管单位
fiscal: 其中：当年财政拨款 | 财政拨款 | 其中：财政拨款 | 本年财政拨款 | 财政拨款（州本级资金）
carry: 上年结转资金 | 上年结转
total_row: 年度资金总额 | 年度资金总额： | 资金总额
source: 资金来源 | 项目 |
weight: 分值 | 权重
score: 得分 | 自评得分
target: 年度指标值（A） | 年度指标值(A) | 年度指标值 | 指标值 | 年度目标值
actual: 实际完成值（B） | 全年实际完成值(B) | 实际完成值 | 全年实际完成值
reason: 偏差原因分析及改进措施 | 未完成原因分析 | 偏差原因分析 | 未完成原因分析及改进措施
unit: 度量单位 | 计量单位 | 单位
extra: 得分计算方法 | 指标值设置依据 | 佐证资料 | 评分标准 | 备注
totals: 总分 | 合计 | 总计
conclusion: 绩效结论 | 自评结论 | 评价等级 | 自评等级
placeholder: 指标2： | …… |  | 指标3:
project: 中小企业融资服务经费 | 农村饮水安全巩固提升项目 | 城乡环境卫生整治专项资金 | 高标准农田建设项目
department: 某州财政局 | 某县农业农村局 | 某州卫生健康局 | 某县教育局
count: 人次/培训人次 | 次/召开对接会 | 家/走访企业数量 | 户/受益农户数 | 个/建设站点数
pct: 验收合格率 | 项目完工率 | 覆盖率
satisfaction: 服务对象满意度 | 群众满意度 | 受益企业满意度
deadline: 2023年12月31日前 | 2023年底 | 2023年12月底前
on_time: 2023年11月 | 2023年12月 | 2023年10月
goal: 有效推进 | 显著提升 | 健全 | 逐步改善 | 持续发挥
partial: 基本完成 | 部分完成";

pub fn round2(v: Decimal) -> Decimal {
    v.round_dp_with_strategy(2, HALF_UP)
}

/// One funding row; `funds[0]` is 年度资金总额.
#[derive(Clone, Copy, Default)]
pub struct Fund {
    pub label: &'static str,
    pub initial: Decimal,
    pub budget: Decimal,
    pub executed: Decimal,
}

/// A level-3 indicator. The target is kept in the three parts Yunnan forms split it into.
#[derive(Clone)]
pub struct Ind {
    pub l2: &'static str,
    pub name: &'static str,
    /// `≥`, `≤`, `=`, or empty (no direction written).
    pub op: &'static str,
    /// `1000`, `8.90`, `90-95`, `2023年底`, `有效推进`.
    pub value: String,
    pub unit: &'static str,
    /// A number in `unit`, or words or a date.
    pub actual: Result<Decimal, &'static str>,
    pub weight: Decimal,
    /// The share of the weight the rules give; for qualitative or late rows, one in the band.
    pub share: Decimal,
    /// Judged by a band (I7 late, I8), not a formula.
    pub band: bool,
    pub score: Decimal,
    pub reason: &'static str,
}

pub struct Group {
    pub l1: &'static str,
    /// Points the level-1 label states (`产出指标(50分)`), if any.
    pub points: Option<Decimal>,
    pub inds: Vec<Ind>,
}

pub struct Content {
    pub project: &'static str,
    pub dept: &'static str,
    /// Money in 元 rather than 万元.
    pub yuan: bool,
    pub funds: Vec<Fund>,
    /// 执行率 as written, a fraction with 4 decimals.
    pub rate: Decimal,
    pub exec_score: Decimal,
    pub groups: Vec<Group>,
    pub total: Decimal,
    pub grade: &'static str,
    /// The totals row is left off: a block the checker must report missing.
    pub no_totals: bool,
    /// Scores and rate may be formula results (only in workbooks that stay .xlsx).
    pub formulas: bool,
}

fn share(a: Decimal, b: Decimal) -> Decimal {
    (a / b).min(Decimal::ONE)
}

/// A level-3 indicator of level-1 group `g` (0 产出, 1 效益, 2 满意度).
fn indicator(rng: &mut Rng, g: usize) -> Ind {
    let kinds: &[&str] = match g {
        0 => &["count", "count", "pct", "time", "cost", "equal", "range"],
        1 => &["goal", "goal", "count", "pct"],
        _ => &["satisfaction"],
    };
    let kind = rng.pick(kinds);
    let (count_unit, count_name) = rng.word("count").split_once('/').expect("unit/name");
    let (op, unit) = match kind {
        "count" => ("≥", count_unit),
        "cost" => (rng.pick(&["≤", "≤", ""]), "万元"), // 成本指标 without an operator: ≤ (I1)
        "equal" => ("=", "%"),
        "pct" | "satisfaction" => ("≥", "%"),
        "range" => ("", "%"),
        _ => ("", ""),
    };
    let name = match kind {
        "count" => count_name,
        "time" => "完成时间",
        "goal" => "长效机制建设",
        "cost" => "办公费",
        "satisfaction" => rng.word("satisfaction"),
        _ => rng.word("pct"),
    };
    let d = Decimal::from;
    let (zero, one) = (Decimal::ZERO, Decimal::ONE);
    let (value, actual) = (String::new(), Err(""));
    let (l2, band, reason) = ("数量指标", false, "");
    let mut i = Ind {
        l2,
        name,
        op,
        value,
        unit,
        actual,
        weight: zero,
        share: one,
        band,
        score: zero,
        reason,
    };
    match kind {
        "count" => {
            let n = rng.pick(&[4i64, 10, 12, 50, 200, 1000, 1500]);
            let a = (n * rng.range(85, 115) + 50) / 100;
            (i.value, i.actual, i.share) = (n.to_string(), Ok(d(a)), share(d(a), d(n)));
        }
        "pct" | "satisfaction" | "equal" => {
            let t = if kind == "equal" {
                100
            } else {
                rng.pick(&[80i64, 85, 90, 95, 98])
            };
            let a = rng.range(t - 8, 100);
            let most = if kind == "equal" { d(t) / d(a) } else { one }; // I4: min(B/A, A/B)
            (i.value, i.actual, i.share) = (t.to_string(), Ok(d(a)), share(d(a), d(t)).min(most));
        }
        "range" => {
            let lo = rng.pick(&[85i64, 90]);
            let a = rng.range(lo - 5, lo + 9);
            let s = if a < lo {
                d(a) / d(lo)
            } else {
                share(d(lo + 5), d(a))
            }; // I5
            (i.value, i.actual, i.share) = (format!("{lo}-{}", lo + 5), Ok(d(a)), s);
        }
        "cost" => {
            let x = Decimal::new(rng.range(100, 5000), 2);
            let y = round2(x * Decimal::new(rng.range(90, 110), 2));
            (i.value, i.actual, i.share) = (x.to_string(), Ok(y), share(x, y)); // I3
        }
        "time" => {
            i.value = rng.word("deadline").into();
            i.actual = Err(rng.word("on_time"));
            if rng.chance(0.15) {
                // Late: the score must stay below 0.8 × W (I7).
                (i.actual, i.share, i.band) = (Err("2024年3月"), Decimal::new(5, 1), true);
                i.reason = "受天气影响工期延后";
            }
        }
        _ => {
            // Words: achieved scores in [0.8W, W], partly achieved in [0.5W, 0.8W) (I8).
            let goal = rng.word("goal");
            (i.value, i.actual, i.band) = (goal.into(), Err(goal), true);
            i.share = rng.pick(&[one, Decimal::new(9, 1)]);
            if rng.chance(0.2) {
                (i.actual, i.share) = (Err(rng.word("partial")), Decimal::new(6, 1));
                i.reason = "部分工作仍在推进";
            }
        }
    }
    i.l2 = match (g, kind) {
        (0, "pct" | "equal" | "range") => "质量指标",
        (0, "time") => "时效指标",
        (0, "cost") => rng.pick(&["成本指标", "经济成本指标"]),
        (1, "count") => "经济效益指标",
        (1, "pct") => "生态效益指标",
        (1, _) => rng.pick(&["社会效益指标", "可持续影响指标"]),
        (2, _) => "服务对象满意度指标",
        _ => "数量指标",
    };
    if i.share < one && i.reason.is_empty() && rng.chance(0.7) {
        i.reason = "部分任务未达预期，下年度加强督导";
    }
    i
}

pub fn grade_of(total: Decimal) -> &'static str {
    ["优", "良", "中", "差"][[90, 80, 60]
        .iter()
        .take_while(|g| total < Decimal::from(**g))
        .count()]
}

/// A correct form.
pub fn content(rng: &mut Rng) -> Content {
    let yuan = rng.chance(0.2);
    let scale = if yuan {
        Decimal::from(10_000)
    } else {
        Decimal::ONE
    };
    let amount = |cents: i64| Decimal::new(cents, 2) * scale;
    let labels = [rng.word("fiscal"), rng.word("carry"), "其他资金"];
    let mut funds = vec![Fund {
        label: rng.word("total_row"),
        ..Default::default()
    }];
    for (k, label) in labels
        .into_iter()
        .take(rng.range(1, 3) as usize)
        .enumerate()
    {
        let budget = if k > 0 && rng.chance(0.4) {
            0
        } else {
            rng.range(500, 50_000)
        };
        let executed = budget * rng.pick(&[80, 90, 95, 97, 100, 100, 103]) / 100;
        let initial = if rng.chance(0.8) {
            budget
        } else {
            budget * 9 / 10
        };
        funds.push(Fund {
            label,
            initial: amount(initial),
            budget: amount(budget),
            executed: amount(executed),
        });
        let (t, f) = (funds[0], funds[k + 1]);
        funds[0] = Fund {
            initial: t.initial + f.initial,
            budget: t.budget + f.budget,
            executed: t.executed + f.executed,
            ..t
        };
    }
    let rate = funds[0].executed / funds[0].budget;
    let exec_score = round2(rate.min(Decimal::ONE) * Decimal::TEN);
    let points = rng.chance(0.3);
    let mut groups = vec![];
    for (g, (l1, total, n)) in [
        ("产出指标", 50, rng.range(3, 6)),
        ("效益指标", 30, rng.range(1, 3)),
        ("满意度指标", 10, rng.range(1, 2)),
    ]
    .into_iter()
    .enumerate()
    {
        let mut inds: Vec<Ind> = (0..n).map(|_| indicator(rng, g)).collect();
        inds.sort_by_key(|i| i.l2); // rows of one level-2 sit together
        // Integer weights of at least 2 that add up to the group's points.
        let mut w = vec![total / n; n as usize];
        w[0] += total % n;
        for _ in 0..n {
            let (a, b) = (rng.below(n as usize), rng.below(n as usize));
            if a != b && w[a] > 3 {
                (w[a], w[b]) = (w[a] - 1, w[b] + 1);
            }
        }
        for (i, w) in inds.iter_mut().zip(w) {
            (i.weight, i.score) = (Decimal::from(w), round2(i.share * Decimal::from(w)));
        }
        groups.push(Group {
            l1,
            points: points.then(|| Decimal::from(total)),
            inds,
        });
    }
    let (project, dept) = (rng.word("project"), rng.word("department"));
    let rate = rate.round_dp_with_strategy(4, HALF_UP);
    let (total, grade, no_totals, formulas) = (Decimal::ZERO, "", false, false);
    let mut c = Content {
        project,
        dept,
        yuan,
        funds,
        rate,
        exec_score,
        groups,
        total,
        grade,
        no_totals,
        formulas,
    };
    settle(&mut c);
    c
}

/// The department adds up what it wrote and grades that.
fn settle(c: &mut Content) {
    c.total = c.exec_score
        + c.groups
            .iter()
            .flat_map(|g| &g.inds)
            .map(|i| i.score)
            .sum::<Decimal>();
    c.grade = grade_of(c.total);
}

/// Where an injected mistake sits; the layout gives it a cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spot {
    /// Group, and row within the group.
    Score(usize, usize),
    ExecScore,
    ExecRate,
    /// Every amount cell of the 年度资金总额 row.
    FundTotal,
    L1(usize),
    Total,
    Grade,
    /// The sheet as a whole (A1), where a missing block is reported.
    Sheet,
    /// Column A of the form's first row (its title, or its 项目名称 row): where a missing
    /// block is reported when the form stands below another on one sheet.
    Top,
}

/// A wrong score keeps its cents: `9` is compared at its own precision (SPEC §4) and so
/// stands for anything from 8.50 to 9.49.
fn uneven(v: Decimal) -> Decimal {
    match v.fract().is_zero() {
        true => v + Decimal::new(if v > Decimal::ZERO { -1 } else { 1 }, 2),
        false => v,
    }
}

/// Injects 1–3 known mistakes, each with the code that must report it.
pub fn inject(rng: &mut Rng, c: &mut Content) -> Vec<(Spot, &'static str)> {
    let right_grade = c.grade;
    let mut kinds = vec![
        "score",
        "exec-score",
        "exec-rate",
        "funding",
        "l1",
        "total",
        "grade",
    ];
    let mut out = vec![];
    if rng.chance(0.05) {
        c.no_totals = true;
        kinds.retain(|k| *k != "total");
        out.push((Spot::Sheet, "missing-block"));
    }
    for _ in 0..rng.range(1, 3) {
        // Far enough from the right value that no rounding of the inputs explains it.
        let off = Decimal::new(rng.range(5, 20), 1);
        match kinds.remove(rng.below(kinds.len())) {
            "score" => {
                let g = rng.below(c.groups.len());
                let i = rng.below(c.groups[g].inds.len());
                let ind = &mut c.groups[g].inds[i];
                let (w, s) = (ind.weight, ind.score);
                let late = ind.actual == Err("2024年3月");
                ind.score = uneven(match () {
                    // Outside the band: below half for an achieved row, full marks when late.
                    _ if ind.band && ind.share >= Decimal::new(8, 1) => {
                        round2(w * Decimal::new(3, 1))
                    }
                    _ if ind.band => w,
                    _ if s >= off => s - off,
                    _ if s + off <= w => s + off,
                    _ => Decimal::ZERO,
                });
                let code = if ind.band && !late {
                    "qual-band"
                } else {
                    "score-formula"
                };
                out.push((Spot::Score(g, i), code));
            }
            "exec-score" => {
                let s = c.exec_score;
                c.exec_score = uneven(if s >= off { s - off } else { s + off });
                out.push((Spot::ExecScore, "exec-score"));
            }
            "exec-rate" => {
                let off = Decimal::new(rng.range(2, 8), 2);
                c.rate = if c.rate > off {
                    c.rate - off
                } else {
                    c.rate + off
                };
                out.push((Spot::ExecRate, "exec-rate"));
            }
            "funding" => {
                // Seen in real forms: the total row left at 0 while its sources are filled.
                c.funds[0] = Fund {
                    label: c.funds[0].label,
                    ..Default::default()
                };
                out.push((Spot::FundTotal, "funding-sum"));
            }
            "l1" => {
                let g = rng.below(c.groups.len());
                let sum: Decimal = c.groups[g].inds.iter().map(|i| i.weight).sum();
                c.groups[g].points = Some(sum + Decimal::from(rng.pick(&[-5, 5, 10])));
                out.push((Spot::L1(g), "l1-points"));
            }
            slip => {
                // Slips in the bottom rows come after the department added up.
                out.push((
                    if slip == "total" {
                        Spot::Total
                    } else {
                        Spot::Grade
                    },
                    "",
                ));
            }
        }
    }
    settle(c);
    for (spot, code) in out.iter_mut().filter(|m| m.1.is_empty()) {
        if *spot == Spot::Total {
            c.total += Decimal::from(rng.pick(&[-3, -1, 1, 2]));
            // An addition slip where 核定总分 can be formed: one total-score, whose message
            // says the total was added up wrong (T1).
            *code = "total-score";
        } else {
            // Two grades or more from the right one: correcting a score outside its band
            // takes the nearest value in the band (T1), which moves the recomputed total by
            // less than the 10 points a grade spans.
            let grades = ["优", "良", "中", "差"];
            let right = grades
                .iter()
                .position(|g| *g == right_grade)
                .expect("grade");
            let far: Vec<&str> = (0..4)
                .filter(|g| right.abs_diff(*g) >= 2)
                .map(|g| grades[g])
                .collect();
            (c.grade, *code) = (rng.pick(&far), "grade");
        }
    }
    out
}
