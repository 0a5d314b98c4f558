//! The command line: the only module that knows about paths, flags and exit codes.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

mod plan;

use plan::{Input, Inputs, Plan, parent_dir, plan};

use crate::check::{Books, check_against};
use crate::finding::Severity;
use crate::ledger::{Ledger, Targets};
use crate::reader::BookFormat;
use crate::report::{FileOutcome, JSON_VERSION, JsonFile, JsonForm, RunInfo, human};
use crate::sandbox::Sandbox;
use crate::scorer::Rules;
use crate::summary::{RowStorage, Summary};
use crate::template::{Layout, Profile};

#[derive(Parser, Debug)]
#[command(
    name = "selfeval",
    version,
    about = "核查项目支出绩效自评表 (checks performance self-evaluation workbooks)",
    after_help = HELP_AFTER
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// 核查工作簿，写出更正后的副本 (check workbooks and write corrected copies)
    Check(CheckArgs),
    /// 启动核查网页，供各部门拖入工作簿 (serve the drop-in web page and its JSON API)
    Serve(ServeArgs),
    /// Reads one workbook from stdin in a child process; see `sandbox`.
    #[command(name = crate::sandbox::PROBE_COMMAND, hide = true)]
    ReadProbe,
}

#[derive(clap::Args, Debug)]
pub struct ServeArgs {
    /// 监听地址；整个内网可用时写 0.0.0.0:8080 (address to listen on)
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub addr: std::net::SocketAddr,
    /// 每次上传的大小上限，MB (largest request body, MB)
    #[arg(long, default_value_t = 50)]
    pub max_upload_mb: usize,
    /// 每次上传的文件数上限 (most files in one request)
    #[arg(long, default_value_t = 200)]
    pub max_files: usize,
    /// 同时核查的请求数；默认为核数 (requests checked at once; default: number of cores)
    #[arg(long)]
    pub max_concurrent: Option<usize>,
    /// 排队等待核查的请求数上限；默认为核数的 4 倍 (requests that may wait; default: 4 × cores)
    #[arg(long)]
    pub max_queued: Option<usize>,
    /// 规则配置：national、sichuan、hubei、baoshan、hebei、platform-penalties 或 .toml 文件路径 (rule profile)
    #[arg(long, default_value = "national")]
    pub profile: String,
}

impl ServeArgs {
    fn run(&self) -> ExitCode {
        let profile = match Profile::load(&self.profile) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("selfeval: --profile {}: {e}", self.profile);
                return ExitCode::from(2);
            }
        };
        let defaults = crate::serve::Limits::default();
        let limits = crate::serve::Limits {
            max_upload_bytes: self.max_upload_mb.saturating_mul(1024 * 1024),
            max_files: self.max_files,
            max_concurrent: self.max_concurrent.unwrap_or(defaults.max_concurrent),
            max_queued: self.max_queued.unwrap_or(defaults.max_queued),
            ..defaults
        };
        let config = crate::serve::Config {
            addr: self.addr,
            limits,
            profile,
            sandbox: Sandbox::this_program(),
        };
        match crate::serve::run(config) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("selfeval: {e}");
                ExitCode::from(2)
            }
        }
    }
}

