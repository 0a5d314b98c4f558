//! Where a check's time goes, phase by phase, on one core: `cargo run --release --example
//! phases -- FOLDER` (its `.xlsx` and `.xls` files). A tool for profiling, not a benchmark.
use std::time::Instant;

use calamine::Reader;

fn files(dir: &std::path::Path, out: &mut Vec<(String, Vec<u8>)>) {
    for e in std::fs::read_dir(dir).expect("folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xlsx" || x == "xls") {
            out.push((p.display().to_string(), std::fs::read(&p).expect("read")));
        }
    }
}

fn main() {
    let dir = std::env::args().nth(1).expect("a folder");
    let mut all = Vec::new();
    files(std::path::Path::new(&dir), &mut all);
    let profile = selfeval::template::Profile::national();
    let layout = selfeval::template::Layout::bundled();
    let rules = selfeval::scorer::Rules {
        profile: &profile,
        layout,
    };
    let (mut best_floor, mut best_read, mut best_check) = (f64::MAX, f64::MAX, f64::MAX);
    for _ in 0..9 {
        let t = Instant::now();
        for (_, b) in &all {
            let mut wb =
                calamine::open_workbook_auto_from_rs(std::io::Cursor::new(b)).expect("open");
            for n in wb.sheet_names() {
                std::hint::black_box(wb.worksheet_range(&n).expect("sheet"));
            }
        }
        let floor = t.elapsed();
        let t = Instant::now();
        for (_, b) in &all {
            std::hint::black_box(selfeval::reader::read_book(b).expect("book"));
        }
        let read = t.elapsed();
        let t = Instant::now();
        for (name, b) in &all {
            std::hint::black_box(selfeval::check::check_upload(name, b, rules, false, None));
        }
        let check = t.elapsed();
        best_floor = best_floor.min(floor.as_secs_f64());
        best_read = best_read.min(read.as_secs_f64());
        best_check = best_check.min(check.as_secs_f64());
    }
    // The fastest of the rounds: on a shared machine, the run least disturbed.
    println!(
        "fastest of 9: floor {:.1} ms  read alone {:.1} ms ({:.2} × floor)  whole check {:.1} ms ({:.2} × floor)",
        best_floor * 1e3,
        best_read * 1e3,
        best_read / best_floor,
        best_check * 1e3,
        best_check / best_floor
    );
    let t = Instant::now();
    let books: Vec<_> = all
        .iter()
        .map(|(_, b)| selfeval::reader::read_book(b).expect("book"))
        .collect();
    println!("read   {:?}", t.elapsed());
    let (mut model, mut score) = (f64::MAX, f64::MAX);
    let rounds = std::env::var("PHASES_MODEL_ROUNDS").map_or(9, |r| r.parse().expect("a count"));
    for _ in 0..rounds {
        let t = Instant::now();
        let forms: Vec<_> = books
            .iter()
            .map(|b| selfeval::model::read_forms(b, layout))
            .collect();
        model = model.min(t.elapsed().as_secs_f64());
        let t = Instant::now();
        for f in forms.into_iter().flatten() {
            if let selfeval::model::SheetOutcome::Form(f) = f {
                std::hint::black_box(selfeval::scorer::score(*f, rules));
            }
        }
        score = score.min(t.elapsed().as_secs_f64());
    }
    println!("model  {:.1} ms  score {:.1} ms", model * 1e3, score * 1e3);
}
