//! The zip package: reading parts, remembering changes, and writing the result with every
//! untouched entry copied as its original compressed bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{Cursor, Write};

use quick_xml::events::Event;
use zip::write::SimpleFileOptions;
use zip::{CompressionMethod, DateTime, ZipArchive, ZipWriter};

use super::super::WriteError;
use super::xml::{DECL, XmlIn, XmlOut, attr, esc, name_of, xml_error};
use crate::opc::{Inflated, relative_target, rels_part_for};

const CONTENT_TYPES: &str = "[Content_Types].xml";
const PKG_REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

/// A relationship as the package holds it: the one type `opc` parses.
pub use crate::opc::Relationship as Rel;

#[derive(Default)]
struct RelsEdit {
    added: Vec<Rel>,
    removed: BTreeSet<String>,
}

#[derive(Default)]
struct TypesEdit {
    defaults: Vec<(String, String)>,
    overrides: Vec<(String, String)>,
    removed: Vec<String>,
}

pub struct Package<'a> {
    input: &'a [u8],
    archive: ZipArchive<Cursor<&'a [u8]>>,
    /// Parts the reader inflated, taken instead of the archive's.
    inflated: &'a Inflated,
    /// Entry names of the input, in their original order.
    names: Vec<String>,
    /// New contents, for original entries and added ones alike.
    data: BTreeMap<String, Vec<u8>>,
    /// Relationships parts as read, parsed once: a patch asks for the workbook's and the
    /// sheet's relationships several times.
    parsed_rels: BTreeMap<String, Vec<Rel>>,
    /// Added entries, in the order they were created (which is deterministic).
    added: Vec<String>,
    removed: BTreeSet<String>,
    rels: BTreeMap<String, RelsEdit>,
    types: TypesEdit,
    /// The package as intake and the reader opened it.
    opc: crate::opc::Package<'a>,
}

/// A part that cannot be read, in the writer's words.
pub(super) fn opc_error(e: crate::opc::OpcError) -> WriteError {
    use crate::opc::OpcError as E;
    match e {
        E::Oversized(part) => WriteError::TooLarge(part),
        E::Zip(e) => WriteError::Zip(e),
        E::Part { part, reason } => WriteError::Copy { part, reason },
        other => WriteError::Copy {
            part: "[package]".to_string(),
            reason: other.to_string(),
        },
    }
}

impl<'a> Package<'a> {
    /// The writer's side of `opc`, the package intake and the reader opened: its directory
    /// (shared, not read again), its part lookup and the workbook part it resolved.
    /// Entries are named as the package's relationships name them
    /// ([`crate::opc::Package::referenced_names`]), so that the copy, unlike a package that
    /// stores `XL/Workbook.xml` or `xl\worksheets\sheet1.xml`, opens in a program that looks
    /// parts up by exact name.
    pub fn open(
        mut opc: crate::opc::Package<'a>,
        inflated: &'a Inflated,
    ) -> Result<Self, WriteError> {
        let input = opc.bytes();
        let archive = opc.zip_archive().clone();
        let names = opc.referenced_names();
        // An XML part stored as UTF-16 is written as UTF-8, its declaration saying so: the
        // spreadsheet programs read either, but calamine (and so this crate's own reading of
        // a copy) only UTF-8.
        let mut data = BTreeMap::new();
        for (index, name) in names.iter().enumerate() {
            let xml = [".xml", ".rels", ".vml"]
                .iter()
                .any(|ext| name.to_ascii_lowercase().ends_with(ext));
            if xml && opc.is_utf16(index) {
                let cap = crate::limits::MAX_ENTRY_BYTES;
                if let Some(text) = opc.read_text(name, cap).map_err(opc_error)? {
                    data.insert(name.clone(), text);
                }
            }
        }
        Ok(Self {
            input,
            archive,
            inflated,
            names,
            data,
            parsed_rels: BTreeMap::new(),
            added: Vec::new(),
            removed: BTreeSet::new(),
            rels: BTreeMap::new(),
            types: TypesEdit::default(),
            opc,
        })
    }

    /// The workbook part, as the package relationship names it.
    pub fn workbook(&self) -> Result<String, WriteError> {
        self.opc
            .workbook()
            .map(str::to_string)
            .ok_or_else(|| WriteError::MissingPart("_rels/.rels → officeDocument".to_string()))
    }

