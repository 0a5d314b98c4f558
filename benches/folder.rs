//! The folder benchmark (README, "Performance"): builds a corpus of generated workbooks and
//! reports, in one run on one machine,
//!   (a) the floor: calamine opening every workbook and reading every cell, and that plus
//!       rust_xlsxwriter writing each back;
//!   (b) `selfeval check DIR --no-write`;
//!   (e) the same with `--ledger` of 20,000 rows, every project in it and none, beside (b);
//!   (c) `selfeval check DIR --out-dir … --summary …`;
//!   (d) peak memory of (b) and (c), at half the corpus, the whole and twice the whole, to
//!       show it does not grow with the number of files;
//! and, when Python's openpyxl is installed, the throughput of an openpyxl script that only
//! loads, reads every cell and saves, on a subset, each run paired with a run of (c).
//!
//! `cargo bench --bench folder` (2,000 workbooks) or `cargo bench --bench folder -- 500`.
//!
//! `cargo bench --bench folder -- xls [N]` measures legacy workbooks instead, which are read
//! in the sandbox's child processes first: see [`xls_folder`].

#[path = "../tests/corpus/form.rs"]
#[allow(dead_code)]
mod form;
#[path = "../tests/corpus/lay.rs"]
#[allow(dead_code)]
mod lay;
#[path = "../tests/common/measure.rs"]
mod measure;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use calamine::{Data, Reader, open_workbook_auto_from_rs};
use rayon::prelude::*;

const RUNS: usize = 5;
const OPENPYXL_SUBSET: usize = 100;
const RUNS_OPENPYXL: usize = 5;
const RUNS_XLS: usize = 9;

