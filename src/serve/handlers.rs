//! The API's handlers. Each one reads its upload into memory, checks it on a blocking thread
//! through the library (the same per-file function as every other front end) and answers;
//! nothing outlives the request.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use super::App;
use super::Checking;
use super::upload::{
    ApiError, DRAIN_BYTES, Upload, declared_length, drain, read_uploads, too_large,
};
use crate::reader::BookFormat;
use crate::report::{FileOutcome, JSON_VERSION, JsonFile, JsonReport};
use crate::summary::{RowStorage, Summary};
use crate::writer::{TakenNames, free_copy_name};

/// What the request log says about a request: put on the response by the handlers, taken
/// off again by the log layer.
#[derive(Debug, Clone, Copy)]
pub struct Logged {
    pub files: usize,
    pub bytes: usize,
}

/// The summary workbook's name inside the batch zip.
pub const SUMMARY_NAME: &str = "汇总.xlsx";
/// The batch zip's download name.
pub const BATCH_NAME: &str = "核查结果.zip";

const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const XLSM_TYPE: &str = "application/vnd.ms-excel.sheet.macroEnabled.12";

/// `POST /api/check`: the `--format json` document for the uploaded files.
pub async fn check(State(app): State<App>, request: Request) -> Response {
    handle(&app, request, |uploads, checking| {
        let (uploads, books) = split_books(uploads, &checking)?;
        Ok(Answer::Json(report_json(
            &uploads,
            &checking,
            books.as_books(),
        )))
    })
    .await
}

/// `POST /api/corrected`: one file in, its corrected workbook out.
pub async fn corrected(State(app): State<App>, request: Request) -> Response {
    handle(&app, request, |uploads, checking| {
        let (uploads, books) = split_books(uploads, &checking)?;
        let [upload] = <[Upload; 1]>::try_from(uploads).map_err(|_| ApiError::NotOneFile)?;
        corrected_copy(&upload, &checking, books.as_books())
    })
    .await
}

/// `POST /api/batch`: a zip of every corrected copy and the summary workbook.
pub async fn batch(State(app): State<App>, request: Request) -> Response {
    handle(&app, request, |uploads, checking| {
        let (uploads, books) = split_books(uploads, &checking)?;
        batch_zip(&uploads, &checking, &books)
    })
    .await
}

/// A handler's answer before it becomes a response.
enum Answer {
    Json(Vec<u8>),
    File {
        name: String,
        content_type: &'static str,
        bytes: Vec<u8>,
    },
}

/// The steps every upload endpoint shares: size declared, admission, reading, checking.
/// A refusal that comes before the body is read still reads (and drops) the body first, within
/// a bound, so that the client gets to see the answer.
async fn handle<F>(app: &App, request: Request, work: F) -> Response
where
    F: FnOnce(Vec<Upload>, Arc<Checking>) -> Result<Answer, ApiError> + Send + 'static,
{
    // Left unset until the files are read, so the log falls back to the declared length.
    let mut logged = None;
    let result = async {
        let (parts, body) = request.into_parts();
        let limit = app.limits.max_upload_bytes as u64;
        if let Some(declared) = declared_length(&parts.headers).filter(|&n| n > limit) {
            if declared <= limit.saturating_add(DRAIN_BYTES) {
                let _ = tokio::time::timeout(app.limits.upload_idle, drain(body, declared)).await;
            }
            return Err(too_large(&app.limits));
        }
        let Some(_admission) = app.limiter.try_admit() else {
            let budget = limit.saturating_add(DRAIN_BYTES);
            // A stalled client is not waited for here either.
            let _ = tokio::time::timeout(app.limits.upload_idle, drain(body, budget)).await;
            return Err(ApiError::Busy);
        };
        let uploads = read_uploads(parts, body, &app.limits).await?;
        logged = Some(Logged {
            files: uploads.len(),
            bytes: uploads.iter().map(|u| u.bytes.len()).sum(),
        });
        let checking = Arc::clone(&app.checking);
        app.limiter
            .check(move || work(uploads, checking))
            .await
            .map_err(|_| ApiError::Internal)?
    }
    .await;
    let mut response = match result {
        Ok(Answer::Json(body)) => (
            [(header::CONTENT_TYPE, "application/json; charset=utf-8")],
            body,
        )
            .into_response(),
        Ok(Answer::File {
            name,
            content_type,
            bytes,
        }) => {
            let mut r = ([(header::CONTENT_TYPE, content_type)], bytes).into_response();
            if let Ok(v) = HeaderValue::from_str(&attachment(&name)) {
                r.headers_mut().insert(header::CONTENT_DISPOSITION, v);
            }
            r
        }
        Err(e) => e.into_response(),
    };
    if let Some(logged) = logged {
        response.extensions_mut().insert(logged);
    }
    response
}