    /// The name a part is written under: OPC part names compare ignoring case, with `\`
    /// read as `/`, here as in intake and the reader.
    fn lookup(&self, name: &str) -> Option<String> {
        let found = match self.opc.index(name) {
            Some(index) => self.names[index].clone(),
            None => {
                let key = crate::opc::part_key(name);
                self.added
                    .iter()
                    .find(|n| crate::opc::part_key(n) == key)?
                    .clone()
            }
        };
        (!self.removed.contains(&found)).then_some(found)
    }

    pub fn exists(&self, name: &str) -> bool {
        self.lookup(name).is_some()
    }

    pub fn read(&mut self, name: &str) -> Result<Vec<u8>, WriteError> {
        self.read_optional(name)?
            .ok_or_else(|| WriteError::MissingPart(name.to_string()))
    }

    pub fn read_optional(&mut self, name: &str) -> Result<Option<Vec<u8>>, WriteError> {
        let Some(name) = self.lookup(name) else {
            return Ok(None);
        };
        if let Some(bytes) = self.data.get(&name) {
            return Ok(Some(bytes.clone()));
        }
        if let Some(bytes) = self.inflated.get(&name) {
            return Ok(Some(bytes.to_vec()));
        }
        // The parts intake lets be held whole are capped as the reader caps them; the others
        // as any part is. A part stored as UTF-16 is read as UTF-8, as the reader reads it.
        let cap = match self.opc.is_held_whole(&name) {
            true => crate::limits::MAX_HELD_PART_BYTES,
            false => crate::limits::MAX_ENTRY_BYTES,
        };
        self.opc.read_text(&name, cap).map_err(opc_error)
    }

    /// Part names ending in `suffix` (case-insensitive), in package order.
    pub fn names_ending(&self, suffix: &str) -> Vec<String> {
        let suffix = suffix.to_ascii_lowercase();
        self.names
            .iter()
            .chain(self.added.iter())
            .filter(|n| !self.removed.contains(*n) && n.to_ascii_lowercase().ends_with(&suffix))
            .cloned()
            .collect()
    }

    /// Stores new contents for a part, adding the part when it does not exist yet.
    pub fn put(&mut self, name: &str, bytes: Vec<u8>) {
        self.parsed_rels.remove(name);
        let name = match self.lookup(name) {
            Some(existing) => existing,
            None => {
                self.added.push(name.to_string());
                name.to_string()
            }
        };
        self.data.insert(name, bytes);
    }

    pub fn remove(&mut self, name: &str) {
        if let Some(name) = self.lookup(name) {
            self.data.remove(&name);
            self.removed.insert(name);
        }
    }

    /// `stem` + the smallest N ≥ 1 + `ext` that names no part.
    pub fn unused_name(&self, stem: &str, ext: &str) -> String {
        let mut n: u64 = 1;
        loop {
            let name = format!("{stem}{n}{ext}");
            if !self.exists(&name) {
                return name;
            }
            n += 1;
        }
    }

    /// The relationships of `source` (a part name; empty for the package), with pending edits.
    pub fn rels(&mut self, source: &str) -> Result<Vec<Rel>, WriteError> {
        let part = rels_part_for(source);
        let mut rels = match self.parsed_rels.get(&part) {
            Some(rels) => rels.clone(),
            None => {
                let rels = match self.read_optional(&part)? {
                    Some(xml) => crate::opc::parse_rels(&xml, source)
                        .map_err(|reason| xml_error(&part, reason))?,
                    None => Vec::new(),
                };
                self.parsed_rels.insert(part.clone(), rels.clone());
                rels
            }
        };
        if let Some(edit) = self.rels.get(&part) {
            rels.retain(|r| !edit.removed.contains(&r.id));
            rels.extend(edit.added.iter().cloned());
        }
        Ok(rels)
    }

    /// Adds a relationship from `source` to the part `to` and returns its new id.
    pub fn add_rel(&mut self, source: &str, kind: &str, to: &str) -> Result<String, WriteError> {
        let taken: BTreeSet<String> = self.rels(source)?.into_iter().map(|r| r.id).collect();
        let mut n = taken
            .iter()
            .filter_map(|id| id.strip_prefix("rId")?.parse::<u64>().ok())
            .max()
            .unwrap_or(0);
        let id = loop {
            n += 1;
            let id = format!("rId{n}");
            if !taken.contains(&id) {
                break id;
            }
        };
        let rel = Rel {
            id: id.clone(),
            kind: kind.rsplit('/').next().unwrap_or_default().to_string(),
            kind_uri: kind.to_string(),
            part: to.to_string(),
            target: relative_target(source, to),
            external: false,
        };
        self.rels
            .entry(rels_part_for(source))
            .or_default()
            .added
            .push(rel);
        Ok(id)
    }

