//! What a run will do, decided before any file is read: the workbooks under each input
//! folder, in order, and the name of every corrected copy.

use std::collections::{BTreeSet, HashSet};
use std::path::{Component, Path, PathBuf};

use anyhow::{Context, Result, bail};

use super::CheckArgs;
use crate::writer::{TakenNames, free_copy_name};

/// One entry of the run, in report order.
pub(super) enum Input {
    /// A workbook to check.
    Book(Book),
    /// A folder under an input folder that could not be listed. It is reported as its own
    /// entry with `reason`, like an unreadable file, and the run goes on.
    Unreadable { path: PathBuf, reason: String },
}

/// A workbook and where its corrected copy goes.
pub(super) struct Book {
    pub(super) path: PathBuf,
    pub(super) output: PathBuf,
    /// Where the copy goes instead when an `.xlsm` turns out to hold a legacy workbook, which
    /// is rebuilt as `.xlsx` and cannot keep the `.xlsm` name.
    pub(super) rebuilt_output: PathBuf,
}

/// Everything the run will do, decided before any file is read.
pub(super) struct Plan {
    pub(super) inputs: Vec<Input>,
    /// Every input, to refuse writing over one.
    pub(super) is_input: Inputs,
}

/// The real paths of every input.
#[derive(Default)]
pub(super) struct Inputs {
    /// Hashed, not ordered: comparing paths component by component made building the set a
    /// third of the plan's time, all of it spent before the first file is read.
    paths: HashSet<PathBuf>,
}

impl Inputs {
    /// Adds a real path; false when it was there already.
    fn insert(&mut self, real: PathBuf) -> bool {
        self.paths.insert(real)
    }

    fn contains(&self, real: &Path) -> bool {
        self.paths.contains(real)
    }

    /// Whether writing `target` would replace an input. A copy that does not exist yet
    /// replaces nothing, so a first run resolves no copy's path.
    pub(super) fn holds(&self, target: &Path) -> bool {
        std::fs::symlink_metadata(target).is_ok()
            && target
                .canonicalize()
                .is_ok_and(|real| self.paths.contains(&real))
    }
}

const EXTENSIONS: [&str; 4] = ["xlsx", "xlsm", "xls", "ods"];

/// What a folder walk found.
enum Found {
    /// `real` when a folder listing said it is no link: its folder's real path and its name
    /// as stored. Otherwise it is resolved whole.
    Workbook {
        path: PathBuf,
        real: Option<PathBuf>,
    },
    /// A folder that could not be listed, and why.
    Unlistable { path: PathBuf, reason: String },
}

