//! The fixture builder: lays out a 项目支出绩效自评表 with rust_xlsxwriter from a small
//! description, so that each rule family has a workbook made for it (see fixtures/README.md).

#![allow(dead_code)]

#[cfg(unix)]
pub mod measure;
pub mod notes;
pub mod office;

use std::path::{Path, PathBuf};
use std::process::Command;

use rust_xlsxwriter::{Format, FormatBorder, Workbook, Worksheet};

/// A cell as the department typed it.
#[derive(Debug, Clone, PartialEq)]
pub enum V {
    Blank,
    Text(String),
    Num(f64),
    /// A number with a number format (`0.00`, `0.00%`).
    Fmt(f64, &'static str),
    /// A formula with the result Excel stored for it (`#DIV/0!` is stored as an error).
    Formula(&'static str, &'static str),
}

pub fn t(s: &str) -> V {
    V::Text(s.to_string())
}

pub fn n(x: f64) -> V {
    V::Num(x)
}

#[derive(Debug, Clone)]
pub struct FundRow {
    pub label: V,
    pub initial: V,
    pub budget: V,
    pub executed: V,
}

#[derive(Debug, Clone)]
pub struct Ind {
    pub l1: &'static str,
    pub l2: &'static str,
    pub name: &'static str,
    pub target: V,
    pub actual: V,
    pub weight: V,
    pub score: V,
    pub reason: V,
}

pub fn ind(
    l1: &'static str,
    l2: &'static str,
    name: &'static str,
    target: &str,
    actual: &str,
    weight: f64,
    score: f64,
) -> Ind {
    Ind {
        l1,
        l2,
        name,
        target: t(target),
        actual: t(actual),
        weight: n(weight),
        score: n(score),
        reason: V::Blank,
    }
}

/// A whole form. [`clean`] is a correct one; fixtures change what they test.
#[derive(Debug, Clone)]
pub struct Form {
    pub sheet: &'static str,
    pub title: &'static str,
    pub project: &'static str,
    pub department: &'static str,
    pub total_row: FundRow,
    pub sources: Vec<FundRow>,
    pub exec_weight: V,
    pub exec_rate: V,
    pub exec_score: V,
    /// What source rows show under 分值/执行率/得分 (normally `—`).
    pub source_score: V,
    pub indicators: Vec<Ind>,
    pub total_weight: V,
    pub total: V,
    pub grade: V,
    /// Leave out blocks to test structural findings.
    pub without_funding: bool,
    pub without_totals: bool,
}

fn fund(label: &str, initial: f64, budget: f64, executed: f64) -> FundRow {
    FundRow {
        label: t(label),
        initial: V::Fmt(initial, "0.00"),
        budget: V::Fmt(budget, "0.00"),
        executed: V::Fmt(executed, "0.00"),
    }
}

/// A correct form: execution 113.40 of 120.00 (94.50%, 9.45 of 10), every indicator at
/// full marks, total 99.45, grade 优. Weights: 产出 50, 效益 30, 满意度 10, execution 10.
pub fn clean() -> Form {
    Form {
        sheet: "自评表",
        title: "项目支出绩效自评表（2023年度）",
        project: "中小企业融资服务经费",
        department: "某州财政局",
        total_row: fund("年度资金总额", 120.0, 120.0, 113.4),
        sources: vec![
            fund("其中：财政拨款", 100.0, 100.0, 95.4),
            fund("上年结转资金", 20.0, 20.0, 18.0),
            fund("其他资金", 0.0, 0.0, 0.0),
        ],
        exec_weight: n(10.0),
        exec_rate: t("94.50%"),
        exec_score: n(9.45),
        source_score: t("—"),
        indicators: vec![
            ind(
                "产出指标",
                "数量指标",
                "培训企业人次",
                "≥1000人次",
                "1200人次",
                10.0,
                10.0,
            ),
            ind(
                "产出指标",
                "数量指标",
                "召开政金企对接会",
                "≥4次",
                "4次",
                10.0,
                10.0,
            ),
            ind(
                "产出指标",
                "质量指标",
                "培训验收合格率",
                "≥95%",
                "98%",
                10.0,
                10.0,
            ),
            ind(
                "产出指标",
                "时效指标",
                "完成时间",
                "2023年12月31日前",
                "2023年11月",
                10.0,
                10.0,
            ),
            ind(
                "产出指标",
                "成本指标",
                "办公费",
                "≤8.9万元",
                "8.83万",
                10.0,
                10.0,
            ),
            ind(
                "效益指标",
                "社会效益指标",
                "拓宽企业融资渠道",
                "有效推进",
                "有效推进",
                15.0,
                15.0,
            ),
            ind(
                "效益指标",
                "可持续影响指标",
                "长效工作机制",
                "健全",
                "健全",
                15.0,
                15.0,
            ),
            ind(
                "满意度指标",
                "服务对象满意度指标",
                "企业满意度",
                "≥90%",
                "95%",
                10.0,
                10.0,
            ),
        ],
        total_weight: n(100.0),
        total: n(99.45),
        grade: t("优"),
        without_funding: false,
        without_totals: false,
    }
}

impl Form {
    /// The 1-based sheet row of the i-th indicator, as [`write_form`] lays it out.
    pub fn indicator_row(&self, i: usize) -> usize {
        let funding = if self.without_funding {
            0
        } else {
            2 + self.sources.len()
        };
        3 + funding + 2 + 1 + i + 1
    }
}

fn put(ws: &mut Worksheet, row: u32, col: u16, v: &V, base: &Format) {
    let r = match v {
        V::Blank => ws.write_blank(row, col, base),
        V::Text(s) => ws.write_string_with_format(row, col, s, base),
        V::Num(x) => ws.write_number_with_format(row, col, *x, base),
        V::Fmt(x, f) => ws.write_number_with_format(row, col, *x, &base.clone().set_num_format(*f)),
        V::Formula(f, result) => ws.write_formula_with_format(
            row,
            col,
            rust_xlsxwriter::Formula::new(*f).set_result(*result),
            base,
        ),
    };
    r.expect("fixture cell");
}

/// Lays the form out as the national template does, starting at A1.
pub fn write_form(ws: &mut Worksheet, f: &Form) {
    let b = Format::new().set_border(FormatBorder::Thin).set_text_wrap();
    ws.set_name(f.sheet).expect("sheet name");
    for (col, w) in [10.0, 14.0, 14.0, 30.0, 16.0, 16.0, 8.0, 8.0, 24.0]
        .iter()
        .enumerate()
    {
        ws.set_column_width(col as u16, *w).expect("width");
    }
    ws.merge_range(0, 0, 0, 8, f.title, &b).expect("merge");
    put(ws, 1, 0, &t("项目名称"), &b);
    ws.merge_range(1, 1, 1, 8, f.project, &b).expect("merge");
    put(ws, 2, 0, &t("主管部门"), &b);
    put(ws, 2, 1, &t(f.department), &b);
    put(ws, 2, 5, &t("实施单位"), &b);
    put(ws, 2, 6, &t(f.department), &b);
    let mut row = 3;
    if !f.without_funding {
        let header = [
            "资金来源",
            "年初预算数",
            "全年预算数（A）",
            "全年执行数（B）",
            "分值",
            "执行率（B/A）",
            "得分",
        ];
        for (i, h) in header.iter().enumerate() {
            put(ws, row, 1 + i as u16, &t(h), &b);
        }
        let rows = 1 + f.sources.len() as u32;
        ws.merge_range(row, 0, row + rows, 0, "项目资金（万元）", &b)
            .expect("merge");
        for (k, r) in std::iter::once(&f.total_row).chain(&f.sources).enumerate() {
            let rr = row + 1 + k as u32;
            put(ws, rr, 1, &r.label, &b);
            put(ws, rr, 2, &r.initial, &b);
            put(ws, rr, 3, &r.budget, &b);
            put(ws, rr, 4, &r.executed, &b);
            let (w, rate, s) = if k == 0 {
                (
                    f.exec_weight.clone(),
                    f.exec_rate.clone(),
                    f.exec_score.clone(),
                )
            } else {
                (t("—"), t("—"), f.source_score.clone())
            };
            put(ws, rr, 5, &w, &b);
            put(ws, rr, 6, &rate, &b);
            put(ws, rr, 7, &s, &b);
        }
        row += rows + 1;
    }
    ws.merge_range(row, 0, row + 1, 0, "年度总体目标", &b)
        .expect("merge");
    put(ws, row, 1, &t("预期目标"), &b);
    put(ws, row, 5, &t("实际完成情况"), &b);
    put(
        ws,
        row + 1,
        1,
        &t("目标1：开展融资对接，降低企业融资成本。"),
        &b,
    );
    put(ws, row + 1, 5, &t("已完成"), &b);
    row += 2;
    let header = [
        "一级指标",
        "二级指标",
        "三级指标",
        "年度指标值（A）",
        "实际完成值（B）",
        "分值",
        "得分",
        "偏差原因分析及改进措施",
    ];
    put(ws, row, 0, &t("绩效指标"), &b);
    for (i, h) in header.iter().enumerate() {
        put(ws, row, 1 + i as u16, &t(h), &b);
    }
    row += 1;
    let mut prev: (&str, &str) = ("", "");
    for i in &f.indicators {
        // Level-1 and level-2 labels written once with blanks below, as many forms do.
        put(
            ws,
            row,
            1,
            &if i.l1 != prev.0 { t(i.l1) } else { V::Blank },
            &b,
        );
        put(
            ws,
            row,
            2,
            &if (i.l1, i.l2) != prev {
                t(i.l2)
            } else {
                V::Blank
            },
            &b,
        );
        prev = (i.l1, i.l2);
        put(ws, row, 3, &t(i.name), &b);
        put(ws, row, 4, &i.target, &b);
        put(ws, row, 5, &i.actual, &b);
        put(ws, row, 6, &i.weight, &b);
        put(ws, row, 7, &i.score, &b);
        put(ws, row, 8, &i.reason, &b);
        row += 1;
    }
    if !f.without_totals {
        ws.merge_range(row, 0, row, 5, "总分", &b).expect("merge");
        put(ws, row, 6, &f.total_weight, &b);
        put(ws, row, 7, &f.total, &b);
        row += 1;
    }
    put(ws, row, 0, &t("绩效结论"), &b);
    ws.merge_range(row, 1, row, 8, "", &b).expect("merge");
    put(ws, row, 1, &f.grade, &b);
    put(
        ws,
        row + 1,
        0,
        &t("联系人：张三    联系电话：0854-0000000"),
        &Format::new(),
    );
}

/// Writes a workbook with these forms (and an instructions sheet when asked).
pub fn write_book(path: &Path, forms: &[Form], with_instructions: bool) {
    let mut wb = Workbook::new();
    if with_instructions {
        let ws = wb.add_worksheet();
        ws.set_name("填报说明").expect("name");
        ws.write_string(0, 0, "请按要求填写自评表，分值合计 100 分。")
            .expect("write");
    }
    for f in forms {
        let ws = wb.add_worksheet();
        write_form(ws, f);
    }
    wb.save(path).expect("save fixture");
}

/// A fresh folder under the target directory for one test's files.
pub fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// The bundled sample, copied to `fixtures/` so the project stands alone.
pub fn sample(ext: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fixtures/qiannan-finance-2023.{ext}"))
}

/// A copy of the package `from` with one part's bytes changed by `edit`.
pub fn repack(from: &Path, to: &Path, part_name: &str, edit: impl Fn(Vec<u8>) -> Vec<u8>) {
    let mut source = zip::ZipArchive::new(std::fs::File::open(from).expect("open")).expect("zip");
    let mut zip = zip::ZipWriter::new(std::fs::File::create(to).expect("create"));
    let opts = zip::write::SimpleFileOptions::default();
    for i in 0..source.len() {
        let mut part = source.by_index(i).expect("part");
        let name = part.name().expect("part name").into_owned();
        let mut body = Vec::new();
        std::io::Read::read_to_end(&mut part, &mut body).expect("read part");
        if name == part_name {
            body = edit(body);
        }
        zip.start_file(name, opts).expect("start part");
        std::io::Write::write_all(&mut zip, &body).expect("write part");
    }
    zip.finish().expect("finish");
}

/// The sample's project name, and the `.xlsx` sample at `to` with that name as `project`
/// (written into the shared strings, where no spreadsheet writer would put a text that long).
pub const SAMPLE_PROJECT: &str = "金融发展服务工作经费";

pub fn sample_with_project(to: &Path, project: &str) {
    repack(&sample("xlsx"), to, "xl/sharedStrings.xml", |body| {
        let text = String::from_utf8(body).expect("utf-8 part");
        assert!(
            text.contains(SAMPLE_PROJECT),
            "the sample names its project"
        );
        text.replacen(SAMPLE_PROJECT, project, 1).into_bytes()
    });
}

pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "JSON: {e}\nexit {}\n{}\nstderr: {}",
                self.code, self.stdout, self.stderr
            )
        })
    }
}

