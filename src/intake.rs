//! What a file is before any spreadsheet reader opens it: the limits every input is held to,
//! and the common wrong files (PDFs, Word documents, web-page exports, encrypted or cut-off
//! packages) recognised by their bytes so that the department is told what to do instead of
//! seeing a parser's message. Runs on untrusted bytes: nothing here may panic or allocate in
//! proportion to what a file merely declares.

use crate::reader::xls::{records, u16_at, u32_at};
use crate::reader::{BookFormat, ReadError};

use crate::limits::*;

/// The format to open `bytes` with, or why they are not a workbook worth opening.
pub fn admit(bytes: &[u8]) -> Result<BookFormat, ReadError> {
    admit_package(bytes).map(|admitted| admitted.format)
}

/// What intake admitted: the format, and for an `.xlsx`/`.xlsm` the package as intake opened
/// and resolved it, which the reader and the writer take instead of opening it again.
pub struct Admitted<'b> {
    pub format: BookFormat,
    pub package: Option<crate::opc::Package<'b>>,
}

/// [`admit`], keeping the package it opened.
pub fn admit_package(bytes: &[u8]) -> Result<Admitted<'_>, ReadError> {
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
            if let Some(cells) = xls_largest_grid(bytes)
                && cells > MAX_XLS_GRID_CELLS
            {
                return Err(ReadError::SheetTooLarge { cells });
            }
            Ok(Admitted {
                format: BookFormat::Xls,
                package: None,
            })
        }
        Some(format) => Ok(Admitted {
            format,
            package: check_package(bytes, format)?,
        }),
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

/// The parts of a compound (CFB) file the intake checks need: its sectors and the FAT
/// sectors listed in the header. A file whose FAT does not fit that list is `Large`.
enum Cfb<'a> {
    Readable {
        bytes: &'a [u8],
        size: usize,
        fat: Vec<u32>,
    },
    Large,
}

const CFB_END: u32 = 0xFFFF_FFFE;

impl<'a> Cfb<'a> {
    fn open(bytes: &'a [u8]) -> Option<Self> {
        let shift = *bytes.get(0x1E)?;
        if !(7..=16).contains(&shift) {
            return None;
        }
        let size = 1usize << shift;
        let fat_count = u32_at(bytes, 0x2C)? as usize;
        if fat_count > 109 {
            return Some(Cfb::Large);
        }
        let mut cfb = Cfb::Readable {
            bytes,
            size,
            fat: Vec::new(),
        };
        let mut fat = Vec::new();
        for i in 0..fat_count {
            let s = cfb.sector(u32_at(bytes, 0x4C + 4 * i)?)?;
            fat.extend(
                s.chunks_exact(4)
                    .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]])),
            );
        }
        if let Cfb::Readable { fat: f, .. } = &mut cfb {
            *f = fat;
        }
        Some(cfb)
    }

    fn sector(&self, id: u32) -> Option<&'a [u8]> {
        let Cfb::Readable { bytes, size, .. } = self else {
            return None;
        };
        let start = (id as usize).checked_add(1)?.checked_mul(*size)?;
        bytes.get(start..start.checked_add(*size)?)
    }

    /// The sectors of the chain from `start`, or `None` when it loops or leaves the file:
    /// no more steps than the file has sectors.
    fn chain(&self, start: u32) -> Option<Vec<u32>> {
        let Cfb::Readable { bytes, size, fat } = self else {
            return None;
        };
        let mut ids = Vec::new();
        let mut id = start;
        for _ in 0..bytes.len() / size + 1 {
            if id == CFB_END {
                return Some(ids);
            }
            ids.push(id);
            id = *fat.get(id as usize)?;
        }
        None
    }

    /// A stream's bytes by name, when it lives in regular sectors (4 KB or more).
    fn stream(&self, name: &str) -> Option<Vec<u8>> {
        let dir: Vec<u8> = self
            .chain(u32_at(self.header()?, 0x30)?)?
            .into_iter()
            .map(|id| self.sector(id))
            .collect::<Option<Vec<_>>>()?
            .concat();
        let wanted: Vec<u16> = name.encode_utf16().collect();
        let entry = dir.chunks_exact(128).find(|e| {
            let len = usize::from(u16::from_le_bytes([e[64], e[65]]));
            let units: Vec<u16> = e[..len.saturating_sub(2).min(64)]
                .chunks_exact(2)
                .map(|c| u16::from_le_bytes([c[0], c[1]]))
                .collect();
            e[66] == 2 && units == wanted
        })?;
        let (start, len) = (u32_at(entry, 116)?, u32_at(entry, 120)? as usize);
        if len < 4096 {
            return None;
        }
        let mut data: Vec<u8> = self
            .chain(start)?
            .into_iter()
            .map(|id| self.sector(id))
            .collect::<Option<Vec<_>>>()?
            .concat();
        data.truncate(len);
        Some(data)
    }

    fn header(&self) -> Option<&'a [u8]> {
        match self {
            Cfb::Readable { bytes, .. } => Some(bytes),
            Cfb::Large => None,
        }
    }
}

