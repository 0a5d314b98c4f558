//! The corrected copy's zip archive. Untouched parts are copied as their original stored
//! bytes; rewritten parts are deflated whole by libdeflate, with one compressor per thread
//! kept between parts (the zip crate made and set up a new deflater for each part).
//!
//! Written by hand because it is small: local headers that carry every size (no data
//! descriptors), a central directory, its end record. No part or archive comes near the
//! 4 GiB or 65,535-entry limits past which zip64 would be needed: intake caps a package at
//! 100 MB and 10,000 entries. Should one ever get there, the copy fails rather than be
//! written wrong.

use zip::DateTime;

use super::super::WriteError;
use crate::opc::RawEntry;

const LOCAL_HEADER: u32 = 0x0403_4b50;
const CENTRAL_HEADER: u32 = 0x0201_4b50;
const END_OF_CENTRAL: u32 = 0x0605_4b50;
const STORED: u16 = 0;
const DEFLATED: u16 = 8;
/// Version 2.0: deflate, folders. What every zip reader accepts.
const VERSION: u16 = 20;
/// General purpose flag bit 11: the name is UTF-8.
const UTF8_NAME: u16 = 1 << 11;

/// Parts below this size are stored, not deflated: a rels or content-types part costs a
/// kilobyte or two stored, and libdeflate sets up its tables for every part it deflates
/// (deflating them all made a folder run 16 % slower).
const STORE_BELOW: usize = 4 * 1024;

/// One entry as both its headers describe it.
struct Entry<'a> {
    name: &'a str,
    method: u16,
    modified: DateTime,
    crc: u32,
    packed: u32,
    size: u32,
    offset: u32,
}

/// A zip archive being written, in memory.
pub struct Archive {
    out: Vec<u8>,
    central: Vec<u8>,
    entries: u16,
}

impl Archive {
    /// An empty archive, with room for about `capacity` bytes.
    pub fn with_capacity(capacity: usize) -> Archive {
        Archive {
            out: Vec::with_capacity(capacity),
            central: Vec::new(),
            entries: 0,
        }
    }

    /// Copies the input package's entry `name` as it was stored.
    pub fn copy(&mut self, name: &str, entry: &RawEntry) -> Result<(), WriteError> {
        let method = match entry.method {
            zip::CompressionMethod::Stored => STORED,
            zip::CompressionMethod::Deflated => DEFLATED,
            other => {
                return Err(WriteError::Copy {
                    part: name.to_string(),
                    reason: format!("不支持的压缩方式 (unsupported compression method) {other}"),
                });
            }
        };
        let head = Entry {
            name,
            method,
            modified: entry.modified,
            crc: entry.crc,
            packed: fits(entry.stored.len() as u64, name)?,
            size: fits(entry.size, name)?,
            offset: fits(self.out.len() as u64, name)?,
        };
        self.put(&head, entry.stored)
    }

    /// Adds a part with the contents `bytes`, deflated unless it is small or does not shrink.
    pub fn add(&mut self, name: &str, bytes: &[u8]) -> Result<(), WriteError> {
        let size = fits(bytes.len() as u64, name)?;
        let crc = crc32fast::hash(bytes);
        let deflated = (bytes.len() >= STORE_BELOW)
            .then(|| deflate(bytes))
            .flatten()
            .filter(|d| d.len() < bytes.len());
        let (method, data) = match &deflated {
            Some(d) => (DEFLATED, d.as_slice()),
            None => (STORED, bytes),
        };
        let head = Entry {
            name,
            method,
            modified: DateTime::default(),
            crc,
            packed: fits(data.len() as u64, name)?,
            size,
            offset: fits(self.out.len() as u64, name)?,
        };
        self.put(&head, data)
    }

    fn put(&mut self, e: &Entry, data: &[u8]) -> Result<(), WriteError> {
        let name = e.name.as_bytes();
        let name_len = fits_u16(name.len(), e.name)?;
        // 0xFFFF entries already means "see the zip64 record".
        self.entries = Some(self.entries + 1)
            .filter(|&n| n < u16::MAX)
            .ok_or_else(|| too_large(e.name))?;
        let out = &mut self.out;
        put32(out, LOCAL_HEADER);
        put16(out, VERSION);
        put_described(out, e, name_len);
        put16(out, 0); // extra field length
        out.extend_from_slice(name);
        out.extend_from_slice(data);

        let c = &mut self.central;
        put32(c, CENTRAL_HEADER);
        put16(c, VERSION); // made by
        put16(c, VERSION); // needed to extract
        put_described(c, e, name_len);
        for _ in 0..3 {
            put16(c, 0); // extra field, comment, disk number
        }
        put16(c, 0); // internal attributes
        put32(c, 0); // external attributes
        put32(c, e.offset);
        c.extend_from_slice(name);
        Ok(())
    }

