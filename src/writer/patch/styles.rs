//! `xl/styles.xml`: the fills, fonts, number formats and cell formats the patch needs.
//!
//! A highlighted cell keeps its own look (font, borders, alignment, protection): its new
//! format is a copy of its old `cellXfs` entry with only the fill (and, for numbers, the
//! number format) replaced.

use std::collections::BTreeMap;

use quick_xml::events::{BytesStart, Event};

use super::super::{Mark, NewValue, WriteError};
use super::xml::{XmlIn, XmlOut, attr, esc, name_of, prefix_of, rebuild, xml_error};

/// Used when the package has no styles part at all.
pub const DEFAULT_STYLES: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\r\n",
    "<styleSheet xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\">",
    "<fonts count=\"1\"><font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font></fonts>",
    "<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>",
    "<fill><patternFill patternType=\"gray125\"/></fill></fills>",
    "<borders count=\"1\"><border><left/><right/><top/><bottom/><diagonal/></border></borders>",
    "<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\"/></cellStyleXfs>",
    "<cellXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/></cellXfs>",
    "<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" builtinId=\"0\"/></cellStyles>",
    "</styleSheet>"
);

/// Light red and light yellow, as in Excel's "Bad" and "Neutral" cell styles.
const ERROR_FILL: &str = "FFFFC7CE";
const WARNING_FILL: &str = "FFFFEB9C";
const LINK_COLOR: &str = "FF0563C1";

/// Children of `styleSheet`, in schema order.
const ORDER: [&str; 11] = [
    "numFmts",
    "fonts",
    "fills",
    "borders",
    "cellStyleXfs",
    "cellXfs",
    "cellStyles",
    "dxfs",
    "tableStyles",
    "colors",
    "extLst",
];

/// Sections that receive new children, as indices into [`ORDER`].
const NUM_FMTS: usize = 0;
const FONTS: usize = 1;
const FILLS: usize = 2;
const CELL_XFS: usize = 5;
const SECTIONS: [usize; 4] = [NUM_FMTS, FONTS, FILLS, CELL_XFS];

type Events = Vec<Event<'static>>;

pub struct Styles {
    part: String,
    xml: Vec<u8>,
    /// Element prefix of the stylesheet (`x:` when the producer used one).
    prefix: String,
    /// Number of existing children per entry of [`SECTIONS`].
    existing: [usize; 4],
    /// New children (markup) per entry of [`SECTIONS`].
    added: [Vec<String>; 4],
    custom_formats: Vec<(u32, String)>,
    xfs: Vec<Events>,
    font0: Option<Events>,
    derived: BTreeMap<(u32, bool, Option<u32>, bool), u32>,
    fills: BTreeMap<&'static str, u32>,
    header_xf: Option<u32>,
    link_xf: Option<u32>,
    wrap_xf: Option<u32>,
}

impl Styles {
    pub fn parse(xml: Vec<u8>, part: &str) -> Result<Self, WriteError> {
        let mut styles = Self {
            part: part.to_string(),
            xml: Vec::new(),
            prefix: String::new(),
            existing: [0; 4],
            added: Default::default(),
            custom_formats: Vec::new(),
            xfs: Vec::new(),
            font0: None,
            derived: BTreeMap::new(),
            fills: BTreeMap::new(),
            header_xf: None,
            link_xf: None,
            wrap_xf: None,
        };
        styles.read(&xml)?;
        styles.xml = xml;
        styles.pad();
        Ok(styles)
    }

    fn read(&mut self, xml: &[u8]) -> Result<(), WriteError> {
        let part = self.part.clone();
        let mut rd = XmlIn::new(xml, &part);
        let mut depth = 0usize;
        let mut section: Option<usize> = None;
        // Events of the font or xf being collected, until its end tag.
        let mut collecting: Option<Events> = None;
        loop {
            let event = rd.next()?;
            match &event {
                Event::Start(e) | Event::Empty(e) => {
                    let start = matches!(event, Event::Start(_));
                    let name = name_of(e);
                    if depth == 0 {
                        self.prefix = prefix_of(e.name().0).to_string();
                    } else if depth == 1 {
                        section = ORDER.iter().position(|s| *s == name);
                    } else if depth == 2 && collecting.is_none() {
                        self.child(section, e, &part)?;
                        let wanted = match (section, name) {
                            (Some(FONTS), "font") => self.font0.is_none(),
                            (Some(CELL_XFS), "xf") => true,
                            _ => false,
                        };
                        if wanted {
                            collecting = Some(Vec::new());
                        }
                    }
                    if let Some(events) = &mut collecting {
                        events.push(event.clone().into_owned());
                    }
                    if start {
                        depth += 1;
                    } else if depth == 2 {
                        self.collected(section, collecting.take());
                    }
                }
                Event::End(_) => {
                    if let Some(events) = &mut collecting {
                        events.push(event.clone().into_owned());
                    }
                    depth = depth.saturating_sub(1);
                    if depth == 2 {
                        self.collected(section, collecting.take());
                    }
                }
                Event::Eof => break,
                _ => {
                    if let Some(events) = &mut collecting {
                        events.push(event.clone().into_owned());
                    }
                }
            }
        }
        Ok(())
    }

