//! Every limit an input is held to, in one place: what a file, a package and its parts may
//! be, what the reader reads of a sheet, and what a child that reads a legacy workbook may
//! take. A real 自评表 workbook is well under 1 MB; these limits are two orders of magnitude
//! above any real form and exist so that a hostile or broken file (a zip bomb, a
//! multi-gigabyte export, a crafted sheet) is refused with a reason instead of exhausting
//! memory or time. Documented in README.md under "Limits". (The web page's own limits on
//! uploads are the page's: `serve::Limits`.)

use crate::reader::Limits;

// --- Files and packages (intake, opc) ---

/// Largest input file, in bytes, read at all (checked before reading it in the CLI).
pub const MAX_FILE_BYTES: u64 = 100 * 1024 * 1024;
/// Largest declared uncompressed size of one part of an `.xlsx`/`.ods` package. A sheet
/// this size is half a million cells; writing its corrected copy holds it about four
/// times over, and two such files may be checked at once.
pub const MAX_ENTRY_BYTES: u64 = 64 * 1024 * 1024;
/// Largest declared uncompressed size of an `.xlsx` part the reader holds whole in memory
/// (shared strings, styles, the workbook part): a real form's are a few KB, and 16 MB of
/// one-letter shared strings already cost about 50 MB once read. Sheets are streamed
/// and capped by cells instead.
pub const MAX_HELD_PART_BYTES: u64 = 16 * 1024 * 1024;
/// Largest declared uncompressed size of all parts of a package together.
pub const MAX_TOTAL_BYTES: u64 = 300 * 1024 * 1024;
/// Parts above this uncompressed size must not compress better than [`MAX_RATIO`]:1;
/// XML compresses about 10–50:1, a zip bomb thousands to one.
pub const RATIO_FLOOR_BYTES: u64 = 1024 * 1024;
/// See [`RATIO_FLOOR_BYTES`].
pub const MAX_RATIO: u64 = 1000;
/// Most parts in one package (a workbook has a few dozen).
pub const MAX_ENTRIES: usize = 10_000;
/// Largest grid (rows × columns between a sheet's first and last cell) an `.xls` sheet
/// may span: calamine allocates it whole. A form spans a few thousand.
pub const MAX_XLS_GRID_CELLS: u64 = 2_000_000;

// --- Sheets (reader) ---

/// What the reader reads of one workbook.
pub(crate) const READ: Limits = Limits {
    rows: 20_000,
    cols: 512,
    cells: 200_000,
    book_cells: 400_000,
    text_bytes: 16 * 1024 * 1024,
    book_text_bytes: 32 * 1024 * 1024,
    sheets: 256,
};

/// Merged ranges kept per sheet; a form has a few hundred at most.
pub const MAX_MERGES: usize = 10_000;

/// Cell formats (`<cellXfs>` entries) a workbook may declare: Excel itself holds at most
/// 64,000. Each costs calamine a few hundred bytes, so 16 MB of `<xf/>` would cost gigabytes.
pub const MAX_CELL_FORMATS: usize = 65_536;

/// Characters of an `.xls` number format code kept at most.
pub const MAX_CODE_CHARS: usize = 255;

// --- Legacy workbooks read in a child (sandbox) ---

/// Time a child has to read one legacy workbook; a real form takes milliseconds.
pub const CHILD_SECONDS: u64 = 10;
/// Address space a child may map, over all the files it reads. A real form needs a few MB.
pub const CHILD_MEMORY_BYTES: u64 = 256 * 1024 * 1024;
