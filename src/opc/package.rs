//! One Office Open XML package, opened once for intake, the reader and the writer: its zip
//! directory, part names as OPC compares them, the main part the package relationship names,
//! the workbook's relationships and the content types. Whoever asks "which part is the
//! workbook" or "which entry is this part" asks here, so no two of them can disagree.

use std::collections::HashMap;
use std::io::Cursor;

use quick_xml::events::Event;

use super::{RawEntry, part_key, read_whole, rels_part_for, resolve_target};
use crate::limits::{
    MAX_ENTRIES, MAX_ENTRY_BYTES, MAX_HELD_PART_BYTES, MAX_RATIO, MAX_TOTAL_BYTES,
    RATIO_FLOOR_BYTES,
};

/// The package relationships, where the main part is named.
pub const PACKAGE_RELS: &str = "_rels/.rels";
/// The content types of every part.
pub const CONTENT_TYPES: &str = "[Content_Types].xml";
/// The workbook part of a package whose relationships name none (the spreadsheet programs
/// refuse such a package; this crate has always read it).
pub const USUAL_WORKBOOK: &str = "xl/workbook.xml";

type Zip<'b> = zip::ZipArchive<Cursor<&'b [u8]>>;

/// Why a package cannot be opened or one of its parts read.
#[derive(Debug, thiserror::Error)]
pub enum OpcError {
    #[error("压缩包不完整或已损坏：{0} (the zip archive is cut off or damaged)")]
    Zip(#[from] zip::result::ZipError),
    #[error("{count} 个部件 ({count} parts)")]
    TooManyParts { count: usize },
    #[error("部件“{0}”解压后过大或压缩比异常 (the part is too large when uncompressed)")]
    Oversized(String),
    #[error("全部部件合计 (all parts together)")]
    TooLargeInAll,
    #[error("压缩包中有重名的部件“{0}” (two package parts share a name)")]
    DuplicateName(String),
    #[error("部件名“{0}”不合规（含“.”或“..”段）(a part name with a '.' or '..' segment)")]
    BadPartName(String),
    #[error("部件“{part}”无法读取：{reason} (cannot read the part)")]
    Part { part: String, reason: String },
    #[error(
        "{PACKAGE_RELS} 指明了不止一个主文档部件（“{first}”与“{second}”），无法确定 Excel 显示哪一个 (the package names two main parts)"
    )]
    TwoMainParts { first: String, second: String },
    #[error(
        "{PACKAGE_RELS} 指明的工作簿部件“{0}”不存在 (the workbook part the package names is missing)"
    )]
    MissingWorkbook(String),
    #[error("压缩包中没有工作簿部件（缺少 xl/workbook.xml）(no workbook part)")]
    NoWorkbook,
    #[error(
        "{PACKAGE_RELS} 缺少或没有指明工作簿部件，Excel 与 LibreOffice 都无法打开此文件 (the package names no main part)"
    )]
    NoMainPart,
}

/// One relationship of a part, its target resolved to a part name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Relationship {
    pub id: String,
    /// The relationship type's last segment (`worksheet`, `styles`): transitional and strict
    /// packages spell the same types alike there.
    pub kind: String,
    /// The full type.
    pub kind_uri: String,
    /// The part it names, resolved against its source; the target as written when external.
    pub part: String,
    /// The target as the relationships part writes it, for a writer that writes it again.
    pub target: String,
    pub external: bool,
}

impl Relationship {
    pub fn is(&self, kind: &str) -> bool {
        !self.external && self.kind == kind
    }
}

/// `[Content_Types].xml`: defaults by extension, overrides by part.
#[derive(Debug, Default, Clone)]
pub struct ContentTypes {
    defaults: HashMap<String, String>,
    overrides: HashMap<String, String>,
}