#[derive(clap::Args, Debug)]
#[command(after_help = HELP_AFTER)]
pub struct CheckArgs {
    /// 工作簿或文件夹 (workbooks or folders: every .xlsx/.xlsm/.xls/.ods under them)
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// 更正副本的输出文件夹；默认写在原文件旁 (folder for corrected copies; default: beside each input)
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// 汇总工作簿 (write a summary workbook: 汇总, 问题清单, 统计)
    #[arg(long)]
    pub summary: Option<PathBuf>,
    /// 输出格式 (output format)
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// 只报告，不写更正副本 (report only)
    #[arg(long)]
    pub no_write: bool,
    /// 规则配置：national、sichuan、hubei、baoshan、hebei、platform-penalties 或 .toml 文件路径 (rule profile)
    #[arg(long, default_value = "national")]
    pub profile: String,
    /// 财政预算台账（.xlsx/.xls/.csv，UTF-8 或 GBK）：逐表核对预算数和执行数 (the bureau's budget ledger)
    #[arg(long)]
    pub ledger: Option<PathBuf>,
    /// 批复的绩效目标表（.xlsx/.xls/.csv，或每个项目一个工作簿的文件夹）：逐项核对年度指标值 (the approved performance targets)
    #[arg(long)]
    pub targets: Option<PathBuf>,
    /// 在终端报告中列出提示 (also list notes in the text report)
    #[arg(long)]
    pub notes: bool,
    /// 并行线程数，至少 1；默认用满所有核 (threads, at least 1; default: every core)
    #[arg(short = 'j', long, value_parser = clap::value_parser!(u16).range(1..))]
    pub jobs: Option<u16>,
    /// 不显示进度 (no progress bar)
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Text,
    /// One JSON document.
    Json,
    /// One JSON line per form.
    Jsonl,
}

/// Examples and exit statuses, under every `--help`.
const HELP_AFTER: &str = "\
示例 (examples):
  selfeval check 自评表.xlsx                       核查一个工作簿，更正副本写在原文件旁
  selfeval check 收件箱/ --out-dir 核查/ --summary 汇总.xlsx
                                                  核查整个文件夹，副本写入 核查/，并写汇总工作簿
  selfeval check 收件箱/ --no-write --format json  只报告，JSON 输出
  selfeval check 收件箱/ --profile sichuan         按四川口径核查（或 --profile 本局规则.toml）
  selfeval serve --addr 0.0.0.0:8080              启动核查网页

退出状态 (exit status):
  0  全部核查，未发现错误 (every file checked, no error findings)
  1  发现错误 (error findings in at least one form)
  2  用法错误，或有文件无法读取、没有自评表、副本无法写出 (usage error, or a file unreadable,
     without a form, or whose copy could not be written)";

/// Exit codes: 0 no error findings, 1 error findings, 2 usage error, or a file unreadable or
/// without a form.
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
        Command::Serve(args) => args.run(),
        Command::ReadProbe => crate::sandbox::probe_stdin(),
    }
}

/// Files checked at once. Results are reported in input order chunk by chunk and then
/// dropped, so memory is bounded by the chunk, not by the folder.
const CHUNK: usize = 64;