fn main() {
    let legacy = std::env::args().skip(1).any(|a| a == "xls");
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(if legacy { 300 } else { 2000 });
    if legacy {
        return xls_folder(n);
    }
    let root = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench");
    let corpus = root.join("corpus");
    let half = root.join("half");
    generate(&corpus, &half, n);
    let files = list(&corpus);
    let bytes: u64 = files
        .iter()
        .map(|f| f.metadata().map(|m| m.len()).unwrap_or(0))
        .sum();
    println!(
        "corpus: {} workbooks, {:.1} MB, in {}",
        files.len(),
        bytes as f64 / 1e6,
        corpus.display()
    );
    println!(
        "machine: {} cores; {}",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model()
    );
    let outs = Outputs::new(&root);
    println!("outputs written under {}", outs.root.display());
    // Warm the page cache so that every measurement reads from memory.
    floor(&files, None);

    let bin = env!("CARGO_BIN_EXE_selfeval");
    let check_dir = |dir: &Path| {
        vec![
            "check".to_string(),
            dir.display().to_string(),
            "--no-write".into(),
            "-q".into(),
        ]
    };
    let write_dir = |dir: &Path| {
        let out = outs.fresh();
        vec![
            "check".to_string(),
            dir.display().to_string(),
            "--out-dir".into(),
            out.join("checked").display().to_string(),
            "--summary".into(),
            out.join("汇总.xlsx").display().to_string(),
            "-q".into(),
        ]
    };
    // Each selfeval run is paired with a floor run just before it, so that the shared
    // machine's slow and fast spells fall on both sides of a ratio alike.
    let (read, b, b_ratio) = paired(
        || timed(|| floor(&files, None)),
        || run(bin, &check_dir(&corpus)),
    );
    let (read_write, c, c_ratio) = paired(
        || {
            let out = outs.fresh();
            timed(|| floor(&files, Some(&out)))
        },
        || run(bin, &write_dir(&corpus)),
    );
    // (e) the same check against a 20,000-row ledger, each run paired with a run of (b):
    // once where every form's project is in it, once where none is (every form is then
    // measured against the nearest names).
    let ledgers = [true, false].map(|matching| {
        let path = root.join(format!("ledger-{matching}.csv"));
        write_ledger(&path, 20_000, matching);
        let mut args = check_dir(&corpus);
        args.extend(["--ledger".to_string(), path.display().to_string()]);
        let (base, with, ratio) = paired(|| run(bin, &check_dir(&corpus)).0, || run(bin, &args));
        (matching, base, with.0, ratio)
    });
    let b_half = run(bin, &check_dir(&half));
    let c_half = run(bin, &write_dir(&half));
    let double = doubled(&corpus, &root.join("double"));
    let b_double = run(bin, &check_dir(&double));
    let c_double = run(bin, &write_dir(&double));

    let per_s = |d: Duration| files.len() as f64 / d.as_secs_f64();
    println!();
    println!("| measurement | seconds | workbooks/s | ratio |");
    println!("|---|---|---|---|");
    println!(
        "| (a) floor: calamine read every cell | {:.3} | {:.0} | 1.00 |",
        read.as_secs_f64(),
        per_s(read)
    );
    println!(
        "| (b) selfeval check --no-write | {:.3} | {:.0} | {:.2} × (a) |",
        b.0.as_secs_f64(),
        per_s(b.0),
        b_ratio
    );
    for (matching, base, with, ratio) in &ledgers {
        println!(
            "| (e) --no-write --ledger (20,000 rows, {}) | {:.3} | {:.0} | {:.2} × (b) run beside it ({:.3} s), {:+.3} s |",
            if *matching {
                "every project in it"
            } else {
                "no project in it"
            },
            with.as_secs_f64(),
            per_s(*with),
            ratio,
            base.as_secs_f64(),
            with.as_secs_f64() - base.as_secs_f64()
        );
    }
    println!(
        "| (a′) floor: read + rust_xlsxwriter write back | {:.3} | {:.0} | 1.00 |",
        read_write.as_secs_f64(),
        per_s(read_write)
    );
    println!(
        "| (c) selfeval check --out-dir --summary | {:.3} | {:.0} | {:.2} × (a′) |",
        c.0.as_secs_f64(),
        per_s(c.0),
        c_ratio
    );
    println!();
    println!(
        "| (d) peak memory | {} workbooks | {} workbooks | {} workbooks |",
        list(&half).len(),
        files.len(),
        list(&double).len()
    );
    println!("|---|---|---|---|");
    println!(
        "| (b) --no-write | {:.1} MB | {:.1} MB | {:.1} MB |",
        b_half.1, b.1, b_double.1
    );
    println!(
        "| (c) --out-dir --summary | {:.1} MB | {:.1} MB | {:.1} MB |",
        c_half.1, c.1, c_double.1
    );

    let write_corpus = || run(bin, &write_dir(&corpus)).0;
    match openpyxl_paired(&corpus, || outs.fresh(), write_corpus) {
        Some(p) => {
            println!();
            println!(
                "openpyxl load + read every cell + save, {} runs of {} workbooks: median {:.2} s = {:.1} workbooks/s (range {:.1}–{:.1}); \
                 each run paired with a run of (c) just after it: (c) = {:.0} × openpyxl, median of the pairs' ratios (range {:.0}–{:.0}); \
                 the floor (a′) = {:.0} × openpyxl's median",
                RUNS_OPENPYXL,
                p.count,
                p.theirs[RUNS_OPENPYXL / 2],
                p.count as f64 / p.theirs[RUNS_OPENPYXL / 2],
                p.count as f64 / p.theirs[RUNS_OPENPYXL - 1],
                p.count as f64 / p.theirs[0],
                p.ratios[RUNS_OPENPYXL / 2],
                p.ratios[0],
                p.ratios[RUNS_OPENPYXL - 1],
                per_s(read_write) / (p.count as f64 / p.theirs[RUNS_OPENPYXL / 2]),
            );
        }
        None => println!(
            "\nopenpyxl: SKIPPED (python3 -c 'import openpyxl' failed; pip install openpyxl)"
        ),
    }
    let _ = std::fs::remove_dir_all(&double);
}