/// Runs the `selfeval` binary.
pub fn selfeval(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_selfeval"))
        .args(args)
        .output()
        .expect("run selfeval");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs the binary like [`selfeval`], but fails the test instead of hanging when the run
/// does not end within `secs` seconds.
pub fn selfeval_within(args: &[&str], secs: u64) -> Run {
    within(Command::new(env!("CARGO_BIN_EXE_selfeval")), args, secs)
}

fn within(mut command: Command, args: &[&str], secs: u64) -> Run {
    use std::io::Read;
    use wait_timeout::ChildExt;
    let mut child = command
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run selfeval");
    // Read both pipes while it runs, so that a full pipe cannot stall it.
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut b = Vec::new();
            let _ = r.read_to_end(&mut b);
            String::from_utf8_lossy(&b).into_owned()
        })
    };
    let out = drain(Box::new(child.stdout.take().expect("stdout")));
    let err = drain(Box::new(child.stderr.take().expect("stderr")));
    let Some(status) = child
        .wait_timeout(std::time::Duration::from_secs(secs))
        .expect("wait")
    else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("selfeval {args:?} did not finish within {secs} s");
    };
    Run {
        code: status.code().unwrap_or(-1),
        stdout: out.join().expect("stdout thread"),
        stderr: err.join().expect("stderr thread"),
    }
}