    /// The archive's bytes, with the input's archive comment.
    pub fn finish(mut self, comment: &[u8]) -> Result<Vec<u8>, WriteError> {
        let what = "中央目录 (central directory)";
        let start = fits(self.out.len() as u64, what)?;
        let size = fits(self.central.len() as u64, what)?;
        let comment_len = fits_u16(comment.len(), "压缩包注释 (archive comment)")?;
        self.out.append(&mut self.central);
        let out = &mut self.out;
        put32(out, END_OF_CENTRAL);
        put16(out, 0); // this disk
        put16(out, 0); // disk where the directory starts
        put16(out, self.entries);
        put16(out, self.entries);
        put32(out, size);
        put32(out, start);
        put16(out, comment_len);
        out.extend_from_slice(comment);
        Ok(self.out)
    }
}

thread_local! {
    /// Level 1, the fastest that compresses (libdeflate's "fastest", level 0, only
    /// stores): a bureau writes thousands of copies.
    static COMPRESSOR: std::cell::RefCell<libdeflater::Compressor> = std::cell::RefCell::new(
        libdeflater::Compressor::new(libdeflater::CompressionLvl::new(1).unwrap_or_default()),
    );
}

/// `None` if libdeflate fails, which its own bound on the output rules out: the part is
/// then stored.
fn deflate(bytes: &[u8]) -> Option<Vec<u8>> {
    COMPRESSOR.with_borrow_mut(|c| {
        let mut out = vec![0; c.deflate_compress_bound(bytes.len())];
        let n = c.deflate_compress(bytes, &mut out).ok()?;
        out.truncate(n);
        Some(out)
    })
}

fn fits(n: u64, what: &str) -> Result<u32, WriteError> {
    u32::try_from(n)
        .ok()
        .filter(|&n| n != u32::MAX)
        .ok_or_else(|| too_large(what))
}

fn fits_u16(n: usize, what: &str) -> Result<u16, WriteError> {
    u16::try_from(n).map_err(|_| too_large(what))
}

fn too_large(what: &str) -> WriteError {
    WriteError::TooLarge(what.to_string())
}

/// The fields a local and a central header share, in the order both hold them: flags,
/// method, time, date, checksum, both sizes and the name's length.
fn put_described(out: &mut Vec<u8>, e: &Entry, name_len: u16) {
    let flags = if e.name.is_ascii() { 0 } else { UTF8_NAME };
    put16(out, flags);
    put16(out, e.method);
    put16(out, e.modified.timepart());
    put16(out, e.modified.datepart());
    put32(out, e.crc);
    put32(out, e.packed);
    put32(out, e.size);
    put16(out, name_len);
}

fn put16(out: &mut Vec<u8>, v: u16) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

#[cfg(test)]
mod tests {
    use std::io::{Cursor, Read, Write};

    use zip::write::SimpleFileOptions;
    use zip::{CompressionMethod, ZipArchive, ZipWriter};

    use super::*;

    /// Every entry of `zip` as (name, method, contents), checksums verified by the zip crate.
    fn entries(zip: &[u8]) -> Vec<(String, CompressionMethod, Vec<u8>)> {
        let mut archive = ZipArchive::new(Cursor::new(zip)).expect("a zip");
        (0..archive.len())
            .map(|i| {
                let mut f = archive.by_index(i).expect("entry");
                let mut data = Vec::new();
                f.read_to_end(&mut data).expect("inflates, checksum right");
                (f.name().expect("name").into_owned(), f.compression(), data)
            })
            .collect()
    }