/// Where every run writes: a folder of its own per run, all removed at the end.
///
/// On a memory file system (`/dev/shm`) when there is one, or in `SELFEVAL_BENCH_OUT`: on
/// this machine's ext4, creating files became slower by seconds per 2,000 for minutes after
/// thousands had been deleted (the inode allocator passes over recently freed inodes, two
/// threads contending for its lock), so figures taken on disk measured the file system's
/// history rather than the tools. Every tool here writes to the same place.
struct Outputs {
    root: PathBuf,
    runs: std::cell::Cell<usize>,
}

impl Outputs {
    fn new(bench: &Path) -> Outputs {
        let base = match std::env::var_os("SELFEVAL_BENCH_OUT") {
            Some(dir) => PathBuf::from(dir),
            None if Path::new("/dev/shm").is_dir() => PathBuf::from("/dev/shm"),
            None => bench.to_path_buf(),
        };
        let root = base.join(format!("selfeval-bench-out-{}", std::process::id()));
        std::fs::create_dir_all(&root).expect("output folder");
        Outputs {
            root,
            runs: std::cell::Cell::new(0),
        }
    }

    fn fresh(&self) -> PathBuf {
        let n = self.runs.get() + 1;
        self.runs.set(n);
        let dir = self.root.join(format!("run-{n}"));
        std::fs::create_dir_all(&dir).expect("output folder");
        dir
    }
}

/// Removed however the bench ends: on a memory file system they hold memory.
impl Drop for Outputs {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.root);
    }
}

