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
    pub score: Num,
    pub reason: Option<Located<String>>,
}

#[derive(Debug, Clone)]
pub struct Totals {
    pub label: CellRef,
    pub weight: Num,
    pub score: Num,
}

/// One self-evaluation form, read from one sheet.
#[derive(Debug, Clone)]
pub struct Form {
    pub sheet: Arc<str>,
    pub title: Option<String>,
    pub project: Option<Located<String>>,
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
