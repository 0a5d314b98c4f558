//! The layout's labels and the rule profile, read once from `templates/`.
//!
//! The bundled files are compiled in, so the binary works from any folder; a bureau's own
//! profile is read from a path given on the command line.

use std::collections::BTreeMap;
use std::path::Path;

use rust_decimal::Decimal;
use serde::Deserialize;

use crate::number::{fold_char, fold_width};

const LAYOUT: &str = include_str!("../templates/layout.toml");
const NATIONAL: &str = include_str!("../templates/national.toml");

/// Profiles shipped with the binary, selectable by name.
pub const BUNDLED_PROFILES: [(&str, &str); 6] = [
    ("national", NATIONAL),
    ("sichuan", include_str!("../templates/sichuan.toml")),
    ("hubei", include_str!("../templates/hubei.toml")),
    ("baoshan", include_str!("../templates/baoshan.toml")),
    ("hebei", include_str!("../templates/hebei.toml")),
    (
        "platform-penalties",
        include_str!("../templates/platform-penalties.toml"),
    ),
];

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("规则配置 {name} 无法解析：{reason} (profile cannot be parsed)")]
    Parse { name: String, reason: String },
    #[error("找不到规则配置 {0}：可用 {1} 或 .toml 文件路径 (unknown profile)")]
    Unknown(String, String),
    #[error("无法读取规则配置 {path}：{reason} (cannot read profile)")]
    Io { path: String, reason: String },
    #[error("规则配置 {name} 第 {line} 行 {key}：{reason} (invalid profile)")]
    Invalid {
        name: String,
        line: usize,
        key: String,
        reason: String,
    },
}

/// A list of labels, normalised once when loaded.
#[derive(Debug, Clone, Default)]
pub struct Aliases(Vec<String>);

impl<'de> Deserialize<'de> for Aliases {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Vec::<String>::deserialize(d)?;
        Ok(Self(raw.iter().map(|s| normalize_label(s)).collect()))
    }
}

impl Aliases {
    /// Whether a cell's text, normalised, is one of these labels.
    pub fn matches(&self, text: &str) -> bool {
        let n = normalize_label(text);
        !n.is_empty() && self.0.contains(&n)
    }

    /// Whether a normalised text is one of these labels.
    pub fn matches_normalized(&self, n: &str) -> bool {
        !n.is_empty() && self.0.iter().any(|a| a == n)
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Whether a normalised header is one of these labels cut short: a proper beginning of one
    /// of them, at least [`SHORTEST_CUT`] characters long (`全年执行` of `全年执行数`). Whether
    /// it may stand for the field is the header row's to judge: it must begin no other
    /// field's label there.
    pub fn cut_short(&self, n: &str) -> bool {
        // Lengths first: most texts of a sheet are longer than any label, and fail at once.
        self.0.iter().any(|a| a.len() > n.len() && a.starts_with(n))
            && n.chars().count() >= SHORTEST_CUT
    }

    /// A human list for messages: `总分、合计`.
    pub fn list(&self) -> String {
        self.0.join("、")
    }
}

/// The fewest characters a header cut short keeps to match the label it begins: `全年执行`
/// stands for `全年执行数`, but `全年` begins 全年预算数 and 全年执行数 alike and `执行` both
/// 执行数 and 执行率.
pub const SHORTEST_CUT: usize = 3;

/// Words, not labels: searched inside texts, which are folded ([`fold_width`]) before they
/// are searched, so the words are folded alike when loaded.
#[derive(Debug, Clone, Default)]
pub struct Words(Vec<String>);

impl<'de> Deserialize<'de> for Words {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = Vec::<String>::deserialize(d)?;
        let mut words: Vec<String> = Vec::with_capacity(raw.len());
        for w in raw.iter().map(|w| fold_width(w)) {
            if !w.is_empty() && !words.contains(&w) {
                words.push(w);
            }
        }
        Ok(Self(words))
    }
}

/// The `[lookalikes]` table of the bundled layout: a character typed for another (`≧` for
/// `≥`), replaced wherever a label or a value is read (see [`crate::number::fold_char`]).
/// Read apart from [`Layout`], whose aliases are folded through it while they load.
#[derive(Deserialize)]
struct LookalikeTable {
    lookalikes: BTreeMap<String, String>,
}

