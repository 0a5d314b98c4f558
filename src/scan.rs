//! A byte scanner for the parts that hold a workbook's bulk: the cells of a sheet and the
//! shared strings. Both are flat and machine-written, so tags are found with `memchr` and only
//! the text a cell keeps is decoded; a general XML parser spent more time per cell than
//! inflating it did. The reader reads sheets and strings with it, and the writer finds the
//! places it splices into a sheet.
//!
//! Names are compared without their prefix (`x:c` is `c`). Text may hold entities, character
//! references and CDATA; comments and processing instructions are skipped.

use std::borrow::Cow;

use memchr::{memchr, memmem};

/// A tag: `<name attrs>`, `<name attrs/>` or `</name>`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tag<'x> {
    /// Where its `<` is.
    pub start: usize,
    /// The local name.
    pub name: &'x [u8],
    /// The name as written, prefix and all.
    pub qname: &'x [u8],
    /// The bytes between the name and the closing `>` (or `/>`).
    pub attrs: &'x [u8],
    pub closing: bool,
    /// `<name/>`: no content and no end tag follow.
    pub empty: bool,
    /// Where the byte after `>` is.
    pub after: usize,
}

/// Why a part could not be scanned.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(crate) enum ScanError {
    #[error("标签未闭合 (a tag is not closed)")]
    Unclosed,
    #[error("元素“{0}”缺少结束标签 (no end tag for <{0}>)")]
    NoEndTag(String),
    #[error("无法识别的实体“&{0};” (unknown entity)")]
    Entity(String),
    #[error("文本不是 UTF-8 编码 (text is not UTF-8)")]
    NotUtf8,
    #[error("元素“{element}”缺少属性“{attribute}” (<{element}> without its {attribute})")]
    MissingAttribute {
        element: &'static str,
        attribute: &'static str,
    },
}

/// The next tag at or after `from`, skipping comments, processing instructions, declarations
/// and CDATA sections that stand between elements.
pub(crate) fn next_tag(xml: &[u8], mut from: usize) -> Result<Option<Tag<'_>>, ScanError> {
    loop {
        let Some(lt) = memchr(b'<', &xml[from..]).map(|i| i + from) else {
            return Ok(None);
        };
        let rest = &xml[lt + 1..];
        if is_markup(rest) {
            from = lt + 1 + markup_end(rest).ok_or(ScanError::Unclosed)?;
            continue;
        }
        let gt = tag_end(rest).ok_or(ScanError::Unclosed)? + lt + 1;
        let inner = &xml[lt + 1..gt];
        let (closing, inner) = match inner.strip_prefix(b"/") {
            Some(i) => (true, i),
            None => (false, inner),
        };
        let (empty, inner) = match inner.strip_suffix(b"/") {
            Some(i) => (true, i),
            None => (false, inner),
        };
        let mut name_start = 0;
        let mut name_end = inner.len();
        for (i, &b) in inner.iter().enumerate() {
            match b {
                b':' => name_start = i + 1,
                b if b.is_ascii_whitespace() => {
                    name_end = i;
                    break;
                }
                _ => {}
            }
        }
        return Ok(Some(Tag {
            start: lt,
            name: &inner[name_start..name_end],
            qname: &inner[..name_end],
            attrs: &inner[name_end..],
            closing,
            empty,
            after: gt + 1,
        }));
    }
}

/// Where the `>` that closes a tag stands: the first one outside quotes. Tags are short, so
/// a plain loop beats a vectorised search here.
pub(crate) fn tag_end(rest: &[u8]) -> Option<usize> {
    let mut quote = None;
    for (i, &b) in rest.iter().enumerate() {
        match (b, quote) {
            (b'>', None) => return Some(i),
            (b'"' | b'\'', None) => quote = Some(b),
            (q, Some(open)) if q == open => quote = None,
            _ => {}
        }
    }
    None
}

/// Whether what follows a `<` is markup that is not an element: `<!--`, `<?`, `<![CDATA[`
/// or `<!DOCTYPE`.
fn is_markup(rest: &[u8]) -> bool {
    matches!(rest.first(), Some(b'!' | b'?'))
}

/// How many bytes after its `<` such markup takes; `None` when it never ends.
fn markup_end(rest: &[u8]) -> Option<usize> {
    let ends = |open: usize, close: &[u8]| {
        memmem::find(&rest[open..], close).map(|i| open + i + close.len())
    };
    if rest.starts_with(b"!--") {
        ends(3, b"-->")
    } else if rest.starts_with(b"![CDATA[") {
        ends(8, b"]]>")
    } else if rest.starts_with(b"?") {
        ends(1, b"?>")
    } else {
        ends(1, b">")
    }
}