    pub fn remove_rel(&mut self, source: &str, id: &str) {
        self.rels
            .entry(rels_part_for(source))
            .or_default()
            .removed
            .insert(id.to_string());
    }

    pub fn add_default_type(&mut self, ext: &str, content_type: &str) {
        self.types
            .defaults
            .push((ext.to_string(), content_type.to_string()));
    }

    pub fn add_override_type(&mut self, part: &str, content_type: &str) {
        self.types
            .overrides
            .push((format!("/{part}"), content_type.to_string()));
    }

    pub fn remove_override_type(&mut self, part: &str) {
        self.types.removed.push(format!("/{part}"));
    }

    /// Writes the package with the zip crate: original entries in their order, each copied as
    /// its stored (compressed) bytes unless it changed, then the added ones. Entries written
    /// anew carry a fixed time, so that a second run writes the same bytes.
    pub fn finish(mut self) -> Result<Vec<u8>, WriteError> {
        self.apply_rels()?;
        self.apply_types()?;
        let capacity = self.input.len() + self.input.len() / 4;
        let mut out = ZipWriter::new(Cursor::new(Vec::with_capacity(capacity)));
        for (i, name) in self.names.iter().enumerate() {
            if self.removed.contains(name) {
                continue;
            }
            match self.data.get(name) {
                Some(bytes) => write_part(&mut out, name, bytes)?,
                None => {
                    let entry = self
                        .archive
                        .by_index_raw(i)
                        .map_err(|e| copy_error(name, e))?;
                    if entry.encrypted() {
                        return Err(copy_error(name, "部件已加密 (encrypted)"));
                    }
                    // Stored under another spelling (`XL\Workbook.xml`), an entry is
                    // written under the name its relationships give it.
                    let copied = match entry.name_raw() == name.as_bytes() {
                        true => out.raw_copy_file(entry),
                        false => out.raw_copy_file_rename(entry, name),
                    };
                    copied.map_err(|e| copy_error(name, e))?;
                }
            }
        }
        for name in &self.added {
            if let Some(bytes) = self.data.get(name) {
                write_part(&mut out, name, bytes)?;
            }
        }
        let comment = "压缩包注释 (archive comment)";
        out.set_raw_comment(self.archive.comment().into())
            .map_err(|e| copy_error(comment, e))?;
        let written = out
            .finish()
            .map_err(|e| copy_error("中央目录 (central directory)", e))?;
        Ok(written.into_inner())
    }

    fn apply_rels(&mut self) -> Result<(), WriteError> {
        let edits = std::mem::take(&mut self.rels);
        for (part, edit) in edits {
            let xml = self.read_optional(&part)?;
            let bytes = rewrite_rels(xml.as_deref(), &part, &edit)?;
            self.put(&part, bytes);
        }
        Ok(())
    }

    fn apply_types(&mut self) -> Result<(), WriteError> {
        let edit = std::mem::take(&mut self.types);
        if edit.defaults.is_empty() && edit.overrides.is_empty() && edit.removed.is_empty() {
            return Ok(());
        }
        let xml = self.read(CONTENT_TYPES)?;
        let bytes = rewrite_types(&xml, &edit)?;
        self.put(CONTENT_TYPES, bytes);
        Ok(())
    }
}

/// Parts below this size are stored, not deflated: a relationships or content-types part
/// costs a kilobyte or two stored, and setting up a deflater for each costs more than it saves.
const STORE_BELOW: usize = 4 * 1024;

/// Adds the part `name` holding `bytes`: deflated at the fastest level that compresses (a
/// bureau writes thousands of copies), or stored when it is small.
fn write_part(
    out: &mut ZipWriter<Cursor<Vec<u8>>>,
    name: &str,
    bytes: &[u8],
) -> Result<(), WriteError> {
    let options = match bytes.len() >= STORE_BELOW {
        true => SimpleFileOptions::default()
            .compression_method(CompressionMethod::Deflated)
            .compression_level(Some(1)),
        false => SimpleFileOptions::default().compression_method(CompressionMethod::Stored),
    }
    .last_modified_time(DateTime::default());
    out.start_file(name, options)
        .map_err(|e| copy_error(name, e))?;
    out.write_all(bytes).map_err(|e| copy_error(name, e))
}

/// The copy could not write the part `name`.
fn copy_error(name: &str, reason: impl std::fmt::Display) -> WriteError {
    WriteError::Copy {
        part: name.to_string(),
        reason: format!("写入副本失败 (cannot write the copy): {reason}"),
    }
}

