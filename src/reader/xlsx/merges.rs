//! The merged ranges of an `.xlsx` sheet. `<mergeCells>` stands after all the cells, so once
//! the cells are read (or a limit is met) the rest of the sheet is inflated and only its tail
//! is searched, never parsed.

use std::io::Read;

use memchr::memmem;

use crate::cell::Pos;
use crate::reader::Merge;
use crate::scan;

/// Bytes kept while no `</sheetData>` has been seen: enough for the end of a sheet without one.
const KEEP: usize = 256 * 1024;

/// What follows a sheet's cells, read as a stream so that a sheet of a million rows is never
/// held in memory: everything after the last `</sheetData>`, or the last [`KEEP`] bytes.
pub(super) fn sheet_tail(mut part: impl Read) -> Option<Vec<u8>> {
    const CHUNK: u64 = 64 * 1024;
    let mut tail = Vec::new();
    let mut closed = false;
    loop {
        let from = tail.len().saturating_sub(scan::STRADDLE);
        if part.by_ref().take(CHUNK).read_to_end(&mut tail).ok()? == 0 {
            return Some(tail);
        }
        if let Some(at) = last_closing_sheet_data(&tail[from..]) {
            tail.drain(..from + at);
            closed = true;
        } else if !closed && tail.len() > KEEP {
            tail.drain(..tail.len() - KEEP);
        }
    }
}

/// Where the last `</sheetData>` (with any prefix) starts.
fn last_closing_sheet_data(xml: &[u8]) -> Option<usize> {
    scan::last_closing(xml, b"sheetData").map(|(start, _)| start)
}

/// The ranges of `<mergeCell ref="A1:B2"/>` after the sheet's cells.
pub(super) fn merges_in(xml: &[u8]) -> Vec<Merge> {
    let tail = last_closing_sheet_data(xml).map_or(xml, |at| &xml[at..]);
    let mut merges = Vec::new();
    for at in memmem::find_iter(tail, b"mergeCell") {
        let tag = &tail[at + b"mergeCell".len()..];
        if !tag.first().is_some_and(u8::is_ascii_whitespace) {
            continue; // `mergeCells`, or not a tag
        }
        let tag = &tag[..memchr::memchr(b'>', tag).unwrap_or(tag.len())];
        let Some(range) = scan::attr(tag, b"ref").and_then(|r| std::str::from_utf8(r).ok()) else {
            continue;
        };
        let Some((first, last)) = range.split_once(':') else {
            continue;
        };
        // A one-cell range merges nothing, and must not count against the cap.
        if let (Some(first), Some(last)) = (Pos::parse_a1(first), Pos::parse_a1(last))
            && first != last
        {
            merges.push(Merge { first, last });
        }
        // No more are kept per sheet anyway.
        if merges.len() >= crate::reader::MAX_MERGES {
            break;
        }
    }
    merges
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_merged_ranges_after_the_cells_with_any_prefix_or_quotes() {
        let xml =
            br#"<worksheet><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData>
            <mergeCells count="3"><mergeCell ref="A1:I1"/><x:mergeCell  ref='B2:B5'/>
            <mergeCell ref="C3"/></mergeCells></worksheet>"#;
        let got: Vec<(String, String)> = merges_in(xml)
            .iter()
            .map(|m| (m.first.a1(), m.last.a1()))
            .collect();
        assert_eq!(
            got,
            [("A1".into(), "I1".into()), ("B2".into(), "B5".into())]
        );
    }

    #[test]
    fn a_streamed_sheet_keeps_only_what_follows_its_cells() {
        let mut xml = b"<worksheet><x:sheetData>".to_vec();
        for r in 1..=20_000 {
            xml.extend(format!("<row r=\"{r}\"><c r=\"A{r}\"><v>{r}</v></c></row>").bytes());
        }
        xml.extend(
            b"</x:sheetData><mergeCells><mergeCell ref=\"A1:B2\"/></mergeCells></worksheet>",
        );
        // An odd number of bytes per read, so that tags are split across reads.
        let tail = sheet_tail(scan::Trickle(&xml, 4093)).expect("tail");
        assert!(
            tail.starts_with(b"</x:sheetData>"),
            "{}",
            String::from_utf8_lossy(&tail)
        );
        assert_eq!(merges_in(&tail).len(), 1);
    }
}