    /// Counts a child of a section, and records custom number formats.
    fn child(
        &mut self,
        section: Option<usize>,
        e: &BytesStart<'_>,
        part: &str,
    ) -> Result<(), WriteError> {
        let Some(idx) = section.and_then(|s| SECTIONS.iter().position(|x| *x == s)) else {
            return Ok(());
        };
        self.existing[idx] += 1;
        if section == Some(NUM_FMTS) {
            let id = attr(e, "numFmtId", part)?.and_then(|v| v.parse().ok());
            let code = attr(e, "formatCode", part)?;
            if let (Some(id), Some(code)) = (id, code) {
                self.custom_formats.push((id, code));
            }
        }
        Ok(())
    }

    fn collected(&mut self, section: Option<usize>, events: Option<Events>) {
        match (section, events) {
            (Some(FONTS), Some(e)) => self.font0 = Some(e),
            (Some(CELL_XFS), Some(e)) => self.xfs.push(e),
            _ => {}
        }
    }

    /// Excel reserves fills 0 and 1 and needs a font 0 and an xf 0; a damaged stylesheet
    /// without them would otherwise make our additions land in those reserved places.
    fn pad(&mut self) {
        let p = self.prefix.clone();
        if self.existing[1] == 0 {
            self.added[1].push(format!(
                "<{p}font><{p}sz val=\"11\"/><{p}name val=\"Calibri\"/></{p}font>"
            ));
        }
        for pattern in ["none", "gray125"].iter().skip(self.existing[2]) {
            self.added[2].push(format!(
                "<{p}fill><{p}patternFill patternType=\"{pattern}\"/></{p}fill>"
            ));
        }
        if self.xfs.is_empty() {
            self.added[3].push(default_xf(&p));
        }
    }

    fn next_index(&self, section: usize) -> u32 {
        let total = self.existing[section] + self.added[section].len();
        u32::try_from(total).unwrap_or(u32::MAX)
    }

    fn fill(&mut self, rgb: &'static str) -> u32 {
        if let Some(id) = self.fills.get(rgb) {
            return *id;
        }
        let p = &self.prefix;
        let id = self.next_index(2);
        self.added[2].push(format!(
            "<{p}fill><{p}patternFill patternType=\"solid\"><{p}fgColor rgb=\"{rgb}\"/><{p}bgColor indexed=\"64\"/></{p}patternFill></{p}fill>"
        ));
        self.fills.insert(rgb, id);
        id
    }

    /// The cell format for a highlighted cell whose current format is `base`.
    pub fn mark_xf(
        &mut self,
        base: u32,
        mark: Mark,
        value: Option<&NewValue>,
    ) -> Result<u32, WriteError> {
        let number = matches!(
            value,
            Some(NewValue::Number { .. } | NewValue::Percent { .. })
        );
        let format = match value {
            Some(NewValue::Number { decimals, .. }) => {
                Some(self.format_id(&number_code(*decimals, "")))
            }
            Some(NewValue::Percent { decimals, .. }) => {
                Some(self.format_id(&number_code(*decimals, "%")))
            }
            _ => None,
        };
        let error = mark == Mark::Error;
        let key = (base, error, format, number);
        if let Some(xf) = self.derived.get(&key) {
            return Ok(*xf);
        }
        let fill = self
            .fill(if error { ERROR_FILL } else { WARNING_FILL })
            .to_string();
        let mut set = vec![("fillId", fill.as_str()), ("applyFill", "1")];
        let format_text = format.map(|f| f.to_string());
        if let Some(f) = &format_text {
            set.push(("numFmtId", f));
            set.push(("applyNumberFormat", "1"));
        }
        // A text-prefix flag on a cell that now holds a number would show it as text.
        let drop: &[&str] = if number { &["quotePrefix"] } else { &[] };
        let base_events = self
            .xfs
            .get(base as usize)
            .or_else(|| self.xfs.first())
            .cloned()
            .unwrap_or_else(|| parse_fragment(&default_xf(&self.prefix)));
        let markup = self.serialize(&base_events, &set, drop)?;
        let xf = self.next_index(3);
        self.added[3].push(markup);
        self.derived.insert(key, xf);
        Ok(xf)
    }

