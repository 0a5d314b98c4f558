//! What a generated form says, correct by construction (SPEC §3 and, for the other template
//! families, §10; scores rounded half away from zero to 2 decimals), and the mistakes injected
//! into it. `lay.rs` decides the looks.

use rust_decimal::Decimal;
use rust_decimal::RoundingStrategy::MidpointAwayFromZero as HALF_UP;
use selfeval::model::Family;

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
    /// Whether it has a target and an actual to score by: a rubric's 项目决策 rows have only
    /// their 评分标准 text, and any score from 0 to the weight stands.
    pub rated: bool,
    /// A 20/80 form without a weight column: the weight stated in the name (`（10分）`);
    /// otherwise inferred from what its level-1 points leave over.
    pub named: bool,
    /// Hebei: the row scored out of 100 (单项指标得分); `score` is then its 折算得分.
    pub single: Decimal,
    /// 部门整体: the 得分系数 as a fraction, `score` = 得分系数 × 权重.
    pub coef: Option<Decimal>,
    /// A rubric's 评分标准.
    pub criteria: &'static str,
    /// The unit the actual is written in where it cannot be compared with the target's.
    pub actual_unit: Option<&'static str>,
}

impl Ind {
    /// Whether the rules give less than the whole (SPEC §10, no-score: an unmet target).
    pub fn unmet(&self) -> bool {
        self.rated
            && if self.band {
                self.share < Decimal::new(8, 1)
            } else {
                self.share < Decimal::ONE
            }
    }

    fn late(&self) -> bool {
        self.actual == Err("2024年3月")
    }

    /// What the checker puts in place of a wrong score `v` out of `out_of` whose right value
    /// is `right`: the rules' own value, or for a row judged by a band the nearest value in
    /// it (T1).
    fn corrected(&self, v: Decimal, out_of: Decimal, right: Decimal) -> Decimal {
        if !self.band {
            return right;
        }
        let (lo, hi, closed) = match () {
            _ if self.late() => (0, 8, false),
            _ if self.share >= Decimal::new(8, 1) => (8, 10, true),
            _ => (5, 8, false),
        };
        let tenth = |k: i64| Decimal::new(k, 1) * out_of;
        let top = tenth(hi)
            - if closed {
                Decimal::ZERO
            } else {
                Decimal::new(1, 2)
            };
        round2(v.max(tenth(lo)).min(top))
    }

    /// The code a score outside what the rules give gets.
    fn wrong_code(&self) -> &'static str {
        if self.band && !self.late() {
            "qual-band"
        } else {
            "score-formula"
        }
    }
}

pub struct Group {
    pub l1: &'static str,
    /// Points the level-1 label states (`产出指标(50分)`), if any.
    pub points: Option<Decimal>,
    pub inds: Vec<Ind>,
}

