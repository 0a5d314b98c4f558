//! What a file is before any spreadsheet reader opens it: the limits every input is held to,
//! and the common wrong files (PDFs, Word documents, web-page exports, encrypted or cut-off
//! packages) recognised by their bytes so that the department is told what to do instead of
//! seeing a parser's message. Runs on untrusted bytes: nothing here may panic or allocate in
//! proportion to what a file merely declares.

use std::io::Cursor;

use crate::reader::{BookFormat, ReadError};

/// Limits on what is read at all. A real 自评表 workbook is well under 1 MB; these are two
/// orders of magnitude above any real form and exist so that a hostile or broken file
/// (a zip bomb, a multi-gigabyte export) is refused with a reason instead of exhausting
/// memory. Documented in README.md under "Limits".
pub mod limits {
    /// Largest input file, in bytes, read at all (checked before reading it in the CLI).
    pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
    /// Largest declared uncompressed size of one part of an `.xlsx`/`.ods` package.
    pub const MAX_ENTRY_BYTES: u64 = 100 * 1024 * 1024;
    /// Largest declared uncompressed size of all parts of a package together.
    pub const MAX_TOTAL_BYTES: u64 = 300 * 1024 * 1024;
    /// Parts above this uncompressed size must not compress better than [`MAX_RATIO`]:1;
    /// XML compresses about 10–50:1, a zip bomb thousands to one.
    pub const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;
    /// See [`RATIO_FLOOR_BYTES`].
    pub const MAX_RATIO: u64 = 1000;
    /// Most parts in one package (a workbook has a few dozen).
    pub const MAX_ENTRIES: usize = 10_000;
}

use limits::*;

/// The format to open `bytes` with, or why they are not a workbook worth opening.
pub fn admit(bytes: &[u8]) -> Result<BookFormat, ReadError> {
    if bytes.is_empty() {
        return Err(ReadError::Empty);
    }
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge {
            mb: bytes.len() as u64 / (1024 * 1024),
        });
    }
    if bytes.starts_with(b"%PDF") {
        return Err(ReadError::Pdf);
    }
    match BookFormat::sniff(bytes) {
        Some(BookFormat::Xls) => {
            if is_encrypted_ooxml(bytes) {
                return Err(ReadError::Password);
            }
            if !cfb_directory_chain_ends(bytes) {
                return Err(ReadError::Truncated);
            }
            Ok(BookFormat::Xls)
        }
        Some(format) => {
            check_package(bytes, format)?;
            Ok(format)
        }
        None => Err(text_export(bytes).unwrap_or(ReadError::NotAWorkbook)),
    }
}