fn check(args: &CheckArgs) -> Result<ExitCode> {
    let profile =
        Profile::load(&args.profile).with_context(|| format!("--profile {}", args.profile))?;
    let rules = Rules {
        profile: &profile,
        layout: Layout::bundled(),
    };
    let ledger = match &args.ledger {
        Some(path) => {
            let ledger = Ledger::load(path, rules.layout)?;
            // Rows skipped or not matched by code are the bureau's to see before the report.
            for problem in &ledger.problems {
                eprintln!("selfeval: {problem}");
            }
            Some(ledger)
        }
        None => None,
    };
    let targets = match &args.targets {
        Some(path) => Some(Targets::load(path)?),
        None => None,
    };
    let Plan { inputs, is_input } = plan(args)?;
    // One for the run: its reader children are kept between files, one per worker thread
    // reading a legacy workbook, and ended when the run is.
    let sandbox = Sandbox::this_program();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.map_or(0, usize::from))
        .build()
        .context("线程池 (thread pool)")?;
    let progress = progress_bar(args, inputs.len());
    // A terminal sees each file's report as it comes; a pipe or a file gets them in blocks,
    // not one write per file.
    let stdout = std::io::stdout().lock();
    let mut stdout: Box<dyn Write> = if stdout.is_terminal() {
        Box::new(stdout)
    } else {
        Box::new(std::io::BufWriter::with_capacity(64 * 1024, stdout))
    };
    let mut summary = match args.summary {
        Some(_) => {
            let summary = Summary::new(rules, RowStorage::TempFile)
                .context("汇总工作簿 (summary workbook)")?;
            let summary = match &ledger {
                Some(l) => summary.with_ledger(l),
                None => summary,
            };
            Some(match &targets {
                Some(_) => summary.with_targets(),
                None => summary,
            })
        }
        None => None,
    };
    let summary_dir = args.summary.as_deref().map(parent_dir);
    let mut summary_error = None;
    let (mut unreadable, mut errors, mut first) = (false, false, true);
    // Files with errors or unreadable so far, for the progress bar; the run's tally.
    let mut flagged = 0usize;
    let mut tally = Tally::default();
    let started = std::time::Instant::now();
    if args.format == Format::Json {
        let run = RunInfo::of(rules).json_fields();
        write!(stdout, "{{\"version\": {JSON_VERSION}, {run}, \"files\": [")?;
    }
    // The pool checks the next chunk while this thread reports the one before: reporting
    // (and the summary's rows) then costs the run no time of its own.
    let (done, checked) = std::sync::mpsc::sync_channel::<Vec<FileOutcome>>(1);
    let (inputs, is_input, sandbox) = (&inputs, &is_input, sandbox.as_ref());
    let books = Books {
        ledger: ledger.as_ref(),
        targets: targets.as_ref(),
    };
    pool.in_place_scope(|scope| -> Result<()> {
        // Moved in, so that the sender is dropped, and the report ends, when the last
        // chunk is sent.
        scope.spawn(move |_| {
            for chunk in inputs.chunks(CHUNK) {
                let outcomes = chunk
                    .par_iter()
                    .map(|i| check_one(i, is_input, args, rules, sandbox, books))
                    .collect();
                // The report failed (its receiver is gone): check nothing more.
                if done.send(outcomes).is_err() {
                    break;
                }
            }
        });
        // `checked` is dropped on an early return, which stops the checking above (the
        // chunk being checked and the one waiting are written but not reported).
        for outcomes in checked {
            for o in &outcomes {
                // A workbook without a form is as unchecked as one that cannot be opened.
                let unchecked = o.checked().is_err();
                unreadable |= unchecked || o.write_error.is_some();
                let has_errors = o
                    .result
                    .as_ref()
                    .is_ok_and(|c| c.count(Severity::Error) > 0);
                errors |= has_errors;
                tally.add(o);
                // The bar steps aside while a report is written under it, so that no bar
                // is left between the reports.
                match &progress {
                    Some(p) => p.suspend(|| emit(&mut stdout, o, args, rules, &mut first))?,
                    None => emit(&mut stdout, o, args, rules, &mut first)?,
                }
                if let Some(s) = summary.as_mut().filter(|_| summary_error.is_none()) {
                    let link = o
                        .written
                        .as_deref()
                        .zip(summary_dir.as_deref())
                        .map(|(w, d)| relative(d, Path::new(w)));
                    // A summary that cannot be written stops being added to; every file is
                    // still checked and reported, and the run fails at its end.
                    summary_error = s
                        .add(
                            &o.path,
                            &o.result,
                            link.as_deref(),
                            o.write_error.as_deref(),
                        )
                        .err();
                }
                if let Some(p) = &progress {
                    flagged += usize::from(has_errors || unchecked);
                    p.inc(1);
                    // The rate of the whole run so far: files reach the report a chunk at
                    // a time, and a rate over the last instants would swing with them.
                    let rate = p.position() as f64 / started.elapsed().as_secs_f64().max(1e-3);
                    p.set_message(format!("{rate:.0} 个/秒  有误或无法读取 {flagged} 个"));
                }
            }
        }
        Ok(())
    })?;
    if args.format == Format::Json {
        writeln!(stdout, "\n]}}")?;
    }
    stdout.flush()?;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    if !args.quiet {
        eprintln!("{}", tally.line(started.elapsed()));
    }
    if let Some(e) = summary_error {
        return Err(e).context("汇总工作簿 (summary workbook)");
    }
    if let (Some(s), Some(path)) = (summary, &args.summary) {
        let bytes = s.finish().context("汇总工作簿 (summary workbook)")?;
        write_atomically(path, &bytes)?;
        if args.format == Format::Text {
            writeln!(
                std::io::stdout(),
                "汇总工作簿 (summary): {}",
                path.display()
            )?;
        }
    }
    Ok(ExitCode::from(if unreadable {
        2
    } else if errors {
        1
    } else {
        0
    }))
}

