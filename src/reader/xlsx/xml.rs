//! Reading text and attributes from a package part's XML, by local name so that any
//! namespace prefix (`x:c`, `r:id`) reads alike.

use std::borrow::Cow;
use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

pub(super) type XmlResult<T> = Result<T, quick_xml::Error>;

/// An element's name without its prefix.
pub(super) fn local<'a>(e: &'a BytesStart<'_>) -> &'a str {
    let name: &str = e.local_name().into_inner();
    name
}

/// The value of attribute `name` (by local name), with entities resolved.
pub(super) fn attr<'a>(e: &'a BytesStart<'_>, name: &str) -> Option<Cow<'a, str>> {
    e.attributes().with_checks(false).flatten().find_map(|a| {
        let key = a.key.into_inner();
        let key_local = key.rsplit(':').next().unwrap_or(key);
        if key_local != name || key.starts_with("xmlns") {
            return None;
        }
        a.normalized_value(quick_xml::XmlVersion::Implicit1_0).ok()
    })
}

/// Appends the text of the element being read, up to its end tag `end` (local name), to `out`.
pub(super) fn text_until<R: BufRead>(
    xml: &mut Reader<R>,
    buf: &mut Vec<u8>,
    end: &str,
    out: &mut String,
) -> XmlResult<()> {
    loop {
        buf.clear();
        match xml.read_event_into(buf)? {
            Event::Text(t) => out.push_str(&t.xml10_content()),
            Event::CData(t) => out.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => push_reference(&r, out)?,
            Event::End(e) if e.local_name().into_inner() == end => return Ok(()),
            Event::Eof => return Err(unexpected_end(end)),
            _ => {}
        }
    }
}

fn push_reference(r: &quick_xml::events::BytesRef<'_>, out: &mut String) -> XmlResult<()> {
    let name: &str = r;
    if let Some(s) = quick_xml::escape::resolve_xml_entity(name) {
        out.push_str(s);
    } else if let Some(c) = r.resolve_char_ref()? {
        out.push(c);
    } else {
        return Err(quick_xml::Error::Escape(
            quick_xml::escape::EscapeError::UnrecognizedEntity(0..0, format!("&{name};")),
        ));
    }
    Ok(())
}

fn unexpected_end(inside: &str) -> quick_xml::Error {
    quick_xml::Error::IllFormed(quick_xml::errors::IllFormedError::MissingEndTag(
        inside.to_string(),
    ))
}

/// A string item as Excel shows it: the text of its runs (`<r><t>`), or of its one `<t>`,
/// without the phonetic guide (`<rPh>`). Read up to the end tag `end`.
///
/// A `<t>` without `xml:space="preserve"` loses the spaces and line ends around it: they were
/// the XML's indentation, not the cell's text.
pub(super) fn rich_text<R: BufRead>(
    xml: &mut Reader<R>,
    buf: &mut Vec<u8>,
    inner: &mut Vec<u8>,
    end: &str,
) -> XmlResult<String> {
    let mut out = String::new();
    let mut phonetic = false;
    let mut piece = String::new();
    loop {
        buf.clear();
        match xml.read_event_into(buf)? {
            Event::Start(e) => match local(&e) {
                "rPh" => phonetic = true,
                "t" if !phonetic => {
                    let preserve = attr(&e, "space").is_some_and(|v| v == "preserve");
                    piece.clear();
                    text_until(xml, inner, "t", &mut piece)?;
                    let kept = match preserve {
                        true => piece.as_str(),
                        false => piece.trim_matches([' ', '\t', '\r', '\n']),
                    };
                    out.push_str(&unescape_ooxml(kept));
                }
                _ => {}
            },
            Event::End(e) => match e.local_name().into_inner() {
                "rPh" => phonetic = false,
                name if name == end => return Ok(out),
                _ => {}
            },
            Event::Eof => return Err(unexpected_end(end)),
            _ => {}
        }
    }
}

/// Resolves OOXML's `_xHHHH_` escapes, which stand for characters XML cannot hold (`_x000D_`
/// is a carriage return) and for a literal `_x` (`_x005F_`). A lone surrogate becomes U+FFFD.
pub(super) fn unescape_ooxml(s: &str) -> Cow<'_, str> {
    if !s.contains("_x") {
        return Cow::Borrowed(s);
    }
    let unit_at = |i: usize| -> Option<u16> {
        let b = s.as_bytes().get(i..i + 7)?;
        if &b[..2] != b"_x" || b[6] != b'_' {
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

#[cfg(test)]
mod tests {
    use super::*;

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
        let xml = r#"<si><r><t>产出</t></r><r><rPr/><t xml:space="preserve"> 指标 </t></r><rPh><t>ちゃん</t></rPh></si>"#;
        let mut reader = Reader::from_reader(xml.as_bytes());
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let _ = reader.read_event_into(&mut a);
        assert_eq!(
            rich_text(&mut reader, &mut a, &mut b, "si").unwrap(),
            "产出 指标 "
        );
        let xml = "<is><t>\n  数量指标\n</t></is>";
        let mut reader = Reader::from_reader(xml.as_bytes());
        let _ = reader.read_event_into(&mut a);
        assert_eq!(
            rich_text(&mut reader, &mut a, &mut b, "is").unwrap(),
            "数量指标"
        );
    }

    #[test]
    fn entities_and_character_references_resolve() {
        let mut reader = Reader::from_reader("<v>A&amp;B&#x4E2D;&#25991;</v>".as_bytes());
        let (mut a, mut out) = (Vec::new(), String::new());
        let _ = reader.read_event_into(&mut a);
        text_until(&mut reader, &mut a, "v", &mut out).unwrap();
        assert_eq!(out, "A&B中文");
    }
}
