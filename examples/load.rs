//! The web page's load check (README, "Web page"): N concurrent clients post the sample
//! workbook to `POST /api/check` for a fixed time, on loopback only, and the run reports
//! requests per second, latency percentiles and the server's peak memory.
//!
//! ```sh
//! cargo build --release
//! cargo run --release --example load -- --spawn target/release/selfeval --clients 8 --seconds 20
//! cargo run --release --example load -- --url http://127.0.0.1:8080 --pid 12345   # a running server
//! ```
//!
//! With `--spawn` the example starts `selfeval serve` on a free loopback port itself, reads the
//! server's peak resident memory (VmHWM in /proc/PID/status) at the end and stops it with
//! SIGINT, as Ctrl-C would. Extra flags after `--` go to `selfeval serve`
//! (`-- --max-queued 64`). Everything is bounded: at most 256 clients, 300 seconds and
//! 1,000,000 requests, and the target must be a loopback address.

use std::io::BufRead;
use std::net::{IpAddr, ToSocketAddrs};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

const MAX_CLIENTS: usize = 256;
const MAX_SECONDS: u64 = 300;
const MAX_REQUESTS: u64 = 1_000_000;

struct Args {
    url: Option<String>,
    spawn: Option<String>,
    pid: Option<u32>,
    clients: usize,
    seconds: u64,
    file: String,
    server_args: Vec<String>,
}

fn usage(problem: &str) -> ! {
    eprintln!(
        "load: {problem}\nusage: load (--spawn SELFEVAL | --url http://127.0.0.1:PORT [--pid PID]) \
         [--clients N] [--seconds S] [--file WORKBOOK] [-- serve flags…]"
    );
    std::process::exit(2)
}

fn parse() -> Args {
    let mut args = Args {
        url: None,
        spawn: None,
        pid: None,
        clients: 8,
        seconds: 10,
        file: concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/qiannan-finance-2023.xlsx"
        )
        .into(),
        server_args: Vec::new(),
    };
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = || {
            it.next()
                .unwrap_or_else(|| usage(&format!("{a} needs a value")))
        };
        match a.as_str() {
            "--url" => args.url = Some(value()),
            "--spawn" => args.spawn = Some(value()),
            "--pid" => args.pid = Some(value().parse().unwrap_or_else(|_| usage("--pid"))),
            "--clients" => args.clients = value().parse().unwrap_or_else(|_| usage("--clients")),
            "--seconds" => args.seconds = value().parse().unwrap_or_else(|_| usage("--seconds")),
            "--file" => args.file = value(),
            "--" => {
                args.server_args = it.by_ref().collect();
                break;
            }
            other => usage(&format!("unknown argument {other}")),
        }
    }
    if args.url.is_some() == args.spawn.is_some() {
        usage("give exactly one of --url and --spawn");
    }
    if args.clients == 0 || args.clients > MAX_CLIENTS {
        usage(&format!("--clients must be 1..={MAX_CLIENTS}"));
    }
    if args.seconds == 0 || args.seconds > MAX_SECONDS {
        usage(&format!("--seconds must be 1..={MAX_SECONDS}"));
    }
    args
}

/// Refuses any target that is not this machine.
fn require_loopback(url: &str) {
    let rest = url
        .strip_prefix("http://")
        .unwrap_or_else(|| usage("the URL must start with http://"));
    let authority = rest.split('/').next().unwrap_or("");
    let addrs: Vec<IpAddr> = authority
        .to_socket_addrs()
        .map(|a| a.map(|s| s.ip()).collect())
        .unwrap_or_default();
    if addrs.is_empty() || !addrs.iter().all(IpAddr::is_loopback) {
        usage(&format!("{authority} is not a loopback address"));
    }
}

/// Starts `selfeval serve` on a free loopback port; returns it and its URL.
fn spawn(binary: &str, extra: &[String]) -> (Child, String) {
    let mut child = Command::new(binary)
        .args(["serve", "--addr", "127.0.0.1:0"])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| usage(&format!("cannot start {binary}: {e}")));
    let stderr = child.stderr.take().unwrap_or_else(|| usage("no stderr"));
    let mut lines = std::io::BufReader::new(stderr).lines();
    let mut url = None;
    for line in lines.by_ref().take(4).map_while(Result::ok) {
        eprintln!("server: {line}");
        if let Some(u) = line.split_whitespace().find(|w| w.starts_with("http://")) {
            url = Some(u.trim_end_matches('/').to_string());
            break;
        }
    }
    let url = url.unwrap_or_else(|| usage("the server printed no address"));
    // The request log goes on in the background; reading it keeps the pipe from filling.
    std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
    (child, url)
}

