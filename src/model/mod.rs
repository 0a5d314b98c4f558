//! The typed form: what the reader's cells mean, located by their labels.
//!
//! Phase one of validation happens here: structural findings (a missing block, a number
//! that cannot be read). The arithmetic is the scorer's.

mod locate;
pub mod target;

pub use locate::{SheetOutcome, read_forms};

use std::sync::Arc;

use rust_decimal::Decimal;

use crate::cell::CellRef;
use crate::finding::Finding;
use crate::number::{NumText, Shown};

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub cell: CellRef,
    /// The text as the form shows it.
    pub shown: String,
    /// The formula the cell held, quoted in the note when the cell is corrected.
    pub formula: Option<String>,
    /// Whether the cell held a number rather than text (a percent format may have been lost).
    pub number_cell: bool,
}

/// A numeric field: a number, nothing, or something unreadable (already reported).
pub type Num = Located<NumText>;

impl Num {
    pub fn number(&self) -> Option<Shown> {
        match self.value {
            NumText::Number(s) => Some(s),
            _ => None,
        }
    }

    pub fn is_absent(&self) -> bool {
        self.value == NumText::Absent
    }
}

impl Located<String> {
    pub fn text(&self) -> &str {
        &self.value
    }
}

/// Which row of the funding block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// 年度资金总额
    Total,
    /// 财政拨款 and its variants.
    Fiscal,
    /// 上年结转资金
    CarryOver,
    /// 其他资金, or a source row whose label is not in the layout.
    Other,
}

/// One row of the funding block. Amount columns the form lacks are `None`.
#[derive(Debug, Clone)]
pub struct FundingRow {
    pub kind: SourceKind,
    pub label: Located<String>,
    pub initial_budget: Option<Num>,
    pub budget: Option<Num>,
    pub adjusted_budget: Option<Num>,
    pub executed: Option<Num>,
    pub weight: Option<Num>,
    pub rate: Option<Num>,
    pub score: Option<Num>,
    /// The reason cell, where the block has a reason column.
    pub reason: Option<Located<String>>,
}

