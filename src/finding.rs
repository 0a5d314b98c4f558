//! What the checker reports: a stable code, a severity, a cell, and a sentence in Chinese.

use std::borrow::Cow;
use std::fmt;

use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::cell::CellRef;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Note,
}

impl Severity {
    /// The word a finance officer reads: 错误 / 警告 / 提示.
    pub fn label(self) -> &'static str {
        match self {
            Severity::Error => "错误",
            Severity::Warning => "警告",
            Severity::Note => "提示",
        }
    }
}

macro_rules! codes {
    ($($variant:ident = $code:literal, $severity:ident, $name:literal, $rule:literal;)*) => {
        /// Finding codes (SPEC §5). Stable: add, never rename.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Code { $($variant),* }

        impl Code {
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Code::$variant => $code),* }
            }

            pub fn severity(self) -> Severity {
                match self { $(Code::$variant => Severity::$severity),* }
            }

            /// What a reader calls the problem: the 问题类型 of the findings sheet and the summary.
            pub fn name(self) -> &'static str {
                match self { $(Code::$variant => $name),* }
            }

            /// The rule a note in the corrected workbook cites (依据).
            pub fn rule(self) -> &'static str {
                match self { $(Code::$variant => $rule),* }
            }
        }
    };
}

codes! {
    ExecRate = "exec-rate", Error, "执行率计算有误", "执行率 = 全年执行数 ÷ 全年预算数";
    ExecScore = "exec-score", Error, "执行率得分有误", "执行率得分 = min(执行率, 100%) × 分值";
    ExecZeroBudget = "exec-zero-budget", Error, "预算为零却有支出", "预算数为 0 时执行率无从计算";
    ExecNoBudget = "exec-no-budget", Note, "预算与支出均为零", "预算数与执行数均为 0";
    FundingSum = "funding-sum", Error, "资金合计与来源不符", "年度资金总额 = 各资金来源之和";
    ScoreFormula = "score-formula", Error, "指标得分计算有误", "正向指标得分 = min(实际值 ÷ 指标值, 1) × 分值；反向指标得分 = min(指标值 ÷ 实际值, 1) × 分值";
    ScoreOverWeight = "score-over-weight", Error, "得分超过分值", "指标得分不得超过分值";
    ScoreNegative = "score-negative", Error, "得分为负数", "指标得分不得为负";
    ScoreMissing = "score-missing", Error, "得分未填写", "填写了分值的指标须填写得分";
    QualBand = "qual-band", Error, "定性指标得分超出档次", "定性指标按达成、部分达成、未达成分档：80%-100%、50%-80%、0-50%";
    UnitMismatch = "unit-mismatch", Error, "计量单位无法换算", "指标值与实际完成值须使用可换算的计量单位";
    TotalSum = "total-sum", Error, "总分加总有误", "总分 = 各项得分之和";
    TotalScore = "total-score", Error, "总分有误", "总分 = 更正后各项得分之和";
    WeightSum = "weight-sum", Error, "分值合计不符", "各项分值之和须为 100 分，并与总分行分值一致";
    L1Points = "l1-points", Error, "一级指标分值不符", "一级指标标注的分值须等于其下各指标分值之和";
    Grade = "grade", Error, "绩效等级有误", "绩效等级：90 分（含）以上为优，80-90 分为良，60-80 分为中，60 分以下为差";
    MissingBlock = "missing-block", Error, "缺少表格部分", "自评表须包含项目资金、绩效指标和总分";
    BadNumber = "bad-number", Error, "数字无法识别", "数值单元格须填写可识别的数字";
    WeightedScore = "weighted-score", Error, "折算得分有误", "折算得分 = 权重 × 单项指标得分 ÷ 100";
    CoefficientScore = "coefficient-score", Error, "按系数计算的得分有误", "得分 = 得分系数 × 指标权重";
    LedgerBudget = "ledger-budget", Error, "表中预算数与预算台账不符", "自评表的全年预算数（调整后预算数）须与财政预算台账一致";
    LedgerExecuted = "ledger-executed", Error, "表中执行数与预算台账不符", "自评表的全年执行数须与财政预算台账的支出数一致";
    TargetChanged = "target-changed", Error, "年度指标值与批复的不同", "自评表的年度指标值须与批复的绩效目标一致，不得事后调整";
    L1Weights = "l1-weights", Warning, "一级指标分值与通常不同", "一级指标分值原则上为产出 50、效益 30、满意度 10、预算执行率 10";
    ReasonMissing = "reason-missing", Warning, "未说明偏差原因", "未得满分的指标须说明偏差原因及改进措施";
    OverBudget = "over-budget", Warning, "执行数超过预算数", "执行数超过预算数";
    OverAchieved = "over-achieved", Warning, "指标值可能偏低", "实际完成值超过指标值 30% 以上，指标值可能设置偏低";
    ActualNotNumeric = "actual-not-numeric", Warning, "实际完成值不是数值", "定量指标的实际完成值须为数值";
    SubrowScore = "subrow-score", Warning, "资金来源行填有得分", "只有年度资金总额行计算分值和得分";
    InferredWeightScore = "inferred-weight-score", Warning, "按推定分值得分不符", "表中未列分值的指标，按推定分值计算得分；与填报不一致时请核对分值";
    TargetUnmet = "target-unmet", Warning, "未完成指标未说明原因", "未完成指标值的指标须说明原因";
    LedgerUnmatched = "ledger-unmatched", Warning, "预算台账中无此项目", "每张自评表应能在财政预算台账中找到对应项目";
    LedgerAmbiguous = "ledger-ambiguous", Warning, "预算台账中有多个相近项目", "自评表应能在财政预算台账中唯一对应一个项目";
    TargetDropped = "target-dropped", Warning, "批复的指标未列入自评表", "批复的绩效指标均应在自评表中自评";
    GradeUnknown = "grade-unknown", Warning, "绩效等级无法识别", "绩效结论须为优、良、中、差之一";
    RoundedUp = "rounded-up", Warning, "得分向上取整", "得分按精确值计入核定总分，向上取整多得的分数不计";
    RoundingGain = "rounding-gain", Warning, "总分因取整多得分", "核定总分按各项得分的精确值合计，逐项向上取整多得的分数不计";
    Rounding = "rounding", Note, "四舍五入差异", "填报值与精确值的差异可由四舍五入解释";
    RateUnchecked = "rate-unchecked", Note, "执行率无法核算", "执行率 = 全年执行数 ÷ 全年预算数，缺一则无法核算";
    BudgetFallback = "budget-fallback", Note, "改用另一预算列", "执行率按规则所定的预算数列计算，表中无此列时改用另一列";
    TotalCapped = "total-capped", Note, "总分已按规则封顶", "执行率低于规定比例时，总分不超过规定上限";
    TargetAdded = "target-added", Note, "指标不在批复目标中", "自评表的指标应来自批复的绩效目标";
    WeightInferred = "weight-inferred", Note, "分值系推定", "表中未列分值时，按所在部分注明的分值扣除已注明各项后推定";
    OpInferred = "op-inferred", Note, "指标方向系推定", "未写明方向的成本指标按反向指标计算";
    QualUnknown = "qual-unknown", Note, "定性档次无法判断", "无法判断定性指标的完成档次，仅检查得分在 0 与分值之间";
    SeveralForms = "several-forms", Note, "一表多张自评表", "一张工作表中有多张自评表时逐张核查";
}

