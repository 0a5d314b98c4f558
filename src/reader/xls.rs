//! The number formats of an `.xls` workbook's number cells. calamine reads a BIFF8 file's
//! FORMAT and XF records only to tell dates from numbers, so a rate of 0.8225 shown as
//! `82.25%` reaches its caller as a bare 0.8225. Here the Workbook stream is walked once more
//! for what calamine leaves out: the format code of each cell style, and the style of each
//! number cell. The codes are read by [`NumberShape`], as an `.xlsx` styles part's are.
//!
//! Only BIFF8 is read (Excel 97 and later; what Excel, WPS and LibreOffice write as `.xls`).
//! An older file, or one whose Workbook stream does not start as BIFF8 workbook globals, is
//! left without formats, which the model allows for (see [`super::RawSheet::formats`]).
//! Every read is bounds-checked; what is kept is bounded by [`Limits`] and by the stream.

use std::collections::HashMap;
use std::io::{Cursor, Read};

use super::Limits;
use super::format::NumberShape;
use crate::cell::Pos;

/// The shape of each number cell of one sheet whose style fixes decimals, shows a percent
/// or a date; a cell not listed is General.
pub(super) type Shapes = HashMap<Pos, NumberShape>;

/// Record types, [MS-XLS] 2.3.
mod kind {
    pub const BOF: u16 = 0x0809;
    pub const EOF: u16 = 0x000A;
    pub const FILEPASS: u16 = 0x002F;
    pub const FORMAT: u16 = 0x041E;
    pub const XF: u16 = 0x00E0;
    pub const BOUNDSHEET: u16 = 0x0085;
    pub const NUMBER: u16 = 0x0203;
    pub const RK: u16 = 0x027E;
    pub const MULRK: u16 = 0x00BD;
    pub const FORMULA: u16 = 0x0006;
}

/// BOF's version for BIFF8, and its substream type for the workbook globals.
const BIFF8: u16 = 0x0600;
const GLOBALS: u16 = 0x0005;

/// The shapes of every sheet the workbook lists (BoundSheet8 records, in order, as calamine
/// lists them), `None` for a sheet whose substream is not where its record says. `None` in
/// all: no BIFF8 Workbook stream, an encrypted one, or more sheets than `limits` allows.
pub(super) fn read(bytes: &[u8], limits: &Limits) -> Option<Vec<Option<Shapes>>> {
    shapes_in(&workbook_stream(bytes)?, limits)
}

fn shapes_in(stream: &[u8], limits: &Limits) -> Option<Vec<Option<Shapes>>> {
    let globals = Globals::read(stream, limits.sheets)?;
    let mut book_left = limits.book_cells;
    let sheets = globals.sheets.iter().map(|&at| {
        let budget = limits.cells.min(book_left);
        let mut left = budget;
        let shapes = sheet_shapes(stream, at, &globals.styles, &mut left);
        book_left -= budget - left;
        shapes
    });
    Some(sheets.collect())
}

/// The `Workbook` stream of the compound file, read no further than the file is long: a
/// stream cannot hold more than the file, whatever its directory entry claims.
fn workbook_stream(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut file = cfb::CompoundFile::open(Cursor::new(bytes)).ok()?;
    let stream = file.open_stream("/Workbook").ok()?;
    let mut out = Vec::new();
    stream.take(bytes.len() as u64).read_to_end(&mut out).ok()?;
    Some(out)
}

/// The records of a BIFF stream from `at`, each as its type and data. The walk ends at the
/// stream's end or at a record the stream cuts off.
pub(crate) fn records(stream: &[u8], mut at: usize) -> impl Iterator<Item = (u16, &[u8])> {
    std::iter::from_fn(move || {
        let head = stream.get(at..at.checked_add(4)?)?;
        let typ = u16::from_le_bytes([head[0], head[1]]);
        let len = usize::from(u16::from_le_bytes([head[2], head[3]]));
        let start = at + 4;
        let data = stream.get(start..start.checked_add(len)?)?;
        at = start + len;
        Some((typ, data))
    })
}

/// A little-endian u16 at `at`, where the data holds one.
pub(crate) fn u16_at(data: &[u8], at: usize) -> Option<u16> {
    let b = data.get(at..at.checked_add(2)?)?;
    Some(u16::from_le_bytes([b[0], b[1]]))
}