fn status_kb(pid: u32, key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find(|l| l.starts_with(key))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    ok: u64,
    busy: u64,
    other: u64,
    failed: u64,
}

fn main() {
    let args = parse();
    let bytes = std::fs::read(&args.file).unwrap_or_else(|e| usage(&format!("{}: {e}", args.file)));
    let name = std::path::Path::new(&args.file)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("sample.xlsx")
        .to_string();
    let (mut child, url) = match (&args.spawn, &args.url) {
        (Some(bin), _) => {
            let (c, u) = spawn(bin, &args.server_args);
            (Some(c), u)
        }
        (None, Some(u)) => (None, u.trim_end_matches('/').to_string()),
        (None, None) => usage("give --url or --spawn"),
    };
    require_loopback(&url);
    let pid = child.as_ref().map(Child::id).or(args.pid);
    let rss_before = pid.and_then(|p| status_kb(p, "VmRSS:"));

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(args.seconds);
    let sent = Arc::new(AtomicU64::new(0));
    let tallies: Vec<Tally> = runtime.block_on(async {
        let client = reqwest::Client::new();
        let tasks: Vec<_> = (0..args.clients)
            .map(|_| {
                let (client, url, bytes, name, sent) = (
                    client.clone(),
                    format!("{url}/api/check"),
                    bytes.clone(),
                    name.clone(),
                    Arc::clone(&sent),
                );
                tokio::spawn(async move {
                    let mut t = Tally::default();
                    while Instant::now() < deadline
                        && sent.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS
                    {
                        let form = reqwest::multipart::Form::new().part(
                            "files",
                            reqwest::multipart::Part::bytes(bytes.clone()).file_name(name.clone()),
                        );
                        let begin = Instant::now();
                        let outcome = match client.post(&url).multipart(form).send().await {
                            Ok(r) => {
                                let status = r.status().as_u16();
                                r.bytes().await.map(|_| status)
                            }
                            Err(e) => Err(e),
                        };
                        match outcome {
                            Ok(200) => {
                                t.ok += 1;
                                t.latencies.push(begin.elapsed());
                            }
                            Ok(429) => {
                                t.busy += 1;
                                // As the page does: wait before trying again.
                                tokio::time::sleep(Duration::from_millis(50)).await;
                            }
                            Ok(_) => t.other += 1,
                            Err(_) => t.failed += 1,
                        }
                    }
                    t
                })
            })
            .collect();
        let mut out = Vec::new();
        for task in tasks {
            out.push(task.await.unwrap_or_default());
        }
        out
    });
    let elapsed = started.elapsed();

    let peak = pid.and_then(|p| status_kb(p, "VmHWM:"));
    let rss_after = pid.and_then(|p| status_kb(p, "VmRSS:"));
    let mut all = Tally::default();
    for t in tallies {
        all.latencies.extend(t.latencies);
        all.ok += t.ok;
        all.busy += t.busy;
        all.other += t.other;
        all.failed += t.failed;
    }
    all.latencies.sort_unstable();
    println!(
        "load: {} clients, {:.1} s, {} ({} bytes) → {url}/api/check",
        args.clients,
        elapsed.as_secs_f64(),
        name,
        bytes.len()
    );
    println!(
        "machine: {} cores",
        std::thread::available_parallelism().map_or(1, usize::from)
    );
    println!(
        "answers: 200 × {}, 429 × {}, other × {}, failed × {}",
        all.ok, all.busy, all.other, all.failed
    );
    println!(
        "throughput: {:.1} checked requests/s",
        all.ok as f64 / elapsed.as_secs_f64()
    );
    println!(
        "latency of 200s: p50 {}, p90 {}, p99 {}, max {}",
        ms(percentile(&all.latencies, 0.50)),
        ms(percentile(&all.latencies, 0.90)),
        ms(percentile(&all.latencies, 0.99)),
        ms(all.latencies.last().copied().unwrap_or_default()),
    );
    match (rss_before, peak, rss_after) {
        (Some(b), Some(p), Some(a)) => println!(
            "server memory: resident {:.1} MB before, {:.1} MB after, peak (VmHWM) {:.1} MB",
            b as f64 / 1024.0,
            a as f64 / 1024.0,
            p as f64 / 1024.0
        ),
        _ => println!("server memory: unknown (give --pid, or use --spawn)"),
    }

    if let Some(child) = child.as_mut() {
        // SIGINT, as Ctrl-C: the server finishes what is in flight and exits.
        // SAFETY: kill(2) on our own child's pid with a valid signal number.
        unsafe {
            libc::kill(child.id() as libc::pid_t, libc::SIGINT);
        }
        let _ = child.wait();
    }
}
