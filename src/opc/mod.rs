//! Office Open XML packages (OPC): the one [`Package`] type that intake, the reader and the
//! writer open a package with (its directory, part names compared as OPC compares them, the
//! workbook part its relationship names, the content types), and the part-name arithmetic
//! they share: where a relationship points, and the relationships part of a part.

use std::collections::HashMap;

mod package;
pub use package::{
    CONTENT_TYPES, ContentTypes, OpcError, PACKAGE_RELS, Package, Relationship, parse_rels,
    sheet_rel_ids, utf8_xml,
};

/// A part name as OPC compares it: ignoring ASCII case, `\` read as `/` (some exporters
/// write either), no leading slash.
pub fn part_key(name: &str) -> String {
    name.trim_start_matches(['/', '\\'])
        .replace('\\', "/")
        .to_ascii_lowercase()
}

/// Parts of one package inflated whole by the reader, kept for the writer, so that a
/// corrected copy inflates none of them again.
#[derive(Debug, Default)]
pub struct Inflated {
    parts: HashMap<String, Vec<u8>>,
}

impl Inflated {
    pub fn keep(&mut self, name: &str, bytes: Vec<u8>) {
        self.parts.insert(part_key(name), bytes);
    }

    /// The bytes of the part stored under `name`, when the reader kept them.
    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.parts.get(&part_key(name)).map(Vec::as_slice)
    }
}

/// `xl/_rels/workbook.xml.rels` for `xl/workbook.xml`; `_rels/.rels` for the package.
pub fn rels_part_for(source: &str) -> String {
    match source.rsplit_once('/') {
        Some((dir, file)) => format!("{dir}/_rels/{file}.rels"),
        None => format!("_rels/{source}.rels"),
    }
}

/// The part a relationship target names: absolute from the package root when it starts with
/// `/`, otherwise relative to the source part's folder.
pub fn resolve_target(source: &str, target: &str) -> String {
    let target = percent_decode(target);
    let mut segments: Vec<&str> = Vec::new();
    let rest = match target.strip_prefix('/') {
        Some(abs) => abs,
        None => {
            if let Some((dir, _)) = source.rsplit_once('/') {
                segments.extend(dir.split('/'));
            }
            target.as_str()
        }
    };
    for seg in rest.split('/') {
        match seg {
            "" | "." => {}
            ".." => {
                segments.pop();
            }
            s => segments.push(s),
        }
    }
    segments.join("/")
}

/// The relative target that [`resolve_target`] turns back into `to`.
pub fn relative_target(source: &str, to: &str) -> String {
    let from: Vec<&str> = match source.rsplit_once('/') {
        Some((dir, _)) => dir.split('/').collect(),
        None => Vec::new(),
    };
    let to_segs: Vec<&str> = to.split('/').collect();
    let common = from
        .iter()
        .zip(&to_segs)
        .take_while(|(a, b)| a == b)
        .count()
        .min(to_segs.len().saturating_sub(1));
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to_segs[common..]);
    parts.join("/")
}

fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(b)) => {
                out.push(b);
                i += 3;
            }
            (b, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// The whole of one part, read into room for its declared size (reads into a small spare
/// space would send the inflater down its slow path). `None` when it holds more than `cap`
/// bytes, whatever it declares.
pub fn read_whole(
    part: impl std::io::Read,
    declared: u64,
    cap: u64,
) -> std::io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let mut bytes = Vec::with_capacity(declared.min(cap) as usize + 1);
    let n = part.take(cap + 1).read_to_end(&mut bytes)?;
    Ok((n as u64 <= cap).then_some(bytes))
}

/// One entry's bytes as stored in its package, and what its central directory declares.
/// Its name is the caller's: both callers have it already.
pub struct RawEntry<'a> {
    pub method: zip::CompressionMethod,
    pub stored: &'a [u8],
    pub crc: u32,
    pub size: u64,
    pub modified: zip::DateTime,
}