/// A little-endian u32 at `at`, where the data holds one.
pub(crate) fn u32_at(data: &[u8], at: usize) -> Option<u32> {
    let b = data.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// What the workbook globals say: each cell style's shape, and where each sheet starts.
struct Globals {
    /// By XF index, as cells name their style.
    styles: Vec<NumberShape>,
    /// Stream offsets of the sheets' BOF records, in BoundSheet8 order.
    sheets: Vec<usize>,
}

impl Globals {
    fn read(stream: &[u8], max_sheets: usize) -> Option<Self> {
        let mut walk = records(stream, 0);
        let (typ, bof) = walk.next()?;
        if typ != kind::BOF || u16_at(bof, 0)? != BIFF8 || u16_at(bof, 2)? != GLOBALS {
            return None;
        }
        let mut codes: HashMap<u16, String> = HashMap::new();
        let mut xf_formats: Vec<u16> = Vec::new();
        let mut sheets = Vec::new();
        for (typ, data) in walk {
            match typ {
                kind::EOF => break,
                // The records after it are encrypted: calamine refuses the file already.
                kind::FILEPASS => return None,
                kind::FORMAT => {
                    if let (Some(id), Some(code)) = (u16_at(data, 0), unicode_string(data, 2)) {
                        codes.insert(id, code);
                    }
                }
                // A cell names its style by a 16-bit index: later XF records are unreachable.
                kind::XF if xf_formats.len() <= usize::from(u16::MAX) => {
                    xf_formats.push(u16_at(data, 2).unwrap_or(0));
                }
                kind::BOUNDSHEET if sheets.len() == max_sheets => return None,
                kind::BOUNDSHEET => sheets.push(u32_at(data, 0).map_or(usize::MAX, |p| p as usize)),
                _ => {}
            }
        }
        // Each format worked out once, however many styles share it.
        let mut by_format: HashMap<u16, NumberShape> = HashMap::new();
        let styles = xf_formats
            .into_iter()
            .map(|id| {
                *by_format.entry(id).or_insert_with(|| {
                    NumberShape::of(u32::from(id), codes.get(&id).map(String::as_str))
                })
            })
            .collect();
        Some(Globals { styles, sheets })
    }
}

use crate::limits::MAX_CODE_CHARS;

/// An `XLUnicodeString` at `at` ([MS-XLS] 2.5.294): a 16-bit count of characters, a flag
/// byte whose low bit says two bytes a character (UTF-16) rather than one (Latin-1), then
/// the characters. A string the record cuts short keeps what it holds, and one longer than
/// Excel allows a format code keeps its first [`MAX_CODE_CHARS`] characters.
fn unicode_string(data: &[u8], at: usize) -> Option<String> {
    let count = usize::from(u16_at(data, at)?).min(MAX_CODE_CHARS);
    let wide = data.get(at + 2)? & 1 == 1;
    let chars = data.get(at + 3..)?;
    Some(if wide {
        let units = chars
            .chunks_exact(2)
            .take(count)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        char::decode_utf16(units)
            .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
            .collect()
    } else {
        chars.iter().take(count).map(|&b| char::from(b)).collect()
    })
}

/// The shapes of the number cells of the sheet whose BOF is at `at`, recording at most
/// `left` of them (the count is spent). Charts and other substreams nested in the sheet are
/// skipped, as calamine skips them. Text cells (LABELSST, LABEL) are not looked at: a number
/// format changes nothing a text shows.
fn sheet_shapes(
    stream: &[u8],
    at: usize,
    styles: &[NumberShape],
    left: &mut usize,
) -> Option<Shapes> {
    let mut walk = records(stream, at);
    if walk.next()?.0 != kind::BOF {
        return None;
    }
    let mut shapes = Shapes::new();
    let mut nested = 0usize;
    let mut note = |row: u16, col: u32, xf: u16| {
        let shape = styles.get(usize::from(xf)).copied().unwrap_or_default();
        let pos = Pos::new(u32::from(row), col);
        if shape == NumberShape::default() {
            shapes.remove(&pos);
        } else if let Some(known) = shapes.get_mut(&pos) {
            *known = shape;
        } else if *left > 0 {
            shapes.insert(pos, shape);
            *left -= 1;
        }
    };
    for (typ, data) in walk {
        match typ {
            kind::BOF => nested += 1,
            kind::EOF if nested == 0 => break,
            kind::EOF => nested -= 1,
            _ if nested > 0 => {}
            // Row, column and style lead each of these.
            kind::NUMBER | kind::RK | kind::FORMULA => {
                if let (Some(row), Some(col), Some(xf)) =
                    (u16_at(data, 0), u16_at(data, 2), u16_at(data, 4))
                {
                    note(row, u32::from(col), xf);
                }
            }
            // Row, first column, then a style and an RK value (6 bytes) per column, then the
            // last column (2 bytes).
            kind::MULRK => {
                let (Some(row), Some(first)) = (u16_at(data, 0), u16_at(data, 2)) else {
                    continue;
                };
                let Some(cells) = data.get(4..data.len().saturating_sub(2)) else {
                    continue;
                };
                for (col, cell) in (u32::from(first)..).zip(cells.chunks_exact(6)) {
                    note(row, col, u16::from_le_bytes([cell[0], cell[1]]));
                }
            }
            _ => {}
        }
    }
    Some(shapes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::limits::READ as LIMITS;

    /// A record as it stands in a stream.
    fn record(typ: u16, data: &[u8]) -> Vec<u8> {
        let mut out = typ.to_le_bytes().to_vec();
        out.extend((data.len() as u16).to_le_bytes());
        out.extend(data);
        out
    }

    fn format(id: u16, code: &str, wide: bool) -> Vec<u8> {
        let mut data = id.to_le_bytes().to_vec();
        data.extend((code.chars().count() as u16).to_le_bytes());
        data.push(u8::from(wide));
        if wide {
            data.extend(code.encode_utf16().flat_map(u16::to_le_bytes));
        } else {
            data.extend(code.bytes());
        }
        record(kind::FORMAT, &data)
    }

    fn xf(format: u16) -> Vec<u8> {
        let mut data = vec![0; 20];
        data[2..4].copy_from_slice(&format.to_le_bytes());
        record(kind::XF, &data)
    }

    fn cell(typ: u16, row: u16, col: u16, xf: u16, rest: &[u8]) -> Vec<u8> {
        let mut data = [row, col, xf]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>();
        data.extend(rest);
        record(typ, &data)
    }

    fn bof(substream: u16) -> Vec<u8> {
        let mut data = BIFF8.to_le_bytes().to_vec();
        data.extend(substream.to_le_bytes());
        data.extend([0; 12]);
        record(kind::BOF, &data)
    }

    /// A Workbook stream: globals with styles General, `0.00%` (custom, UTF-16), `0.0`
    /// (custom, Latin-1), built-in 10 (`0.00%`) and a date; one sheet holding a cell of each
    /// kind of number record, and a chart nested in it whose cells are not the sheet's.
    fn stream() -> Vec<u8> {
        let mut globals = bof(GLOBALS);
        globals.extend(format(164, "0.00%", true));
        globals.extend(format(165, "0.0\"万元\"", false));
        for id in [0, 164, 165, 10, 14] {
            globals.extend(xf(id));
        }
        let sheet_at_field = globals.len() + 4;
        globals.extend(record(kind::BOUNDSHEET, &[0; 8]));
        globals.extend(record(kind::EOF, &[]));
        let sheet_at = globals.len() as u32;
        globals[sheet_at_field..sheet_at_field + 4].copy_from_slice(&sheet_at.to_le_bytes());

        let mut s = bof(0x0010);
        s.extend(cell(kind::NUMBER, 4, 6, 1, &0.8225f64.to_le_bytes()));
        s.extend(cell(kind::RK, 5, 6, 2, &[0; 4]));
        s.extend(cell(kind::FORMULA, 6, 6, 3, &[0; 16]));
        s.extend(cell(kind::NUMBER, 7, 6, 0, &[0; 8]));
        // MULRK over H9:J9 with styles 4, 0, 99 (no such style).
        let mut mulrk = [8u16, 7]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect::<Vec<_>>();
        for style in [4u16, 0, 99] {
            mulrk.extend(style.to_le_bytes());
            mulrk.extend([0; 4]);
        }
        mulrk.extend(9u16.to_le_bytes());
        s.extend(record(kind::MULRK, &mulrk));
        s.extend(bof(0x0020));
        s.extend(cell(kind::NUMBER, 0, 0, 1, &[0; 8]));
        s.extend(record(kind::EOF, &[]));
        s.extend(record(kind::EOF, &[]));
        // After the sheet's EOF: not its cell.
        s.extend(cell(kind::NUMBER, 1, 1, 1, &[0; 8]));
        globals.extend(s);
        globals
    }

    #[test]
    fn reads_each_number_cells_format() {
        let sheets = shapes_in(&stream(), &LIMITS).expect("BIFF8");
        let [Some(shapes)] = sheets.as_slice() else {
            panic!("{sheets:?}")
        };
        let at = |a1: &str| shapes.get(&Pos::parse_a1(a1).unwrap()).copied();
        assert_eq!(at("G5"), Some(NumberShape::fixed(2, true)));
        assert_eq!(at("G6"), Some(NumberShape::fixed(1, false)));
        assert_eq!(at("G7"), Some(NumberShape::fixed(2, true)), "built-in 10");
        assert_eq!(at("G8"), None, "General");
        assert!(at("H9").is_some_and(|s| s.date));
        assert_eq!((at("I9"), at("J9")), (None, None));
        assert_eq!((at("A1"), at("B2")), (None, None), "not the sheet's cells");
        assert_eq!(shapes.len(), 4);
    }

    #[test]
    fn keeps_no_more_cells_than_allowed() {
        let limits = Limits { cells: 2, ..LIMITS };
        let sheets = shapes_in(&stream(), &limits).expect("BIFF8");
        assert_eq!(sheets[0].as_ref().map(HashMap::len), Some(2));
    }

    #[test]
    fn a_stream_that_is_not_biff8_globals_has_no_formats() {
        let mut biff5 = stream();
        biff5[4..6].copy_from_slice(&0x0500u16.to_le_bytes());
        assert!(shapes_in(&biff5, &LIMITS).is_none());
        let mut locked = bof(GLOBALS);
        locked.extend(record(kind::FILEPASS, &[1, 0]));
        assert!(shapes_in(&locked, &LIMITS).is_none());
        assert!(shapes_in(&[], &LIMITS).is_none());
        // A sheet said to start past the stream, or not at a BOF.
        let mut globals = bof(GLOBALS);
        globals.extend(record(kind::BOUNDSHEET, &[0xFF; 8]));
        globals.extend(record(kind::BOUNDSHEET, &[0; 8]));
        assert_eq!(shapes_in(&globals, &LIMITS).map(|s| s.len()), Some(2));
        assert!(shapes_in(&globals, &LIMITS).unwrap()[0].is_none());
        let one_sheet = Limits {
            sheets: 1,
            ..LIMITS
        };
        assert!(
            shapes_in(&globals, &one_sheet).is_none(),
            "more sheets than allowed"
        );
    }

    #[test]
    fn every_cut_and_every_flipped_byte_is_survived() {
        let whole = stream();
        for end in 0..whole.len() {
            let _ = shapes_in(&whole[..end], &LIMITS);
        }
        for i in 0..whole.len() {
            for bit in [0x01, 0x80, 0xFF] {
                let mut m = whole.clone();
                m[i] ^= bit;
                let _ = shapes_in(&m, &LIMITS);
            }
        }
    }

    #[test]
    fn strings_cut_short_keep_what_they_hold() {
        assert_eq!(
            unicode_string(&[5, 0, 0, b'0', b'%'], 0).as_deref(),
            Some("0%")
        );
        assert_eq!(
            unicode_string(&[2, 0, 1, b'0', 0, b'%'], 0).as_deref(),
            Some("0")
        );
        assert_eq!(unicode_string(&[2, 0], 0), None);
        assert_eq!(unicode_string(&[], 5), None);
    }

    fn fixture() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/xls-percent-format.xls"
        ))
        .expect("fixture")
    }

    /// The compound file is opened here in-process, after calamine (not the sandbox) has
    /// accepted it: damaged copies of a real `.xls` must each end quickly, without a panic.
    #[test]
    fn damaged_compound_files_are_survived() {
        let whole = fixture();
        let mut state = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: usize| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state % n.max(1) as u64) as usize
        };
        for _ in 0..500 {
            let mut m = whole.clone();
            match next(3) {
                0 => {
                    for _ in 0..1 + next(16) {
                        let i = next(m.len());
                        m[i] ^= 1 << next(8);
                    }
                }
                1 => m.truncate(next(m.len())),
                _ => {
                    let at = next(m.len());
                    let end = (at + 1 + next(1024)).min(m.len());
                    m[at..end].fill(if next(2) == 0 { 0 } else { 0xFF });
                }
            }
            let started = std::time::Instant::now();
            let _ = read(&m, &LIMITS);
            assert!(started.elapsed() < std::time::Duration::from_secs(2));
        }
    }

    #[test]
    fn the_fixture_keeps_its_percent_format() {
        let sheets = read(&fixture(), &LIMITS).expect("BIFF8");
        let g5 = Pos::parse_a1("G5").unwrap();
        let shape = sheets[0].as_ref().and_then(|s| s.get(&g5)).copied();
        assert_eq!(shape, Some(NumberShape::fixed(2, true)));
    }
}
