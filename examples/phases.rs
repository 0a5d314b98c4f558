//! Where a check's time goes, phase by phase, on one core: `cargo run --release --example
//! phases -- FOLDER`. A tool for profiling, not a benchmark.
use std::time::Instant;

use calamine::Reader;

fn files(dir: &std::path::Path, out: &mut Vec<Vec<u8>>) {
    for e in std::fs::read_dir(dir).expect("folder").flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else if p.extension().is_some_and(|x| x == "xlsx") {
            out.push(std::fs::read(p).expect("read"));
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
    for _ in 0..3 {
        let t = Instant::now();
        for b in &all {
            let mut wb =
                calamine::open_workbook_auto_from_rs(std::io::Cursor::new(b)).expect("open");
            for n in wb.sheet_names() {
                std::hint::black_box(wb.worksheet_range(&n).expect("sheet"));
            }
        }
        let floor = t.elapsed();
        let t = Instant::now();
        for b in &all {
            std::hint::black_box(selfeval::reader::read_book(b).expect("book"));
        }
        let read = t.elapsed();
        let t = Instant::now();
        for b in &all {
            std::hint::black_box(selfeval::check::check_upload(
                "f.xlsx", b, rules, false, None,
            ));
        }
        let check = t.elapsed();
        println!(
            "floor {floor:?}  read alone {read:?}  whole check {check:?} ({:.2} × floor)",
            check.as_secs_f64() / floor.as_secs_f64()
        );
    }
    let t = Instant::now();
    let books: Vec<_> = all
        .iter()
        .map(|b| selfeval::reader::read_book(b).expect("book"))
        .collect();
    println!("read   {:?}", t.elapsed());
    let t = Instant::now();
    let forms: Vec<_> = books
        .iter()
        .map(|b| selfeval::model::read_forms(b, layout))
        .collect();
    println!("model  {:?}", t.elapsed());
    let t = Instant::now();
    for f in forms.into_iter().flatten() {
        if let selfeval::model::SheetOutcome::Form(f) = f {
            std::hint::black_box(selfeval::scorer::score(*f, rules));
        }
    }
    println!("score  {:?}", t.elapsed());
}
