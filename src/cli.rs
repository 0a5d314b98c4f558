//! The command line: the only module that knows about paths, flags and exit codes.

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use crate::check::{check_bytes, corrections};
use crate::finding::Severity;
use crate::reader::BookFormat;
use crate::report::{FileOutcome, JSON_VERSION, JsonFile, JsonReport, human};
use crate::scorer::Rules;
use crate::template::{Layout, Profile};
use crate::writer;

#[derive(Parser, Debug)]
#[command(
    name = "selfeval",
    version,
    about = "核查项目支出绩效自评表 (checks performance self-evaluation workbooks)"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// 核查工作簿，写出更正后的副本 (check workbooks and write corrected copies)
    Check(CheckArgs),
}

#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// 工作簿或文件夹 (workbooks or folders: every .xlsx/.xlsm/.xls/.ods under them)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// 更正副本的输出文件夹；默认写在原文件旁 (folder for corrected copies; default: beside each input)
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// 输出格式 (output format)
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// 只报告，不写更正副本 (report only)
    #[arg(long)]
    pub no_write: bool,
    /// 规则配置：national 或 .toml 文件路径 (rule profile: a bundled name or a .toml path)
    #[arg(long, default_value = "national")]
    pub profile: String,
    /// 在终端报告中列出提示 (also list notes in the text report)
    #[arg(long)]
    pub notes: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    Json,
}

/// Exit codes: 0 no error findings, 1 error findings, 2 usage error or unreadable file.
pub fn run() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    match cli.command {
        Command::Check(args) => match check(&args) {
            Ok(code) => code,
            Err(e) => {
                eprintln!("selfeval: {e:#}");
                ExitCode::from(2)
            }
        },
    }
}

fn check(args: &CheckArgs) -> Result<ExitCode> {
    let profile =
        Profile::load(&args.profile).with_context(|| format!("--profile {}", args.profile))?;
    let rules = Rules {
        profile: &profile,
        layout: Layout::bundled(),
    };
    let inputs = collect_inputs(&args.paths)?;
    if inputs.is_empty() {
        bail!("没有找到 .xlsx/.xlsm/.xls/.ods 工作簿 (no workbooks found)");
    }
    let all_inputs: BTreeSet<PathBuf> = inputs
        .iter()
        .filter_map(|i| i.path.canonicalize().ok())
        .collect();
    let mut taken = BTreeSet::new();
    let mut outcomes = Vec::with_capacity(inputs.len());
    let stdout = std::io::stdout();
    for input in &inputs {
        let outcome = check_one(input, args, rules, &all_inputs, &mut taken);
        if args.format == Format::Text {
            let mut out = stdout.lock();
            let _ = write!(out, "{}", human(&outcome, rules, args.notes));
        }
        outcomes.push(outcome);
    }
    if args.format == Format::Json {
        let report = JsonReport {
            version: JSON_VERSION,
            files: outcomes.iter().map(|o| JsonFile::of(o, rules)).collect(),
        };
        let mut out = stdout.lock();
        serde_json::to_writer_pretty(&mut out, &report)?;
        writeln!(out)?;
    }
    let unreadable = outcomes
        .iter()
        .any(|o| o.result.is_err() || o.write_error.is_some());
    let errors = outcomes
        .iter()
        .filter_map(|o| o.result.as_ref().ok())
        .any(|c| c.count(Severity::Error) > 0);
    Ok(ExitCode::from(if unreadable {
        2
    } else if errors {
        1
    } else {
        0
    }))
}

/// An input file and the folder it was found under (for mirroring into `--out-dir`).
struct Input {
    path: PathBuf,
    root: Option<PathBuf>,
}

const EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

fn collect_inputs(paths: &[PathBuf]) -> Result<Vec<Input>> {
    let mut out = Vec::new();
    for p in paths {
        if p.is_dir() {
            let mut found = Vec::new();
            walk(p, &mut found, &mut BTreeSet::new())?;
            found.sort();
            out.extend(found.into_iter().map(|path| Input {
                path,
                root: Some(p.clone()),
            }));
        } else if p.exists() {
            out.push(Input {
                path: p.clone(),
                root: None,
            });
        } else {
            bail!("找不到文件 {} (no such file)", p.display());
        }
    }
    Ok(out)
}