/// The look-alike pairs, sorted by the character typed.
fn lookalikes() -> &'static [(char, char)] {
    use std::sync::OnceLock;
    static PAIRS: OnceLock<Vec<(char, char)>> = OnceLock::new();
    PAIRS.get_or_init(|| {
        let table: LookalikeTable =
            toml::from_str(LAYOUT).unwrap_or_else(|e| panic!("templates/layout.toml: {e}"));
        let one = |s: &str| {
            let mut chars = s.chars();
            match (chars.next(), chars.next()) {
                (Some(c), None) => c,
                _ => panic!("templates/layout.toml [lookalikes]: “{s}” is not one character"),
            }
        };
        let mut pairs: Vec<(char, char)> = table
            .lookalikes
            .iter()
            .map(|(from, to)| (one(from), one(to)))
            .collect();
        pairs.sort_unstable();
        pairs
    })
}

/// The character `c` is typed for, where the layout lists it as a look-alike.
pub fn lookalike(c: char) -> Option<char> {
    let pairs = lookalikes();
    pairs
        .binary_search_by_key(&c, |p| p.0)
        .ok()
        .map(|i| pairs[i].1)
}

impl Words {
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// The first word that `text` contains.
    pub fn found_in(&self, text: &str) -> Option<&str> {
        self.iter().find(|w| text.contains(w))
    }

    pub fn contains_exact(&self, text: &str) -> bool {
        self.iter().any(|w| w == text)
    }
}

