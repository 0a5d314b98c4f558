//! Bounded mutation testing inside `cargo test`: damaged copies of real workbooks must each
//! get an outcome quickly and without a panic (a caught panic is still a bug).

mod common;

use std::time::{Duration, Instant};

use selfeval::check::{INTERNAL_ERROR, check_upload};
use selfeval::reader::ReadError;
use selfeval::sandbox::Sandbox;
use selfeval::scorer::Rules;
use selfeval::template::{Layout, Profile};

/// xorshift64*: enough randomness for mutants, and no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// One damaged copy of `bytes`; `other` supplies spliced chunks.
fn mutant(rng: &mut Rng, bytes: &[u8], other: &[u8]) -> Vec<u8> {
    let mut m = bytes.to_vec();
    match rng.below(4) {
        0 => {
            for _ in 0..1 + rng.below(16) {
                let i = rng.below(m.len());
                m[i] ^= 1 << rng.below(8);
            }
        }
        1 => m.truncate(rng.below(m.len())),
        2 => {
            let from = rng.below(other.len());
            let len = rng.below(4096).min(other.len() - from);
            let at = rng.below(m.len());
            let end = (at + len).min(m.len());
            m.splice(at..end, other[from..from + len].iter().copied());
        }
        _ => {
            let at = rng.below(m.len());
            let end = (at + 1 + rng.below(2048)).min(m.len());
            m[at..end].fill(0);
        }
    }
    m
}

const PER_FILE: usize = 1000;
const SLOWEST: Duration = Duration::from_secs(2);

#[test]
fn mutated_workbooks_never_panic_or_hang() {
    let dir = common::scratch("mutation");
    let generated = dir.join("generated.xlsx");
    common::write_book(&generated, &[common::clean()], false);
    // The .xls sample goes through the sandbox, as the binary reads it: some damaged BIFF
    // records make calamine abort the process, which only a child process survives.
    let originals = [
        (
            "xlsx",
            std::fs::read(common::sample("xlsx")).expect("sample xlsx"),
        ),
        ("xlsx", std::fs::read(&generated).expect("generated")),
        (
            "xls",
            std::fs::read(common::sample("xls")).expect("sample xls"),
        ),
    ];
    let sandbox = Sandbox::new(env!("CARGO_BIN_EXE_selfeval"));
    let profile = Profile::national();
    let rules = || Rules {
        profile: &profile,
        layout: Layout::bundled(),
    };
    // Silence the default hook: check_upload catches panics, and the test reports them itself.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rng = Rng(0x5EED_CAFE_F00D_1234);
    let mut ran = 0;
    let mut aborted = 0;
    let mut failures = Vec::new();
    for (k, (ext, bytes)) in originals.iter().enumerate() {
        let other = &originals[(k + 1) % originals.len()].1;
        for case in 0..PER_FILE {
            let m = mutant(&mut rng, bytes, other);
            let name = format!("mutant-{k}-{case}.{ext}");
            let started = Instant::now();
            let (outcome, _) = check_upload(&name, &m, rules(), true, Some(&sandbox));
            let took = started.elapsed();
            ran += 1;
            let reason = outcome.result.as_ref().err();
            aborted +=
                usize::from(reason.is_some_and(|e| *e == ReadError::ReaderAborted.to_string()));
            if reason.is_some_and(|e| e == INTERNAL_ERROR) {
                failures.push(format!("{name}: panicked"));
            }
            if took > SLOWEST {
                failures.push(format!("{name}: took {took:?}"));
            }
        }
    }
    let _ = std::panic::take_hook();
    println!("{ran} mutants checked; the sandbox caught {aborted} aborted reads");
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
}

/// Values a hostile or broken producer may put where a well-formed one puts an attribute
/// value or a cell's text.
const ODD_VALUES: [&str; 10] = [
    "",
    "ZZZ99999999",
    "-1",
    "4294967296",
    "H29:A1",
    "1e309",
    "NaN",
    "&amp;&lt;",
    "99999999999999999999999",
    "A0",
];

/// Markup that is legal between elements and must not be taken for elements.
const INSERTS: [&str; 5] = [
    "<!-- </row></sheetData> -->",
    "<![CDATA[</c></row>]]>",
    "<?selfeval </row>?>",
    "<x:unknown xmlns:x=\"urn:x\"><row r=\"1\"/></x:unknown>",
    "<extLst><ext uri=\"{0}\"/></extLst>",
];

/// The byte spans of the tags of an XML text, `<…>`.
fn tags(xml: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut at = 0;
    while let Some(lt) = xml[at..].find('<') {
        let start = at + lt;
        let Some(gt) = xml[start..].find('>') else {
            break;
        };
        out.push((start, start + gt + 1));
        at = start + gt + 1;
    }
    out
}