fn is_workbook_name(path: &Path) -> bool {
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
    let ext_ok = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
    // Skip our own outputs, Office lock files and half-written temporaries.
    ext_ok && !name.contains(".checked.") && !name.starts_with("~$") && !name.starts_with(".~")
}

fn walk(dir: &Path, found: &mut Vec<PathBuf>, seen: &mut BTreeSet<PathBuf>) -> Result<()> {
    // A symbolic link back up the tree must not loop forever.
    let Ok(real) = dir.canonicalize() else {
        return Ok(());
    };
    if !seen.insert(real) {
        return Ok(());
    }
    let entries = std::fs::read_dir(dir)
        .with_context(|| format!("无法读取文件夹 {} (cannot read folder)", dir.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, found, seen)?;
        } else if is_workbook_name(&path) {
            found.push(path);
        }
    }
    Ok(())
}

fn check_one(
    input: &Input,
    args: &CheckArgs,
    rules: Rules,
    all_inputs: &BTreeSet<PathBuf>,
    taken: &mut BTreeSet<PathBuf>,
) -> FileOutcome {
    let path_text = input.path.display().to_string();
    let mut outcome = FileOutcome {
        path: path_text,
        result: Err(String::new()),
        written: None,
        write_error: None,
    };
    let bytes = match std::fs::read(&input.path) {
        Ok(b) => b,
        Err(e) => {
            outcome.result = Err(format!("无法打开文件 (cannot open): {e}"));
            return outcome;
        }
    };
    let (book, check) = match check_bytes(&bytes, rules) {
        Ok(x) => x,
        Err(e) => {
            outcome.result = Err(e.to_string());
            return outcome;
        }
    };
    if !args.no_write && !check.forms.is_empty() {
        let target = output_path(input, args.out_dir.as_deref(), check.format, taken);
        let written = (|| -> Result<()> {
            if all_inputs.contains(&target.canonicalize().unwrap_or_else(|_| target.clone())) {
                bail!(
                    "输出文件 {} 与输入文件相同，拒绝覆盖 (refusing to overwrite an input)",
                    target.display()
                );
            }
            let fixes = corrections(&check, &book);
            let bytes = writer::write_corrected(&bytes, &book, &fixes)?;
            write_atomically(&target, &bytes)
        })();
        match written {
            Ok(()) => outcome.written = Some(target.display().to_string()),
            Err(e) => outcome.write_error = Some(format!("{e:#}")),
        }
    }
    outcome.result = Ok(check);
    outcome
}

/// `a.xlsx` → `a.checked.xlsx`; `a.xlsm` keeps its macros as `a.checked.xlsm`; `.xls` and
/// `.ods` become `a.checked.xlsx`, or `a.xls.checked.xlsx` when that name is taken in this run.
fn output_path(
    input: &Input,
    out_dir: Option<&Path>,
    format: BookFormat,
    taken: &mut BTreeSet<PathBuf>,
) -> PathBuf {
    let file = &input.path;
    let dir = match (out_dir, &input.root) {
        (Some(out), Some(root)) => {
            let rel = file
                .parent()
                .and_then(|p| p.strip_prefix(root).ok())
                .unwrap_or(Path::new(""));
            out.join(rel)
        }
        (Some(out), None) => out.to_path_buf(),
        (None, _) => file.parent().map(Path::to_path_buf).unwrap_or_default(),
    };
    let stem = file
        .file_stem()
        .and_then(|s| s.to_str())
        .unwrap_or("workbook");
    let ext = file
        .extension()
        .and_then(|s| s.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let out_ext = if format == BookFormat::Xlsx && ext == "xlsm" {
        "xlsm"
    } else {
        "xlsx"
    };
    let mut candidate = dir.join(format!("{stem}.checked.{out_ext}"));
    if taken.contains(&candidate) {
        candidate = dir.join(format!("{stem}.{ext}.checked.{out_ext}"));
    }
    taken.insert(candidate.clone());
    candidate
}

/// Writes to a temporary file beside the target, then renames: an interrupted run never
/// leaves a half-written workbook under the final name.
fn write_atomically(target: &Path, bytes: &[u8]) -> Result<()> {
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .with_context(|| format!("无法创建文件夹 {} (cannot create folder)", dir.display()))?;
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".~{name}.{}.tmp", std::process::id()));
    let result = std::fs::write(&tmp, bytes)
        .and_then(|_| std::fs::rename(&tmp, target))
        .with_context(|| format!("无法写入 {} (cannot write)", target.display()));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
