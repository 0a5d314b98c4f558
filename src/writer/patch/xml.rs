//! Small helpers over quick-xml shared by every part rewriter.
//!
//! Rewriters stream events from the original part to the output and only touch the elements
//! they change, so anything they do not understand (extensions, other namespaces, comments)
//! survives as it was.

use std::borrow::Cow;

use quick_xml::events::{BytesEnd, BytesRef, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer, XmlVersion};

use super::super::WriteError;
use crate::scan::{self, ScanError};

pub const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
pub const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const STRICT_REL_NS: &str = "http://purl.oclc.org/ooxml/officeDocument/relationships";
pub const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n";

pub fn xml_error(part: &str, reason: impl ToString) -> WriteError {
    WriteError::Xml {
        part: part.to_string(),
        reason: reason.to_string(),
    }
}

/// A pull parser over one part that reports errors with the part's name.
pub struct XmlIn<'a> {
    reader: Reader<&'a [u8]>,
    part: &'a str,
}

impl<'a> XmlIn<'a> {
    pub fn new(xml: &'a [u8], part: &'a str) -> Self {
        Self {
            reader: Reader::from_reader(xml),
            part,
        }
    }

    pub fn next(&mut self) -> Result<Event<'a>, WriteError> {
        self.reader
            .read_event()
            .map_err(|e| xml_error(self.part, e))
    }
}

/// The output side of a rewrite.
pub struct XmlOut(Writer<Vec<u8>>);

impl XmlOut {
    pub fn new() -> Self {
        Self(Writer::new(Vec::new()))
    }

    pub fn event<'e>(&mut self, event: impl Into<Event<'e>>) -> Result<(), WriteError> {
        Ok(self.0.write_event(event)?)
    }

    /// Writes markup that was built (and escaped) by hand.
    pub fn raw(&mut self, markup: &str) {
        self.0.get_mut().extend_from_slice(markup.as_bytes());
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.0.into_inner()
    }
}

/// `worksheet` for `x:worksheet`.
pub fn local(qname: &str) -> &str {
    qname.rsplit_once(':').map_or(qname, |(_, l)| l)
}

/// `x:` for `x:worksheet`, empty when unprefixed; new elements copy the root's prefix so that
/// they land in the same namespace.
pub fn prefix_of(qname: &str) -> &str {
    qname
        .rsplit_once(':')
        .map_or("", |(p, _)| &qname[..=p.len()])
}

pub fn name_of<'e>(e: &'e BytesStart<'_>) -> &'e str {
    local(e.name().0)
}

pub fn end_name<'e>(e: &'e BytesEnd<'_>) -> &'e str {
    local(e.name().0)
}