/// Writes `n` workbooks into `dir` and the first half of them into `half` as well.
fn generate(dir: &Path, half: &Path, n: usize) {
    if list(dir).len() == n {
        return;
    }
    for d in [dir, half] {
        let _ = std::fs::remove_dir_all(d);
        std::fs::create_dir_all(d).expect("corpus folder");
    }
    (0..n).into_par_iter().for_each(|i| {
        let mut rng = form::Rng::new(0x5e1f_e7a1 + i as u64);
        let mut c = form::content(&mut rng);
        if rng.chance(0.5) {
            form::inject(&mut rng, &mut c);
        }
        let mut sheets = Vec::new();
        if rng.chance(0.4) {
            sheets.push(lay::not_a_form(0));
        }
        sheets.push(lay::lay(&mut rng, &c, "自评表").0);
        let name = format!("{:02}/form-{i:05}.xlsx", i % 20);
        let path = dir.join(&name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("subfolder");
        lay::save(&sheets, &path);
        if i < n / 2 {
            let copy = half.join(&name);
            std::fs::create_dir_all(copy.parent().expect("parent")).expect("subfolder");
            std::fs::copy(&path, copy).expect("copy");
        }
    });
}

/// The corpus twice over, as two folders of hard links to its files: a run over it checks
/// every workbook twice, under other names, and shows whether memory grows.
fn doubled(corpus: &Path, dir: &Path) -> PathBuf {
    let _ = std::fs::remove_dir_all(dir);
    for copy in ["a", "b"] {
        for f in list(corpus) {
            let to = dir
                .join(copy)
                .join(f.strip_prefix(corpus).expect("in the corpus"));
            std::fs::create_dir_all(to.parent().expect("parent")).expect("folder");
            std::fs::hard_link(&f, &to)
                .or_else(|_| std::fs::copy(&f, &to).map(|_| ()))
                .expect("link");
        }
    }
    dir.to_path_buf()
}

fn list(dir: &Path) -> Vec<PathBuf> {
    fn walk(d: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(d).into_iter().flatten().flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "xlsx") {
                out.push(p);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, &mut out);
    out.sort();
    out
}

/// Opens every workbook with calamine and reads every cell of every sheet, on every core;
/// with `out`, writes each back with rust_xlsxwriter.
fn floor(files: &[PathBuf], out: Option<&Path>) -> usize {
    files
        .par_iter()
        .enumerate()
        .map(|(i, p)| {
            let bytes = std::fs::read(p).expect("read");
            let mut wb = open_workbook_auto_from_rs(std::io::Cursor::new(bytes)).expect("open");
            let mut book = rust_xlsxwriter::Workbook::new();
            let mut cells = 0;
            for name in wb.sheet_names() {
                let range = wb.worksheet_range(&name).expect("sheet");
                let ws = book.add_worksheet();
                for (r, c, v) in range.used_cells() {
                    cells += 1;
                    if out.is_some() {
                        let (r, c) = (r as u32, c as u16);
                        let written = match v {
                            Data::Float(f) => ws.write_number(r, c, *f).map(|_| ()),
                            Data::Int(x) => ws.write_number(r, c, *x as f64).map(|_| ()),
                            other => ws.write_string(r, c, other.to_string()).map(|_| ()),
                        };
                        written.expect("write");
                    }
                }
            }
            if let Some(o) = out {
                book.save(o.join(format!("{i:05}.xlsx"))).expect("save");
            }
            cells
        })
        .sum()
}

/// A ledger CSV of `rows` projects in 元: the corpus's own projects first when `matching`
/// (the generator's four projects of its four departments), then names drawn from a fixed
/// set of characters, seeded, so that every run measures the same ledger.
fn write_ledger(path: &Path, rows: usize, matching: bool) {
    const PROJECTS: [&str; 4] = [
        "中小企业融资服务经费",
        "农村饮水安全巩固提升项目",
        "城乡环境卫生整治专项资金",
        "高标准农田建设项目",
    ];
    const DEPARTMENTS: [&str; 4] = [
        "某州财政局",
        "某县农业农村局",
        "某州卫生健康局",
        "某县教育局",
    ];
    const CHARS: &str =
        "安保城村道防汇农业水务教医卫环路桥渠林草科技文体旅残联妇幼养老就业创新数字乡振兴";
    let chars: Vec<char> = CHARS.chars().collect();
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let mut text = String::from("单位：元\n项目编码,单位名称,项目名称,调整后预算数,支出数\n");
    let mut k = 0;
    if matching {
        for d in DEPARTMENTS {
            for p in PROJECTS {
                k += 1;
                text.push_str(&format!("P{k:05},{d},{p},1200000,1134000\n"));
            }
        }
    }
    while k < rows {
        k += 1;
        let name: String = (0..6 + next(9)).map(|_| chars[next(chars.len())]).collect();
        let dept = DEPARTMENTS[next(4)];
        text.push_str(&format!(
            "P{k:05},{dept}{},{name}项目,{},{}\n",
            next(50),
            (1 + next(900)) * 10_000,
            (1 + next(900)) * 10_000
        ));
    }
    std::fs::write(path, text).expect("ledger");
}

fn timed<T>(f: impl FnOnce() -> T) -> Duration {
    let t = Instant::now();
    std::hint::black_box(f());
    t.elapsed()
}

/// Runs the binary; returns wall time and its peak resident memory in MB.
fn run(bin: &str, args: &[String]) -> (Duration, f64) {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let run = measure::measured(bin, &args);
    assert!(
        run.code.is_some_and(|c| c <= 2),
        "selfeval failed: {:?}",
        run.code
    );
    (run.elapsed, run.peak_mb)
}

/// `RUNS` pairs of (floor, selfeval) run back to back: the median floor time, the median
/// selfeval time with its peak memory, and the median of the pairs' ratios.
fn paired(
    mut floor: impl FnMut() -> Duration,
    mut ours: impl FnMut() -> (Duration, f64),
) -> (Duration, (Duration, f64), f64) {
    let pairs: Vec<(Duration, (Duration, f64))> = (0..RUNS).map(|_| (floor(), ours())).collect();
    let mid = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    let floor_s = mid(pairs.iter().map(|p| p.0.as_secs_f64()).collect());
    let ours_s = mid(pairs.iter().map(|p| p.1.0.as_secs_f64()).collect());
    let peak = pairs.iter().map(|p| p.1.1).fold(0.0, f64::max);
    let ratio = mid(pairs
        .iter()
        .map(|p| p.1.0.as_secs_f64() / p.0.as_secs_f64())
        .collect());
    (
        Duration::from_secs_f64(floor_s),
        (Duration::from_secs_f64(ours_s), peak),
        ratio,
    )
}

/// The openpyxl script's runs, each followed by a run of (c) over the whole corpus.
struct Paired {
    count: usize,
    /// Seconds per openpyxl run, sorted.
    theirs: Vec<f64>,
    /// (c)'s throughput over openpyxl's, per pair, sorted.
    ratios: Vec<f64>,
}

/// openpyxl swings between 30 and 60 workbooks/s on a shared machine; a ratio taken between
/// runs minutes apart measures the machine's spells as much as the tools. Each openpyxl run
/// is paired with a run of (c) just after it, as each floor run is with its selfeval run.
fn openpyxl_paired(
    corpus: &Path,
    mut out: impl FnMut() -> PathBuf,
    mut ours: impl FnMut() -> Duration,
) -> Option<Paired> {
    let files = list(corpus).len() as f64;
    let mut count = 0;
    let (mut theirs, mut ratios) = (Vec::new(), Vec::new());
    for _ in 0..RUNS_OPENPYXL {
        let (n, secs) = openpyxl_once(corpus, &out())?;
        let c = ours();
        count = n;
        theirs.push(secs);
        ratios.push((files / c.as_secs_f64()) / (n as f64 / secs));
    }
    theirs.sort_by(f64::total_cmp);
    ratios.sort_by(f64::total_cmp);
    Some(Paired {
        count,
        theirs,
        ratios,
    })
}

fn openpyxl_once(corpus: &Path, out: &Path) -> Option<(usize, f64)> {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/openpyxl_floor.py");
    let o = Command::new("python3")
        .args([
            script,
            &corpus.display().to_string(),
            &OPENPYXL_SUBSET.to_string(),
            &out.display().to_string(),
        ])
        .output()
        .ok()?;
    if !o.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&o.stdout);
    let mut parts = text.split_whitespace();
    let count = parts.next()?.parse().ok()?;
    let secs = parts.nth(1)?.parse().ok()?;
    Some((count, secs))
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into())
}

