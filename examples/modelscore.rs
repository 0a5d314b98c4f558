//! Model and scorer only, repeated, for profiling: `--example modelscore -- FOLDER`.
fn main() {
    let dir = std::env::args().nth(1).expect("a folder");
    let mut books = Vec::new();
    for e in walk(std::path::Path::new(&dir)) {
        books.push(selfeval::reader::read_book(&std::fs::read(e).expect("read")).expect("book"));
    }
    let profile = selfeval::template::Profile::national();
    let layout = selfeval::template::Layout::bundled();
    let rules = selfeval::scorer::Rules {
        profile: &profile,
        layout,
    };
    for _ in 0..5 {
        for b in &books {
            std::hint::black_box(selfeval::check::check_book(b, rules));
        }
    }
}

fn walk(d: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(d).expect("dir").flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else if p.extension().is_some_and(|x| x == "xlsx") {
            out.push(p);
        }
    }
    out
}