impl Code {
    /// Whether the finding holds the form to the bureau's own books rather than to the
    /// rules: it adds a note to the copy and marks no cell.
    pub fn is_from_books(self) -> bool {
        matches!(
            self,
            Code::LedgerBudget
                | Code::LedgerExecuted
                | Code::LedgerUnmatched
                | Code::LedgerAmbiguous
        )
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// Findings in the order a reader meets their cells (row, then column), errors first on a
/// cell: every report lists them so.
pub fn in_reading_order(findings: &mut [Finding]) {
    findings.sort_by(|a, b| {
        (a.cell.pos.row, a.cell.pos.col, a.severity, a.code).cmp(&(
            b.cell.pos.row,
            b.cell.pos.col,
            b.severity,
            b.code,
        ))
    });
}

/// Name of the sheet of a corrected copy that lists every finding: the writer adds it, and
/// the reader knows it for the checker's own output when a copy is checked again.
pub const FINDINGS_SHEET: &str = "核查结果";

/// Why that sheet is not read as a form.
pub const OWN_FINDINGS: &str =
    "selfeval 写出的核查结果，不是自评表；本文件是核查副本 (the checker's own findings sheet)";

/// One thing the checker found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: Code,
    pub severity: Severity,
    #[serde(skip)]
    pub cell: CellRef,
    /// The value as written on the form, when there is one.
    pub claimed: Option<String>,
    /// The recomputed value, or the band it must lie in.
    pub expected: Option<String>,
    /// One sentence in Chinese stating what is wrong and by which rule.
    pub message: String,
    /// The corrected value the writer puts in an error cell, when it changes one.
    #[serde(skip)]
    pub correction: Option<NewValue>,
    /// The rule the note cites (依据): the code's own, or a narrower one for this finding
    /// (a deadline row's rule rather than the ratio formula; the grade thresholds of the
    /// profile in force).
    #[serde(skip)]
    pub rule: Cow<'static, str>,
}

impl Finding {
    pub fn new(code: Code, cell: CellRef, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: code.severity(),
            cell,
            claimed: None,
            expected: None,
            message: message.into(),
            correction: None,
            rule: Cow::Borrowed(code.rule()),
        }
    }

    pub fn rule(mut self, rule: impl Into<Cow<'static, str>>) -> Self {
        self.rule = rule.into();
        self
    }

    pub fn claimed(mut self, v: impl Into<String>) -> Self {
        self.claimed = Some(v.into());
        self
    }

    pub fn expected(mut self, v: impl Into<String>) -> Self {
        self.expected = Some(v.into());
        self
    }

    pub fn correct_to(mut self, v: NewValue) -> Self {
        self.correction = Some(v);
        self
    }

    pub fn severity(mut self, s: Severity) -> Self {
        self.severity = s;
        self
    }
}

/// The value an error cell takes.
#[derive(Debug, Clone, PartialEq)]
pub enum NewValue {
    /// Written as a number cell, displayed with `decimals` places (`0.00` for 2).
    Number { value: Decimal, decimals: u32 },
    /// Written as a percentage cell: `fraction` 0.9973 displays as `99.73%` with 2 decimals.
    Percent { fraction: Decimal, decimals: u32 },
    /// Written as a text cell (a grade such as `优`).
    Text(String),
}

impl std::fmt::Display for NewValue {
    /// The value as the corrected cell shows it: what a note's 应为 quotes.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NewValue::Number { value, decimals } => {
                f.write_str(&crate::number::fixed(*value, *decimals))
            }
            NewValue::Percent { fraction, decimals } => write!(
                f,
                "{}%",
                crate::number::fixed(*fraction * Decimal::ONE_HUNDRED, *decimals)
            ),
            NewValue::Text(t) => f.write_str(t),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        let mut names = std::collections::HashSet::new();
        for c in Code::ALL {
            let s = c.as_str();
            assert!(seen.insert(s), "{s} twice");
            assert!(
                s.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-'),
                "{s}"
            );
            assert!(!c.rule().is_empty());
            assert!(names.insert(c.name()), "{} named twice", c.name());
        }
    }
}