impl<'a> RawEntry<'a> {
    /// Entry `index` of `zip`, which reads `input`. `None` for an encrypted entry, and for one
    /// whose stored bytes do not lie inside `input`.
    pub fn of(
        input: &'a [u8],
        zip: &mut zip::ZipArchive<std::io::Cursor<&'a [u8]>>,
        index: usize,
    ) -> Option<RawEntry<'a>> {
        let f = zip.by_index_raw(index).ok()?;
        if f.encrypted() {
            return None;
        }
        let start = usize::try_from(f.data_start()?).ok()?;
        let packed = usize::try_from(f.compressed_size()).ok()?;
        Some(RawEntry {
            method: f.compression(),
            stored: input.get(start..)?.get(..packed)?,
            crc: f.crc32(),
            size: f.size(),
            modified: f.last_modified().unwrap_or_default(),
        })
    }

    /// The entry inflated whole in one call, when it is stored or deflated, declares at most
    /// `cap` bytes, and inflates to exactly that many with the declared checksum. `None`
    /// otherwise: streamed instead, it then fails or is read as far as it goes, as before.
    pub fn inflate(&self, cap: u64) -> Option<Vec<u8>> {
        if self.size > cap {
            return None;
        }
        let bytes = match self.method {
            zip::CompressionMethod::Stored if self.stored.len() as u64 == self.size => {
                self.stored.to_vec()
            }
            zip::CompressionMethod::Deflated => {
                let mut out = vec![0; usize::try_from(self.size).ok()?];
                let n = INFLATER
                    .with_borrow_mut(|d| d.deflate_decompress(self.stored, &mut out))
                    .ok()?;
                (n == out.len()).then_some(out)?
            }
            _ => return None,
        };
        (crc32fast::hash(&bytes) == self.crc).then_some(bytes)
    }
}

thread_local! {
    /// One inflater per thread, kept: libdeflate inflates a whole part in one call, about
    /// twice as fast as a stream through the zip crate.
    static INFLATER: std::cell::RefCell<libdeflater::Decompressor> =
        std::cell::RefCell::new(libdeflater::Decompressor::new());
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Write};

    use super::*;

    const PART: &[u8] = b"<sst><si><t>\xe9\xa1\xb9\xe7\x9b\xae</t></si></sst>";

    /// A package of one deflated part, with its central directory's field at `offset` (past
    /// the header's signature) overwritten by `value`.
    fn package(field: Option<(usize, u32)>) -> Vec<u8> {
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        zip.start_file(
            "xl/sharedStrings.xml",
            zip::write::SimpleFileOptions::default(),
        )
        .unwrap();
        zip.write_all(&PART.repeat(50)).unwrap();
        let mut bytes = zip.finish().unwrap().into_inner();
        if let Some((offset, value)) = field {
            let central = bytes
                .windows(4)
                .position(|w| w == b"PK\x01\x02")
                .expect("central header");
            bytes[central + offset..central + offset + 4].copy_from_slice(&value.to_le_bytes());
        }
        bytes
    }

    fn inflated(bytes: &[u8], cap: u64) -> Option<Vec<u8>> {
        let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).unwrap();
        RawEntry::of(bytes, &mut zip, 0)?.inflate(cap)
    }

    #[test]
    fn a_part_is_inflated_whole_only_when_its_size_and_checksum_hold() {
        let whole = PART.repeat(50);
        assert_eq!(inflated(&package(None), 1 << 20), Some(whole.clone()));
        // Over the cap, or declaring another checksum or size: left to the stream, which
        // fails or reads it as far as it goes.
        assert_eq!(inflated(&package(None), whole.len() as u64 - 1), None);
        assert_eq!(inflated(&package(Some((16, 0xdead_beef))), 1 << 20), None);
        for size in [whole.len() as u32 - 1, whole.len() as u32 + 1] {
            assert_eq!(inflated(&package(Some((24, size))), 1 << 20), None);
        }
    }
}