pub struct Content {
    pub family: Family,
    pub project: &'static str,
    pub dept: &'static str,
    /// Money in 元 rather than 万元.
    pub yuan: bool,
    pub funds: Vec<Fund>,
    /// 执行率 as written, a fraction with 4 decimals.
    pub rate: Decimal,
    /// Points the execution is worth: 10, 20 on a 20/80 form, 0 where it is not scored.
    pub exec_weight: Decimal,
    pub exec_score: Decimal,
    pub groups: Vec<Group>,
    pub total: Decimal,
    pub grade: &'static str,
    /// The totals row is left off: a block the checker must report missing.
    pub no_totals: bool,
    /// Scores and rate may be formula results (only in workbooks that stay .xlsx).
    pub formulas: bool,
    /// 部门整体: no 三级指标 column, the indicator named in the 二级指标 column.
    pub no_level3: bool,
    /// 部门整体: a 得分系数 column, 得分 = 得分系数 × 权重.
    pub coefficient: bool,
    /// 部门整体: the sources in words beside their amounts (`一般公共预算:1873.66万元`), the
    /// amounts in their columns on the total row only.
    pub sources_in_words: bool,
    /// Whether a grade is written: never on a no-score form, not always on a rubric.
    pub graded: bool,
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
        rated: true,
        named: true,
        single: zero,
        coef: None,
        criteria: "",
        actual_unit: None,
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

/// A rubric row (SPEC §10): 项目决策 rows and most 项目过程 rows are judged by their 评分标准
/// alone; `预算执行率` and `资金到位率` are rated against `100%`.
fn rubric_row(l2: &'static str, name: &'static str) -> Ind {
    let d = Decimal::from;
    let mut i = Ind {
        l2,
        name,
        op: "",
        value: String::new(),
        unit: "",
        actual: Err(""),
        weight: Decimal::ZERO,
        share: Decimal::ONE,
        band: false,
        score: Decimal::ZERO,
        reason: "",
        rated: false,
        named: true,
        single: Decimal::ZERO,
        coef: None,
        criteria: "符合要求得满分；每有一项不符合扣1分，扣完为止。",
        actual_unit: None,
    };
    if matches!(name, "预算执行率" | "资金到位率") {
        (i.value, i.unit, i.rated, i.actual) = ("100".into(), "%", true, Ok(d(100)));
        i.criteria = "按实际值/目标值×分值计分。";
    }
    i
}

/// How a rubric scores a rated row, in words: read, not interpreted.
fn criteria_for(i: &Ind) -> &'static str {
    match (i.unit, i.actual) {
        (_, Err(_)) if i.value.starts_with("20") => {
            "按期完成得满分，逾期完成的得分不超过分值的80%。"
        }
        (_, Err(_)) => "达成预期指标得满分，部分达成的酌情扣分。",
        ("万元", _) => "控制在目标值以内得满分，超出的按目标值/实际值×分值计分。",
        _ => "达到目标值得满分，未达到按实际值/目标值×分值计分。",
    }
}

pub fn grade_of(total: Decimal) -> &'static str {
    ["优", "良", "中", "差"][[90, 80, 60]
        .iter()
        .take_while(|g| total < Decimal::from(**g))
        .count()]
}

/// The family a form is drawn from: the national form most often, each other one in about a
/// tenth of the forms.
fn family(rng: &mut Rng) -> Family {
    match rng.below(100) {
        0..40 => Family::National,
        40..50 => Family::SplitTarget,
        50..60 => Family::NoWeight,
        60..70 => Family::Weighted,
        70..80 => Family::Department,
        80..90 => Family::Rubric,
        _ => Family::NoScore,
    }
}

/// Integer weights of at least 2 (3 where there is room) that add up to `total`.
fn weights(rng: &mut Rng, total: i64, n: i64) -> Vec<i64> {
    let mut w = vec![total / n; n as usize];
    w[0] += total % n;
    for _ in 0..n {
        let (a, b) = (rng.below(n as usize), rng.below(n as usize));
        if a != b && w[a] > 3 {
            (w[a], w[b]) = (w[a] - 1, w[b] + 1);
        }
    }
    w
}