/// An `.xlsx` saved with a password is not a zip but a compound (CFB) file holding the
/// streams `EncryptionInfo` and `EncryptedPackage` (MS-OFFCRYPTO). Rather than parse the CFB
/// directory, look for either stream name as it is stored there (UTF-16LE); a genuine `.xls`
/// never names its streams so.
fn is_encrypted_ooxml(bytes: &[u8]) -> bool {
    ["EncryptedPackage", "EncryptionInfo"].iter().any(|name| {
        let utf16: Vec<u8> = name.encode_utf16().flat_map(u16::to_le_bytes).collect();
        bytes.windows(utf16.len()).any(|w| w == utf16.as_slice())
    })
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u32> {
    let b = bytes.get(at..at.checked_add(4)?)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// calamine follows a compound file's directory chain without noticing a loop, growing
/// memory until the process dies; a damaged `.xls` can hold such a loop. Walk the chain
/// here first (FAT sectors listed in the header only), allowing no more steps than the file
/// has sectors. A file whose FAT does not fit the header's list is left to calamine.
fn cfb_directory_chain_ends(bytes: &[u8]) -> bool {
    const END: u32 = 0xFFFF_FFFE;
    let Some(shift) = bytes.get(0x1E).copied() else {
        return false;
    };
    if !(7..=16).contains(&shift) {
        return false;
    }
    let size = 1usize << shift;
    let sector = |id: u32| {
        let start = (id as usize).checked_add(1)?.checked_mul(size)?;
        bytes.get(start..start.checked_add(size)?)
    };
    let Some(dir_start) = u32_at(bytes, 0x30) else {
        return false;
    };
    let Some(fat_count) = u32_at(bytes, 0x2C) else {
        return false;
    };
    if fat_count as usize > 109 {
        return true;
    }
    let mut fat = Vec::new();
    for i in 0..fat_count as usize {
        let Some(id) = u32_at(bytes, 0x4C + 4 * i) else {
            return false;
        };
        let Some(s) = sector(id) else {
            return false;
        };
        fat.extend(
            s.chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
        );
    }
    let max_steps = bytes.len() / size + 1;
    let mut id = dir_start;
    for _ in 0..max_steps {
        if id == END {
            return true;
        }
        match fat.get(id as usize) {
            Some(&next) => id = next,
            None => return false,
        }
    }
    false
}

/// Reads the zip's central directory (not its contents) and refuses a package that is cut
/// off, is another kind of document, or declares more than [`limits`] allow.
fn check_package(bytes: &[u8], format: BookFormat) -> Result<(), ReadError> {
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| ReadError::Truncated)?;
    if zip.len() > MAX_ENTRIES {
        return Err(ReadError::Oversized {
            part: format!("{} 个部件 ({} parts)", zip.len(), zip.len()),
        });
    }
    let names: Vec<String> = zip
        .file_names()
        .filter_map(Result::ok)
        .map(|n| n.into_owned())
        .collect();
    if format == BookFormat::Xlsx {
        kind_of_package(&names)?;
    }
    let mut total: u64 = 0;
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index_raw(i) else {
            return Err(ReadError::Truncated);
        };
        let (size, packed) = (entry.size(), entry.compressed_size());
        let part = || entry.name().map(|n| n.into_owned()).unwrap_or_default();
        let absurd = size > RATIO_FLOOR_BYTES && size / packed.max(1) > MAX_RATIO;
        if size > MAX_ENTRY_BYTES || absurd {
            return Err(ReadError::Oversized { part: part() });
        }
        total = total.saturating_add(size);
        if total > MAX_TOTAL_BYTES {
            return Err(ReadError::Oversized {
                part: "全部部件合计 (all parts together)".to_string(),
            });
        }
    }
    Ok(())
}

/// A zip that is not ODS must hold an Excel workbook part; Word and PowerPoint files are zips
/// too and are named apart because departments attach them by mistake.
fn kind_of_package(names: &[String]) -> Result<(), ReadError> {
    let has = |n: &str| names.iter().any(|x| x == n);
    if has("word/document.xml") {
        return Err(ReadError::OfficeDocument("Word"));
    }
    if names.iter().any(|n| n.starts_with("ppt/")) {
        return Err(ReadError::OfficeDocument("PowerPoint"));
    }
    if !has("xl/workbook.xml") {
        return Err(ReadError::NoWorkbookPart);
    }
    Ok(())
}

/// Finance systems often export a web page or CSV and name it `.xls`; Excel opens those, so
/// the department believes it has a workbook. Judged on the first 4 KB only.
fn text_export(bytes: &[u8]) -> Option<ReadError> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head.iter().position(|b| !b.is_ascii_whitespace())?;
    let head = &head[start..];
    if head.starts_with(b"<") {
        return Some(ReadError::HtmlExport);
    }
    // Text in UTF-8 or GB18030 alike has no control bytes but tab and line ends; a
    // delimiter makes it a table.
    let texty = head
        .iter()
        .all(|&b| b >= 0x20 || matches!(b, b'\t' | b'\r' | b'\n'));
    let delimited = head.contains(&b',') || head.contains(&b'\t');
    (texty && delimited).then_some(ReadError::CsvExport)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_common_wrong_files() {
        assert!(matches!(admit(b""), Err(ReadError::Empty)));
        assert!(matches!(admit(b"%PDF-1.7\n"), Err(ReadError::Pdf)));
        assert!(matches!(
            admit(b"\xEF\xBB\xBF<!DOCTYPE html><table>"),
            Err(ReadError::HtmlExport)
        ));
        assert!(matches!(
            admit("项目,金额\n办公,1\n".as_bytes()),
            Err(ReadError::CsvExport)
        ));
        assert!(matches!(
            admit(b"\x00\x01\x02"),
            Err(ReadError::NotAWorkbook)
        ));
        assert!(matches!(
            admit(b"PK\x03\x04\x14\x00cut off"),
            Err(ReadError::Truncated)
        ));
    }
}