/// N copies of the `.xls` sample (300 unless told), in `target/tmp/bench-xls`, at one thread
/// and at two. Each round runs, back to back: the floor (calamine reading every cell
/// in-process, on a pool of as many threads); the library's whole check of every file
/// (`check_upload`, no copy written) in-process without a sandbox, and again through a
/// `Sandbox` of this build's binary (one pool of children for the round); `selfeval check DIR
/// --no-write -j J`; and, when `SELFEVAL_COMPARE` names another `selfeval` binary (an older
/// build), the same run of that one. Each figure is the median over the rounds, each ratio
/// the median of the rounds' ratios.
fn xls_folder(n: usize) {
    use selfeval::check::check_upload;
    use selfeval::reader::BookFormat;
    use selfeval::sandbox::Sandbox;
    use selfeval::scorer::Rules;
    use selfeval::template::{Layout, Profile};

    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-xls");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("bench dir");
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/qiannan-finance-2023.xls");
    let files: Vec<PathBuf> = (0..n).map(|i| dir.join(format!("{i:04}.xls"))).collect();
    for f in &files {
        std::fs::copy(&sample, f).expect("copy");
    }
    let bin = env!("CARGO_BIN_EXE_selfeval");
    let other = std::env::var("SELFEVAL_COMPARE").ok();
    println!(
        "{} copies of {} in {}; machine: {} cores; {}",
        files.len(),
        sample.display(),
        dir.display(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        cpu_model()
    );
    floor(&files, None);
    let profile = Profile::national();
    let check_all = |sandbox: Option<&Sandbox>| {
        files
            .par_iter()
            .map(|p| {
                let bytes = std::fs::read(p).expect("read");
                let rules = Rules {
                    profile: &profile,
                    layout: Layout::bundled(),
                };
                let (outcome, _) = check_upload("", &bytes, rules, false, sandbox);
                assert!(outcome.result.is_ok(), "{:?}", outcome.result.err());
            })
            .count()
    };
    let vet_all = |vet: &(dyn Fn(&[u8]) -> bool + Sync)| {
        files
            .par_iter()
            .map(|p| assert!(vet(&std::fs::read(p).expect("read")), "vetted"))
            .count()
    };
    let mid = |mut v: Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v[v.len() / 2]
    };
    println!();
    println!("| threads | measurement | median s | ms per file | × floor |");
    println!("|---|---|---|---|---|");
    for jobs in [1, 2] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(jobs)
            .build()
            .expect("thread pool");
        let args: Vec<String> = [
            "check",
            &dir.display().to_string(),
            "--no-write",
            "-q",
            "-j",
        ]
        .iter()
        .map(|a| a.to_string())
        .chain([jobs.to_string()])
        .collect();
        let rounds: Vec<Vec<f64>> = (0..RUNS_XLS)
            .map(|_| {
                let mut round = vec![
                    pool.install(|| timed(|| floor(&files, None))),
                    pool.install(|| timed(|| check_all(None))),
                    pool.install(|| {
                        let sandbox = Sandbox::new(bin);
                        timed(|| check_all(Some(&sandbox)))
                    }),
                    run(bin, &args).0,
                    pool.install(|| {
                        let sandbox = Sandbox::new(bin);
                        timed(|| vet_all(&|bytes| sandbox.vet(bytes, BookFormat::Xls).is_ok()))
                    }),
                ];
                if let Some(other) = other.as_deref() {
                    round.push(run(other, &args).0);
                    round.push(pool.install(|| timed(|| vet_all(&|b| probe_once(other, b)))));
                }
                round.iter().map(Duration::as_secs_f64).collect()
            })
            .collect();
        let names = [
            "floor: calamine reads every cell",
            "check_upload in-process, no sandbox",
            "check_upload, sandbox (pool of children)",
            "selfeval check --no-write",
            "Sandbox::vet of every file alone (pool)",
            "SELFEVAL_COMPARE check --no-write",
            "a child per file (SELFEVAL_COMPARE read-probe) alone",
        ];
        for (k, name) in names.iter().enumerate().take(rounds[0].len()) {
            let secs = mid(rounds.iter().map(|r| r[k]).collect());
            println!(
                "| {jobs} | {name} | {secs:.3} | {:.2} | {:.2} |",
                secs * 1e3 / files.len() as f64,
                mid(rounds.iter().map(|r| r[k] / r[0]).collect()),
            );
        }
        if rounds[0].len() > 5 {
            println!(
                "| {jobs} | SELFEVAL_COMPARE check ÷ selfeval check | | | {:.2} |",
                mid(rounds.iter().map(|r| r[5] / r[3]).collect())
            );
            println!(
                "| {jobs} | a child per file ÷ Sandbox::vet | | | {:.2} |",
                mid(rounds.iter().map(|r| r[6] / r[4]).collect())
            );
        }
    }
}

/// One file through a child of its own, as `Sandbox::vet` did before its children were kept
/// (the older `read-probe` reads one workbook from stdin to its end and exits; no memory cap).
fn probe_once(bin: &str, bytes: &[u8]) -> bool {
    use std::io::Write;
    let mut child = Command::new(bin)
        .arg("read-probe")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start the child");
    let written = child.stdin.take().expect("stdin").write_all(bytes).is_ok();
    written && child.wait().expect("wait").success()
}