/// The value of attribute `name` (by local name) in a tag's attribute bytes, undecoded.
pub(crate) fn attr<'x>(attrs: &'x [u8], name: &[u8]) -> Option<&'x [u8]> {
    Attrs(attrs).find_map(|(key, value)| (key == name).then_some(value))
}

/// A tag's attributes in order, each as its local name and undecoded value; stops at the
/// first malformed one.
pub(crate) struct Attrs<'x>(pub &'x [u8]);

impl<'x> Iterator for Attrs<'x> {
    type Item = (&'x [u8], &'x [u8]);

    fn next(&mut self) -> Option<Self::Item> {
        let (key, quoted, rest) = split_attr(self.0)?;
        self.0 = rest;
        let local = match key.iter().position(|&b| b == b':') {
            Some(colon) if !key.starts_with(b"xmlns") => &key[colon + 1..],
            _ => key,
        };
        Some((local, unquote(quoted)))
    }
}

/// Whether a tag's attributes hold one named `qname`, prefix and all.
pub(crate) fn attr_named(attrs: &[u8], qname: &[u8]) -> bool {
    let mut rest = attrs;
    while let Some((key, _, after)) = split_attr(rest) {
        if key == qname {
            return true;
        }
        rest = after;
    }
    false
}

/// An attribute value as [`split_attr`] gives it, without its quotes.
pub(crate) fn unquote(quoted: &[u8]) -> &[u8] {
    &quoted[1..quoted.len() - 1]
}

/// The first attribute in `attrs`: its name as written, its value with the quotes around it,
/// and the bytes after it. `None` when `attrs` does not start with a well-formed attribute.
pub(crate) fn split_attr(attrs: &[u8]) -> Option<(&[u8], &[u8], &[u8])> {
    let eq = attrs.iter().position(|&b| b == b'=')?;
    let key = attrs[..eq].trim_ascii();
    let mut i = eq + 1;
    while attrs.get(i).is_some_and(u8::is_ascii_whitespace) {
        i += 1;
    }
    let quote = *attrs.get(i)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let close = attrs[i + 1..].iter().position(|&b| b == quote)? + i + 1;
    Some((key, &attrs[i..=close], &attrs[close + 1..]))
}

/// An attribute's value as text: entities resolved, and tabs and line ends read as spaces,
/// as XML reads attribute values.
pub(crate) fn attr_text<'x>(
    attrs: &'x [u8],
    name: &[u8],
) -> Result<Option<Cow<'x, str>>, ScanError> {
    let Some(raw) = attr(attrs, name) else {
        return Ok(None);
    };
    let value = decode(raw)?;
    Ok(Some(match value.contains(['\t', '\n']) {
        true => Cow::Owned(value.replace(['\t', '\n'], " ")),
        false => value,
    }))
}

/// The text of the element whose start tag ends at `from`, up to its end tag: entities
/// resolved, CDATA kept as written, comments dropped, child elements' text included. Returns
/// the text and where the byte after the end tag is.
pub(crate) fn text(xml: &[u8], from: usize) -> Result<(Cow<'_, str>, usize), ScanError> {
    // The usual case: plain text, then the end tag.
    if let Some(lt) = memchr(b'<', &xml[from..]).map(|i| i + from)
        && xml.get(lt + 1) == Some(&b'/')
    {
        let end = next_tag(xml, lt)?.ok_or(ScanError::Unclosed)?;
        return Ok((decode(&xml[from..lt])?, end.after));
    }
    let mut out = String::new();
    let mut at = from;
    let mut depth = 0usize;
    loop {
        let lt = memchr(b'<', &xml[at..])
            .map(|i| i + at)
            .ok_or_else(|| ScanError::NoEndTag("text".into()))?;
        out.push_str(&decode(&xml[at..lt])?);
        let rest = &xml[lt + 1..];
        if rest.starts_with(b"![CDATA[") {
            let end = memmem::find(&rest[8..], b"]]>").ok_or(ScanError::Unclosed)?;
            let literal = &rest[8..8 + end];
            out.push_str(std::str::from_utf8(literal).map_err(|_| ScanError::NotUtf8)?);
            at = lt + 1 + 8 + end + 3;
            continue;
        }
        if is_markup(rest) {
            at = lt + 1 + markup_end(rest).ok_or(ScanError::Unclosed)?;
            continue;
        }
        let tag = next_tag(xml, lt)?.ok_or(ScanError::Unclosed)?;
        at = tag.after;
        match (tag.closing, tag.empty) {
            (true, _) if depth == 0 => return Ok((Cow::Owned(out), at)),
            (true, _) => depth -= 1,
            (false, false) => depth += 1,
            (false, true) => {}
        }
    }
}

