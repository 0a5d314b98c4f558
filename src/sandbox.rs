//! A damaged `.xls` or `.ods` can make calamine abort the whole process (an allocation sized
//! from a corrupted length field) or run away, and no `catch_unwind` stops either. So such a
//! file is first read by a child copy of this program, capped in memory and time; only a
//! file the child reads to the end is read again in-process. `.xlsx` goes straight through:
//! intake and the reader's own limits bound it, and the mutation test holds it to that.

use std::io::{Read, Write};
use std::path::PathBuf;
use std::process::{Command, ExitCode, Stdio};
use std::time::Duration;

use wait_timeout::ChildExt;

use crate::reader::{BookFormat, ReadError};

pub mod limits {
    /// Time the child has to read one legacy workbook; a real form takes milliseconds.
    pub const CHILD_SECONDS: u64 = 10;
    /// Address space the child may map. A real form needs a few MB.
    pub const CHILD_MEMORY_BYTES: u64 = 256 * 1024 * 1024;
}

/// The hidden subcommand a child runs: workbook bytes on stdin, exit status 0 when the
/// reader came back (with a workbook or with an ordinary error).
pub const PROBE_COMMAND: &str = "read-probe";

/// How legacy workbooks are vetted: by a child running `exe read-probe`.
#[derive(Debug, Clone)]
pub struct Sandbox {
    exe: PathBuf,
    timeout: Duration,
}

impl Sandbox {
    /// `exe` must be a `selfeval` binary (it answers [`PROBE_COMMAND`]).
    pub fn new(exe: impl Into<PathBuf>) -> Self {
        Sandbox {
            exe: exe.into(),
            timeout: Duration::from_secs(limits::CHILD_SECONDS),
        }
    }

    /// Another time limit than [`limits::CHILD_SECONDS`].
    pub fn with_timeout(self, timeout: Duration) -> Self {
        Sandbox { timeout, ..self }
    }

    /// The running program, when it is the `selfeval` binary.
    pub fn this_program() -> Option<Self> {
        std::env::current_exe().ok().map(Self::new)
    }

    /// `Ok` when `bytes`, admitted by intake as `format`, are safe to read in-process: not a
    /// legacy workbook, or one a child read to the end.
    pub fn vet(&self, bytes: &[u8], format: BookFormat) -> Result<(), ReadError> {
        if !matches!(format, BookFormat::Xls | BookFormat::Ods) {
            return Ok(());
        }
        let mut command = Command::new(&self.exe);
        command
            .arg(PROBE_COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        cap_address_space(&mut command, limits::CHILD_MEMORY_BYTES);
        let mut child = command
            .spawn()
            .map_err(|e| ReadError::Sandbox(e.to_string()))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A child that dies early closes the pipe; its exit status tells why.
            let _ = stdin.write_all(bytes);
        }
        let waited = child.wait_timeout(self.timeout);
        match waited {
            Ok(Some(status)) if status.success() => Ok(()),
            Ok(Some(_)) => Err(ReadError::ReaderAborted),
            Ok(None) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(ReadError::ReadTimeout {
                    secs: self.timeout.as_secs(),
                })
            }
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                Err(ReadError::Sandbox(e.to_string()))
            }
        }
    }
}

/// The child's side of [`Sandbox::vet`].
pub fn probe_stdin() -> ExitCode {
    let mut bytes = Vec::new();
    if std::io::stdin().read_to_end(&mut bytes).is_err() {
        return ExitCode::from(3);
    }
    // An ordinary read error is found again in-process; only coming back matters here.
    let _ = crate::reader::read_book(&bytes);
    ExitCode::SUCCESS
}

/// The limit is set between fork and exec, so that it holds from the child's first
/// allocation: set later, the memory the allocator had already reserved would escape it.
#[cfg(unix)]
fn cap_address_space(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: setrlimit is async-signal-safe and only reads the struct, copied into the
    // closure; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(move || {
            libc::setrlimit(libc::RLIMIT_AS, &limit);
            Ok(())
        });
    }
}

#[cfg(not(unix))]
fn cap_address_space(_command: &mut Command, _bytes: u64) {}