/// What a run came to, in one line under its reports.
#[derive(Debug, Default)]
struct Tally {
    files: usize,
    forms: usize,
    wrong: usize,
    passed: usize,
    /// Files nothing was checked in: unreadable, or no sheet a form.
    unchecked: usize,
}

impl Tally {
    fn add(&mut self, o: &FileOutcome) {
        self.files += 1;
        match o.checked() {
            Ok(c) => {
                for f in &c.forms {
                    self.forms += 1;
                    match f.count(Severity::Error) {
                        0 => self.passed += 1,
                        _ => self.wrong += 1,
                    }
                }
            }
            Err(_) => self.unchecked += 1,
        }
    }

    /// `共 12 个文件、13 张自评表：有误 4，通过 9，无法读取或未核查 1；用时 0.4 秒`
    fn line(&self, took: std::time::Duration) -> String {
        format!(
            "共 {} 个文件、{} 张自评表：有误 {}，通过 {}，无法读取或未核查 {}；用时 {:.1} 秒",
            self.files,
            self.forms,
            self.wrong,
            self.passed,
            self.unchecked,
            took.as_secs_f64()
        )
    }
}

fn progress_bar(args: &CheckArgs, len: usize) -> Option<indicatif::ProgressBar> {
    if args.quiet || len < 2 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    let style = indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} 个文件  {msg}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}

/// Writes one file's report in the chosen format.
fn emit(
    out: &mut impl Write,
    o: &FileOutcome,
    args: &CheckArgs,
    rules: Rules,
    first: &mut bool,
) -> Result<()> {
    match args.format {
        Format::Text => write!(out, "{}", human(o, rules, args.notes))?,
        Format::Json => {
            writeln!(out, "{}", if *first { "" } else { "," })?;
            serde_json::to_writer_pretty(&mut *out, &JsonFile::of(o, rules))?;
        }
        Format::Jsonl => {
            let write_error = o.write_error.as_deref();
            match o.checked() {
                Ok(c) => {
                    for form in &c.forms {
                        let line = JsonLine {
                            version: JSON_VERSION,
                            path: &o.path,
                            error: None,
                            output: o.written.as_deref(),
                            write_error,
                            form: Some(JsonForm::of(form, rules)),
                        };
                        serde_json::to_writer(&mut *out, &line)?;
                        writeln!(out)?;
                    }
                }
                Err(reason) => {
                    let line = JsonLine {
                        version: JSON_VERSION,
                        path: &o.path,
                        error: Some(reason),
                        output: None,
                        write_error,
                        form: None,
                    };
                    serde_json::to_writer(&mut *out, &line)?;
                    writeln!(out)?;
                }
            }
        }
    }
    *first = false;
    Ok(())
}

/// One line of `--format jsonl`: a form with its file, or a file's error.
#[derive(serde::Serialize)]
struct JsonLine<'a> {
    version: u32,
    path: &'a str,
    error: Option<&'a str>,
    output: Option<&'a str>,
    /// Why the corrected copy could not be written, on each of the file's lines.
    write_error: Option<&'a str>,
    #[serde(flatten)]
    form: Option<JsonForm<'a>>,
}