/// Checks every upload; `output` names the corrected copy `/api/corrected` would return for
/// that file alone. No copy is written here: the page asks for one when it is downloaded.
/// The bureau's books a request brought, read.
#[derive(Default)]
struct OwnedBooks {
    ledger: Option<crate::ledger::Ledger>,
    targets: Option<crate::ledger::Targets>,
}

impl OwnedBooks {
    fn as_books(&self) -> crate::check::Books<'_> {
        crate::check::Books {
            ledger: self.ledger.as_ref(),
            targets: self.targets.as_ref(),
        }
    }
}

/// The workbooks of a request, and the ledger and targets sent in parts of those names; a
/// ledger or targets file that cannot be read refuses the request with its reason.
fn split_books(
    uploads: Vec<Upload>,
    checking: &Checking,
) -> Result<(Vec<Upload>, OwnedBooks), ApiError> {
    let mut books = OwnedBooks::default();
    let mut workbooks = Vec::new();
    let refused = |e: crate::ledger::LedgerError| ApiError::Unprocessable(e.to_string());
    for u in uploads {
        match u.part.as_str() {
            "ledger" => {
                books.ledger = Some(
                    crate::ledger::Ledger::from_bytes(&u.name, &u.bytes, checking.rules().layout)
                        .map_err(refused)?,
                );
            }
            "targets" => {
                books.targets =
                    Some(crate::ledger::Targets::from_bytes(&u.name, &u.bytes).map_err(refused)?);
            }
            _ => workbooks.push(u),
        }
    }
    if workbooks.is_empty() {
        return Err(ApiError::NoFiles);
    }
    Ok((workbooks, books))
}

fn report_json(uploads: &[Upload], checking: &Checking, books: crate::check::Books<'_>) -> Vec<u8> {
    let rules = checking.rules();
    let outcomes: Vec<FileOutcome> = uploads
        .iter()
        .map(|u| {
            let (mut o, _) = checking.check(&u.name, &u.bytes, false, books);
            if o.checked().is_ok() {
                o.written = Some(checked_name(
                    &u.name,
                    format_of(&o),
                    &mut TakenNames::default(),
                ));
            }
            o
        })
        .collect();
    let report = JsonReport {
        version: JSON_VERSION,
        run: crate::report::RunInfo::of(rules),
        files: outcomes.iter().map(|o| JsonFile::of(o, rules)).collect(),
    };
    // Serialising plain strings and numbers cannot fail; an empty body would still be valid
    // HTTP, and the page reports it as unreadable.
    serde_json::to_vec_pretty(&report).unwrap_or_default()
}

fn corrected_copy(
    upload: &Upload,
    checking: &Checking,
    books: crate::check::Books<'_>,
) -> Result<Answer, ApiError> {
    let (outcome, copy) = checking.check(&upload.name, &upload.bytes, true, books);
    if let Err(reason) = outcome.checked() {
        return Err(ApiError::Unprocessable(reason.to_string()));
    }
    let format = format_of(&outcome);
    match (copy, outcome.write_error) {
        (_, Some(e)) => Err(ApiError::Unprocessable(format!(
            "未能写出更正后的工作簿 (not written): {e}"
        ))),
        (Some(bytes), None) => {
            let name = checked_name(&upload.name, format, &mut TakenNames::default());
            Ok(Answer::File {
                content_type: content_type(&name),
                name,
                bytes,
            })
        }
        // A checked form always gets a copy or a write error.
        (None, None) => Err(ApiError::Internal),
    }
}