    /// Bold text, for the findings sheet's header row.
    pub fn header_xf(&mut self) -> Result<u32, WriteError> {
        if let Some(xf) = self.header_xf {
            return Ok(xf);
        }
        let p = self.prefix.clone();
        let font = self.derived_font(&format!("<{p}b/>"))?;
        let xf = self.plain_xf(font);
        self.header_xf = Some(xf);
        Ok(xf)
    }

    /// Blue underlined text, for the findings sheet's links.
    pub fn link_xf(&mut self) -> Result<u32, WriteError> {
        if let Some(xf) = self.link_xf {
            return Ok(xf);
        }
        let p = self.prefix.clone();
        let font = self.derived_font(&format!("<{p}u/><{p}color rgb=\"{LINK_COLOR}\"/>"))?;
        let xf = self.plain_xf(font);
        self.link_xf = Some(xf);
        Ok(xf)
    }

    /// The default font, wrapped and at the top: the findings sheet's text, which prints
    /// whole in its column rather than running under the next one.
    pub fn wrap_xf(&mut self) -> u32 {
        if let Some(xf) = self.wrap_xf {
            return xf;
        }
        let p = &self.prefix;
        let xf = self.next_index(3);
        self.added[3].push(format!(
            "<{p}xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyAlignment=\"1\"><{p}alignment vertical=\"top\" wrapText=\"1\"/></{p}xf>"
        ));
        self.wrap_xf = Some(xf);
        xf
    }

    fn plain_xf(&mut self, font: u32) -> u32 {
        let p = &self.prefix;
        let xf = self.next_index(3);
        self.added[3].push(format!(
            "<{p}xf numFmtId=\"0\" fontId=\"{font}\" fillId=\"0\" borderId=\"0\" xfId=\"0\" applyFont=\"1\"/>"
        ));
        xf
    }

    /// A copy of font 0 (the workbook's default font) with `extra` children in place of its
    /// own weight, underline and colour.
    fn derived_font(&mut self, extra: &str) -> Result<u32, WriteError> {
        let p = self.prefix.clone();
        let mut markup = format!("<{p}font>{extra}<{p}sz val=\"11\"/></{p}font>");
        if let Some(base) = &self.font0 {
            let mut out = XmlOut::new();
            // Depth inside a child being left out.
            let mut skip = 0usize;
            for (i, event) in base.iter().enumerate() {
                match event {
                    Event::Start(e) if i == 0 => {
                        out.event(Event::Start(e.borrow()))?;
                        out.raw(extra);
                    }
                    Event::Empty(e) if i == 0 => {
                        out.event(Event::Start(e.borrow()))?;
                        out.raw(extra);
                        out.event(Event::End(e.to_end()))?;
                    }
                    Event::Start(e) if skip > 0 || is_replaced_font_child(name_of(e)) => skip += 1,
                    Event::Empty(e) if skip > 0 || is_replaced_font_child(name_of(e)) => {}
                    Event::End(_) if skip > 0 => skip -= 1,
                    _ if skip > 0 => {}
                    other => out.event(other.borrow())?,
                }
            }
            markup = utf8(out.into_bytes(), &self.part)?;
        }
        let font = self.next_index(1);
        self.added[1].push(markup);
        Ok(font)
    }

    fn serialize(
        &self,
        events: &Events,
        set: &[(&str, &str)],
        drop: &[&str],
    ) -> Result<String, WriteError> {
        let mut out = XmlOut::new();
        for (i, event) in events.iter().enumerate() {
            match event {
                Event::Start(e) if i == 0 => {
                    out.event(Event::Start(rebuild(e, set, drop, &self.part)?))?
                }
                Event::Empty(e) if i == 0 => {
                    out.event(Event::Empty(rebuild(e, set, drop, &self.part)?))?
                }
                other => out.event(other.borrow())?,
            }
        }
        utf8(out.into_bytes(), &self.part)
    }