impl ContentTypes {
    /// The content type of part `name`: its override, or its extension's default.
    pub fn of(&self, name: &str) -> Option<&str> {
        let key = part_key(name);
        if let Some(t) = self.overrides.get(&key) {
            return Some(t);
        }
        let file = key.rsplit('/').next().unwrap_or(&key);
        let ext = file.rsplit_once('.').map(|(_, e)| e)?;
        self.defaults.get(ext).map(String::as_str)
    }
}

/// An OPC package: the zip directory, read once.
pub struct Package<'b> {
    bytes: &'b [u8],
    zip: Zip<'b>,
    /// Entry index by part key ([`part_key`]).
    by_key: HashMap<String, usize>,
    /// Entry names as stored, by index (empty when unreadable).
    names: Vec<String>,
    /// The workbook part, as resolved; set by [`Package::open_workbook`].
    workbook: Option<String>,
    workbook_rels: Vec<Relationship>,
    /// The keys of the parts held whole besides the relationships and content types.
    held: std::collections::HashSet<String>,
    types: ContentTypes,
}

impl<'b> Package<'b> {
    /// The directory of `bytes`, held to the limits every package is held to (parts, sizes,
    /// compression ratio); no part is inflated.
    pub fn open(bytes: &'b [u8]) -> Result<Self, OpcError> {
        let mut zip = Zip::new(Cursor::new(bytes))?;
        if zip.len() > MAX_ENTRIES {
            return Err(OpcError::TooManyParts { count: zip.len() });
        }
        let mut names = Vec::with_capacity(zip.len());
        let mut by_key = HashMap::with_capacity(zip.len());
        let mut total: u64 = 0;
        for i in 0..zip.len() {
            let entry = zip.by_index_raw(i)?;
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            let (size, packed) = (entry.size(), entry.compressed_size());
            let absurd = size > RATIO_FLOOR_BYTES && size / packed.max(1) > MAX_RATIO;
            if size > MAX_ENTRY_BYTES || absurd {
                return Err(OpcError::Oversized(name));
            }
            total = total.saturating_add(size);
            if total > MAX_TOTAL_BYTES {
                return Err(OpcError::TooLargeInAll);
            }
            drop(entry);
            let key = part_key(&name);
            // Folders some zip tools list are no parts.
            if !key.is_empty() && !key.ends_with('/') {
                if key
                    .split('/')
                    .any(|s| s == "." || s == ".." || s.is_empty())
                {
                    return Err(OpcError::BadPartName(name));
                }
                // Two entries one name apart only by case or slash: intake, reader and writer
                // could take different ones, and check one sheet while correcting another.
                if by_key.insert(key, i).is_some() {
                    return Err(OpcError::DuplicateName(name));
                }
            }
            names.push(name);
        }
        Ok(Self {
            bytes,
            zip,
            by_key,
            names,
            workbook: None,
            workbook_rels: Vec::new(),
            held: Default::default(),
            types: ContentTypes::default(),
        })
    }

    /// [`Package::open`], then the main part resolved: the part `_rels/.rels` names as the
    /// office document (a package naming two different ones is refused), its relationships,
    /// and the content types. The parts held whole are then held to their own limit.
    pub fn open_workbook(bytes: &'b [u8]) -> Result<Self, OpcError> {
        Self::open(bytes)?.resolve()
    }