/// One edit of a part's XML, as a producer with a bug or an attacker could make it.
fn xml_mutant(rng: &mut Rng, xml: &str) -> String {
    let spans = tags(xml);
    if spans.is_empty() {
        return xml.to_string();
    }
    let (start, end) = spans[rng.below(spans.len())];
    let mut m = xml.to_string();
    match rng.below(6) {
        // A tag removed, or written twice.
        0 => m.replace_range(start..end, ""),
        1 => m.insert_str(end, &xml[start..end]),
        // An attribute value replaced.
        2 => {
            let tag = &xml[start..end];
            if let Some(eq) = tag.find("=\"") {
                let from = start + eq + 2;
                let to = from + xml[from..end].find('"').unwrap_or(0);
                m.replace_range(from..to, ODD_VALUES[rng.below(ODD_VALUES.len())]);
            }
        }
        // The text after a tag replaced (a cell's value, a shared string).
        3 => {
            let to = end + xml[end..].find('<').unwrap_or(0);
            m.replace_range(end..to, ODD_VALUES[rng.below(ODD_VALUES.len())]);
        }
        // Legal markup between two elements.
        4 => m.insert_str(end, INSERTS[rng.below(INSERTS.len())]),
        // The part cut at a tag.
        _ => m.truncate(start),
    }
    m
}

/// The sample with one of its XML parts edited, packed again as a sound zip.
fn repacked_mutant(rng: &mut Rng, parts: &[(String, Vec<u8>)]) -> Vec<u8> {
    let xml: Vec<usize> = (0..parts.len())
        .filter(|&i| parts[i].0.ends_with(".xml") || parts[i].0.ends_with(".rels"))
        .collect();
    let chosen = xml[rng.below(xml.len())];
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (i, (name, bytes)) in parts.iter().enumerate() {
        out.start_file(name.as_str(), options).expect("entry");
        let body = if i == chosen {
            xml_mutant(rng, &String::from_utf8_lossy(bytes)).into_bytes()
        } else {
            bytes.clone()
        };
        std::io::Write::write_all(&mut out, &body).expect("write");
    }
    out.finish().expect("zip").into_inner()
}

const XML_MUTANTS: usize = 1500;

/// Edits inside the XML of the sample's parts, packed again (the zip itself sound, unlike
/// the byte mutants above): every one gets an outcome quickly, without a panic, and any
/// corrected copy written opens again.
#[test]
fn workbooks_with_edited_xml_never_panic_and_their_copies_open() {
    use calamine::Reader;
    use std::io::Read;

    let bytes = std::fs::read(common::sample("xlsx")).expect("sample");
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(&bytes)).expect("zip");
    let parts: Vec<(String, Vec<u8>)> = (0..zip.len())
        .map(|i| {
            let mut f = zip.by_index(i).expect("entry");
            let mut b = Vec::new();
            f.read_to_end(&mut b).expect("read");
            (f.name().expect("name").to_string(), b)
        })
        .collect();
    let profile = Profile::national();
    let rules = Rules {
        profile: &profile,
        layout: Layout::bundled(),
    };
    std::panic::set_hook(Box::new(|_| {}));
    let kept = common::scratch("mutation-xml");
    let mut rng = Rng(0xC0FF_EE15_600D_5EED);
    let (mut checked, mut copies, mut failures) = (0, 0, Vec::new());
    for case in 0..XML_MUTANTS {
        let m = repacked_mutant(&mut rng, &parts);
        let name = format!("xml-mutant-{case}.xlsx");
        let started = Instant::now();
        let (outcome, copy) = check_upload(&name, &m, rules, true, None);
        let took = started.elapsed();
        checked += usize::from(outcome.result.is_ok());
        if outcome
            .result
            .as_ref()
            .err()
            .is_some_and(|e| e == INTERNAL_ERROR)
        {
            std::fs::write(kept.join(&name), &m).expect("keep");
            failures.push(format!("{name}: panicked"));
        }
        if took > SLOWEST {
            failures.push(format!("{name}: took {took:?}"));
        }
        if let Some(copy) = copy {
            copies += 1;
            let opens = calamine::Xlsx::new(std::io::Cursor::new(copy))
                .map_err(|e| e.to_string())
                .and_then(|mut b| {
                    let names = b.sheet_names();
                    names.iter().try_for_each(|s| {
                        b.worksheet_range(s).map(|_| ()).map_err(|e| e.to_string())
                    })
                });
            if let Err(e) = opens {
                std::fs::write(kept.join(&name), &m).expect("keep");
                failures.push(format!("{name}: its copy does not open: {e}"));
            }
        }
    }
    let _ = std::panic::take_hook();
    println!("{XML_MUTANTS} XML mutants: {checked} checked, {copies} copies written and opened");
    assert!(
        copies > XML_MUTANTS / 4,
        "too few copies to say anything: {copies}"
    );
    assert!(
        failures.is_empty(),
        "{} failures: {failures:#?}",
        failures.len()
    );
}
