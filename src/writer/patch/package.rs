//! The zip package: reading parts, remembering changes, and writing the result with every
//! untouched entry copied as its original compressed bytes.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Cursor;

use quick_xml::events::Event;
use zip::ZipArchive;

use super::super::WriteError;
use super::archive::Archive;
use super::xml::{DECL, XmlIn, XmlOut, attr, esc, name_of, xml_error};
use crate::opc::{Inflated, RawEntry, relative_target, rels_part_for};

const CONTENT_TYPES: &str = "[Content_Types].xml";
const PKG_REL_NS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";

/// One relationship of a part.
#[derive(Debug, Clone)]
pub struct Rel {
    pub id: String,
    pub kind: String,
    pub target: String,
    pub external: bool,
}

impl Rel {
    /// Relationship types end in the same word in transitional and strict packages
    /// (`…/relationships/comments`), so the last segment identifies them.
    pub fn is(&self, kind: &str) -> bool {
        !self.external && self.kind.rsplit('/').next() == Some(kind)
    }
}

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
}

impl<'a> Package<'a> {
    pub fn open(input: &'a [u8], inflated: &'a Inflated) -> Result<Self, WriteError> {
        let archive = ZipArchive::new(Cursor::new(input))?;
        let mut names = Vec::with_capacity(archive.len());
        for i in 0..archive.len() {
            if let Some(name) = archive.name_for_index(i) {
                names.push(name?.into_owned());
            }
        }
        Ok(Self {
            input,
            archive,
            inflated,
            names,
            data: BTreeMap::new(),
            parsed_rels: BTreeMap::new(),
            added: Vec::new(),
            removed: BTreeSet::new(),
            rels: BTreeMap::new(),
            types: TypesEdit::default(),
        })
    }

    /// The stored spelling of a part name; OPC part names compare case-insensitively.
    fn lookup(&self, name: &str) -> Option<String> {
        let all = || self.names.iter().chain(self.added.iter());
        let found = all()
            .find(|n| *n == name)
            .or_else(|| all().find(|n| n.eq_ignore_ascii_case(name)))?;
        (!self.removed.contains(found)).then(|| found.clone())
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
        // as any part is.
        let cap = match crate::intake::is_held_whole(&name) {
            true => crate::intake::limits::MAX_HELD_PART_BYTES,
            false => crate::intake::limits::MAX_ENTRY_BYTES,
        };
        // In one call when it can be; streamed otherwise, where a damaged part fails with the
        // zip crate's reason.
        let index = self.archive.index_for_name(&name);
        let whole = index.and_then(|i| RawEntry::of(self.input, &mut self.archive, i));
        if let Some(bytes) = whole.and_then(|e| e.inflate(cap)) {
            return Ok(Some(bytes));
        }
        let file = self.archive.by_name(&name)?;
        let declared = file.size();
        let bytes = crate::opc::read_whole(file, declared, cap)?
            .ok_or_else(|| WriteError::TooLarge(name.clone()))?;
        Ok(Some(bytes))
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
                    Some(xml) => parse_rels(&xml, &part)?,
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
            kind: kind.to_string(),
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

    /// Writes the package: original entries in their order (copied as stored unless
    /// changed), then the added ones.
    pub fn finish(mut self) -> Result<Vec<u8>, WriteError> {
        self.apply_rels()?;
        self.apply_types()?;
        let mut out = Archive::with_capacity(self.input.len() + self.input.len() / 4);
        for (i, name) in self.names.iter().enumerate() {
            if self.removed.contains(name) {
                continue;
            }
            match self.data.get(name) {
                Some(bytes) => out.add(name, bytes)?,
                None => {
                    let entry =
                        RawEntry::of(self.input, &mut self.archive, i).ok_or_else(|| {
                            WriteError::Copy {
                                part: name.clone(),
                                reason: "部件已加密或不完整 (encrypted or cut off)".to_string(),
                            }
                        })?;
                    out.copy(name, &entry)?;
                }
            }
        }
        for name in &self.added {
            if let Some(bytes) = self.data.get(name) {
                out.add(name, bytes)?;
            }
        }
        out.finish(self.archive.comment())
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

pub fn parse_rels(xml: &[u8], part: &str) -> Result<Vec<Rel>, WriteError> {
    let mut rd = XmlIn::new(xml, part);
    let mut rels = Vec::new();
    loop {
        match rd.next()? {
            Event::Start(e) | Event::Empty(e) if name_of(&e) == "Relationship" => {
                let get = |k| attr(&e, k, part);
                let (Some(id), Some(target)) = (get("Id")?, get("Target")?) else {
                    return Err(xml_error(part, "Relationship without Id or Target"));
                };
                rels.push(Rel {
                    id,
                    kind: get("Type")?.unwrap_or_default(),
                    target,
                    external: get("TargetMode")?.is_some_and(|m| m == "External"),
                });
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(rels)
}

fn rel_markup(rel: &Rel) -> String {
    format!(
        "<Relationship Id=\"{}\" Type=\"{}\" Target=\"{}\"/>",
        esc(&rel.id),
        esc(&rel.kind),
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