fn batch_zip(
    uploads: &[Upload],
    checking: &Checking,
    books: &OwnedBooks,
) -> Result<Answer, ApiError> {
    let mut summary =
        Summary::new(checking.rules(), RowStorage::Memory).map_err(|_| ApiError::Internal)?;
    if let Some(ledger) = &books.ledger {
        summary = summary.with_ledger(ledger);
    }
    if books.targets.is_some() {
        summary = summary.with_targets();
    }
    let mut taken = TakenNames::default();
    taken.take(Path::new(SUMMARY_NAME));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    // Workbooks are zip packages already: deflating them again costs time and saves nothing.
    // Each file carries the time of the check, as the clerk's unzipping shows it.
    let (y, mo, d, h, mi, sec) = crate::calendar::now_in_china();
    let checked_at = zip::DateTime::from_date_and_time(
        u16::try_from(y).unwrap_or(1980),
        mo as u8,
        d as u8,
        h as u8,
        mi as u8,
        sec as u8,
    )
    .unwrap_or_default();
    let stored = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(checked_at);
    for u in uploads {
        let (outcome, copy) = checking.check(&u.name, &u.bytes, true, books.as_books());
        let link = match copy {
            Some(bytes) => {
                let name = checked_name(&u.name, format_of(&outcome), &mut taken);
                zip.start_file(name.as_str(), stored)
                    .map_err(|_| ApiError::Internal)?;
                zip.write_all(&bytes).map_err(|_| ApiError::Internal)?;
                Some(name)
            }
            None => None,
        };
        summary
            .add(
                &u.name,
                &outcome.result,
                link.as_deref(),
                outcome.write_error.as_deref(),
            )
            .map_err(|_| ApiError::Internal)?;
    }
    let summary_bytes = summary.finish().map_err(|_| ApiError::Internal)?;
    zip.start_file(SUMMARY_NAME, stored)
        .map_err(|_| ApiError::Internal)?;
    zip.write_all(&summary_bytes)
        .map_err(|_| ApiError::Internal)?;
    let bytes = zip.finish().map_err(|_| ApiError::Internal)?.into_inner();
    Ok(Answer::File {
        name: BATCH_NAME.to_string(),
        content_type: "application/zip",
        bytes,
    })
}

fn format_of(o: &FileOutcome) -> BookFormat {
    o.result.as_ref().map_or(BookFormat::Xlsx, |c| c.format)
}

fn content_type(name: &str) -> &'static str {
    if name.ends_with(".xlsm") {
        XLSM_TYPE
    } else {
        XLSX_TYPE
    }
}

/// The corrected copy's name, by the rule every front end shares ([`free_copy_name`]): the
/// first not yet `taken` in this answer.
pub fn checked_name(name: &str, format: BookFormat, taken: &mut TakenNames) -> String {
    let (stem, ext) = match name.rsplit_once('.') {
        Some((stem, ext)) if !stem.is_empty() => (stem, ext),
        _ => (name, ""),
    };
    let rebuilt = format != BookFormat::Xlsx;
    free_copy_name(
        Path::new(""),
        std::ffi::OsStr::new(stem),
        ext,
        rebuilt,
        taken,
    )
    .to_string_lossy()
    .into_owned()
}

/// `Content-Disposition` for a download: an ASCII fallback for old clients and the real
/// UTF-8 name in `filename*` (RFC 6266 / RFC 5987), so `自评表.checked.xlsx` arrives intact.
pub fn attachment(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::new();
    for b in name.bytes() {
        let c = b as char;
        if c.is_ascii_alphanumeric() || "!#$&+-.^_`|~".contains(c) {
            encoded.push(c);
        } else {
            encoded.push_str(&format!("%{b:02X}"));
        }
    }
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrected_names_follow_the_command_line_and_never_collide() {
        let mut taken = TakenNames::default();
        let x = BookFormat::Xlsx;
        assert_eq!(checked_name("a.xlsx", x, &mut taken), "a.checked.xlsx");
        assert_eq!(
            checked_name("a.xls", BookFormat::Xls, &mut taken),
            "a.xls.checked.xlsx"
        );
        assert_eq!(checked_name("a.xlsx", x, &mut taken), "a.xlsx.checked.xlsx");
        assert_eq!(
            checked_name("a.xlsx", x, &mut taken),
            "a.xlsx.3.checked.xlsx"
        );
        // Names differing only in case would overwrite each other when unzipped on Windows.
        assert_eq!(
            checked_name("A.xlsx", x, &mut taken),
            "A.xlsx.4.checked.xlsx"
        );
        assert_eq!(checked_name("m.XLSM", x, &mut taken), "m.checked.xlsm");
        assert_eq!(
            checked_name("r.xlsm", BookFormat::Xls, &mut taken),
            "r.checked.xlsx",
            "a renamed legacy file is rebuilt as .xlsx"
        );
        assert_eq!(checked_name("noext", x, &mut taken), "noext.checked.xlsx");
        assert_eq!(checked_name(".xlsx", x, &mut taken), ".xlsx.checked.xlsx");
    }

    #[test]
    fn attachment_names_carry_utf8() {
        assert_eq!(
            attachment("自评表.checked.xlsx"),
            "attachment; filename=\"___.checked.xlsx\"; \
             filename*=UTF-8''%E8%87%AA%E8%AF%84%E8%A1%A8.checked.xlsx"
        );
        assert_eq!(
            attachment("a \"b\".xlsx"),
            "attachment; filename=\"a _b_.xlsx\"; filename*=UTF-8''a%20%22b%22.xlsx"
        );
    }
}
