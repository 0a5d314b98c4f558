//! The command line: the only module that knows about paths, flags and exit codes.

use std::collections::BTreeSet;
use std::io::{IsTerminal, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};
use rayon::prelude::*;

use crate::check::check_upload;
use crate::finding::Severity;
use crate::reader::BookFormat;
use crate::report::{FileOutcome, JSON_VERSION, JsonFile, JsonForm, human};
use crate::sandbox::Sandbox;
use crate::scorer::Rules;
use crate::summary::Summary;
use crate::template::{Layout, Profile};

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
    /// 规则配置：national、sichuan、hubei、platform-penalties 或 .toml 文件路径 (rule profile)
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
    /// 规则配置：national、sichuan、hubei、platform-penalties 或 .toml 文件路径 (rule profile)
    #[arg(long, default_value = "national")]
    pub profile: String,
    /// 在终端报告中列出提示 (also list notes in the text report)
    #[arg(long)]
    pub notes: bool,
    /// 并行线程数；默认用满所有核 (threads; default: every core)
    #[arg(short = 'j', long)]
    pub jobs: Option<usize>,
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
    let Plan { inputs, is_input } = plan(args)?;
    let sandbox = Sandbox::this_program();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(args.jobs.unwrap_or(0))
        .build()
        .context("线程池 (thread pool)")?;
    let progress = progress_bar(args, inputs.len());
    let mut stdout = std::io::stdout().lock();
    let mut summary = args.summary.as_ref().map(|_| Summary::default());
    let summary_dir = args.summary.as_deref().map(parent_dir);
    let (mut unreadable, mut errors, mut first) = (false, false, true);
    // Files with errors or unreadable so far, for the progress bar.
    let mut flagged = 0usize;
    if args.format == Format::Json {
        write!(stdout, "{{\"version\": {JSON_VERSION}, \"files\": [")?;
    }
    for chunk in inputs.chunks(CHUNK) {
        let outcomes: Vec<FileOutcome> = pool.install(|| {
            chunk
                .par_iter()
                .map(|i| check_one(i, &is_input, args, rules, sandbox.as_ref()))
                .collect()
        });
        for o in &outcomes {
            unreadable |= o.result.is_err() || o.write_error.is_some();
            let has_errors = o
                .result
                .as_ref()
                .is_ok_and(|c| c.count(Severity::Error) > 0);
            errors |= has_errors;
            emit(&mut stdout, o, args, rules, &mut first)?;
            if let Some(s) = summary.as_mut() {
                let link = o
                    .written
                    .as_deref()
                    .zip(summary_dir.as_deref())
                    .map(|(w, d)| relative(d, Path::new(w)));
                s.add(
                    &o.path,
                    &o.result,
                    link.as_deref(),
                    o.write_error.as_deref(),
                );
            }
            if let Some(p) = &progress {
                if has_errors || o.result.is_err() {
                    flagged += 1;
                    p.set_message(format!("有误或无法读取 {flagged} 个"));
                }
                p.inc(1);
            }
        }
    }
    if args.format == Format::Json {
        writeln!(stdout, "\n]}}")?;
    }
    stdout.flush()?;
    if let Some(p) = progress {
        p.finish_and_clear();
    }
    if let (Some(s), Some(path)) = (summary, &args.summary) {
        let bytes = s.to_xlsx(rules).context("汇总工作簿 (summary workbook)")?;
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

fn progress_bar(args: &CheckArgs, len: usize) -> Option<indicatif::ProgressBar> {
    if args.quiet || len < 2 || !std::io::stderr().is_terminal() {
        return None;
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    let style =
        indicatif::ProgressStyle::with_template("{bar:30} {pos}/{len} 个文件  {per_sec}  {msg}")
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
            let file = JsonFile::of(o, rules);
            match &o.result {
                Ok(c) if !c.forms.is_empty() => {
                    for form in &c.forms {
                        let line = JsonLine {
                            version: JSON_VERSION,
                            path: &o.path,
                            error: None,
                            output: file.output,
                            write_error: file.write_error,
                            form: Some(JsonForm::of(form, rules)),
                        };
                        serde_json::to_writer(&mut *out, &line)?;
                        writeln!(out)?;
                    }
                }
                _ => {
                    let line = JsonLine {
                        version: JSON_VERSION,
                        path: &o.path,
                        error: Some(file.error.unwrap_or("没有找到自评表 (no form found)")),
                        output: None,
                        write_error: file.write_error,
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

/// One entry of the run, in report order.
enum Input {
    /// A workbook to check.
    Book(Book),
    /// A folder under an input folder that could not be listed. It is reported as its own
    /// entry with `reason`, like an unreadable file, and the run goes on.
    Unreadable { path: PathBuf, reason: String },
}

/// A workbook and where its corrected copy goes.
struct Book {
    path: PathBuf,
    output: PathBuf,
    /// Where the copy goes instead when an `.xlsm` turns out to hold a legacy workbook, which
    /// is rebuilt as `.xlsx` and cannot keep the `.xlsm` name.
    rebuilt_output: PathBuf,
}

/// Everything the run will do, decided before any file is read.
struct Plan {
    inputs: Vec<Input>,
    /// Canonical paths of every input, to refuse writing over one.
    is_input: BTreeSet<PathBuf>,
}

const EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

/// What a folder walk found: a workbook, or a folder and why it could not be listed.
type Found = (PathBuf, Option<String>);

/// This run's own outputs, as canonical paths, so that a walk over an input folder holding
/// them never checks them (a second run over `in/ --out-dir in/核查` sees what the first did).
struct Outputs {
    dir: Option<PathBuf>,
    summary: Option<PathBuf>,
}

impl Outputs {
    fn of(args: &CheckArgs) -> Outputs {
        // A path that does not exist yet holds nothing to skip.
        let real = |p: &Option<PathBuf>| p.as_deref().and_then(|p| p.canonicalize().ok());
        Outputs {
            dir: real(&args.out_dir),
            summary: real(&args.summary),
        }
    }

    fn is_summary(&self, file: &Path) -> bool {
        self.summary.as_deref().is_some_and(|s| {
            // Canonicalize only a file that has the summary's name.
            s.file_name() == file.file_name() && file.canonicalize().is_ok_and(|f| f == s)
        })
    }
}

/// Finds the inputs, in sorted order per argument, and plans every output name before any
/// work starts, so names never depend on which thread finishes first.
fn plan(args: &CheckArgs) -> Result<Plan> {
    let outputs = Outputs::of(args);
    // (entry, the input folder it was found under)
    let mut found: Vec<(Found, Option<&Path>)> = Vec::new();
    for p in &args.paths {
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                bail!("找不到文件 {} (no such file)", p.display())
            }
            Err(e) => bail!("无法访问 {} (cannot access): {e}", p.display()),
        };
        if meta.is_dir() {
            found.extend(
                walk(p, &outputs)?
                    .into_iter()
                    .map(|f| (f, Some(p.as_path()))),
            );
        } else {
            found.push(((p.clone(), None), None));
        }
    }
    // A workbook reached twice (a link to a file beside it, a folder given twice) is
    // checked once, under the first name it was found by.
    let real = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
    let mut once = BTreeSet::new();
    found.retain(|((p, _), _)| once.insert(real(p)));
    // An unreadable folder counts as an entry: a folder holding nothing else is reported.
    if found.is_empty() {
        bail!("没有找到 .xlsx/.xlsm/.xls/.ods 工作簿 (no workbooks found)");
    }
    let is_input: BTreeSet<PathBuf> = found
        .iter()
        .filter(|((_, error), _)| error.is_none())
        .filter_map(|((p, _), _)| p.canonicalize().ok())
        .collect();
    if let Some(s) = &args.summary
        && s.canonicalize().is_ok_and(|s| is_input.contains(&s))
    {
        bail!(
            "汇总工作簿 {} 是输入文件，拒绝覆盖 (the summary would overwrite an input)",
            s.display()
        );
    }
    // Workbooks whose copy keeps their own extension (`a.xlsx`, `a.xlsm`) claim the plain
    // name first; a rebuilt `a.xls` or `a.ods` beside them yields `a.xls.checked.xlsx`.
    let out_dir = args.out_dir.as_deref();
    let mut taken = BTreeSet::new();
    let mut own: Vec<Option<PathBuf>> = found
        .iter()
        .map(|((path, error), root)| {
            (error.is_none() && keeps_extension(path))
                .then(|| output_path(path, *root, out_dir, false, &mut taken))
        })
        .collect();
    let inputs = found
        .into_iter()
        .zip(own.iter_mut())
        .map(|(((path, error), root), own)| match error {
            Some(reason) => Input::Unreadable { path, reason },
            None => {
                let output = own
                    .take()
                    .unwrap_or_else(|| output_path(&path, root, out_dir, true, &mut taken));
                let rebuilt_output = if extension(&path) == "xlsm" {
                    output_path(&path, root, out_dir, true, &mut taken)
                } else {
                    output.clone()
                };
                Input::Book(Book {
                    path,
                    output,
                    rebuilt_output,
                })
            }
        })
        .collect();
    Ok(Plan { inputs, is_input })
}

fn extension(path: &Path) -> String {
    path.extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

/// `.xlsx` and `.xlsm` are patched in place and keep their extension; the rest are rebuilt.
fn keeps_extension(path: &Path) -> bool {
    matches!(extension(path).as_str(), "xlsx" | "xlsm")
}

fn is_workbook_name(path: &Path) -> bool {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let ext_ok = EXTENSIONS.contains(&extension(path).as_str());
    // Skip our own outputs, Office lock files and half-written temporaries.
    ext_ok && !name.contains(".checked.") && !name.starts_with("~$") && !name.starts_with(".~")
}

/// Every workbook under the input folder `root`, sorted, with a per-entry reason for each
/// folder under it that cannot be listed. Only `root` itself failing is an error.
fn walk(root: &Path, outputs: &Outputs) -> Result<Vec<Found>> {
    let cannot = || format!("无法读取文件夹 {} (cannot read folder)", root.display());
    let mut seen = BTreeSet::new();
    seen.insert(root.canonicalize().with_context(cannot)?);
    let entries = list(root).with_context(cannot)?;
    let mut found = Vec::new();
    visit(entries, &mut found, &mut seen, outputs);
    found.sort();
    Ok(found)
}

/// A folder's entries, sorted, so that which of two paths to one folder is followed never
/// depends on the order the file system lists them in.
fn list(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut entries = std::fs::read_dir(dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort();
    Ok(entries)
}

fn visit(
    entries: Vec<PathBuf>,
    found: &mut Vec<Found>,
    seen: &mut BTreeSet<PathBuf>,
    outputs: &Outputs,
) {
    let unreadable = |path: PathBuf, e: std::io::Error| {
        (
            path,
            Some(format!("无法读取文件夹 (cannot read folder): {e}")),
        )
    };
    for path in entries {
        if path.is_dir() {
            let real = match path.canonicalize() {
                Ok(r) => r,
                Err(e) => {
                    found.push(unreadable(path, e));
                    continue;
                }
            };
            // A symbolic link back up the tree must not loop forever, and this run's output
            // folder is not an input.
            if outputs.dir.as_ref() == Some(&real) || !seen.insert(real) {
                continue;
            }
            match list(&path) {
                Ok(inner) => visit(inner, found, seen, outputs),
                Err(e) => found.push(unreadable(path, e)),
            }
        } else if is_workbook_name(&path) && !outputs.is_summary(&path) {
            found.push((path, None));
        }
    }
}

/// Reads one file and checks it; the library turns a panic into that file's error, so the
/// run goes on.
fn check_one(
    input: &Input,
    is_input: &BTreeSet<PathBuf>,
    args: &CheckArgs,
    rules: Rules,
    sandbox: Option<&Sandbox>,
) -> FileOutcome {
    let input = match input {
        Input::Book(b) => b,
        Input::Unreadable { path, reason } => {
            return FileOutcome {
                path: path.display().to_string(),
                result: Err(reason.clone()),
                written: None,
                write_error: None,
            };
        }
    };
    let path = input.path.display().to_string();
    // Refuse a huge file before reading it into memory.
    if let Ok(meta) = std::fs::metadata(&input.path)
        && meta.len() > crate::intake::limits::MAX_FILE_BYTES
    {
        let e = crate::reader::ReadError::TooLarge {
            mb: meta.len() / (1024 * 1024),
        };
        return FileOutcome {
            path,
            result: Err(e.to_string()),
            written: None,
            write_error: None,
        };
    }
    let bytes = match std::fs::read(&input.path) {
        Ok(b) => b,
        Err(e) => {
            return FileOutcome {
                path,
                result: Err(format!("无法打开文件 (cannot open): {e}")),
                written: None,
                write_error: None,
            };
        }
    };
    let (mut outcome, corrected) = check_upload(&path, &bytes, rules, !args.no_write, sandbox);
    let Some(corrected) = corrected else {
        return outcome;
    };
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
    let written = if is_input.contains(&target.canonicalize().unwrap_or_else(|_| target.clone())) {
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

/// `a.xlsx` → `a.checked.xlsx`; `a.xlsm` keeps its macros as `a.checked.xlsm`; `.xls` and
/// `.ods` (and an `.xlsm` that is `rebuilt`) become `a.checked.xlsx`, or `a.xls.checked.xlsx`
/// when that name is taken in this run, then `a.xls.3.checked.xlsx` and so on. Names are
/// compared ignoring case, as Windows and macOS file systems do. Under `--out-dir`, a folder's
/// structure is mirrored and never left.
fn output_path(
    file: &Path,
    root: Option<&Path>,
    out_dir: Option<&Path>,
    rebuilt: bool,
    taken: &mut BTreeSet<std::ffi::OsString>,
) -> PathBuf {
    let dir = match (out_dir, root) {
        (Some(out), Some(root)) => {
            let rel = file
                .parent()
                .and_then(|p| p.strip_prefix(root).ok())
                .unwrap_or(Path::new(""));
            let inside: PathBuf = rel
                .components()
                .filter(|c| matches!(c, Component::Normal(_)))
                .collect();
            out.join(inside)
        }
        (Some(out), None) => out.to_path_buf(),
        (None, _) => parent_dir(file),
    };
    // The stem as the file system has it: a name that is not UTF-8 keeps its own bytes.
    let stem = file.file_stem().unwrap_or(std::ffi::OsStr::new("workbook"));
    let ext = extension(file);
    let out_ext = if ext == "xlsm" && !rebuilt {
        "xlsm"
    } else {
        "xlsx"
    };
    for n in 1.. {
        let tail = match n {
            1 => format!(".checked.{out_ext}"),
            2 => format!(".{ext}.checked.{out_ext}"),
            n => format!(".{ext}.{n}.checked.{out_ext}"),
        };
        let mut name = stem.to_os_string();
        name.push(tail);
        let candidate = dir.join(name);
        let key = match candidate.to_str() {
            Some(s) => s.to_lowercase().into(),
            None => candidate.as_os_str().to_ascii_lowercase(),
        };
        if taken.insert(key) {
            return candidate;
        }
    }
    unreachable!("an unbounded range always yields a free name")
}

fn parent_dir(p: &Path) -> PathBuf {
    p.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
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
    std::fs::create_dir_all(&dir)
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

    #[test]
    fn outputs_mirror_the_folder_and_never_collide() {
        let mut taken = BTreeSet::new();
        let root = Path::new("/in");
        let out = Some(Path::new("/out"));
        let mut name = |p: &str, rebuilt: bool| {
            let root = p.starts_with("/in/").then_some(root);
            output_path(Path::new(p), root, out, rebuilt, &mut taken)
        };
        assert_eq!(
            name("/in/x/a.xlsx", false),
            Path::new("/out/x/a.checked.xlsx")
        );
        assert_eq!(
            name("/in/x/a.xls", true),
            Path::new("/out/x/a.xls.checked.xlsx")
        );
        assert_eq!(name("/in/m.xlsm", false), Path::new("/out/m.checked.xlsm"));
        // An .xlsm holding a legacy workbook is rebuilt under an .xlsx name of its own.
        assert_eq!(name("/in/m.xlsm", true), Path::new("/out/m.checked.xlsx"));
        // A third workbook wanting the same names, and one differing only in case.
        assert_eq!(
            name("/in/x/a.XLS", true),
            Path::new("/out/x/a.xls.3.checked.xlsx")
        );
        assert_eq!(
            name("/in/x/A.xlsx", false),
            Path::new("/out/x/A.xlsx.checked.xlsx")
        );
        let beside = output_path(Path::new("/in/x/a.ods"), None, None, true, &mut taken);
        assert_eq!(beside, Path::new("/in/x/a.checked.xlsx"));
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_keep_their_bytes() {
        use std::os::unix::ffi::OsStrExt;
        let mut taken = BTreeSet::new();
        let a = Path::new(std::ffi::OsStr::from_bytes(b"/in/\xff.xlsx"));
        let b = Path::new(std::ffi::OsStr::from_bytes(b"/in/\xfe.xlsx"));
        let c = Path::new(std::ffi::OsStr::from_bytes(b"/in/\xfd.xlsx"));
        let names: BTreeSet<PathBuf> = [a, b, c]
            .into_iter()
            .map(|p| output_path(p, None, None, false, &mut taken))
            .collect();
        assert_eq!(names.len(), 3, "{names:?}");
        assert!(names.contains(Path::new(std::ffi::OsStr::from_bytes(
            b"/in/\xff.checked.xlsx"
        ))));
        assert!(
            names.iter().all(|n| !is_workbook_name(n)),
            "outputs are skipped"
        );
    }
}