    /// The main part of an opened package resolved (see [`Package::open_workbook`]).
    pub fn resolve(self) -> Result<Self, OpcError> {
        let mut pkg = self;
        pkg.types = match pkg.read_text(CONTENT_TYPES, MAX_HELD_PART_BYTES)? {
            Some(xml) => parse_types(&xml).unwrap_or_default(),
            None => ContentTypes::default(),
        };
        // Every relationship of the office-document type must name the same part: a package
        // naming two leaves it to the program which one is shown.
        let mains: Vec<Relationship> = pkg
            .rels_of("")?
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.is("officeDocument"))
            .collect();
        if let Some(first) = mains.first()
            && let Some(other) = mains
                .iter()
                .find(|r| part_key(&r.part) != part_key(&first.part))
        {
            return Err(OpcError::TwoMainParts {
                first: first.part.clone(),
                second: other.part.clone(),
            });
        }
        let main = mains.into_iter().next().map(|r| r.part);
        let workbook = match main {
            Some(part) if pkg.exists(&part) => part,
            Some(part) => return Err(OpcError::MissingWorkbook(part)),
            // No package relationships and no usual workbook part: not a workbook at all.
            None if !pkg.exists(USUAL_WORKBOOK) => return Err(OpcError::NoWorkbook),
            // A workbook part that nothing names: Excel and LibreOffice do not open it, so
            // what they would show cannot be known.
            None => return Err(OpcError::NoMainPart),
        };
        pkg.workbook_rels = pkg.rels_of(&workbook)?.unwrap_or_default();
        pkg.workbook = Some(workbook.clone());
        pkg.held = [
            Some(workbook.clone()),
            pkg.workbook_part("sharedStrings", "sharedStrings.xml"),
            pkg.workbook_part("styles", "styles.xml"),
            Some(resolve_target(&workbook, "sharedStrings.xml")),
            Some(resolve_target(&workbook, "styles.xml")),
        ]
        .iter()
        .flatten()
        .map(|p| part_key(p))
        .collect();
        for (i, name) in pkg.names.iter().enumerate() {
            if pkg.is_held_whole(name) {
                let size = pkg.zip.by_index_raw(i).map(|e| e.size()).unwrap_or(0);
                if size > MAX_HELD_PART_BYTES {
                    return Err(OpcError::Oversized(name.clone()));
                }
            }
        }
        Ok(pkg)
    }

    /// The workbook part, as the package relationship names it (after
    /// [`Package::open_workbook`]).
    pub fn workbook(&self) -> Option<&str> {
        self.workbook.as_deref()
    }

    /// The workbook's relationships, targets resolved.
    pub fn workbook_rels(&self) -> &[Relationship] {
        &self.workbook_rels
    }

    /// The part the workbook's first relationship of `kind` names, or the part of that
    /// name beside the workbook when there is none.
    pub fn workbook_part(&self, kind: &str, usual: &str) -> Option<String> {
        let wb = self.workbook()?;
        self.workbook_rels
            .iter()
            .find(|r| r.is(kind))
            .map(|r| r.part.clone())
            .or_else(|| Some(resolve_target(wb, usual)))
    }

    pub fn content_types(&self) -> &ContentTypes {
        &self.types
    }

    /// The package's bytes.
    pub fn bytes(&self) -> &'b [u8] {
        self.bytes
    }

    /// The entry names as stored, in package order (folders included).
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The stored spelling of part `name`, found ignoring case and with `\` read as `/`.
    pub fn stored_name(&self, name: &str) -> Option<&str> {
        self.index(name).map(|i| self.names[i].as_str())
    }

    /// The entry index of part `name`.
    pub fn index(&self, name: &str) -> Option<usize> {
        self.by_key.get(&part_key(name)).copied()
    }

    pub fn exists(&self, name: &str) -> bool {
        self.index(name).is_some()
    }

    /// The zip directory, for a caller that copies entries as they are stored.
    pub fn zip(&mut self) -> &mut Zip<'b> {
        &mut self.zip
    }

    /// The zip directory as read (a clone shares it; nothing is read again).
    pub fn zip_archive(&self) -> &Zip<'b> {
        &self.zip
    }

    /// Whether a part is one held whole in memory by the reader or the writer: the content
    /// types, every relationships part, the workbook, and its shared strings and styles
    /// (where the workbook's relationships put them, and beside it).
    pub fn is_held_whole(&self, name: &str) -> bool {
        let key = part_key(name);
        key == part_key(CONTENT_TYPES) || key.ends_with(".rels") || self.held.contains(&key)
    }

    /// Part `name` inflated whole, when it holds at most `cap` bytes (as declared and as
    /// read); `None` when the package has no such part.
    pub fn read(&mut self, name: &str, cap: u64) -> Result<Option<Vec<u8>>, OpcError> {
        let Some(index) = self.index(name) else {
            return Ok(None);
        };
        let stored = self.names[index].clone();
        // In one call when it can be; streamed otherwise, where a damaged part fails with
        // the zip crate's reason.
        if let Some(bytes) =
            RawEntry::of(self.bytes, &mut self.zip, index).and_then(|e| e.inflate(cap))
        {
            return Ok(Some(bytes));
        }
        let part_err = |e: &dyn std::fmt::Display| OpcError::Part {
            part: stored.clone(),
            reason: e.to_string(),
        };
        let file = self.zip.by_index(index).map_err(|e| part_err(&e))?;
        let declared = file.size();
        if declared > cap {
            return Err(OpcError::Oversized(stored));
        }
        match read_whole(file, declared, cap).map_err(|e| part_err(&e))? {
            Some(bytes) => Ok(Some(bytes)),
            None => Err(OpcError::Oversized(stored)),
        }
    }

    /// Whether entry `index` is XML stored as UTF-16 (judged from its first inflated bytes).
    pub fn is_utf16(&mut self, index: usize) -> bool {
        use std::io::Read;
        let Ok(file) = self.zip.by_index(index) else {
            return false;
        };
        let mut head = Vec::with_capacity(4);
        file.take(4).read_to_end(&mut head).is_ok() && utf16_order(&head).is_some()
    }

    /// [`Package::read`] for an XML part, in UTF-8 whatever encoding it was stored in: a part
    /// stored as UTF-16 is transcoded and its declaration says UTF-8.
    pub fn read_text(&mut self, name: &str, cap: u64) -> Result<Option<Vec<u8>>, OpcError> {
        match self.read(name, cap)? {
            Some(bytes) => utf8_xml(bytes, name).map(Some),
            None => Ok(None),
        }
    }

    /// The name of each entry (aligned with [`Package::names`]) as the package refers to it:
    /// spelled as the relationships that lead to it from the package's own spell it, with
    /// `/` between segments. A package that stores `XL/Workbook.xml` or
    /// `xl\worksheets\sheet1.xml` while its relationships say `xl/workbook.xml` and
    /// `worksheets/sheet1.xml` is read by OPC's rules, but a program that looks its parts up
    /// by exact name (LibreOffice) finds none: a copy written under these names opens there
    /// too. An entry no relationship reaches keeps its name, with `/` for `\`.
    pub fn referenced_names(&mut self) -> Vec<String> {
        let mut spelled: HashMap<String, String> = HashMap::new();
        spelled.insert(part_key(CONTENT_TYPES), CONTENT_TYPES.to_string());
        // Breadth first from the package: each part is visited once, by the first
        // relationship that reaches it.
        let mut queue = std::collections::VecDeque::from([String::new()]);
        while let Some(source) = queue.pop_front() {
            let rels_part = match source.as_str() {
                "" => PACKAGE_RELS.to_string(),
                s => rels_part_for(s),
            };
            if !self.exists(&rels_part) {
                continue;
            }
            spelled.entry(part_key(&rels_part)).or_insert(rels_part);
            let Ok(Some(rels)) = self.rels_of(&source) else {
                continue;
            };
            for rel in rels.into_iter().filter(|r| !r.external) {
                let key = part_key(&rel.part);
                if self.by_key.contains_key(&key) && !spelled.contains_key(&key) {
                    spelled.insert(key, rel.part.clone());
                    queue.push_back(rel.part);
                }
            }
        }
        self.names
            .iter()
            .map(|n| match spelled.get(&part_key(n)) {
                Some(name) => name.clone(),
                None => n.replace('\\', "/"),
            })
            .collect()
    }

    /// The relationships of `source` (a part name; empty for the package), targets resolved;
    /// `None` when it has no relationships part.
    pub fn rels_of(&mut self, source: &str) -> Result<Option<Vec<Relationship>>, OpcError> {
        let part = match source {
            "" => PACKAGE_RELS.to_string(),
            s => rels_part_for(s),
        };
        let Some(xml) = self.read_text(&part, MAX_HELD_PART_BYTES)? else {
            return Ok(None);
        };
        parse_rels(&xml, source)
            .map(Some)
            .map_err(|reason| OpcError::Part { part, reason })
    }
}

/// Whether part bytes are UTF-16 XML, and in which byte order (`true`: little-endian), and
/// how many bytes of byte-order mark lead them.
fn utf16_order(bytes: &[u8]) -> Option<(bool, usize)> {
    match bytes {
        [0xFF, 0xFE, ..] => Some((true, 2)),
        [0xFE, 0xFF, ..] => Some((false, 2)),
        [b'<', 0, _, 0, ..] => Some((true, 0)),
        [0, b'<', 0, _, ..] => Some((false, 0)),
        _ => None,
    }
}

/// `bytes` of XML part `name` as UTF-8: unchanged when they are, transcoded from UTF-16 with
/// the declaration's encoding made UTF-8 otherwise.
pub fn utf8_xml(bytes: Vec<u8>, name: &str) -> Result<Vec<u8>, OpcError> {
    let Some((little, bom)) = utf16_order(&bytes) else {
        return Ok(bytes);
    };
    let units: Vec<u16> = bytes[bom..]
        .chunks_exact(2)
        .map(|c| match little {
            true => u16::from_le_bytes([c[0], c[1]]),
            false => u16::from_be_bytes([c[0], c[1]]),
        })
        .collect();
    let text = String::from_utf16(&units).map_err(|e| OpcError::Part {
        part: name.to_string(),
        reason: format!("UTF-16 编码无效 (invalid UTF-16): {e}"),
    })?;
    Ok(declare_utf8(text).into_bytes())
}

/// The XML declaration's `encoding` set to UTF-8 (the text is UTF-8 from now on).
fn declare_utf8(text: String) -> String {
    let Some(end) = text.starts_with("<?xml").then(|| text.find("?>")).flatten() else {
        return text;
    };
    let decl = &text[..end];
    let Some(at) = decl.find("encoding") else {
        return text;
    };
    let rest = &decl[at..];
    let Some(open) = rest.find(['"', '\'']) else {
        return text;
    };
    let quote = &rest[open..=open];
    let Some(close) = rest[open + 1..].find(quote) else {
        return text;
    };
    let (from, to) = (at + open + 1, at + open + 1 + close);
    format!("{}UTF-8{}", &text[..from], &text[to..])
}

fn xml_reader(xml: &[u8]) -> quick_xml::Reader<&[u8]> {
    let mut rd = quick_xml::Reader::from_reader(xml);
    rd.config_mut().check_end_names = false;
    rd
}

fn attr(e: &quick_xml::events::BytesStart<'_>, key: &str) -> Result<Option<String>, String> {
    for a in e.attributes().with_checks(false) {
        let a = a.map_err(|e| e.to_string())?;
        if a.key.local_name().as_ref() == key {
            let v = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map_err(|e| e.to_string())?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// The relationships in `xml`, in document order, targets resolved against `source`.
pub fn parse_rels(xml: &[u8], source: &str) -> Result<Vec<Relationship>, String> {
    let mut rd = xml_reader(xml);
    let mut rels = Vec::new();
    // A part cut short, or without its root, is damaged: the programs that open the package
    // refuse it, so its relationships are not guessed at.
    let (mut depth, mut root) = (0usize, false);
    loop {
        let event = rd.read_event().map_err(|e| e.to_string())?;
        match &event {
            Event::Start(e) => {
                root |= depth == 0 && e.local_name().as_ref() == "Relationships";
                depth += 1;
            }
            Event::Empty(e) if depth == 0 => {
                root |= e.local_name().as_ref() == "Relationships";
            }
            Event::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
        match event {
            Event::Eof if !root || depth > 0 => {
                return Err("关系部件不完整（缺少 Relationships 根元素或其结束标记）".to_string());
            }
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "Relationship" => {
                let (Some(id), Some(target)) = (attr(&e, "Id")?, attr(&e, "Target")?) else {
                    continue;
                };
                let kind_uri = attr(&e, "Type")?.unwrap_or_default();
                let external = attr(&e, "TargetMode")?.is_some_and(|m| m == "External");
                rels.push(Relationship {
                    id,
                    kind: kind_uri.rsplit('/').next().unwrap_or_default().to_string(),
                    kind_uri,
                    part: match external {
                        true => target.clone(),
                        false => resolve_target(source, &target),
                    },
                    target,
                    external,
                });
            }
            Event::Eof => return Ok(rels),
            _ => {}
        }
    }
}

/// The `<sheet>` entries of a workbook part: each sheet's name and the id of the relationship
/// that names its part, in order.
pub fn sheet_rel_ids(xml: &[u8]) -> Result<Vec<(String, String)>, String> {
    let mut rd = xml_reader(xml);
    let mut sheets = Vec::new();
    loop {
        match rd.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) if e.local_name().as_ref() == "sheet" => {
                if let (Some(name), Some(id)) = (attr(&e, "name")?, attr(&e, "id")?) {
                    sheets.push((name, id));
                }
            }
            Event::Eof => return Ok(sheets),
            _ => {}
        }
    }
}

fn parse_types(xml: &[u8]) -> Result<ContentTypes, String> {
    let mut rd = xml_reader(xml);
    let mut types = ContentTypes::default();
    loop {
        match rd.read_event().map_err(|e| e.to_string())? {
            Event::Start(e) | Event::Empty(e) => match e.local_name().as_ref() {
                "Default" => {
                    if let (Some(ext), Some(t)) = (attr(&e, "Extension")?, attr(&e, "ContentType")?)
                    {
                        types.defaults.insert(ext.to_ascii_lowercase(), t);
                    }
                }
                "Override" => {
                    if let (Some(part), Some(t)) = (attr(&e, "PartName")?, attr(&e, "ContentType")?)
                    {
                        types.overrides.insert(part_key(&part), t);
                    }
                }
                _ => {}
            },
            Event::Eof => return Ok(types),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_parts_are_read_as_utf8_with_their_declaration_changed() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\" standalone=\"yes\"?><sst><si><t>项目</t></si></sst>";
        let mut le = vec![0xFF, 0xFE];
        le.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(xml.encode_utf16().flat_map(u16::to_be_bytes));
        let want = xml.replace("UTF-16", "UTF-8");
        for bytes in [le, be] {
            assert_eq!(utf8_xml(bytes, "p").unwrap(), want.as_bytes());
        }
        assert_eq!(utf8_xml(xml.into(), "p").unwrap(), xml.as_bytes());
    }

    /// A package of `parts`, stored.
    fn zip(parts: &[(&str, &str)]) -> Vec<u8> {
        use std::io::Write;
        let mut zip = zip::ZipWriter::new(Cursor::new(Vec::new()));
        for (name, text) in parts {
            zip.start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            zip.write_all(text.as_bytes()).unwrap();
        }
        zip.finish().unwrap().into_inner()
    }

    fn package_rels(targets: &[&str]) -> String {
        let rels: String = targets
            .iter()
            .enumerate()
            .map(|(i, t)| format!(r#"<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="{t}"/>"#))
            .collect();
        format!("<Relationships>{rels}</Relationships>")
    }

    #[test]
    fn the_workbook_is_the_part_the_package_relationship_names() {
        let wb = "<workbook/>";
        // Named, in another case and from the root: found by OPC's rules, never the decoy.
        let bytes = zip(&[
            ("_rels/.rels", &package_rels(&["/XL/Real.xml"])),
            ("xl/real.xml", wb),
            ("xl/workbook.xml", wb),
        ]);
        let pkg = Package::open_workbook(&bytes).unwrap();
        assert_eq!(pkg.workbook(), Some("XL/Real.xml"));
        assert_eq!(pkg.stored_name("XL/Real.xml"), Some("xl/real.xml"));
        assert!(pkg.is_held_whole("xl/real.xml") && !pkg.is_held_whole("xl/workbook.xml"));
        // Named but missing: refused, not read at the decoy.
        let bytes = zip(&[
            ("_rels/.rels", &package_rels(&["xl/book.xml"])),
            ("xl/workbook.xml", wb),
        ]);
        assert!(matches!(
            Package::open_workbook(&bytes),
            Err(OpcError::MissingWorkbook(p)) if p == "xl/book.xml"
        ));
        // Two main parts: refused; the same one twice is one.
        let bytes = zip(&[
            ("_rels/.rels", &package_rels(&["xl/a.xml", "xl/b.xml"])),
            ("xl/a.xml", wb),
            ("xl/b.xml", wb),
        ]);
        assert!(matches!(
            Package::open_workbook(&bytes),
            Err(OpcError::TwoMainParts { .. })
        ));
        let bytes = zip(&[
            ("_rels/.rels", &package_rels(&["xl/a.xml", "/xl/A.xml"])),
            ("xl/a.xml", wb),
        ]);
        assert!(Package::open_workbook(&bytes).is_ok());
        // A workbook part that no package relationship names, the relationships missing,
        // naming no main part, or cut short: LibreOffice opens none of these, so none is
        // checked at a guessed part.
        let bytes = zip(&[("xl/workbook.xml", wb)]);
        assert!(matches!(
            Package::open_workbook(&bytes),
            Err(OpcError::NoMainPart)
        ));
        let bytes = zip(&[("_rels/.rels", &package_rels(&[])), ("xl/workbook.xml", wb)]);
        assert!(matches!(
            Package::open_workbook(&bytes),
            Err(OpcError::NoMainPart)
        ));
        let cut = package_rels(&["xl/workbook.xml"]);
        let cut = &cut[..cut.len() - "</Relationships>".len()];
        let bytes = zip(&[("_rels/.rels", cut), ("xl/workbook.xml", wb)]);
        assert!(matches!(
            Package::open_workbook(&bytes),
            Err(OpcError::Part { part, .. }) if part == PACKAGE_RELS
        ));
    }

    #[test]
    fn part_names_are_compared_as_opc_compares_them() {
        let bytes = zip(&[("xl\\worksheets\\sheet1.xml", "<worksheet/>")]);
        let pkg = Package::open(&bytes).unwrap();
        assert_eq!(
            pkg.stored_name("/XL/Worksheets/Sheet1.xml"),
            Some("xl\\worksheets\\sheet1.xml")
        );
        for bad in ["xl/../workbook.xml", "xl/./a.xml"] {
            assert!(matches!(
                Package::open(&zip(&[(bad, "")])),
                Err(OpcError::BadPartName(_))
            ));
        }
        assert!(matches!(
            Package::open(&zip(&[("xl/a.xml", ""), ("XL/A.xml", "")])),
            Err(OpcError::DuplicateName(_))
        ));
    }

    #[test]
    fn content_types_go_by_override_then_extension() {
        let types = parse_types(br#"<Types><Default Extension="XML" ContentType="application/xml"/><Override PartName="/xl/book.xml" ContentType="main"/></Types>"#).unwrap();
        assert_eq!(types.of("XL/Book.xml"), Some("main"));
        assert_eq!(types.of("xl/styles.xml"), Some("application/xml"));
        assert_eq!(types.of("xl/x.bin"), None);
    }
}