    fn sheet_xml(rows: usize) -> Vec<u8> {
        (0..rows)
            .map(|r| format!("<row r=\"{r}\"><c r=\"A{r}\"><v>{r}</v></c></row>"))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn copied_and_added_parts_read_back_in_order() {
        // The input as a streaming writer leaves it: sizes in data descriptors after each
        // entry, zeros in the local headers.
        let mut input = ZipWriter::new_stream(Cursor::new(Vec::new()));
        let deflated = SimpleFileOptions::default();
        input.start_file("xl/theme/theme1.xml", deflated).unwrap();
        input.write_all(&sheet_xml(300)).unwrap();
        input
            .start_file(
                "xl/media/图1.png",
                deflated.compression_method(CompressionMethod::Stored),
            )
            .unwrap();
        input.write_all(b"\x89PNG not really").unwrap();
        input.set_comment("来自填报单位").unwrap();
        let input = input.finish().unwrap().into_inner().into_inner();

        let mut source = ZipArchive::new(Cursor::new(input.as_slice())).unwrap();
        let mut out = Archive::with_capacity(0);
        out.add("[Content_Types].xml", b"<Types/>").unwrap();
        for i in 0..source.len() {
            let name = source
                .name_for_index(i)
                .expect("entry")
                .unwrap()
                .into_owned();
            let entry = RawEntry::of(&input, &mut source, i).expect("plain entry");
            out.copy(&name, &entry).unwrap();
        }
        let big = sheet_xml(2000);
        out.add("xl/worksheets/sheet1.xml", &big).unwrap();
        let zip = out.finish(source.comment()).unwrap();

        let read = entries(&zip);
        let names: Vec<&str> = read.iter().map(|e| e.0.as_str()).collect();
        assert_eq!(
            names,
            [
                "[Content_Types].xml",
                "xl/theme/theme1.xml",
                "xl/media/图1.png",
                "xl/worksheets/sheet1.xml"
            ]
        );
        assert_eq!(read[0].2, b"<Types/>");
        assert_eq!(read[1].2, sheet_xml(300));
        assert_eq!(read[2].2, b"\x89PNG not really");
        assert_eq!(read[3].2, big);
        // A small part is stored; a large one deflated; a copy keeps its method.
        let methods: Vec<CompressionMethod> = read.iter().map(|e| e.1).collect();
        assert_eq!(
            methods,
            [
                CompressionMethod::Stored,
                CompressionMethod::Deflated,
                CompressionMethod::Stored,
                CompressionMethod::Deflated
            ]
        );
        let back = ZipArchive::new(Cursor::new(zip.as_slice())).unwrap();
        assert_eq!(back.comment(), "来自填报单位".as_bytes());
        // The copy's stored bytes are the input's own.
        let theme = source
            .by_name("xl/theme/theme1.xml")
            .unwrap()
            .compressed_size();
        let mut back = back;
        assert_eq!(back.by_index_raw(1).unwrap().compressed_size(), theme);
    }

    #[test]
    fn a_part_that_does_not_shrink_is_stored() {
        // Bytes with no repeats deflate to more than they are.
        let mut noise = Vec::with_capacity(8192);
        let mut x: u32 = 0x9e37_79b9;
        for _ in 0..8192 {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            noise.push(x as u8);
        }
        let mut out = Archive::with_capacity(0);
        out.add("xl/media/image1.bin", &noise).unwrap();
        let read = entries(&out.finish(b"").unwrap());
        assert_eq!(read[0].1, CompressionMethod::Stored);
        assert_eq!(read[0].2, noise);
    }

    #[test]
    fn an_entry_compressed_another_way_is_refused_by_name() {
        let entry = RawEntry {
            method: CompressionMethod::BZIP2,
            stored: b"BZh9",
            crc: 0,
            size: 4,
            modified: DateTime::default(),
        };
        let err = Archive::with_capacity(0)
            .copy("xl/worksheets/sheet9.xml", &entry)
            .unwrap_err();
        assert!(
            matches!(err, WriteError::Copy { ref part, .. } if part == "xl/worksheets/sheet9.xml")
        );
    }

    #[test]
    fn the_entry_past_what_a_plain_zip_counts_is_refused() {
        let mut out = Archive::with_capacity(0);
        for i in 0..u16::MAX - 1 {
            out.add(&format!("p{i}"), b"").unwrap();
        }
        let err = out.add("one-too-many", b"").unwrap_err();
        assert!(matches!(err, WriteError::TooLarge(ref name) if name == "one-too-many"));
        // The 65,534 before it make a zip the zip crate reads.
        let zip = out.finish(b"").unwrap();
        assert_eq!(ZipArchive::new(Cursor::new(zip)).unwrap().len(), 65_534);
    }
}
