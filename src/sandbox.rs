//! A damaged `.xls` or `.ods` can make calamine abort the whole process (an allocation sized
//! from a corrupted length field) or run away, and no `catch_unwind` stops either. So such a
//! file is first read by a child copy of this program, capped in memory and time; only a
//! file the child reads to the end is read again in-process. `.xlsx` goes straight through:
//! intake and the reader's own limits bound it, and the mutation test holds it to that.
//!
//! A child is not started per file: starting one costs many times what reading a form does.
//! Each child reads file after file, one request at a time, over its stdin and stdout (see
//! [`probe_stdin`] for the exchange), and waits between files in the [`Sandbox`]'s pool; as
//! many children are kept as files were ever read at once (one per worker thread of a folder
//! run). A child that dies or runs out of time on a file is ended and replaced by a new one
//! for the next file, and the file gets the reason. So that one file cannot leave a child in
//! a state that costs the next file its result (memory kept from an earlier read counts
//! against the child's cap), a reused child that dies is not taken at its word: the file is
//! read again by a new child, and only a file that ends a new child too gets the reason.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::PathBuf;
use std::process::{Child, ChildStdin, ChildStdout, Command, ExitCode, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use crate::reader::{BookFormat, ReadError};

/// The hidden subcommand a child runs; see [`probe_stdin`].
pub const PROBE_COMMAND: &str = "read-probe";

/// The child's answer when the reader came back from a file (with a workbook or with an
/// ordinary error, which the parent finds again in-process).
const ANSWER_READ: &str = "ok";

/// A request's header line is no longer than this: `ods 104857600\n` is 14 bytes.
const HEADER_BYTES: u64 = 64;

/// How legacy workbooks are vetted: by long-lived children running `exe read-probe`.
/// Clones share their children.
#[derive(Debug, Clone)]
pub struct Sandbox {
    exe: PathBuf,
    timeout: Duration,
    /// Children waiting for their next file.
    idle: Arc<Mutex<Vec<Reader>>>,
}

impl Sandbox {
    /// `exe` must be a `selfeval` binary (it answers [`PROBE_COMMAND`]). No child is started
    /// before the first legacy workbook.
    pub fn new(exe: impl Into<PathBuf>) -> Self {
        Sandbox {
            exe: exe.into(),
            timeout: Duration::from_secs(crate::limits::CHILD_SECONDS),
            idle: Arc::default(),
        }
    }

    /// Another time limit per file than [`crate::limits::CHILD_SECONDS`].
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
        let Some(tag) = format_tag(format) else {
            return Ok(());
        };
        let waiting = self.idle().pop();
        let reused = waiting.is_some();
        let reader = match waiting {
            Some(r) => r,
            None => self.start()?,
        };
        match self.read_in(reader, tag, bytes) {
            // The child may have died of what came before this file: a new one decides.
            Err(ReadError::ReaderAborted) if reused => self.read_in(self.start()?, tag, bytes),
            vetted => vetted,
        }
    }

    /// One file through `reader`, which goes back to the pool only when it read the file.
    fn read_in(
        &self,
        mut reader: Reader,
        tag: &'static str,
        bytes: &[u8],
    ) -> Result<(), ReadError> {
        let vetted = reader.read(tag, bytes, self.timeout);
        if vetted.is_ok() {
            self.idle().push(reader);
        }
        vetted
    }

    fn idle(&self) -> std::sync::MutexGuard<'_, Vec<Reader>> {
        // A list of children stays whole whatever panicked while it was held.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn start(&self) -> Result<Reader, ReadError> {
        let mut command = Command::new(&self.exe);
        command
            .arg(PROBE_COMMAND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        cap_address_space(&mut command, crate::limits::CHILD_MEMORY_BYTES);
        let child = command.spawn().map_err(sandbox_error)?;
        Reader::attach(child)
    }
}

/// A request's format word; `None` for a format read in-process without a child.
fn format_tag(format: BookFormat) -> Option<&'static str> {
    match format {
        BookFormat::Xls => Some("xls"),
        BookFormat::Ods => Some("ods"),
        BookFormat::Xlsx => None,
    }
}

fn sandbox_error(e: std::io::Error) -> ReadError {
    ReadError::Sandbox(e.to_string())
}