/// Who runs the binary in a test that takes permissions away. Root reads and writes through
/// any permission bits, so under root (as `.ci/run` runs) the binary runs as `nobody`, in a
/// scratch folder `nobody` can reach: the usual one when every folder above it lets everyone
/// through, else one under the system's temporary folder, named after this checkout so that
/// two checkouts' runs keep apart. Anyone else runs it as themselves, in the usual scratch
/// folder, and permissions already bind them.
#[cfg(unix)]
pub struct Unprivileged {
    /// The user and group to run as, and the binary they can reach.
    nobody: Option<(u32, u32, PathBuf)>,
}

#[cfg(unix)]
impl Unprivileged {
    const NOBODY: u32 = 65_534;

    /// The runner and an empty scratch folder named `name`. Lay the inputs out in it, then
    /// [`Self::hand_over`] it before taking permissions away.
    pub fn scratch(name: &str) -> (Self, PathBuf) {
        use std::os::unix::fs::PermissionsExt;
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } != 0 {
            return (Self { nobody: None }, scratch(name));
        }
        let usual = Path::new(env!("CARGO_TARGET_TMPDIR"));
        let base = if open_to_all(usual) {
            usual.join("unprivileged")
        } else {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            usual.hash(&mut h);
            std::env::temp_dir().join(format!("selfeval-tests-{:016x}", h.finish()))
        };
        let dir = base.join(name);
        let exe = base.join(format!("{name}.selfeval"));
        let _ = std::fs::remove_dir_all(&dir);
        let _ = std::fs::remove_file(&exe);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        let bin = env!("CARGO_BIN_EXE_selfeval");
        if std::fs::hard_link(bin, &exe).is_err() {
            std::fs::copy(bin, &exe).expect("copy the binary");
        }
        // Whatever root's umask, everyone may pass through, and run the binary.
        for (path, mode) in [(&base, 0o755), (&dir, 0o755), (&exe, 0o755)] {
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).expect("chmod");
        }
        let nobody = Some((Self::NOBODY, Self::NOBODY, exe));
        (Self { nobody }, dir)
    }

    /// Gives `dir` and all it holds to the runner's user, so that only the permissions a
    /// test takes away stop the run (nothing under root).
    pub fn hand_over(&self, dir: &Path) {
        let Some((uid, gid, _)) = &self.nobody else {
            return;
        };
        std::os::unix::fs::lchown(dir, Some(*uid), Some(*gid)).expect("chown");
        if dir.is_dir() && !dir.is_symlink() {
            for entry in std::fs::read_dir(dir).expect("list") {
                self.hand_over(&entry.expect("entry").path());
            }
        }
    }

    fn command(&self) -> Command {
        use std::os::unix::process::CommandExt;
        match &self.nobody {
            Some((uid, gid, exe)) => {
                let mut c = Command::new(exe);
                c.uid(*uid).gid(*gid);
                c
            }
            None => Command::new(env!("CARGO_BIN_EXE_selfeval")),
        }
    }

    /// Runs the binary as this runner's user; see [`selfeval_within`].
    pub fn selfeval_within(&self, args: &[&str], secs: u64) -> Run {
        within(self.command(), args, secs)
    }
}