impl FundingRow {
    /// One amount column's cell, where the block has that column.
    pub fn amount(&self, column: AmountColumn) -> Option<&Num> {
        match column {
            AmountColumn::InitialBudget => self.initial_budget.as_ref(),
            AmountColumn::Budget => self.budget.as_ref(),
            AmountColumn::AdjustedBudget => self.adjusted_budget.as_ref(),
            AmountColumn::Executed => self.executed.as_ref(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountColumn {
    InitialBudget,
    Budget,
    AdjustedBudget,
    Executed,
}

impl AmountColumn {
    pub fn label(self) -> &'static str {
        match self {
            AmountColumn::InitialBudget => "年初预算数",
            AmountColumn::Budget => "全年预算数",
            AmountColumn::AdjustedBudget => "调整后预算数",
            AmountColumn::Executed => "全年执行数",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Funding {
    pub total: FundingRow,
    pub sources: Vec<FundingRow>,
    /// The money unit the block states (`万元`, `元`), if any.
    pub unit: Option<String>,
    /// Points its header states for the execution (`得分(20分*执行率)`,
    /// `预算执行情况(万元)(20分)`), where no 分值 cell gives them.
    pub stated_weight: Option<Decimal>,
}

/// The money unit a funding block is read in when it states none: the national form's.
pub const ASSUMED_MONEY_UNIT: &str = "万元";

impl Funding {
    /// The money unit the block's amounts are in: the one it states, else
    /// [`ASSUMED_MONEY_UNIT`].
    pub fn unit_name(&self) -> &str {
        self.unit.as_deref().unwrap_or(ASSUMED_MONEY_UNIT)
    }
}

/// Where an indicator's weight comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WeightFrom {
    /// Its 分值 or 权重 cell.
    Column,
    /// Its own name (`培训人次(10分)`), on a form without a weight column.
    Name,
    /// What its block's stated points leave over (SPEC §10): stated in a note, and a score
    /// that disagrees with it is a warning, not an error.
    Inferred,
    /// Nowhere: the form has no weights.
    Absent,
}

/// One level-3 indicator row.
#[derive(Debug, Clone)]
pub struct Indicator {
    pub level1: Located<String>,
    /// Points the level-1 label states (`产出指标(50分)`).
    pub level1_points: Option<Decimal>,
    pub level2: Located<String>,
    pub name: Located<String>,
    /// The target as one text, recombined when the form splits it into columns.
    pub target: Located<String>,
    pub actual: Located<String>,
    /// A unit the form gives outside the values: a 度量单位 column or `满意度(%)`.
    pub unit_hint: Option<String>,
    pub weight: Num,
    pub weight_from: WeightFrom,
    pub score: Num,
    /// Hebei's 单项指标得分, the row scored out of 100; `score` is then its 折算得分.
    pub single: Option<Num>,
    /// A 部门整体 form's 得分系数: `score` = 得分系数 × 权重.
    pub coefficient: Option<Num>,
    pub reason: Option<Located<String>>,
}

#[derive(Debug, Clone)]
pub struct Totals {
    pub label: CellRef,
    pub weight: Num,
    pub score: Num,
    /// The total stands in its label's own cell (`项目总得分99分`): a finding on it quotes
    /// the right total but the copy does not overwrite the label with a number.
    pub in_label: bool,
}

/// The template family a form was read as (SPEC §10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Family {
    /// The national project form (财预〔2020〕10号).
    National,
    /// 年度指标值 split into 指标性质 | 指标值 | 度量单位 (Yunnan, Sichuan).
    SplitTarget,
    /// No weight column; execution 20 and the indicators 80 (Baoshan).
    NoWeight,
    /// 权重 × 单项指标得分 / 100 (Hebei 2020).
    Weighted,
    /// 部门整体支出绩效自评表.
    Department,
    /// 项目决策 / 项目过程 / 项目产出 / 项目效益, each with points.
    Rubric,
    /// Targets and actuals without 分值 or 得分.
    NoScore,
}

impl Family {
    pub const ALL: [Family; 7] = [
        Family::National,
        Family::SplitTarget,
        Family::NoWeight,
        Family::Weighted,
        Family::Department,
        Family::Rubric,
        Family::NoScore,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Family::National => "national",
            Family::SplitTarget => "split-target",
            Family::NoWeight => "no-weight",
            Family::Weighted => "weighted",
            Family::Department => "department",
            Family::Rubric => "rubric",
            Family::NoScore => "no-score",
        }
    }

    /// What a report calls it.
    pub fn label(self) -> &'static str {
        match self {
            Family::National => "项目支出绩效自评表（全国通用格式）",
            Family::SplitTarget => "指标值分列格式（指标性质、指标值、度量单位）",
            Family::NoWeight => "无分值列格式（执行率 20 分、指标 80 分）",
            Family::Weighted => "权重折算格式（折算得分 = 权重 × 单项得分 ÷ 100）",
            Family::Department => "部门整体支出绩效自评表",
            Family::Rubric => "四段式评分表（决策、过程、产出、效益）",
            Family::NoScore => "无分值得分的绩效目标自评表",
        }
    }

    /// Whether the budget execution is scored in a funding block of its own: a rubric scores
    /// it as an indicator row if at all, the weighted and no-score forms not at all.
    pub fn scores_execution(self) -> bool {
        !matches!(self, Family::Weighted | Family::Rubric | Family::NoScore)
    }

    /// Whether its forms have a total and a grade to recompute: a form without scores has
    /// neither.
    pub fn has_total(self) -> bool {
        self != Family::NoScore
    }

    /// Whether the profile's level-1 split (产出 50 / 效益 30 / 满意度 10, T3) is the one its
    /// forms are held to.
    pub fn default_split_applies(self) -> bool {
        matches!(self, Family::National | Family::SplitTarget)
    }
}

impl std::fmt::Display for Family {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One self-evaluation form, read from one sheet.
#[derive(Debug, Clone)]
pub struct Form {
    pub sheet: Arc<str>,
    pub family: Family,
    pub title: Option<String>,
    pub project: Option<Located<String>>,
    /// The project's code in the bureau's budget system, where the form shows one.
    pub project_code: Option<Located<String>>,
    pub department: Option<Located<String>>,
    pub unit: Option<Located<String>>,
    pub year: Option<i32>,
    pub funding: Option<Funding>,
    pub indicators: Vec<Indicator>,
    pub totals: Option<Totals>,
    /// The cell that holds, or should hold, the grade.
    pub conclusion: Option<Located<String>>,
    /// Structural findings of phase one.
    pub findings: Vec<Finding>,
}