    /// Built-in ids where Excel has the format, an existing custom id with the same code, or
    /// a new custom id above every id in use (custom ids start at 164).
    fn format_id(&mut self, code: &str) -> u32 {
        match code {
            "0" => return 1,
            "0.00" => return 2,
            "0%" => return 9,
            "0.00%" => return 10,
            _ => {}
        }
        if let Some((id, _)) = self.custom_formats.iter().find(|(_, c)| c == code) {
            return *id;
        }
        let id = self
            .custom_formats
            .iter()
            .map(|(id, _)| *id)
            .max()
            .unwrap_or(0)
            .max(163)
            .saturating_add(1);
        let p = &self.prefix;
        self.added[0].push(format!(
            "<{p}numFmt numFmtId=\"{id}\" formatCode=\"{}\"/>",
            esc(code)
        ));
        self.custom_formats.push((id, code.to_string()));
        id
    }

    /// The stylesheet with every addition in place and the section counts updated.
    pub fn finish(mut self) -> Result<Vec<u8>, WriteError> {
        let xml = std::mem::take(&mut self.xml);
        let part = self.part.clone();
        let mut rd = XmlIn::new(&xml, &part);
        let mut out = XmlOut::new();
        let mut depth = 0usize;
        let mut seen = [false; 4];
        // The section (index into SECTIONS) whose end tag receives its additions.
        let mut open: Option<usize> = None;
        loop {
            let (e, start) = match rd.next()? {
                Event::Start(e) => (e, true),
                Event::Empty(e) => (e, false),
                Event::End(e) => {
                    depth = depth.saturating_sub(1);
                    if depth == 1
                        && let Some(k) = open.take()
                    {
                        out.raw(&self.added[k].concat());
                    }
                    if depth == 0 {
                        self.missing_sections(usize::MAX, &mut seen, &mut out);
                    }
                    out.event(Event::End(e))?;
                    continue;
                }
                Event::Eof => break,
                other => {
                    out.event(other)?;
                    continue;
                }
            };
            if depth != 1 {
                if start {
                    depth += 1;
                    out.event(Event::Start(e))?;
                } else {
                    out.event(Event::Empty(e))?;
                }
                continue;
            }
            let order = ORDER.iter().position(|n| *n == name_of(&e));
            if let Some(order) = order {
                self.missing_sections(order, &mut seen, &mut out);
            }
            let section = order.and_then(|o| SECTIONS.iter().position(|s| *s == o));
            match section {
                Some(k) if !self.added[k].is_empty() => {
                    seen[k] = true;
                    let count = (self.existing[k] + self.added[k].len()).to_string();
                    let e = rebuild(&e, &[("count", &count)], &[], &part)?;
                    out.event(Event::Start(e.borrow()))?;
                    if start {
                        depth += 1;
                        open = Some(k);
                    } else {
                        out.raw(&self.added[k].concat());
                        out.event(Event::End(e.to_end()))?;
                    }
                }
                _ => {
                    if let Some(k) = section {
                        seen[k] = true;
                    }
                    if start {
                        depth += 1;
                        out.event(Event::Start(e))?;
                    } else {
                        out.event(Event::Empty(e))?;
                    }
                }
            }
        }
        Ok(out.into_bytes())
    }

    /// Writes, whole, each section with additions that the stylesheet lacks and that the
    /// schema places before the element at `order`.
    fn missing_sections(&self, order: usize, seen: &mut [bool; 4], out: &mut XmlOut) {
        let p = &self.prefix;
        for (k, &section) in SECTIONS.iter().enumerate() {
            if seen[k] || section >= order || self.added[k].is_empty() {
                continue;
            }
            seen[k] = true;
            let name = ORDER[section];
            let count = self.added[k].len();
            out.raw(&format!(
                "<{p}{name} count=\"{count}\">{}</{p}{name}>",
                self.added[k].concat()
            ));
        }
    }
}

fn number_code(decimals: u32, suffix: &str) -> String {
    let decimals = decimals.min(30) as usize;
    if decimals == 0 {
        format!("0{suffix}")
    } else {
        format!("0.{}{suffix}", "0".repeat(decimals))
    }
}

fn default_xf(p: &str) -> String {
    format!("<{p}xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" xfId=\"0\"/>")
}

fn is_replaced_font_child(name: &str) -> bool {
    matches!(name, "b" | "u" | "color")
}

fn parse_fragment(markup: &str) -> Events {
    let mut rd = XmlIn::new(markup.as_bytes(), "styles");
    let mut events = Vec::new();
    while let Ok(event) = rd.next() {
        if matches!(event, Event::Eof) {
            break;
        }
        events.push(event.into_owned());
    }
    events
}

fn utf8(bytes: Vec<u8>, part: &str) -> Result<String, WriteError> {
    String::from_utf8(bytes).map_err(|e| xml_error(part, e))
}