/// Reads one file and checks it; the library turns a panic into that file's error, so the
/// run goes on.
fn check_one(
    input: &Input,
    is_input: &Inputs,
    args: &CheckArgs,
    rules: Rules,
    sandbox: Option<&Sandbox>,
    books: Books<'_>,
) -> FileOutcome {
    let input = match input {
        Input::Book(b) => b,
        Input::Unreadable { path, reason } => {
            return FileOutcome::failed(path.display().to_string(), reason.as_str());
        }
    };
    let path = input.path.display().to_string();
    let bytes = match read_input(&input.path) {
        Ok(b) => b,
        Err(reason) => return FileOutcome::failed(path, reason),
    };
    let (mut outcome, corrected) =
        check_against(&path, &bytes, rules, !args.no_write, sandbox, books);
    let Some(corrected) = corrected else {
        return outcome;
    };
    // A corrected copy checked again is reported, not copied again (`a.checked.checked.xlsx`).
    if outcome.result.as_ref().is_ok_and(|c| c.is_own_copy()) {
        return outcome;
    }
    // A renamed legacy file cannot keep an .xlsm name once rebuilt as .xlsx.
    let rebuilt = outcome
        .result
        .as_ref()
        .is_ok_and(|c| c.format != BookFormat::Xlsx);
    let target = if rebuilt {
        &input.rebuilt_output
    } else {
        &input.output
    };
    let written = if is_input.holds(target) {
        Err(anyhow::anyhow!(
            "输出文件 {} 与输入文件相同，拒绝覆盖 (refusing to overwrite an input)",
            target.display()
        ))
    } else {
        write_atomically(target, &corrected)
    };
    match written {
        Ok(()) => outcome.written = Some(target.display().to_string()),
        Err(e) => outcome.write_error = Some(format!("{e:#}")),
    }
    outcome
}

/// The bytes of one input, read only if it is a regular file within the size limit: a link
/// to a device never stops giving bytes, and opening a named pipe waits for a writer.
fn read_input(path: &Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let cannot = |e: std::io::Error| format!("无法打开文件 (cannot open): {e}");
    let limit = crate::limits::MAX_FILE_BYTES;
    let too_large = |len: u64| {
        crate::reader::ReadError::TooLarge {
            mb: len / (1024 * 1024),
        }
        .to_string()
    };
    let meta = std::fs::metadata(path).map_err(cannot)?;
    if !meta.is_file() {
        return Err(
            "不是普通文件（设备、管道等），未读取 (not a regular file: not read)".to_string(),
        );
    }
    if meta.len() > limit {
        return Err(too_large(meta.len()));
    }
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    std::fs::File::open(path)
        .and_then(|f| f.take(limit + 1).read_to_end(&mut bytes))
        .map_err(cannot)?;
    // The file may have grown since it was measured.
    if bytes.len() as u64 > limit {
        return Err(too_large(bytes.len() as u64));
    }
    Ok(bytes)
}

/// `to` relative to the folder `from`, for a link that survives moving both together.
fn relative(from: &Path, to: &Path) -> String {
    let abs = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let (from, to) = (abs(from), abs(to));
    let (f, t): (Vec<_>, Vec<_>) = (from.components().collect(), to.components().collect());
    let common = f.iter().zip(&t).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<String> = vec!["..".to_string(); f.len() - common];
    parts.extend(
        t[common..]
            .iter()
            .map(|c| c.as_os_str().to_string_lossy().into_owned()),
    );
    parts.join("/")
}

/// Writes to a temporary file beside the target, then renames: an interrupted run never
/// leaves a half-written workbook under the final name.
fn write_atomically(target: &Path, bytes: &[u8]) -> Result<()> {
    let dir = parent_dir(target);
    let name = target.file_name().and_then(|n| n.to_str()).unwrap_or("out");
    let tmp = dir.join(format!(".~{name}.{}.tmp", std::process::id()));
    // The folder is made only when the file cannot be created without it: a folder run
    // writes thousands of copies into folders that mostly exist already.
    let created = match std::fs::write(&tmp, bytes) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(&dir).with_context(|| {
                format!("无法创建文件夹 {} (cannot create folder)", dir.display())
            })?;
            std::fs::write(&tmp, bytes)
        }
        other => other,
    };
    let result = created
        .and_then(|_| std::fs::rename(&tmp, target))
        .with_context(|| format!("无法写入 {} (cannot write)", target.display()));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_links() {
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/b/c/d.xlsx")),
            "c/d.xlsx"
        );
        assert_eq!(
            relative(Path::new("/a/b"), Path::new("/a/x/d.xlsx")),
            "../x/d.xlsx"
        );
    }
}