/// Entities and character references resolved, line ends read as XML reads them (`\r\n` and
/// a lone `\r` are `\n`).
pub(crate) fn decode(raw: &[u8]) -> Result<Cow<'_, str>, ScanError> {
    let s = std::str::from_utf8(raw).map_err(|_| ScanError::NotUtf8)?;
    if !raw.contains(&b'&') && !raw.contains(&b'\r') {
        return Ok(Cow::Borrowed(s));
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find(['&', '\r']) {
        out.push_str(&rest[..i]);
        if rest.as_bytes()[i] == b'\r' {
            out.push('\n');
            rest = rest[i + 1..].strip_prefix('\n').unwrap_or(&rest[i + 1..]);
            continue;
        }
        let semi = rest[i..]
            .find(';')
            .ok_or_else(|| ScanError::Entity(rest[i + 1..].chars().take(8).collect()))?;
        let name = &rest[i + 1..i + semi];
        out.push(entity(name).ok_or_else(|| ScanError::Entity(name.chars().take(16).collect()))?);
        rest = &rest[i + semi + 1..];
    }
    out.push_str(rest);
    Ok(Cow::Owned(out))
}

fn entity(name: &str) -> Option<char> {
    Some(match name {
        "lt" => '<',
        "gt" => '>',
        "amp" => '&',
        "apos" => '\'',
        "quot" => '"',
        _ => {
            let number = name.strip_prefix('#')?;
            // Digits only: the parsers would also take a sign.
            let code = match number.strip_prefix(['x', 'X']) {
                Some(hex) if hex.bytes().all(|b| b.is_ascii_hexdigit()) => {
                    u32::from_str_radix(hex, 16).ok()?
                }
                Some(_) => return None,
                None if number.bytes().all(|b| b.is_ascii_digit()) => number.parse().ok()?,
                None => return None,
            };
            return char::from_u32(code).filter(|&c| c != '\0');
        }
    })
}

/// A string item as Excel shows it: the text of its runs (`<r><t>`), or of its one `<t>`,
/// without the phonetic guide (`<rPh>`); read from `from` up to the end tag named `end`.
/// Returns the text and where the byte after the end tag is.
///
/// A `<t>` without `xml:space="preserve"` loses the spaces and line ends around it: they were
/// the XML's indentation, not the cell's text.
pub(crate) fn rich_text(xml: &[u8], from: usize, end: &[u8]) -> Result<(String, usize), ScanError> {
    if let Some(plain) = plain_text(xml, from, end)? {
        return Ok(plain);
    }
    let mut out = String::new();
    let mut phonetic = false;
    let mut at = from;
    loop {
        let tag = next_tag(xml, at)?
            .ok_or_else(|| ScanError::NoEndTag(String::from_utf8_lossy(end).into_owned()))?;
        at = tag.after;
        match (tag.name, tag.closing) {
            (name, true) if name == end => return Ok((out, at)),
            (b"rPh", closing) => phonetic = !closing && !tag.empty,
            (b"t", false) if !tag.empty => {
                let (piece, after) = text(xml, at)?;
                at = after;
                if phonetic {
                    continue;
                }
                let preserve = attr(tag.attrs, b"space") == Some(b"preserve");
                out.push_str(&unescape_ooxml(kept(&piece, preserve)));
            }
            _ => {}
        }
    }
}

/// The item almost every string is, `<t>…</t>` then the end tag `end`, without prefixes:
/// read without visiting each tag. `None` for any other item.
fn plain_text(xml: &[u8], from: usize, end: &[u8]) -> Result<Option<(String, usize)>, ScanError> {
    const PRESERVED: &[u8] = b"<t xml:space=\"preserve\">";
    let rest = &xml[from..];
    let (open, preserve) = match () {
        _ if rest.starts_with(b"<t>") => (3, false),
        _ if rest.starts_with(PRESERVED) => (PRESERVED.len(), true),
        _ => return Ok(None),
    };
    let body = &rest[open..];
    let Some(lt) = memchr(b'<', body) else {
        return Ok(None);
    };
    let close = &body[lt..];
    let fits = close.starts_with(b"</t></")
        && close[6..].starts_with(end)
        && close.get(6 + end.len()) == Some(&b'>');
    if !fits {
        return Ok(None);
    }
    let text = decode(&body[..lt])?;
    let after = from + open + lt + 6 + end.len() + 1;
    Ok(Some((
        unescape_ooxml(kept(&text, preserve)).into_owned(),
        after,
    )))
}