/// The unescaped value of the attribute whose qualified name is `key`.
pub fn attr(e: &BytesStart<'_>, key: &str, part: &str) -> Result<Option<String>, WriteError> {
    for a in e.attributes() {
        let a = a.map_err(|err| xml_error(part, err))?;
        if a.key.0 == key {
            let v = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| xml_error(part, err))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// The value of a prefixed `id` attribute (`r:id`): on the elements this module reads, the only
/// prefixed `id` is the relationship id, whatever prefix the producer bound to it.
pub fn rel_id(e: &BytesStart<'_>, part: &str) -> Result<Option<String>, WriteError> {
    rel_id_in(e.attributes_raw().as_bytes()).map_err(|err| xml_error(part, err))
}

/// [`rel_id`] from a start tag's attributes as written.
pub fn rel_id_in(attrs: &[u8]) -> Result<Option<String>, ScanError> {
    let mut rest = attrs;
    while let Some((key, quoted, after)) = scan::split_attr(rest) {
        rest = after;
        if let Some(colon) = key.iter().rposition(|&b| b == b':')
            && &key[colon + 1..] == b"id"
            && !key.starts_with(b"xmlns")
        {
            return Ok(Some(scan::decode(scan::unquote(quoted))?.into_owned()));
        }
    }
    Ok(None)
}

/// The namespace prefixes a root element binds.
pub struct Prefixes {
    /// The one bound to the relationships namespace, if any.
    pub rel: Option<String>,
    pub declared: Vec<String>,
}

/// The prefixes bound in a start tag's attributes as written.
pub fn prefixes(attrs: &[u8]) -> Prefixes {
    let mut found = Prefixes {
        rel: None,
        declared: Vec::new(),
    };
    let mut rest = attrs;
    while let Some((key, quoted, after)) = scan::split_attr(rest) {
        rest = after;
        if let Some(p) = key.strip_prefix(b"xmlns:") {
            let p = String::from_utf8_lossy(p).into_owned();
            if found.rel.is_none() && is_rel_ns(scan::unquote(quoted)) {
                found.rel = Some(p.clone());
            }
            found.declared.push(p);
        }
    }
    found
}

/// Returns the relationships prefix of `root`, declaring `r` (or a free variant) when the root
/// has none, so that a new `r:id` attribute is well-formed.
pub fn ensure_rel_prefix(root: BytesStart<'_>) -> (BytesStart<'static>, String) {
    let found = prefixes(root.attributes_raw().as_bytes());
    if let Some(p) = found.rel {
        return (root.into_owned(), p);
    }
    let prefix = free_rel_prefix(&found.declared);
    let mut root = root.into_owned();
    let key = format!("xmlns:{prefix}");
    root.push_attribute((key.as_str(), REL_NS));
    (root, prefix)
}

/// Whether a namespace name is the relationships namespace (transitional or strict).
fn is_rel_ns(uri: &[u8]) -> bool {
    uri == REL_NS.as_bytes() || uri == STRICT_REL_NS.as_bytes()
}

/// `r`, or the first of `r1`, `r2`, … that `declared` does not hold: the prefix a root that
/// binds none to the relationships namespace gets for it.
pub fn free_rel_prefix(declared: &[String]) -> String {
    let mut prefix = String::from("r");
    let mut n = 0u32;
    while declared.contains(&prefix) {
        n += 1;
        prefix = format!("r{n}");
    }
    prefix
}

/// A copy of `e` with attributes in `set` replaced (or appended when absent) and those in
/// `drop` removed; all other attributes keep their order and raw text.
pub fn rebuild(
    e: &BytesStart<'_>,
    set: &[(&str, &str)],
    drop: &[&str],
    part: &str,
) -> Result<BytesStart<'static>, WriteError> {
    let name = e.name().0;
    let markup = retag(
        name.as_bytes(),
        e.attributes_raw().as_bytes(),
        set,
        drop,
        false,
        part,
    )?;
    // `<` and `>` off: the start tag's content, its name first.
    let content = String::from_utf8(markup[1..markup.len() - 1].to_vec())
        .map_err(|err| xml_error(part, err))?;
    Ok(BytesStart::from_content(content, name.len()))
}

/// A start tag named `qname` with the attributes `attrs` (as written), those in `set` replaced
/// (or appended when absent) and those in `drop` removed; every other attribute keeps its
/// place and its text as written. `empty` closes it (`/>`).
pub fn retag(
    qname: &[u8],
    attrs: &[u8],
    set: &[(&str, &str)],
    drop: &[&str],
    empty: bool,
    part: &str,
) -> Result<Vec<u8>, WriteError> {
    let mut out = Vec::with_capacity(qname.len() + attrs.len() + 32);
    out.push(b'<');
    out.extend_from_slice(qname);
    let mut done = vec![false; set.len()];
    let mut rest = attrs;
    while !rest.trim_ascii().is_empty() {
        let (key, quoted, after) =
            scan::split_attr(rest).ok_or_else(|| xml_error(part, "malformed attribute"))?;
        rest = after;
        let replaced = set.iter().position(|(k, _)| k.as_bytes() == key);
        if drop.iter().any(|d| d.as_bytes() == key) || replaced.is_some_and(|i| done[i]) {
            continue;
        }
        out.push(b' ');
        out.extend_from_slice(key);
        out.push(b'=');
        match replaced {
            Some(i) => {
                done[i] = true;
                out.extend_from_slice(format!("\"{}\"", esc(set[i].1)).as_bytes());
            }
            None => out.extend_from_slice(quoted),
        }
    }
    for ((k, v), done) in set.iter().zip(done) {
        if !done {
            out.extend_from_slice(format!(" {k}=\"{}\"", esc(v)).as_bytes());
        }
    }
    out.extend_from_slice(if empty { b"/>" } else { b">" });
    Ok(out)
}

/// Removes the characters XML 1.0 cannot carry (control characters other than tab, newline
/// and carriage return, and the non-characters U+FFFE/U+FFFF).
pub fn clean(s: &str) -> Cow<'_, str> {
    let allowed = |c: char| {
        matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && c != '\u{FFFE}' && c != '\u{FFFF}')
    };
    if s.chars().all(allowed) {
        Cow::Borrowed(s)
    } else {
        Cow::Owned(s.chars().filter(|&c| allowed(c)).collect())
    }
}

/// Cleaned and escaped text for element content or a double-quoted attribute.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    push_esc(&mut out, s);
    out
}

/// [`esc`], appended to `out`. Both steps borrow when they change nothing, so the common
/// text costs no allocation.
pub fn push_esc(out: &mut String, s: &str) {
    out.push_str(&quick_xml::escape::escape(clean(s).as_ref()));
}

/// A text element whose content is kept verbatim, including edge whitespace and newlines.
pub fn text_element(name: &str, text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2 * name.len() + 5);
    push_text_element(&mut out, name, text);
    out
}

/// [`text_element`], appended to `out`.
pub fn push_text_element(out: &mut String, name: &str, text: &str) {
    let keep = text.starts_with(char::is_whitespace) || text.ends_with(char::is_whitespace);
    out.push('<');
    out.push_str(name);
    if keep {
        out.push_str(" xml:space=\"preserve\"");
    }
    out.push('>');
    push_esc(out, text);
    out.push_str("</");
    out.push_str(name);
    out.push('>');
}

/// The text an entity or character reference stands for.
pub fn ref_text(r: &BytesRef<'_>) -> Option<String> {
    if let Ok(Some(c)) = r.resolve_char_ref() {
        return Some(c.to_string());
    }
    let s = match &**r {
        "amp" => "&",
        "lt" => "<",
        "gt" => ">",
        "quot" => "\"",
        "apos" => "'",
        _ => return None,
    };
    Some(s.to_string())
}

/// Appends a text event's content to `buf`.
pub fn push_text(buf: &mut String, t: &BytesText<'_>) {
    buf.push_str(&t.xml10_content());
}
