//! One worksheet part, streamed once: its cells as their formats show them, then the merged
//! ranges that follow the cells.

use std::io::BufRead;

use quick_xml::Reader;
use quick_xml::events::Event;

use super::xml::{XmlResult, attr, local, rich_text, text_until, unescape_ooxml};
use crate::cell::Pos;
use crate::reader::format::{NumberShape, float_value};
use crate::reader::{Limits, Merge, RawValue, merges, serial_of_iso};

/// What the workbook tells every sheet.
pub(super) struct Shared<'a> {
    pub strings: &'a [String],
    /// Per style index (`s="…"`), what its number format shows.
    pub shapes: &'a [NumberShape],
    /// The 1904 date system: serials count from 1904-01-01, 1462 days later.
    pub date1904: bool,
}

/// A value the sheet holds, where, and whether its format fixes the decimals shown.
pub(super) struct Found {
    pub pos: Pos,
    pub value: RawValue,
    pub fixed: bool,
}

pub(super) struct Cells {
    pub found: Vec<Found>,
    pub merges: Vec<Merge>,
}

/// Why a sheet could not be read.
pub(super) enum SheetError {
    Xml(quick_xml::Error),
    /// A cell names a shared string the table does not hold.
    MissingString {
        pos: Pos,
    },
}

impl From<quick_xml::Error> for SheetError {
    fn from(e: quick_xml::Error) -> Self {
        Self::Xml(e)
    }
}

/// The `t` attribute of a cell.
#[derive(Clone, Copy)]
enum Kind {
    Shared,
    Inline,
    /// A formula's text result.
    Str,
    Bool,
    Error,
    /// An ISO 8601 date, `t="d"`.
    IsoDate,
    /// A number, `t="n"` or no `t` at all.
    Number,
}

impl Kind {
    fn of(t: &str) -> Self {
        match t {
            "s" => Self::Shared,
            "inlineStr" => Self::Inline,
            "str" => Self::Str,
            "b" => Self::Bool,
            "e" => Self::Error,
            "d" => Self::IsoDate,
            _ => Self::Number,
        }
    }
}

/// Reads the sheet's cells, stopping at [`Limits`], and its merged ranges.
pub(super) fn read<R: BufRead>(
    xml: &mut Reader<R>,
    shared: &Shared<'_>,
    limits: &Limits,
) -> Result<Cells, SheetError> {
    let mut cells = Cells {
        found: Vec::new(),
        merges: Vec::new(),
    };
    let (mut buf, mut inner, mut deep) = (Vec::new(), Vec::new(), Vec::new());
    let mut text = String::new();
    let mut text_bytes = 0usize;
    // Where the next row or cell goes when it does not say: after the previous one.
    let (mut row, mut next_row, mut next_col) = (0u32, 0u32, 0u32);
    let at_limit = loop {
        buf.clear();
        let (e, has_body) = match xml.read_event_into(&mut buf)? {
            Event::Start(e) => (e, true),
            Event::Empty(e) => (e, false),
            Event::End(e) if e.local_name().into_inner() == "mergeCells" => break false,
            Event::Eof => break false,
            _ => continue,
        };
        match local(&e) {
            "row" => {
                row = attr(&e, "r")
                    .and_then(|r| r.parse::<u32>().ok())
                    .and_then(|r| r.checked_sub(1))
                    .unwrap_or(next_row);
                next_row = row.saturating_add(1);
                next_col = 0;
                // Rows come in order: the rest of a long sheet need not be parsed.
                if row >= limits.rows {
                    break true;
                }
            }
            "c" => {
                let (mut at, mut style, mut kind) = (None, 0usize, Kind::Number);
                for a in e.attributes().with_checks(false).flatten() {
                    match a.key.local_name().into_inner() {
                        "r" => at = Pos::parse_a1(&a.value),
                        "s" => style = a.value.parse().unwrap_or(0),
                        "t" => kind = Kind::of(&a.value),
                        _ => {}
                    }
                }
                let pos = at.unwrap_or(Pos::new(row, next_col));
                next_col = pos.col.saturating_add(1);
                if pos.row >= limits.rows {
                    break true;
                }
                if !has_body {
                    continue;
                }
                let Some(value) = cell_value(xml, &mut inner, &mut deep, &mut text, kind)? else {
                    continue;
                };
                if pos.col >= limits.cols {
                    continue;
                }
                if cells.found.len() >= limits.cells || text_bytes > limits.text_bytes {
                    break true;
                }
                let shape = shared.shapes.get(style).copied().unwrap_or_default();
                let value = match value {
                    Value::Text(t) => {
                        text_bytes += t.len();
                        RawValue::Text(t)
                    }
                    Value::SharedString(index) => {
                        let Some(s) = shared.strings.get(index) else {
                            return Err(SheetError::MissingString { pos });
                        };
                        text_bytes += s.len();
                        RawValue::Text(s.clone())
                    }
                    Value::Number(f) if shape.date && shared.date1904 => {
                        float_value(f + DAYS_1900_TO_1904, shape)
                    }
                    Value::Number(f) => float_value(f, shape),
                    Value::Raw(v) => v,
                };
                cells.found.push(Found {
                    pos,
                    value,
                    fixed: shape.decimals.is_some(),
                });
            }
            "mergeCell" => {
                let range = attr(&e, "ref");
                if let Some((first, last)) = range.as_deref().and_then(|r| r.split_once(':'))
                    && let (Some(first), Some(last)) = (Pos::parse_a1(first), Pos::parse_a1(last))
                {
                    cells.merges.push(Merge { first, last });
                }
            }
            _ => {}
        }
    };
    if at_limit {
        // The merged ranges stand after the cells: found in the bytes that remain, which
        // are not parsed.
        if let Some(tail) = merges::sheet_tail(xml.get_mut()) {
            cells.merges = merges::merges_in(&tail);
        }
    }
    Ok(cells)
}

