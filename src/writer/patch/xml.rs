//! Small helpers over quick-xml shared by every part rewriter.
//!
//! Rewriters stream events from the original part to the output and only touch the elements
//! they change, so anything they do not understand (extensions, other namespaces, comments)
//! survives as it was.

use std::borrow::Cow;

use quick_xml::events::{BytesEnd, BytesRef, BytesStart, BytesText, Event};
use quick_xml::{Reader, Writer, XmlVersion};

use super::super::WriteError;

pub const MAIN_NS: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
pub const REL_NS: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
const STRICT_REL_NS: &str = "http://purl.oclc.org/ooxml/officeDocument/relationships";
pub const DECL: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n";

const STRICT_MAIN_NS: &str = "http://purl.oclc.org/ooxml/spreadsheetml/main";

/// Which of the two namespace sets of SpreadsheetML a package uses: the transitional one
/// Excel saves by default, or the one of its "Strict Open XML" save. What the patch adds —
/// parts, relationships, `r:id` attributes — is written in the package's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavour {
    Transitional,
    Strict,
}

impl Flavour {
    /// The flavour of the package whose workbook part is `xml`: strict when its root is in
    /// the strict main namespace. A part that cannot be parsed is taken as transitional; the
    /// rewrite reports it.
    pub fn of_workbook(xml: &[u8], part: &str) -> Flavour {
        let mut rd = XmlIn::new(xml, part);
        loop {
            match rd.next() {
                Ok(Event::Start(e) | Event::Empty(e)) => return Flavour::of_root(&e),
                Ok(Event::Eof) | Err(_) => return Flavour::Transitional,
                Ok(_) => {}
            }
        }
    }

    /// The flavour of a part whose root element is `root`.
    pub fn of_root(root: &BytesStart<'_>) -> Flavour {
        let strict = root.attributes().flatten().any(|a| {
            (a.key.0 == "xmlns" || a.key.0.starts_with("xmlns:")) && &*a.value == STRICT_MAIN_NS
        });
        match strict {
            true => Flavour::Strict,
            false => Flavour::Transitional,
        }
    }

    /// The SpreadsheetML main namespace.
    pub fn main(self) -> &'static str {
        match self {
            Flavour::Transitional => MAIN_NS,
            Flavour::Strict => STRICT_MAIN_NS,
        }
    }

    /// The namespace of `r:id` attributes.
    pub fn rel_ns(self) -> &'static str {
        match self {
            Flavour::Transitional => REL_NS,
            Flavour::Strict => STRICT_REL_NS,
        }
    }

    /// The relationship type named `kind` (`worksheet`, `comments`, …).
    pub fn rel_type(self, kind: &str) -> String {
        format!("{}/{kind}", self.rel_ns())
    }
}

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
        self.reader.read_event().map_err(|e| {
            let at = self.reader.error_position();
            xml_error(self.part, format!("{e}（第 {at} 字节 / at byte {at}）"))
        })
    }

    /// The next event with where it lies in the part: from its first byte to just after its
    /// last. Comments, CDATA sections and processing instructions are events of their own, so
    /// markup inside them is never taken for a tag.
    pub fn located(&mut self) -> Result<(Event<'a>, usize, usize), WriteError> {
        let start = offset(self.reader.buffer_position());
        let event = self.next()?;
        Ok((event, start, offset(self.reader.buffer_position())))
    }
}

/// A byte offset into a part held in memory.
fn offset(position: u64) -> usize {
    usize::try_from(position).unwrap_or(usize::MAX)
}

/// A start tag, or a self-closed one, and where it lies in its part.
pub struct Tag<'x> {
    pub e: BytesStart<'x>,
    /// Where its `<` is.
    pub start: usize,
    /// Just after its `>`.
    pub after: usize,
    pub empty: bool,
}

impl Tag<'_> {
    pub fn qname(&self) -> &str {
        self.e.name().0
    }

    pub fn name(&self) -> &str {
        name_of(&self.e)
    }

    /// The tag written again with the attributes in `set` replaced (or added) and those in
    /// `drop` removed, closed when `empty`.
    pub fn retag(
        &self,
        set: &[(&str, &str)],
        drop: &[&str],
        empty: bool,
        part: &str,
    ) -> Result<String, WriteError> {
        retag(&self.e, set, drop, empty, part)
    }
}