/// Folds width, drops whitespace, a leading `其中:`, a trailing `:`, and parenthesised
/// suffixes (`全年预算数(A)` → `全年预算数`).
pub fn normalize_label(text: &str) -> String {
    // One pass and one allocation: every text cell of every sheet comes through here.
    let mut out = String::with_capacity(text.len());
    let mut depth = 0u32;
    for c in text.chars().filter_map(fold_char) {
        match c {
            '(' | '[' | '【' => depth += 1,
            ')' | ']' | '】' => depth = depth.saturating_sub(1),
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    // Prefix checks rather than `trim_start_matches(&str)`, whose searcher costs more to
    // build than these short labels take to scan.
    let kept = out
        .strip_prefix("其中:")
        .or_else(|| out.strip_prefix("其中"))
        .unwrap_or(&out)
        .trim_end_matches([':', ',']);
    if kept.len() == out.len() {
        out
    } else {
        kept.to_string()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Layout {
    pub header: HeaderLabels,
    pub funding: FundingLabels,
    pub goals: GoalLabels,
    pub indicators: IndicatorLabels,
    pub totals: RowLabels,
    pub conclusion: RowLabels,
    pub families: FamilyLabels,
    pub units: UnitTable,
    pub words: WordLists,
}

/// What tells the template families of SPEC §10 apart where the columns do not.
#[derive(Debug, Clone, Deserialize)]
pub struct FamilyLabels {
    pub department_title: Words,
    pub rubric_level1: Words,
    /// The bundled profile a family's forms are scored with when the national one is in
    /// force: they state their own points, which the national rules would contradict.
    pub profiles: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct HeaderLabels {
    pub title: Words,
    pub project: Aliases,
    pub project_code: Aliases,
    pub department: Aliases,
    pub unit: Aliases,
    pub total: Aliases,
}

#[derive(Debug, Clone, Deserialize)]
pub struct FundingLabels {
    pub block: Aliases,
    pub source: Aliases,
    pub initial_budget: Aliases,
    pub budget: Aliases,
    pub adjusted_budget: Aliases,
    pub reason: Aliases,
    pub executed: Aliases,
    pub weight: Aliases,
    pub rate: Aliases,
    pub score: Aliases,
    pub total_row: Aliases,
    pub fiscal_row: Aliases,
    pub carryover_row: Aliases,
    pub other_row: Aliases,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GoalLabels {
    pub block: Aliases,
}

#[derive(Debug, Clone, Deserialize)]
pub struct IndicatorLabels {
    pub block: Aliases,
    pub level1: Aliases,
    pub level2: Aliases,
    pub level3: Aliases,
    pub target: Aliases,
    pub actual: Aliases,
    pub weight: Aliases,
    pub score: Aliases,
    pub single_score: Aliases,
    pub coefficient: Aliases,
    pub criteria: Aliases,
    pub reason: Aliases,
    pub operator: Aliases,
    /// Words a 指标性质 cell holds that name a kind of indicator, not a direction.
    #[serde(default)]
    pub operator_kinds: Aliases,
    pub unit: Aliases,
    pub cost_level2: Aliases,
}

#[derive(Debug, Clone, Deserialize)]
pub struct RowLabels {
    pub row: Aliases,
}

#[derive(Debug, Clone, Deserialize)]
pub struct UnitTable {
    pub money: BTreeMap<String, Decimal>,
    pub scale_prefix: BTreeMap<String, Decimal>,
}

/// The direction an operator word gives a target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    AtLeast,
    AtMost,
    Equal,
}

#[derive(Debug, Clone, Deserialize)]
pub struct WordLists {
    pub at_least: Words,
    pub at_most: Words,
    pub equal: Words,
    pub range_sep: Words,
    pub on_time: Words,
    pub late: Words,
    pub failed: Words,
    pub partial: Words,
    pub achieved: Words,
    pub blank_reason: Words,
    pub grade: BTreeMap<String, Words>,
    /// Every operator word, longest first, built once on first use.
    #[serde(skip)]
    operators: std::sync::OnceLock<Vec<(String, Op)>>,
}

impl WordLists {
    /// Operator words of every direction, longest first, so that `不低于` is tried before
    /// `低于` and `<=` before `<`.
    pub fn operators(&self) -> &[(String, Op)] {
        self.operators.get_or_init(|| {
            let mut all: Vec<(String, Op)> = self
                .at_least
                .iter()
                .map(|s| (s.to_string(), Op::AtLeast))
                .chain(self.at_most.iter().map(|s| (s.to_string(), Op::AtMost)))
                .chain(self.equal.iter().map(|s| (s.to_string(), Op::Equal)))
                .collect();
            all.sort_by_key(|w| std::cmp::Reverse(w.0.chars().count()));
            all
        })
    }
}

impl Layout {
    /// The bundled layout.
    pub fn bundled() -> &'static Layout {
        use std::sync::OnceLock;
        static LAYOUT_ONCE: OnceLock<Layout> = OnceLock::new();
        LAYOUT_ONCE.get_or_init(|| {
            toml::from_str(LAYOUT).unwrap_or_else(|e| panic!("templates/layout.toml: {e}"))
        })
    }
}

/// A rule profile (SPEC §7): every number the scorer uses.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    pub name: String,
    pub title: String,
    pub execution: ExecutionRules,
    pub weights: WeightRules,
    pub scoring: ScoringRules,
    pub qualitative: QualitativeBands,
    pub grades: Vec<GradeStep>,
    pub conclusion: ConclusionRules,
    /// Caps on the total by execution rate, in any order; the lowest applicable wins.
    #[serde(default)]
    pub total_caps: Vec<TotalCap>,
}

/// The total may not exceed `max_total` when the execution rate is below `rate_below`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TotalCap {
    pub rate_below: Decimal,
    pub max_total: Decimal,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetColumn {
    /// 全年预算数
    Budget,
    /// 调整后预算数
    Adjusted,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecutionRules {
    pub weight: Decimal,
    pub budget_column: BudgetColumn,
    pub reason_below: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WeightRules {
    pub total: Decimal,
    pub level1: BTreeMap<String, Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoringRules {
    pub score_decimals: u32,
    pub rate_decimals: u32,
    pub late_below: Decimal,
    pub over_achieved_ratio: Decimal,
    pub over_achieved_penalty: Decimal,
}

/// Shares of W: `[low, high)`; the achieved band also includes its high end.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualitativeBands {
    pub achieved: [Decimal; 2],
    pub partial: [Decimal; 2],
    pub failed: [Decimal; 2],
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeStep {
    pub name: String,
    pub min: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConclusionRules {
    pub required: bool,
}

impl Profile {
    /// The default national profile.
    /// A bundled profile by name, parsed once.
    pub fn bundled(name: &str) -> Option<&'static Profile> {
        use std::sync::OnceLock;
        static PARSED: OnceLock<Vec<Profile>> = OnceLock::new();
        PARSED
            .get_or_init(|| {
                BUNDLED_PROFILES
                    .iter()
                    .map(|(n, text)| {
                        Self::parse(n, text).unwrap_or_else(|e| panic!("templates/{n}.toml: {e}"))
                    })
                    .collect()
            })
            .iter()
            .find(|p| p.name == name)
    }

    /// The profile a form of `family` is scored with, where `self` is in force: the family's
    /// own (layout.toml, `[families] profiles`) in place of the national one.
    pub fn for_family<'a>(&'a self, family: &str, layout: &Layout) -> &'a Profile {
        match layout.families.profiles.get(family) {
            Some(name) if self.name == "national" => Self::bundled(name).unwrap_or(self),
            _ => self,
        }
    }

    pub fn national() -> Profile {
        Self::parse("national", NATIONAL).unwrap_or_else(|e| panic!("templates/national.toml: {e}"))
    }

    /// Parses a profile and checks that its numbers make a set of rules: unknown keys are
    /// refused by the parser (a misspelt key would otherwise leave a rule at its default),
    /// and the grades, level-1 points and bands are checked here, every problem reported.
    pub fn parse(name: &str, text: &str) -> Result<Profile, TemplateError> {
        let profile: Profile = toml::from_str(text).map_err(|e| TemplateError::Parse {
            name: name.to_string(),
            reason: e.to_string(),
        })?;
        let problems = profile.problems(text);
        match problems.into_iter().next() {
            None => Ok(profile),
            Some((line, key, reason)) => Err(TemplateError::Invalid {
                name: name.to_string(),
                line,
                key,
                reason,
            }),
        }
    }

    /// What does not hold in a parsed profile, as (line, key, reason), in file order.
    fn problems(&self, text: &str) -> Vec<(usize, String, String)> {
        let mut out = Vec::new();
        let grades_at = |i: usize| nth_line(text, "[[grades]]", i);
        if self.grades.is_empty() {
            out.push((1, "grades".to_string(), "至少须有一个等级".to_string()));
        }
        for (i, pair) in self.grades.windows(2).enumerate() {
            if pair[1].min >= pair[0].min {
                out.push((
                    grades_at(i + 1),
                    format!("grades[{}].min", i + 1),
                    format!(
                        "等级须从高到低排列：“{}”的下限 {} 不低于上一等级“{}”的 {}",
                        pair[1].name,
                        pair[1].min.normalize(),
                        pair[0].name,
                        pair[0].min.normalize()
                    ),
                ));
            }
        }
        if let Some(last) = self.grades.last()
            && !last.min.is_zero()
        {
            let i = self.grades.len() - 1;
            out.push((
                grades_at(i),
                format!("grades[{i}].min"),
                format!("最低等级“{}”的下限须为 0，否则低分无等级", last.name),
            ));
        }
        let level1: Decimal = self.weights.level1.values().sum();
        let all = level1 + self.execution.weight;
        if !self.weights.level1.is_empty() && all != self.weights.total {
            out.push((
                nth_line(text, "level1", 0),
                "weights.level1".to_string(),
                format!(
                    "一级指标分值 {} 加预算执行率 {} 为 {}，不等于总分 {}",
                    level1.normalize(),
                    self.execution.weight.normalize(),
                    all.normalize(),
                    self.weights.total.normalize()
                ),
            ));
        }
        let q = &self.qualitative;
        for (key, band) in [
            ("achieved", q.achieved),
            ("partial", q.partial),
            ("failed", q.failed),
        ] {
            if !(Decimal::ZERO <= band[0] && band[0] <= band[1] && band[1] <= Decimal::ONE) {
                out.push((
                    nth_line(text, key, 0),
                    format!("qualitative.{key}"),
                    "档次须为 0 至 1 之间的 [下限, 上限]".to_string(),
                ));
            }
        }
        out.sort_by_key(|p| p.0);
        out
    }

    /// A bundled profile by name, or a `.toml` file by path.
    pub fn load(spec: &str) -> Result<Profile, TemplateError> {
        if let Some((_, text)) = BUNDLED_PROFILES.iter().find(|(n, _)| *n == spec) {
            return Self::parse(spec, text);
        }
        let path = Path::new(spec);
        // A path to a file is read whatever its name ends with: `本局规则` or `rules.txt`
        // is a profile the user pointed at, not a name to look up.
        if path.extension().is_some_and(|e| e == "toml") || path.is_file() {
            let text = std::fs::read_to_string(path).map_err(|e| TemplateError::Io {
                path: spec.to_string(),
                reason: e.to_string(),
            })?;
            return Self::parse(spec, &text);
        }
        let names: Vec<&str> = BUNDLED_PROFILES.iter().map(|(n, _)| *n).collect();
        Err(TemplateError::Unknown(spec.to_string(), names.join("、")))
    }

    /// The strictest cap that applies to an execution rate.
    pub fn cap_for(&self, rate: Decimal) -> Option<&TotalCap> {
        self.total_caps
            .iter()
            .filter(|c| rate < c.rate_below)
            .min_by_key(|c| c.max_total)
    }

    /// T4 in words, from this profile's thresholds, as the grade's note cites it:
    /// `绩效等级：90 分（含）以上为优，80 分（含）至 90 分为良，…，60 分以下为差`.
    pub fn grade_rule(&self) -> String {
        let n = self.grades.len();
        let parts: Vec<String> = self
            .grades
            .iter()
            .enumerate()
            .map(|(i, g)| match i.checked_sub(1).map(|p| &self.grades[p]) {
                None => format!("{} 分（含）以上为{}", g.min.normalize(), g.name),
                Some(prev) if i + 1 == n => format!("{} 分以下为{}", prev.min.normalize(), g.name),
                Some(prev) => format!(
                    "{} 分（含）至 {} 分为{}",
                    g.min.normalize(),
                    prev.min.normalize(),
                    g.name
                ),
            })
            .collect();
        format!("绩效等级：{}", parts.join("，"))
    }

    /// The grade a total earns (T4).
    pub fn grade_for(&self, total: Decimal) -> &str {
        self.grades
            .iter()
            .find(|g| total >= g.min)
            .or(self.grades.last())
            .map_or("", |g| g.name.as_str())
    }
}

/// The line (from 1) of the `n`-th line of `text` that starts with `key`, or 1.
fn nth_line(text: &str, key: &str, n: usize) -> usize {
    text.lines()
        .enumerate()
        .filter(|(_, l)| l.trim_start().starts_with(key))
        .nth(n)
        .map_or(1, |(i, _)| i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_normalise_width_spaces_brackets_and_prefixes() {
        let cases = [
            ("全年预算数（A）", "全年预算数"),
            ("分 值", "分值"),
            ("总\u{3000}分", "总分"),
            ("其中：财政拨款", "财政拨款"),
            ("其中财政拨款", "财政拨款"),
            ("项目名称：", "项目名称"),
            ("【备注】说明", "说明"),
            ("", ""),
        ];
        for (raw, want) in cases {
            assert_eq!(normalize_label(raw), want, "{raw}");
        }
    }

    #[test]
    fn bundled_templates_parse() {
        let layout = Layout::bundled();
        assert!(layout.funding.budget.matches("全年预算数（A）"));
        assert!(layout.indicators.reason.matches("偏差原因分析\n及改进措施"));
        assert!(layout.indicators.weight.matches("分 值"));
        assert!(layout.funding.fiscal_row.matches("其中：财政拨款"));
        assert!(layout.funding.fiscal_row.matches("财政拨款（州本级资金）"));
        assert!(layout.totals.row.matches("总  分"));
        assert!(!layout.indicators.score.matches("得分计算方法"));
        let p = Profile::national();
        assert_eq!(p.execution.weight, Decimal::from(10));
        assert_eq!(p.grade_for(Decimal::from(90)), "优");
        assert_eq!(p.grade_for("89.99".parse().unwrap()), "良");
        assert_eq!(p.grade_for(Decimal::from(60)), "中");
        assert_eq!(p.grade_for("59.99".parse().unwrap()), "差");
        assert_eq!(
            p.grade_rule(),
            "绩效等级：90 分（含）以上为优，80 分（含）至 90 分为良，60 分（含）至 80 分为中，60 分以下为差"
        );
    }

    #[test]
    fn lookalikes_are_single_characters_that_fold_to_a_final_form() {
        assert_eq!(lookalike('≧'), Some('≥'));
        assert_eq!(lookalike('≦'), Some('≤'));
        assert_eq!(lookalike('═'), Some('='));
        assert_eq!(lookalike('。'), Some('.'));
        assert_eq!(lookalike('≥'), None);
        assert_eq!(lookalike('a'), None);
        for &(from, to) in lookalikes() {
            // Applied once: what a look-alike becomes is not itself one.
            assert_eq!(lookalike(to), None, "{from} → {to}");
            assert_ne!(from, to);
        }
    }

    #[test]
    fn labels_fold_lookalikes_and_word_lists_alike() {
        let layout = Layout::bundled();
        assert_eq!(normalize_label("全年执行数（B）"), "全年执行数");
        assert!(layout.funding.rate.matches("预算执行率（B/A×100%）"));
        assert!(layout.indicators.level3.matches("指标名称（三级指标）"));
        assert!(layout.indicators.actual.matches("年终完成值"));
        assert!(layout.totals.row.matches("总\u{ad}分"));
        // Words are folded as the texts they are searched in: `无。` is searched as `无.`.
        assert!(
            layout
                .words
                .blank_reason
                .contains_exact(&fold_width("无。"))
        );
        assert!(layout.words.range_sep.iter().all(|w| w == fold_width(w)));
    }

    #[test]
    fn a_header_cut_short_begins_one_label_and_keeps_three_characters() {
        let f = &Layout::bundled().funding;
        assert!(f.executed.cut_short("全年执行"));
        assert!(f.executed.cut_short("全年实际执行"));
        assert!(f.budget.cut_short("全年预"));
        // Too short to tell 全年预算数 from 全年执行数, or 执行数 from 执行率.
        assert!(!f.executed.cut_short("全年"));
        assert!(!f.executed.cut_short("执行"));
        // A label whole, or longer than it, is not cut short.
        assert!(!f.executed.cut_short("全年执行数"));
        assert!(!f.executed.cut_short("全年执行数据"));
        assert!(!f.budget.cut_short("全年执行"));
    }

    #[test]
    fn every_bundled_profile_parses_and_grades() {
        for (name, _) in BUNDLED_PROFILES {
            let p = Profile::load(name).unwrap_or_else(|e| panic!("{name}: {e}"));
            assert_eq!(p.name, name);
            assert_eq!(
                p.grades.last().map(|g| g.min),
                Some(Decimal::ZERO),
                "{name}"
            );
        }
        let platform = Profile::load("platform-penalties").unwrap();
        assert_eq!(platform.grade_for(Decimal::from(80)), "优");
        assert!(
            platform
                .grade_rule()
                .starts_with("绩效等级：80 分（含）以上为优，70 分（含）至 80 分为良")
        );
        let cap = |r: &str| platform.cap_for(r.parse().unwrap()).map(|c| c.max_total);
        assert_eq!(cap("0.65"), Some(Decimal::from(79)));
        assert_eq!(cap("0.55"), Some(Decimal::from(69)));
        assert_eq!(cap("0.45"), Some(Decimal::from(59)));
        assert_eq!(cap("0.8"), None);
    }

    #[test]
    fn a_profile_with_an_unknown_key_is_refused_naming_the_line_and_key() {
        // A misspelt key beside the right one would otherwise be ignored in silence.
        let text = NATIONAL.replace("late_below = ", "late_belw = \"0.7\"\nlate_below = ");
        let e = Profile::parse("mine.toml", &text).unwrap_err().to_string();
        assert!(e.contains("mine.toml") && e.contains("late_belw"), "{e}");
        let line = text
            .lines()
            .position(|l| l.starts_with("late_belw"))
            .unwrap()
            + 1;
        assert!(e.contains(&format!("line {line}")), "{e}");
    }

    #[test]
    fn grades_must_descend_to_zero_and_level1_points_add_up() {
        let text = NATIONAL.replacen("min = \"80\"", "min = \"95\"", 1);
        let e = Profile::parse("mine.toml", &text).unwrap_err().to_string();
        let line = nth_line(&text, "[[grades]]", 1);
        assert!(
            e.contains(&format!("第 {line} 行 grades[1].min")) && e.contains("从高到低"),
            "{e}"
        );
        let text = NATIONAL.replace("min = \"0\"", "min = \"10\"");
        let e = Profile::parse("mine.toml", &text).unwrap_err().to_string();
        assert!(
            e.contains("grades[3].min") && e.contains("下限须为 0"),
            "{e}"
        );
        let text = NATIONAL.replace("\"效益指标\" = \"30\"", "\"效益指标\" = \"25\"");
        let e = Profile::parse("mine.toml", &text).unwrap_err().to_string();
        let line = nth_line(&text, "level1", 0);
        assert!(
            e.contains(&format!("第 {line} 行 weights.level1")) && e.contains("95"),
            "{e}"
        );
        let text = NATIONAL.replace(
            "partial = [\"0.5\", \"0.8\"]",
            "partial = [\"0.8\", \"0.5\"]",
        );
        let e = Profile::parse("mine.toml", &text).unwrap_err().to_string();
        assert!(e.contains("qualitative.partial"), "{e}");
    }

    #[test]
    fn unknown_profile_names_the_choices() {
        let e = Profile::load("nowhere").unwrap_err().to_string();
        assert!(e.contains("national"), "{e}");
    }
}