/// A `<t>`'s text as the cell holds it: without `xml:space="preserve"`, the spaces and line
/// ends around it were the XML's indentation.
fn kept(text: &str, preserve: bool) -> &str {
    match preserve {
        true => text,
        false => text.trim_matches([' ', '\t', '\r', '\n']),
    }
}

/// Resolves OOXML's `_xHHHH_` escapes, which stand for characters XML cannot hold (`_x000D_`
/// is a carriage return) and for a literal `_x` (`_x005F_`). A lone surrogate becomes U+FFFD.
pub(crate) fn unescape_ooxml(s: &str) -> Cow<'_, str> {
    if !s.contains("_x") {
        return Cow::Borrowed(s);
    }
    let unit_at = |i: usize| -> Option<u16> {
        let b = s.as_bytes().get(i..i + 7)?;
        if &b[..2] != b"_x" || b[6] != b'_' || !b[2..6].iter().all(u8::is_ascii_hexdigit) {
            return None;
        }
        u16::from_str_radix(std::str::from_utf8(&b[2..6]).ok()?, 16).ok()
    };
    let mut out = String::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        let Some(unit) = unit_at(i) else {
            let c = s[i..].chars().next().expect("within the string");
            out.push(c);
            i += c.len_utf8();
            continue;
        };
        i += 7;
        let c = match unit {
            0xD800..=0xDBFF => match unit_at(i) {
                Some(low @ 0xDC00..=0xDFFF) => {
                    i += 7;
                    let point =
                        0x10000 + ((u32::from(unit) - 0xD800) << 10) + (u32::from(low) - 0xDC00);
                    char::from_u32(point)
                }
                _ => None,
            },
            other => char::from_u32(u32::from(other)),
        };
        out.push(c.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    Cow::Owned(out)
}

/// How far before newly read bytes a tag that straddles two reads of a stream may have begun:
/// a search for one goes back this far.
pub(crate) const STRADDLE: usize = 80;

/// The last end tag named `local` (with any prefix): where its `<` is and where the byte
/// after its `>` is.
pub(crate) fn last_closing(xml: &[u8], local: &[u8]) -> Option<(usize, usize)> {
    let mut needle = local.to_vec();
    needle.push(b'>');
    memmem::rfind_iter(xml, &needle).find_map(|at| {
        let lt = tag_start_before(xml, at)?;
        let between = &xml[lt + 1..at];
        let closing = between.first() == Some(&b'/') && is_prefix(&between[1..]);
        closing.then_some((lt, at + needle.len()))
    })
}

/// Where the last end tag named `local` ends, just after its `>`.
pub(crate) fn after_last_closing(xml: &[u8], local: &[u8]) -> Option<usize> {
    last_closing(xml, local).map(|(_, end)| end)
}

/// Where the `<` of the last start tag named `local` (with any prefix) is.
pub(crate) fn before_last_opening(xml: &[u8], local: &[u8]) -> Option<usize> {
    memmem::rfind_iter(xml, local).find_map(|at| {
        let next = *xml.get(at + local.len())?;
        if !(next.is_ascii_whitespace() || next == b'>' || next == b'/') {
            return None;
        }
        let lt = tag_start_before(xml, at)?;
        is_prefix(&xml[lt + 1..at]).then_some(lt)
    })
}

/// The `<` a name at `at` may belong to: names and prefixes are short.
fn tag_start_before(xml: &[u8], at: usize) -> Option<usize> {
    let window = at.saturating_sub(64);
    memchr::memrchr(b'<', &xml[window..at]).map(|i| i + window)
}

/// Nothing, or a namespace prefix with its colon (`x:`).
fn is_prefix(between: &[u8]) -> bool {
    between.is_empty()
        || (between.ends_with(b":")
            && between
                .iter()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b':' | b'_' | b'-' | b'.')))
}

/// A stream that hands out at most `.1` bytes per read, so that tags straddle reads.
#[cfg(test)]
pub(crate) struct Trickle<'a>(pub &'a [u8], pub usize);