/// One running child. Its pipes are served by two threads of their own, so that a child
/// that stops reading its input or stops answering holds up no one past the time limit:
/// the caller only waits on a channel, and ending the child ends both threads.
#[derive(Debug)]
struct Reader {
    child: Child,
    /// To the thread writing the child's stdin: a format word and the file's bytes.
    requests: Option<Sender<(&'static str, Vec<u8>)>>,
    /// From the thread reading the child's stdout: one line per file read.
    answers: Receiver<String>,
}

impl Reader {
    fn attach(mut child: Child) -> Result<Reader, ReadError> {
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(ReadError::Sandbox("子进程缺少管道 (no pipes)".into()));
        };
        let (requests, to_write) = mpsc::channel();
        let (answered, answers) = mpsc::channel();
        let threads = spawn_named("selfeval-sandbox-in", move || {
            write_requests(stdin, to_write)
        })
        .and_then(|_| {
            spawn_named("selfeval-sandbox-out", move || {
                read_answers(stdout, answered)
            })
        });
        let reader = Reader {
            child,
            requests: Some(requests),
            answers,
        };
        // On an error, dropping the reader ends the child, and with it the thread started.
        threads.map(|_| reader).map_err(sandbox_error)
    }

    fn read(
        &mut self,
        tag: &'static str,
        bytes: &[u8],
        timeout: Duration,
    ) -> Result<(), ReadError> {
        let sent = self
            .requests
            .as_ref()
            .is_some_and(|r| r.send((tag, bytes.to_vec())).is_ok());
        if !sent {
            // The writing thread is gone: the child stopped taking its input.
            return Err(ReadError::ReaderAborted);
        }
        match self.answers.recv_timeout(timeout) {
            Ok(answer) if answer == ANSWER_READ => Ok(()),
            // Anything else, or no answer before the child closed its output, means the
            // read did not come back.
            Ok(_) | Err(RecvTimeoutError::Disconnected) => Err(ReadError::ReaderAborted),
            Err(RecvTimeoutError::Timeout) => Err(ReadError::ReadTimeout {
                secs: timeout.as_secs(),
            }),
        }
    }
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.requests = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn_named(name: &str, f: impl FnOnce() + Send + 'static) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(name.into())
        .stack_size(64 * 1024)
        .spawn(f)
        .map(drop)
}

fn write_requests(mut stdin: ChildStdin, requests: Receiver<(&'static str, Vec<u8>)>) {
    for (tag, bytes) in requests {
        let header = format!("{tag} {}\n", bytes.len());
        let written = stdin
            .write_all(header.as_bytes())
            .and_then(|()| stdin.write_all(&bytes))
            .and_then(|()| stdin.flush());
        if written.is_err() {
            // The child has died; its reader finds out from the closed output.
            return;
        }
    }
}

fn read_answers(stdout: ChildStdout, answers: Sender<String>) {
    for line in BufReader::new(stdout).lines() {
        let Ok(line) = line else { return };
        if answers.send(line).is_err() {
            return;
        }
    }
}

/// The child's side of [`Sandbox::vet`]. Each request on stdin is a header line, the format
/// word and the file's length in bytes (`xls 13824`), then the file's bytes; once the reader
/// comes back from the file, the child answers with the line `ok` and waits for the next.
/// The end of stdin ends the child. A child that dies or stops instead of answering gives
/// the file its reason in the parent.
pub fn probe_stdin() -> ExitCode {
    let mut input = std::io::stdin().lock();
    let mut output = std::io::stdout().lock();
    let mut header = String::new();
    loop {
        header.clear();
        match input.by_ref().take(HEADER_BYTES).read_line(&mut header) {
            Ok(0) => return ExitCode::SUCCESS,
            Ok(_) => {}
            Err(_) => return ExitCode::from(3),
        }
        let Some((format, len)) = parse_header(&header) else {
            return ExitCode::from(3);
        };
        let mut bytes = Vec::new();
        match input.by_ref().take(len).read_to_end(&mut bytes) {
            Ok(n) if n as u64 == len => {}
            _ => return ExitCode::from(3),
        }
        // An ordinary read error is found again in-process; only coming back matters here.
        let _ = crate::reader::read_admitted(&bytes, format);
        drop(bytes);
        if writeln!(output, "{ANSWER_READ}")
            .and_then(|()| output.flush())
            .is_err()
        {
            return ExitCode::from(3);
        }
    }
}

fn parse_header(line: &str) -> Option<(BookFormat, u64)> {
    let (tag, len) = line.strip_suffix('\n')?.split_once(' ')?;
    let format = [BookFormat::Xls, BookFormat::Ods]
        .into_iter()
        .find(|f| format_tag(*f) == Some(tag))?;
    Some((format, len.parse().ok()?))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_names_a_legacy_format_and_a_length() {
        assert_eq!(parse_header("xls 13824\n"), Some((BookFormat::Xls, 13824)));
        assert_eq!(parse_header("ods 0\n"), Some((BookFormat::Ods, 0)));
        for bad in [
            "xlsx 10\n",
            "xls 10",
            "xls -1\n",
            "xls\n",
            "xls 1 2\n",
            "\n",
        ] {
            assert_eq!(parse_header(bad), None, "{bad:?}");
        }
    }
}