/// Whether every folder from the root down to `path` lets everyone pass through.
#[cfg(unix)]
fn open_to_all(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.ancestors()
        .all(|p| std::fs::metadata(p).is_ok_and(|m| m.permissions().mode() & 0o001 != 0))
}

/// The JSON report's entry for the file whose path ends with `name`.
pub fn file_entry<'a>(doc: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    doc["files"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|f| f["path"].as_str().is_some_and(|p| p.ends_with(name)))
        .unwrap_or_else(|| panic!("{name} not reported: {doc}"))
}

/// A finding as (cell, code, severity, claimed, expected).
pub type Found = (String, String, String, String, String);

/// Every finding of a JSON report.
pub fn findings(report: &serde_json::Value) -> Vec<Found> {
    let s = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    report["files"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|f| f["forms"].as_array().cloned().unwrap_or_default())
        .flat_map(|f| f["findings"].as_array().cloned().unwrap_or_default())
        .map(|x| {
            (
                s(&x["cell"]),
                s(&x["code"]),
                s(&x["severity"]),
                s(&x["claimed"]),
                s(&x["expected"]),
            )
        })
        .collect()
}

/// Checks one form's workbook and returns its findings.
pub fn check_form(dir: &Path, name: &str, form: &Form) -> (i32, Vec<Found>) {
    let path = dir.join(format!("{name}.xlsx"));
    write_book(&path, std::slice::from_ref(form), false);
    let run = selfeval(&[
        "check",
        path.to_str().expect("utf-8 path"),
        "--format",
        "json",
        "--no-write",
    ]);
    assert!(
        run.code == 0 || run.code == 1,
        "{name}: exit {} {}",
        run.code,
        run.stderr
    );
    (run.code, findings(&run.json()))
}

/// What a fixture's `.expected.json` states (fixtures/README.md): the whole file, the
/// severities it lists in full (errors only where it does not say), and its findings as
/// `(cell, code, severity, claimed, expected)`, a severity left out being an error.
pub struct Expected {
    pub doc: serde_json::Value,
    pub severities: Vec<String>,
    pub findings: Vec<Found>,
}

/// The `.expected.json` beside `input`.
pub fn expected_findings(input: &Path) -> Expected {
    let path = format!("{}.expected.json", input.display());
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let doc: serde_json::Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"));
    let s = |x: &serde_json::Value| x.as_str().unwrap_or("").to_string();
    let severities = doc["severities"]
        .as_array()
        .map(|a| a.iter().map(s).collect())
        .unwrap_or_else(|| vec!["error".to_string()]);
    let findings = doc["findings"]
        .as_array()
        .unwrap_or_else(|| panic!("{path}: no findings list"))
        .iter()
        .map(|f| {
            (
                s(&f["cell"]),
                s(&f["code"]),
                f["severity"].as_str().unwrap_or("error").to_string(),
                s(&f["claimed"]),
                s(&f["expected"]),
            )
        })
        .collect();
    Expected {
        doc,
        severities,
        findings,
    }
}