/// The start tag that begins at `start` in `xml`.
pub fn tag_at<'x>(xml: &'x [u8], start: usize, part: &'x str) -> Result<Tag<'x>, WriteError> {
    let rest = xml
        .get(start..)
        .ok_or_else(|| xml_error(part, "unexpected end of part"))?;
    let mut rd = XmlIn::new(rest, part);
    match rd.located()? {
        (Event::Start(e), _, after) => Ok(Tag {
            e,
            start,
            after: start + after,
            empty: false,
        }),
        (Event::Empty(e), _, after) => Ok(Tag {
            e,
            start,
            after: start + after,
            empty: true,
        }),
        _ => Err(xml_error(part, format!("no start tag at byte {start}"))),
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
    for a in e.attributes() {
        let a = a.map_err(|err| xml_error(part, err))?;
        let key = a.key.0;
        if let Some((prefix, "id")) = key.rsplit_once(':')
            && prefix != "xmlns"
        {
            let v = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| xml_error(part, err))?;
            return Ok(Some(v.into_owned()));
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

/// The prefixes bound in a start tag.
pub fn prefixes(e: &BytesStart<'_>, part: &str) -> Result<Prefixes, WriteError> {
    let mut found = Prefixes {
        rel: None,
        declared: Vec::new(),
    };
    for a in e.attributes() {
        let a = a.map_err(|err| xml_error(part, err))?;
        if let Some(p) = a.key.0.strip_prefix("xmlns:") {
            let uri = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| xml_error(part, err))?;
            if found.rel.is_none() && is_rel_ns(&uri) {
                found.rel = Some(p.to_string());
            }
            found.declared.push(p.to_string());
        }
    }
    Ok(found)
}

/// Returns the relationships prefix of `root`, declaring `r` (or a free variant) when the root
/// has none, so that a new `r:id` attribute is well-formed.
pub fn ensure_rel_prefix(
    root: BytesStart<'_>,
    part: &str,
    rel_ns: &str,
) -> Result<(BytesStart<'static>, String), WriteError> {
    let found = prefixes(&root, part)?;
    if let Some(p) = found.rel {
        return Ok((root.into_owned(), p));
    }
    let prefix = free_rel_prefix(&found.declared);
    let mut root = root.into_owned();
    let key = format!("xmlns:{prefix}");
    root.push_attribute((key.as_str(), rel_ns));
    Ok((root, prefix))
}

/// Whether a namespace name is the relationships namespace (transitional or strict).
fn is_rel_ns(uri: &str) -> bool {
    uri == REL_NS || uri == STRICT_REL_NS
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
    let markup = retag(e, set, drop, false, part)?;
    let name_len = e.name().0.len();
    // `<` and `>` off: the start tag's content, its name first.
    Ok(BytesStart::from_content(
        markup[1..markup.len() - 1].to_string(),
        name_len,
    ))
}

/// The start tag `e` written again with the attributes in `set` replaced (or appended when
/// absent) and those in `drop` removed; every other attribute keeps its place and its value
/// as written (entity references included). `empty` closes it (`/>`).
pub fn retag(
    e: &BytesStart<'_>,
    set: &[(&str, &str)],
    drop: &[&str],
    empty: bool,
    part: &str,
) -> Result<String, WriteError> {
    let qname = e.name().0;
    let mut out = String::with_capacity(qname.len() + e.attributes_raw().len() + 32);
    out.push('<');
    out.push_str(qname);
    let mut done = vec![false; set.len()];
    for a in e.attributes() {
        let a = a.map_err(|err| xml_error(part, err))?;
        let key = a.key.0;
        let replaced = set.iter().position(|(k, _)| *k == key);
        if drop.contains(&key) || replaced.is_some_and(|i| done[i]) {
            continue;
        }
        out.push(' ');
        out.push_str(key);
        out.push('=');
        match replaced {
            Some(i) => {
                done[i] = true;
                out.push('"');
                push_esc(&mut out, set[i].1);
                out.push('"');
            }
            None => {
                // The raw value holds no quote of the kind that delimited it.
                let quote = if a.value.contains('"') { '\'' } else { '"' };
                out.push(quote);
                out.push_str(&a.value);
                out.push(quote);
            }
        }
    }
    for ((k, v), done) in set.iter().zip(done) {
        if !done {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            push_esc(&mut out, v);
            out.push('"');
        }
    }
    out.push_str(if empty { "/>" } else { ">" });
    Ok(out)
}

/// The unescaped value of the attribute `key`, or `None` where it is absent or malformed (a
/// sheet's `r` and `s` are hints the walk can do without).
pub fn attr_lenient(e: &BytesStart<'_>, key: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.0 == key)
        .and_then(|a| {
            a.normalized_value(XmlVersion::Implicit1_0)
                .ok()
                .map(|v| v.into_owned())
        })
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