/// Days from 1899-12-30 to 1904-01-01: a 1904-system serial plus this is a 1900-system one.
const DAYS_1900_TO_1904: f64 = 1462.0;

/// A cell's content before the workbook's tables give it meaning.
enum Value {
    Text(String),
    /// An index into the shared strings.
    SharedString(usize),
    Number(f64),
    Raw(RawValue),
}

/// Reads a `<c>` element's body up to `</c>`: `None` when it holds no value.
fn cell_value<R: BufRead>(
    xml: &mut Reader<R>,
    buf: &mut Vec<u8>,
    inner: &mut Vec<u8>,
    text: &mut String,
    kind: Kind,
) -> XmlResult<Option<Value>> {
    let mut has_v = false;
    let mut inline: Option<String> = None;
    text.clear();
    loop {
        buf.clear();
        match xml.read_event_into(buf)? {
            Event::Start(e) => match local(&e) {
                "v" => {
                    text_until(xml, inner, "v", text)?;
                    has_v = true;
                }
                "is" => inline = Some(rich_text(xml, buf, inner, "is")?),
                // A formula (left to the writer, which patches the package), or an extension.
                _ => {
                    inner.clear();
                    xml.read_to_end_into(e.name(), inner)?;
                }
            },
            Event::End(e) if e.local_name().into_inner() == "c" => break,
            Event::Eof => {
                return Err(quick_xml::Error::IllFormed(
                    quick_xml::errors::IllFormedError::MissingEndTag("c".into()),
                ));
            }
            _ => {}
        }
    }
    let owned = |text: &mut String| std::mem::take(text);
    Ok(match kind {
        Kind::Inline => inline.map(Value::Text),
        _ if !has_v => None,
        Kind::Shared if text.is_empty() => None,
        // An index that is no number names no string either.
        Kind::Shared => Some(Value::SharedString(
            text.trim().parse().unwrap_or(usize::MAX),
        )),
        Kind::Str => Some(Value::Text(unescape_ooxml(text).into_owned())),
        Kind::Bool => match text.trim() {
            "" => None,
            "1" => Some(Value::Raw(RawValue::Bool(true))),
            "0" => Some(Value::Raw(RawValue::Bool(false))),
            t if t.eq_ignore_ascii_case("true") => Some(Value::Raw(RawValue::Bool(true))),
            t if t.eq_ignore_ascii_case("false") => Some(Value::Raw(RawValue::Bool(false))),
            _ => Some(Value::Text(owned(text))),
        },
        Kind::Error => Some(Value::Raw(RawValue::Error(owned(text)))),
        Kind::IsoDate => Some(Value::Raw(
            serial_of_iso(text).map_or_else(|| RawValue::Text(owned(text)), RawValue::Date),
        )),
        Kind::Number if text.is_empty() => None,
        Kind::Number => Some(match text.parse::<f64>() {
            Ok(f) => Value::Number(f),
            // Not a number after all: kept as the text it is, for the model to report.
            Err(_) => Value::Text(owned(text)),
        }),
    })
}