/// calamine follows a compound file's directory chain without noticing a loop, growing
/// memory until the process dies; a damaged `.xls` can hold such a loop. Walk the chain
/// here first. A file whose FAT does not fit the header's list is left to calamine.
fn cfb_directory_chain_ends(bytes: &[u8]) -> bool {
    match Cfb::open(bytes) {
        Some(Cfb::Large) => true,
        Some(cfb) => u32_at(bytes, 0x30)
            .and_then(|start| cfb.chain(start))
            .is_some(),
        None => false,
    }
}

/// calamine sizes each `.xls` sheet's grid from its first to its last cell address, and
/// reserves room for the grid a DIMENSIONS record declares, before any limit of ours
/// applies: one far-off cell or one corrupted record asks for gigabytes or petabytes. Scan
/// the Workbook stream first and return the largest grid (rows × columns) a sheet spans or
/// declares. `None`: the stream could not be found or read that way (left to calamine).
fn xls_largest_grid(bytes: &[u8]) -> Option<u64> {
    let cfb = Cfb::open(bytes)?;
    let stream = cfb.stream("Workbook").or_else(|| cfb.stream("Book"))?;
    let (mut largest, mut span): (u64, Option<(u16, u16, u16, u16)>) = (0, None);
    // A record cut off by the stream's end ends the scan; what calamine read before it
    // still counts.
    for (kind, data) in records(&stream, 0) {
        match kind {
            // BOF starts a sheet, EOF ends one.
            0x0809 => span = None,
            0x000A => {
                if let Some((r0, r1, c0, c1)) = span.take() {
                    let cells = (u64::from(r1 - r0) + 1) * (u64::from(c1 - c0) + 1);
                    largest = largest.max(cells);
                }
            }
            0x0200 => largest = largest.max(declared_grid(data)),
            // FORMULA, MULRK, MULBLANK, BLANK, NUMBER, LABEL, BOOLERR, RK, LABELSST.
            0x0006 | 0x00BD | 0x00BE | 0x0201 | 0x0203 | 0x0204 | 0x0205 | 0x027E | 0x00FD
                if data.len() >= 4 =>
            {
                let row = u16::from_le_bytes([data[0], data[1]]);
                let col = u16::from_le_bytes([data[2], data[3]]);
                // MULRK/MULBLANK name their last column in their final two bytes.
                let last = if matches!(kind, 0x00BD | 0x00BE) && data.len() >= 6 {
                    u16::from_le_bytes([data[data.len() - 2], data[data.len() - 1]]).max(col)
                } else {
                    col
                };
                span = Some(match span {
                    None => (row, row, col, last),
                    Some((r0, r1, c0, c1)) => (r0.min(row), r1.max(row), c0.min(col), c1.max(last)),
                });
            }
            _ => {}
        }
    }
    Some(largest)
}

/// The cells calamine reserves for a DIMENSIONS record, computed as it does (BIFF8 rows are
/// 32-bit and wrap when the last row is before the first).
fn declared_grid(data: &[u8]) -> u64 {
    let (first_row, last_row, mut first_col, last_col) = match data.len() {
        10 => (
            u32::from(u16_at(data, 0).unwrap_or(0)),
            u32::from(u16_at(data, 2).unwrap_or(0)),
            u32::from(u16_at(data, 4).unwrap_or(0)),
            u32::from(u16_at(data, 6).unwrap_or(0)),
        ),
        14 | 16 => (
            u32_at(data, 0).unwrap_or(0),
            u32_at(data, 4).unwrap_or(0),
            u32::from(u16_at(data, 8).unwrap_or(0)),
            u32::from(u16_at(data, 10).unwrap_or(0)),
        ),
        _ => return 0,
    };
    if first_col > 0xFF || last_col < first_col {
        first_col = 0;
    }
    if last_row == 0 || last_col == 0 {
        return 1;
    }
    let rows = (last_row - 1).wrapping_sub(first_row).wrapping_add(1);
    let cols = (last_col - 1).wrapping_sub(first_col).wrapping_add(1);
    u64::from(rows) * u64::from(cols)
}