#[cfg(test)]
impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = buf.len().min(self.1).min(self.0.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rich(xml: &str, end: &str) -> String {
        let start = next_tag(xml.as_bytes(), 0).unwrap().unwrap();
        rich_text(xml.as_bytes(), start.after, end.as_bytes())
            .unwrap()
            .0
    }

    #[test]
    fn resolves_ooxml_escapes() {
        assert_eq!(unescape_ooxml("没有转义"), "没有转义");
        assert_eq!(unescape_ooxml("第一行_x000D_\n第二行"), "第一行\r\n第二行");
        assert_eq!(unescape_ooxml("a_x005F_x0041_"), "a_x0041_");
        assert_eq!(unescape_ooxml("_xD83D__xDE00_"), "😀");
        assert_eq!(unescape_ooxml("_xD83D_x"), "\u{FFFD}x");
        assert_eq!(unescape_ooxml("_x12G4_"), "_x12G4_");
    }

    #[test]
    fn reads_rich_text_without_its_phonetic_guide() {
        assert_eq!(
            rich(
                r#"<si><r><t>产出</t></r><r><rPr><b/></rPr><t xml:space="preserve"> 指标 </t></r><rPh sb="0"><t>ちゃん</t></rPh></si>"#,
                "si"
            ),
            "产出 指标 "
        );
        assert_eq!(
            rich("<x:is><x:t>\n  数量指标\n</x:t></x:is>", "is"),
            "数量指标"
        );
        assert_eq!(rich("<si><t/></si>", "si"), "");
        // The plain item read directly, and the same items read tag by tag, agree.
        for (plain, tagged) in [
            ("<si><t> 产出 </t></si>", "<si><t> 产出 </t><!-- --></si>"),
            (
                r#"<si><t xml:space="preserve"> 产出 </t></si>"#,
                r#"<si><t xml:space="preserve"> 产出 </t><!-- --></si>"#,
            ),
            (
                "<si><t>A&amp;B_x000D_</t></si>",
                "<si><t>A&amp;B_x000D_</t><!-- --></si>",
            ),
        ] {
            let start = next_tag(plain.as_bytes(), 0).unwrap().unwrap();
            assert!(
                plain_text(plain.as_bytes(), start.after, b"si")
                    .unwrap()
                    .is_some()
            );
            assert_eq!(rich(plain, "si"), rich(tagged, "si"), "{plain}");
        }
    }

    #[test]
    fn text_resolves_entities_cdata_and_line_ends() {
        let at = |xml: &'static str| {
            let tag = next_tag(xml.as_bytes(), 0).unwrap().unwrap();
            text(xml.as_bytes(), tag.after).unwrap()
        };
        assert_eq!(at("<v>A&amp;B&#x4E2D;&#25991;&lt;</v>").0, "A&B中文<");
        assert_eq!(at("<t>一\r\n二\r三</t>").0, "一\n二\n三");
        assert_eq!(
            at("<t>a<![CDATA[<b>&amp;]]><!-- 注 -->c</t>").0,
            "a<b>&amp;c"
        );
        let (value, after) = at("<v>12.5</v><c>");
        assert_eq!((&*value, after), ("12.5", 11));
        let bad = next_tag(b"<v>&nbsp;</v>", 0).unwrap().unwrap();
        assert_eq!(
            text(b"<v>&nbsp;</v>", bad.after).unwrap_err(),
            ScanError::Entity("nbsp".into())
        );
    }

    #[test]
    fn reads_tags_and_attributes_with_any_prefix_or_quotes() {
        let xml = br#"<?xml version="1.0"?><!-- note --><x:c r="B2" s='3' t="s"/></x:row>"#;
        let c = next_tag(xml, 0).unwrap().unwrap();
        assert_eq!((c.name, c.closing, c.empty), (&b"c"[..], false, true));
        assert_eq!(attr(c.attrs, b"r"), Some(&b"B2"[..]));
        assert_eq!(attr(c.attrs, b"s"), Some(&b"3"[..]));
        assert_eq!(attr(c.attrs, b"t"), Some(&b"s"[..]));
        assert_eq!(attr(c.attrs, b"x"), None);
        let end = next_tag(xml, c.after).unwrap().unwrap();
        assert_eq!((end.name, end.closing), (&b"row"[..], true));
        assert_eq!(
            attr(br#" xmlns:r="ns" r:id="rId1""#, b"id"),
            Some(&b"rId1"[..])
        );
        assert!(next_tag(b"<c r=\"A1\"", 0).is_err());
    }

    #[test]
    fn finds_the_last_end_tag_of_a_name() {
        let xml = b"<row r=\"1\"></row><x:row r=\"2\"></x:row><rows>";
        assert_eq!(after_last_closing(xml, b"row"), Some(38));
        assert_eq!(after_last_closing(b"<row r=\"1\">", b"row"), None);
        assert_eq!(after_last_closing(b"</arrow>", b"row"), None);
    }
}