impl Found {
    fn path(&self) -> &Path {
        match self {
            Found::Workbook { path: p, .. } | Found::Unlistable { path: p, .. } => p,
        }
    }
}

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
pub(super) fn plan(args: &CheckArgs) -> Result<Plan> {
    let outputs = Outputs::of(args);
    // (entry, the input folder it was found under)
    let mut found: Vec<(Found, Option<&Path>)> = Vec::new();
    for p in &args.paths {
        let meta = match std::fs::metadata(p) {
            Ok(m) => m,
            // A name without a workbook's extension was meant as a folder.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !is_workbook_name(p) => {
                bail!("找不到文件夹 {} (no such folder)", p.display())
            }
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
            let named = Found::Workbook {
                path: p.clone(),
                real: None,
            };
            found.push((named, None));
        }
    }
    // A workbook reached twice (a link to a file beside it, a folder given twice) is
    // checked once, under the first name it was found by. The real paths also tell an
    // output that would overwrite an input (an unlistable folder among them, which no
    // output can be).
    let mut is_input = Inputs::default();
    found.retain(|(f, _)| {
        let real = match f {
            Found::Workbook {
                real: Some(real), ..
            } => real.clone(),
            _ => {
                let p = f.path();
                p.canonicalize().unwrap_or_else(|_| p.to_path_buf())
            }
        };
        is_input.insert(real)
    });
    // An unreadable folder counts as an entry: a folder holding nothing else is reported.
    if found.is_empty() {
        bail!("没有找到 .xlsx/.xlsm/.xls/.ods 工作簿 (no workbooks found)");
    }
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
    let mut taken = TakenNames::default();
    let mut own: Vec<Option<PathBuf>> = found
        .iter()
        .map(|(f, root)| match f {
            Found::Workbook { path, .. } if keeps_extension(path) => {
                Some(output_path(path, *root, out_dir, false, &mut taken))
            }
            _ => None,
        })
        .collect();
    let inputs = found
        .into_iter()
        .zip(own.iter_mut())
        .map(|((f, root), own)| match f {
            Found::Unlistable { path, reason } => Input::Unreadable { path, reason },
            Found::Workbook { path, .. } => {
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
    let real = root.canonicalize().with_context(cannot)?;
    let mut seen = BTreeSet::from([real.clone()]);
    let entries = list(root).with_context(cannot)?;
    let mut found = Vec::new();
    visit(entries, &real, &mut found, &mut seen, outputs);
    found.sort_by(|a, b| a.path().cmp(b.path()));
    Ok(found)
}

/// A folder's entry and what the listing says it is (no further call for a plain file or
/// folder; a link is followed).
struct Entry {
    path: PathBuf,
    kind: Option<std::fs::FileType>,
}

impl Entry {
    fn is_dir(&self) -> bool {
        match self.kind {
            Some(kind) if !kind.is_symlink() => kind.is_dir(),
            _ => self.path.is_dir(),
        }
    }

    fn is_plain_file(&self) -> bool {
        self.kind.is_some_and(|k| k.is_file())
    }
}

/// A folder's entries, sorted, so that which of two paths to one folder is followed never
/// depends on the order the file system lists them in.
fn list(dir: &Path) -> std::io::Result<Vec<Entry>> {
    let mut entries = std::fs::read_dir(dir)?
        .map(|e| {
            e.map(|e| Entry {
                path: e.path(),
                kind: e.file_type().ok(),
            })
        })
        .collect::<std::io::Result<Vec<_>>>()?;
    entries.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(entries)
}

/// `real_dir` is the real path of the folder the entries were listed from.
fn visit(
    entries: Vec<Entry>,
    real_dir: &Path,
    found: &mut Vec<Found>,
    seen: &mut BTreeSet<PathBuf>,
    outputs: &Outputs,
) {
    let unreadable = |path: PathBuf, e: std::io::Error| Found::Unlistable {
        path,
        reason: format!("无法读取文件夹 (cannot read folder): {e}"),
    };
    for entry in entries {
        let is_dir = entry.is_dir();
        let plain = entry.is_plain_file();
        let path = entry.path;
        if is_dir {
            let real = match path.canonicalize() {
                Ok(r) => r,
                Err(e) => {
                    found.push(unreadable(path, e));
                    continue;
                }
            };
            // A symbolic link back up the tree must not loop forever, and this run's output
            // folder is not an input.
            if outputs.dir.as_ref() == Some(&real) || !seen.insert(real.clone()) {
                continue;
            }
            match list(&path) {
                Ok(inner) => visit(inner, &real, found, seen, outputs),
                Err(e) => found.push(unreadable(path, e)),
            }
        } else if is_workbook_name(&path) && !outputs.is_summary(&path) {
            let real = path
                .file_name()
                .filter(|_| plain)
                .map(|name| real_dir.join(name));
            found.push(Found::Workbook { path, real });
        }
    }
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
    taken: &mut TakenNames,
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
    free_copy_name(&dir, stem, &extension(file), rebuilt, taken)
}

pub(super) fn parent_dir(p: &Path) -> PathBuf {
    p.parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| PathBuf::from("."), Path::to_path_buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outputs_mirror_the_folder_and_never_collide() {
        let mut taken = TakenNames::default();
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
        let mut taken = TakenNames::default();
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