/// Opens the package's directory (not its parts) and refuses a package that is cut off,
/// declares more than [`limits`] allow, or is another kind of document; for an `.xlsx`, also
/// one whose package relationship names no workbook part that it holds ([`crate::opc::Package`]).
/// The resolved package of an `.xlsx`, `None` for an `.ods`.
fn check_package(
    bytes: &[u8],
    format: BookFormat,
) -> Result<Option<crate::opc::Package<'_>>, ReadError> {
    let package = crate::opc::Package::open(bytes)?;
    if format != BookFormat::Xlsx {
        return Ok(None);
    }
    kind_of_package(&package)?;
    let package = package.resolve()?;
    kind_of_main_part(&package)?;
    Ok(Some(package))
}

/// A zip that is not ODS must hold an Excel workbook part; Word and PowerPoint files are zips
/// too and are named apart because departments attach them by mistake.
fn kind_of_package(package: &crate::opc::Package<'_>) -> Result<(), ReadError> {
    if package.exists("word/document.xml") {
        return Err(ReadError::OfficeDocument("Word"));
    }
    if package
        .names()
        .iter()
        .any(|n| crate::opc::part_key(n).starts_with("ppt/"))
    {
        return Err(ReadError::OfficeDocument("PowerPoint"));
    }
    Ok(())
}

/// The main part's content type, where the package declares one, says a Word or PowerPoint
/// document as surely as its name.
fn kind_of_main_part(package: &crate::opc::Package<'_>) -> Result<(), ReadError> {
    let main = package.workbook().unwrap_or_default();
    match package.content_types().of(main) {
        Some(t) if t.contains("wordprocessingml") => Err(ReadError::OfficeDocument("Word")),
        Some(t) if t.contains("presentationml") => Err(ReadError::OfficeDocument("PowerPoint")),
        _ => Ok(()),
    }
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

    fn sample_xls() -> Vec<u8> {
        std::fs::read(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/fixtures/qiannan-finance-2023.xls"
        ))
        .expect("sample")
    }

    #[test]
    fn measures_the_grid_an_xls_sheet_spans() {
        // The seed form spans A1:I40 (and its other records), far below the limit.
        let grid = xls_largest_grid(&sample_xls()).expect("the Workbook stream is read");
        assert!((360..10_000).contains(&grid), "{grid}");
        assert!(matches!(admit(&sample_xls()), Ok(BookFormat::Xls)));
    }

    #[test]
    fn sizes_a_dimensions_record_as_calamine_reserves_it() {
        let biff8 = |first_row: u32, last_row: u32, first_col: u16, last_col: u16| {
            let mut d = Vec::new();
            d.extend(first_row.to_le_bytes());
            d.extend(last_row.to_le_bytes());
            d.extend(first_col.to_le_bytes());
            d.extend(last_col.to_le_bytes());
            d.extend([0, 0]);
            d
        };
        // A1:I40 (last row and column are one past the end).
        assert_eq!(declared_grid(&biff8(0, 40, 0, 9)), 360);
        // A last row before the first wraps to about 2³² rows, as calamine computes it.
        assert!(declared_grid(&biff8(10, 5, 0, 9)) > 4_000_000_000);
        assert_eq!(declared_grid(&biff8(0, 0, 0, 0)), 1);
        assert_eq!(declared_grid(&[0; 3]), 0);
    }

    #[test]
    fn refuses_an_xls_cell_far_off_the_form() {
        let mut bytes = sample_xls();
        // The first LABELSST record (type 0x00FD, length 10): move its cell to IV65536.
        let at = bytes
            .windows(4)
            .position(|w| w == [0xFD, 0x00, 0x0A, 0x00])
            .expect("a LABELSST record");
        bytes[at + 4..at + 8].copy_from_slice(&[0xFF, 0xFF, 0xFF, 0x00]);
        assert!(
            matches!(admit(&bytes), Err(ReadError::SheetTooLarge { cells }) if cells > MAX_XLS_GRID_CELLS)
        );
    }

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