/// A correct form.
pub fn content(rng: &mut Rng) -> Content {
    let family = family(rng);
    let yuan = rng.chance(0.2);
    let scale = if yuan {
        Decimal::from(10_000)
    } else {
        Decimal::ONE
    };
    let amount = |cents: i64| Decimal::new(cents, 2) * scale;
    // Transfer payments are funded by source; every other form by kind of money.
    let by_source = family == Family::NoScore;
    let (labels, sources) = if by_source {
        let n = rng.range(2, 3) as usize;
        (
            ["中央资金", "省级资金", rng.pick(&["市县资金", "本级资金"])],
            n,
        )
    } else {
        let labels = [rng.word("fiscal"), rng.word("carry"), "其他资金"];
        (labels, rng.range(1, 3) as usize)
    };
    let mut funds = vec![Fund {
        label: if by_source {
            "合计"
        } else {
            rng.word("total_row")
        },
        ..Default::default()
    }];
    for (k, label) in labels.into_iter().take(sources).enumerate() {
        let budget = if k > 0 && !by_source && rng.chance(0.4) {
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
    let exec_weight = Decimal::from(match family {
        Family::NoWeight => 20,
        f if f.scores_execution() => 10,
        _ => 0,
    });
    let exec_score = round2(rate.min(Decimal::ONE) * exec_weight);
    let department = family == Family::Department;
    let no_level3 = department && rng.chance(0.5);
    let coefficient = department && rng.chance(0.5);
    // Level-1 points: 20/80 forms and rubrics always state them, national forms sometimes.
    let points = match family {
        Family::NoWeight | Family::Rubric => true,
        Family::Weighted | Family::NoScore => false,
        _ => rng.chance(0.3),
    };
    // (level-1 name, points, rows, kind of rows: 0 产出, 1 效益, 2 满意度, 3 决策, 4 过程, 5 rubric 效益)
    let specs: Vec<(&'static str, i64, i64, usize)> = match family {
        Family::NoWeight => {
            let (a, b, c) = rng.pick(&[(50, 20, 10), (40, 30, 10), (45, 25, 10)]);
            vec![
                ("产出指标", a, rng.range(3, 6), 0),
                ("效益指标", b, rng.range(1, 3), 1),
                ("满意度指标", c, rng.range(1, 2), 2),
            ]
        }
        Family::Weighted => {
            let (a, b, c) = rng.pick(&[(50, 35, 15), (60, 25, 15), (55, 30, 15)]);
            vec![
                ("产出指标", a, rng.range(3, 6), 0),
                ("效益指标", b, rng.range(1, 3), 1),
                ("满意度指标", c, rng.range(1, 2), 2),
            ]
        }
        Family::Rubric => vec![
            ("项目决策", 10, rng.range(2, 3), 3),
            (rng.pick(&["项目过程", "项目管理"]), 25, rng.range(3, 4), 4),
            ("项目产出", 30, rng.range(2, 4), 0),
            ("项目效益", 35, rng.range(2, 3), 5),
        ],
        _ => vec![
            ("产出指标", 50, rng.range(3, 6), 0),
            ("效益指标", 30, rng.range(1, 3), 1),
            ("满意度指标", 10, rng.range(1, 2), 2),
        ],
    };
    let mut groups = vec![];
    for (l1, total, n, kind) in specs {
        let mut inds: Vec<Ind> = match kind {
            3 => {
                let mut rows = vec![
                    ("项目立项", "立项依据充分性"),
                    ("项目立项", "立项程序规范性"),
                    ("绩效目标", "绩效目标合理性"),
                    ("绩效目标", "绩效指标明确性"),
                    ("资金投入", "预算编制科学性"),
                    ("资金投入", "资金分配合理性"),
                ];
                (0..n)
                    .map(|_| {
                        let (l2, name) = rows.remove(rng.below(rows.len()));
                        rubric_row(l2, name)
                    })
                    .collect()
            }
            4 => {
                let mut rows = vec![
                    ("资金管理", "资金到位率"),
                    ("资金管理", "预算执行率"),
                    ("资金管理", "资金使用合规性"),
                    ("组织实施", "管理制度健全性"),
                    ("组织实施", "制度执行有效性"),
                ];
                let mut out: Vec<Ind> = (0..n)
                    .map(|_| {
                        let (l2, name) = rows.remove(rng.below(rows.len()));
                        rubric_row(l2, name)
                    })
                    .collect();
                // 预算执行率 as a row: 96.5% of a 100% target.
                for i in out.iter_mut().filter(|i| i.name == "预算执行率") {
                    let a = Decimal::new(rng.range(850, 1000), 1).normalize();
                    (i.actual, i.share) = (Ok(a), a / Decimal::ONE_HUNDRED);
                    if i.share < Decimal::ONE {
                        i.reason = "部分项目资金年底前未完成支付";
                    }
                }
                out
            }
            5 => {
                let mut out: Vec<Ind> = (1..n).map(|_| indicator(rng, 1)).collect();
                out.push(indicator(rng, 2));
                out
            }
            g => (0..n).map(|_| indicator(rng, g)).collect(),
        };
        inds.sort_by_key(|i| i.l2); // rows of one level-2 sit together
        let w = weights(rng, total, n);
        // A 20/80 form names some rows' weights (`（10分）`); the others, all of one weight,
        // are what the level-1 points leave over, shared equally.
        let unnamed = w[rng.below(w.len())];
        for (i, w) in inds.iter_mut().zip(w) {
            let w = Decimal::from(w);
            i.weight = w;
            i.score = round2(i.share * w);
            if !i.rated && w >= Decimal::TWO && rng.chance(0.3) {
                i.score = w - Decimal::new(5, 1);
            }
            if kind == 0 && family == Family::Rubric {
                i.l2 = match i.l2 {
                    "数量指标" => "产出数量",
                    "质量指标" => "产出质量",
                    "时效指标" => "产出时效",
                    l2 if l2.contains("成本") => "产出成本",
                    l2 => l2,
                };
            }
            if i.rated && family == Family::Rubric {
                i.criteria = criteria_for(i);
            }
            match family {
                Family::NoWeight => {
                    i.named = i.weight != Decimal::from(unnamed) || rng.chance(0.4);
                }
                Family::Weighted => {
                    i.single = round2(i.share * Decimal::ONE_HUNDRED);
                    i.score = round2(w * i.single / Decimal::ONE_HUNDRED);
                }
                Family::Department if coefficient => {
                    let coef = round2(i.share);
                    (i.coef, i.score) = (Some(coef), round2(coef * w));
                }
                Family::NoScore => {
                    (i.weight, i.score) = (Decimal::ZERO, Decimal::ZERO);
                    // Every unmet target says why; a blank one is a mistake put in later.
                    if i.unmet() && i.reason.is_empty() {
                        i.reason = "部分任务未达预期，下年度加强督导";
                    }
                }
                _ => {}
            }
            // Named in the 二级指标 column, a cost row does not sit under 成本指标: its
            // target says its direction.
            if no_level3 && i.unit == "万元" && i.op.is_empty() {
                i.op = "≤";
            }
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
    let graded = match family {
        Family::NoScore => false,
        Family::Rubric => rng.chance(0.5),
        _ => true,
    };
    let sources_in_words = department && rng.chance(0.4);
    let mut c = Content {
        family,
        project,
        dept,
        yuan,
        funds,
        rate,
        exec_weight,
        exec_score,
        groups,
        total,
        grade,
        no_totals,
        formulas,
        no_level3,
        coefficient,
        sources_in_words,
        graded,
    };
    settle(&mut c);
    c
}

/// The department adds up what it wrote and grades that. A weighted form is graded by its
/// 折算得分 before they are rounded (what 核定总分 adds up, T1).
fn settle(c: &mut Content) {
    let inds = || c.groups.iter().flat_map(|g| &g.inds);
    let exec = match c.family.scores_execution() {
        true => c.exec_score,
        false => Decimal::ZERO,
    };
    c.total = exec + inds().map(|i| i.score).sum::<Decimal>();
    let graded = match c.family {
        Family::Weighted => round2(
            inds()
                .map(|i| i.weight * i.single / Decimal::ONE_HUNDRED)
                .sum(),
        ),
        _ => c.total,
    };
    c.grade = grade_of(graded);
}

/// Where an injected mistake sits; the layout gives it a cell.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Spot {
    /// Group, and row within the group: its 得分 (a weighted form's 折算得分).
    Score(usize, usize),
    /// A weighted form's 单项指标得分.
    Single(usize, usize),
    /// The actual of a row.
    Actual(usize, usize),
    /// The reason cell of a row.
    Reason(usize, usize),
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

/// Every row, by group and place in it.
fn rows(c: &Content) -> Vec<(usize, usize)> {
    let at = c.groups.iter().enumerate();
    at.flat_map(|(g, gr)| (0..gr.inds.len()).map(move |i| (g, i)))
        .collect()
}

/// Injects 1–3 known mistakes of the kinds the form's family invites, each with the code
/// that must report it.
pub fn inject(rng: &mut Rng, c: &mut Content) -> Vec<(Spot, &'static str)> {
    let right_grade = c.grade;
    let mut kinds = match c.family {
        Family::National | Family::SplitTarget => vec![
            "score",
            "exec-score",
            "exec-rate",
            "funding",
            "l1",
            "total",
            "grade",
        ],
        Family::NoWeight => vec![
            "score",
            "over",
            "exec-score",
            "exec-rate",
            "funding",
            "total",
            "grade",
        ],
        Family::Weighted => vec![
            "single",
            "weighted",
            "exec-rate",
            "funding",
            "total",
            "grade",
        ],
        Family::Department => {
            let mut k = vec!["score", "exec-score", "exec-rate", "l1", "total", "grade"];
            if !c.sources_in_words {
                k.push("funding");
            }
            k
        }
        Family::Rubric if c.graded => vec!["score", "l1", "total", "grade"],
        Family::Rubric => vec!["score", "l1", "total"],
        Family::NoScore => vec!["exec-rate", "funding", "unmet", "units"],
    };
    let mut out = vec![];
    if matches!(c.family, Family::National | Family::SplitTarget) && rng.chance(0.05) {
        c.no_totals = true;
        kinds.retain(|k| *k != "total");
        out.push((Spot::Sheet, "missing-block"));
    }
    // The mistakes the family invites come first more often than not.
    let own: &[&str] = match c.family {
        Family::NoWeight => &["score", "over"],
        Family::Weighted => &["single", "weighted"],
        Family::NoScore => &["unmet", "units"],
        _ => &["score"],
    };
    // Rows already made wrong, and how far the written scores stand from the ones the checker
    // puts in their place (what a correct total adds up, T1).
    let mut touched: Vec<(usize, usize)> = vec![];
    let mut shift = Decimal::ZERO;
    for k in 0..rng.range(1, 3) {
        // Far enough from the right value that no rounding of the inputs explains it.
        let off = Decimal::new(rng.range(5, 20), 1);
        let want = (k == 0 && rng.chance(0.6)).then(|| rng.pick(own));
        let pick = match kinds.iter().position(|k| Some(*k) == want) {
            Some(at) => at,
            None => rng.below(kinds.len()),
        };
        let kind = kinds.remove(pick);
        // A row not yet made wrong that `fit` takes; on a 20/80 form's "score", one whose
        // weight is inferred half the time.
        let inferred = kind == "score" && rng.chance(0.5);
        let free: Vec<(usize, usize)> = rows(c)
            .into_iter()
            .filter(|r| !touched.contains(r))
            .filter(|&(g, i)| {
                let ind = &c.groups[g].inds[i];
                match kind {
                    "score" => ind.rated,
                    "unmet" => ind.unmet() && ind.actual_unit.is_none(),
                    "units" => {
                        ind.actual.is_ok()
                            && ["人次", "次", "家", "户", "个"].contains(&ind.unit)
                            && !(ind.unmet() && ind.reason.is_empty())
                    }
                    _ => true,
                }
            })
            .collect();
        let preferred: Vec<(usize, usize)> = free
            .iter()
            .copied()
            .filter(|&(g, i)| !inferred || !c.groups[g].inds[i].named)
            .collect();
        let row = match (preferred.is_empty(), free.is_empty()) {
            (false, _) => Some(preferred[rng.below(preferred.len())]),
            (true, false) => Some(free[rng.below(free.len())]),
            _ => None,
        };
        let is_row = matches!(
            kind,
            "score" | "over" | "single" | "weighted" | "unmet" | "units"
        );
        let (g, i) = match row {
            Some(r) if is_row => r,
            None if is_row => continue,
            _ => (0, 0),
        };
        touched.push((g, i));
        match kind {
            "score" => {
                let ind = &mut c.groups[g].inds[i];
                let (w, s) = (ind.weight, ind.score);
                ind.score = uneven(match () {
                    _ if ind.coef.is_some() && s >= off => s - off,
                    _ if ind.coef.is_some() => s + off,
                    // Outside the band: below half for an achieved row, full marks when late.
                    _ if ind.band && ind.share >= Decimal::new(8, 1) => {
                        round2(w * Decimal::new(3, 1))
                    }
                    _ if ind.band => w,
                    _ if s >= off => s - off,
                    _ if s + off <= w => s + off,
                    _ => Decimal::ZERO,
                });
                let code = match () {
                    _ if ind.coef.is_some() => "coefficient-score",
                    // A score the formula does not give on a row whose weight was inferred
                    // may be the weight's fault: a warning, the value kept (SPEC §10).
                    _ if !ind.named && ind.wrong_code() == "score-formula" => {
                        "inferred-weight-score"
                    }
                    _ => ind.wrong_code(),
                };
                if code != "inferred-weight-score" {
                    shift += ind.score - ind.corrected(ind.score, w, s);
                }
                out.push((Spot::Score(g, i), code));
                // The rubric's total, printed at the top, follows the written scores.
                if c.family == Family::Rubric {
                    out.push((Spot::Total, "total-score"));
                }
            }
            "over" => {
                // Over the weight: an over-achieved ratio left uncapped (12767/8000 × 10), or
                // a few points more.
                let ind = &mut c.groups[g].inds[i];
                let (w, s) = (ind.weight, ind.score);
                let uncapped = match (&ind.actual, ind.op, ind.value.parse::<Decimal>()) {
                    (Ok(b), "≥", Ok(a)) if *b > a => round2(*b / a * w),
                    _ => Decimal::ZERO,
                };
                ind.score = uneven(if uncapped > w + Decimal::new(2, 1) {
                    uncapped
                } else {
                    w + off
                });
                // Brought down to the value nearest the weight that the rules allow.
                shift += ind.score - ind.corrected(w, w, s);
                out.push((Spot::Score(g, i), "score-over-weight"));
            }
            "single" => {
                // A 单项指标得分 the rules do not give (or the weight typed into it), its
                // 折算得分 following it.
                let ind = &mut c.groups[g].inds[i];
                let (w, s) = (ind.weight, ind.single);
                let hundred = Decimal::ONE_HUNDRED;
                let off = Decimal::new(rng.range(20, 100), 1);
                ind.single = uneven(match () {
                    _ if ind.band && ind.share >= Decimal::new(8, 1) => Decimal::from(30),
                    _ if ind.band => hundred,
                    _ if (w - s).abs() >= off && rng.chance(0.3) => w,
                    _ if s >= off => s - off,
                    _ => s + off,
                });
                ind.score = uneven(round2(w * ind.single / hundred));
                let single = ind.corrected(ind.single, hundred, s);
                shift += ind.score - w * single / hundred;
                out.push((Spot::Single(g, i), ind.wrong_code()));
                out.push((Spot::Score(g, i), "weighted-score"));
            }
            "weighted" => {
                let ind = &mut c.groups[g].inds[i];
                let s = ind.score;
                ind.score = uneven(if s >= off { s - off } else { s + off });
                shift += ind.score - ind.weight * ind.single / Decimal::ONE_HUNDRED;
                out.push((Spot::Score(g, i), "weighted-score"));
            }
            "unmet" => {
                // An unmet target whose reason is left blank.
                c.groups[g].inds[i].reason = "";
                out.push((Spot::Reason(g, i), "target-unmet"));
            }
            "units" => {
                // A count whose actual is counted in another unit (人 against 户).
                let ind = &mut c.groups[g].inds[i];
                let others: Vec<&str> = ["人", "户", "个", "处", "家"]
                    .into_iter()
                    .filter(|u| *u != ind.unit)
                    .collect();
                ind.actual_unit = Some(rng.pick(&others));
                out.push((Spot::Actual(g, i), "unit-mismatch"));
            }
            "exec-score" => {
                let s = c.exec_score;
                c.exec_score = uneven(if s >= off { s - off } else { s + off });
                shift += c.exec_score - s;
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
        if kinds.is_empty() {
            break;
        }
    }
    settle(c);
    for (spot, code) in out.iter_mut().filter(|m| m.1.is_empty()) {
        if *spot == Spot::Total {
            // An addition slip where 核定总分 can be formed: one total-score, whose message
            // says the total was added up wrong (T1); never one that happens to undo what
            // the wrong scores added.
            let slips: Vec<i64> = [-3, -1, 1, 2]
                .into_iter()
                .filter(|k| (shift + Decimal::from(*k)).abs() >= Decimal::new(3, 1))
                .collect();
            c.total += Decimal::from(rng.pick(&slips));
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
    let mut seen = vec![];
    out.retain(|m| {
        let new = !seen.contains(m);
        seen.push(*m);
        new
    });
    out
}