fn rel_markup(rel: &Rel) -> String {
    format!(
        "<Relationship Id=\"{}\" Type=\"{}\" Target=\"{}\"/>",
        esc(&rel.id),
        esc(&rel.kind_uri),
        esc(&rel.target)
    )
}

fn rewrite_rels(xml: Option<&[u8]>, part: &str, edit: &RelsEdit) -> Result<Vec<u8>, WriteError> {
    let added: String = edit.added.iter().map(rel_markup).collect();
    let Some(xml) = xml else {
        return Ok(
            format!("{DECL}<Relationships xmlns=\"{PKG_REL_NS}\">{added}</Relationships>")
                .into_bytes(),
        );
    };
    let mut rd = XmlIn::new(xml, part);
    let mut out = XmlOut::new();
    let mut depth = 0usize;
    // Set while inside a Relationship being dropped (written with a closing tag).
    let mut skipping = false;
    loop {
        let event = rd.next()?;
        match event {
            Event::Start(ref e) | Event::Empty(ref e)
                if depth == 1 && name_of(e) == "Relationship" =>
            {
                let drop = attr(e, "Id", part)?.is_some_and(|id| edit.removed.contains(&id));
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                    skipping = drop;
                }
                if !drop {
                    out.event(event.borrow())?;
                }
                continue;
            }
            Event::Empty(ref e) if depth == 0 => {
                // `<Relationships/>`: nothing to keep but the element itself.
                out.event(Event::Start(e.borrow()))?;
                out.raw(&added);
                out.event(Event::End(e.to_end()))?;
                continue;
            }
            Event::Start(_) => depth += 1,
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.raw(&added);
                } else if depth == 1 && skipping {
                    skipping = false;
                    continue;
                }
            }
            Event::Eof => break,
            _ => {}
        }
        if !skipping {
            out.event(event)?;
        }
    }
    Ok(out.into_bytes())
}

fn rewrite_types(xml: &[u8], edit: &TypesEdit) -> Result<Vec<u8>, WriteError> {
    let mut rd = XmlIn::new(xml, CONTENT_TYPES);
    let mut out = XmlOut::new();
    let mut depth = 0usize;
    let mut defaults = BTreeSet::new();
    let mut overrides = BTreeSet::new();
    let removed: BTreeSet<String> = edit.removed.iter().map(|p| p.to_lowercase()).collect();
    loop {
        let event = rd.next()?;
        match &event {
            Event::Start(e) | Event::Empty(e) if depth == 1 => {
                match name_of(e) {
                    "Default" => {
                        if let Some(ext) = attr(e, "Extension", CONTENT_TYPES)? {
                            defaults.insert(ext.to_lowercase());
                        }
                    }
                    "Override" => {
                        let name = attr(e, "PartName", CONTENT_TYPES)?.unwrap_or_default();
                        if removed.contains(&name.to_lowercase()) {
                            if matches!(event, Event::Start(_)) {
                                return Err(xml_error(CONTENT_TYPES, "Override with content"));
                            }
                            continue;
                        }
                        overrides.insert(name.to_lowercase());
                    }
                    _ => {}
                }
                if matches!(event, Event::Start(_)) {
                    depth += 1;
                }
            }
            Event::Start(_) => depth += 1,
            Event::Empty(e) if depth == 0 => {
                out.event(Event::Start(e.borrow()))?;
                out.raw(&new_types(edit, &defaults, &overrides));
                out.event(Event::End(e.to_end()))?;
                continue;
            }
            Event::End(_) => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    out.raw(&new_types(edit, &defaults, &overrides));
                }
            }
            Event::Eof => break,
            _ => {}
        }
        out.event(event)?;
    }
    Ok(out.into_bytes())
}

fn new_types(
    edit: &TypesEdit,
    defaults: &BTreeSet<String>,
    overrides: &BTreeSet<String>,
) -> String {
    let mut s = String::new();
    let mut seen = BTreeSet::new();
    for (ext, ct) in &edit.defaults {
        let key = ext.to_lowercase();
        if !defaults.contains(&key) && seen.insert(key) {
            s += &format!(
                "<Default Extension=\"{}\" ContentType=\"{}\"/>",
                esc(ext),
                esc(ct)
            );
        }
    }
    for (part, ct) in &edit.overrides {
        let key = part.to_lowercase();
        if !overrides.contains(&key) && seen.insert(key) {
            s += &format!(
                "<Override PartName=\"{}\" ContentType=\"{}\"/>",
                esc(part),
                esc(ct)
            );
        }
    }
    s
}
