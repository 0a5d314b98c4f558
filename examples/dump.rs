fn main() {
    let path = std::env::args().nth(1).unwrap();
    let bytes = std::fs::read(path).unwrap();
    let profile = selfeval::template::Profile::national();
    let rules = selfeval::scorer::Rules {
        profile: &profile,
        layout: selfeval::template::Layout::bundled(),
    };
    let (_, check) = selfeval::check::check_bytes(&bytes, rules).unwrap();
    for f in &check.forms {
        println!(
            "{} total {:?} -> {} grade {:?} -> {}",
            f.form.sheet,
            f.claimed_total.map(|s| s.to_string()),
            f.total,
            f.claimed_grade,
            f.grade
        );
        for (i, r) in f.form.indicators.iter().zip(&f.indicators) {
            println!(
                "  {} | {} | {} | {} | w={:?} s={:?} -> {} {:?}",
                i.name.cell,
                i.level2.value,
                i.target.value,
                i.actual.value,
                i.weight.number().map(|s| s.to_string()),
                i.score.number().map(|s| s.to_string()),
                r.rule,
                r.score
            );
        }
        for x in &f.findings {
            println!(
                "  [{:?}] {} {} {:?} -> {:?}: {}",
                x.severity, x.cell, x.code, x.claimed, x.expected, x.message
            );
        }
    }
    for s in &check.skipped {
        println!("skipped {s:?}");
    }
}
