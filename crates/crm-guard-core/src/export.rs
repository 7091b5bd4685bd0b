//! The export guard's decisions: is a download data leaving a CRM tenant, of which kind, by
//! which recipe (a CRM's native export endpoint), and what policy says to do with it; whether a
//! copy to the clipboard is large enough to record; how a file name may appear in an event.
//!
//! Everything here is a pure function of what the browser reported about a download (its URL,
//! final URL after redirects, referrer, the URL of the tab that started it, MIME type and file
//! name) — never of its contents. A download with nothing that ties it to a CRM is not an export
//! ([`classify`] returns `None`); one that may come from a CRM page but cannot be told (a
//! `data:` URL from a tab we cannot read) is [`Origin::Unknown`], never dropped.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use url::Url;

use crate::catalog::Catalog;
use crate::host::PageUrl;
use crate::policy::{ExportMode, FileNameLog, Settings};

/// What kind of data leaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ExportKind {
    /// Records as a table or archive: CSV, XLSX/XLS, VCF, JSON, ZIP backups.
    Table,
    /// A report or printable view (PDF, the CRM's printable export).
    Report,
    /// Any other file from a CRM page (attachments, images).
    Other,
}

impl ExportKind {
    pub fn id(self) -> &'static str {
        match self {
            ExportKind::Table => "table",
            ExportKind::Report => "report",
            ExportKind::Other => "other",
        }
    }
}

/// Where the download came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase", tag = "type")]
pub enum Origin {
    /// A CRM's page or endpoint: the catalog id and the host (a host only, never a path).
    #[serde(rename_all = "camelCase")]
    Crm { crm_id: String, crm_name: String, host: String },
    /// A `blob:`/`data:` download (or one without referrer) whose page cannot be read.
    Unknown,
}

/// What the browser says about a download (`downloads.onCreated` / `onDeterminingFilename`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadFacts {
    pub url: String,
    /// After redirects (a CDN); empty when the browser does not say.
    pub final_url: String,
    pub referrer: String,
    /// The URL of the tab that started it, when readable (our host permissions).
    pub tab_url: Option<String>,
    pub mime: String,
    /// The file name the browser proposes (a page can choose it: never trusted for the kind
    /// when a recipe knows better).
    pub filename: String,
}

/// A download recognised as data leaving a CRM.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Classified {
    pub origin: Origin,
    pub kind: ExportKind,
    /// The recipe that matched (`salesforce.reportExport`), `blob` for a page-made file,
    /// `file` when only the file type told, `unknownOrigin`.
    pub recipe: &'static str,
}

/// One native export endpoint: on a CRM's hosts, a path (and query) that is an export.
struct Recipe {
    id: &'static str,
    crm: &'static str,
    kind: ExportKind,
    test: fn(path: &str, query: &str) -> bool,
}

fn has(q: &str, pair: &str) -> bool {
    q.split('&').any(|p| p.eq_ignore_ascii_case(pair))
}

fn lower_has(path: &str, needle: &str) -> bool {
    path.to_ascii_lowercase().contains(needle)
}

/// The generic recipe of HubSpot, Zoho, Pipedrive and Freshsales: a path that says "export".
fn path_says_export(path: &str, _query: &str) -> bool {
    lower_has(path, "export")
}

/// The recipes, most specific first. See `docs/export-guard.md` for what each can see.
const RECIPES: &[Recipe] = &[
    // Classic report "Export Details" (`/00O…?export=1&enc=UTF-8&xf=csv`) and Lightning's
    // export, which lands on the same servlet-style query.
    Recipe {
        id: "salesforce.reportExport",
        crm: "salesforce",
        kind: ExportKind::Table,
        test: |p, q| p.starts_with("/00O") && (has(q, "export=1") || has(q, "xf=csv") || has(q, "xf=xls")),
    },
    Recipe {
        id: "salesforce.printableView",
        crm: "salesforce",
        kind: ExportKind::Report,
        test: |p, _| p.starts_with("/servlet/PrintableViewDownloadServlet"),
    },
    // Setup → Data Export: the weekly backup's ZIP files.
    Recipe {
        id: "salesforce.dataExport",
        crm: "salesforce",
        kind: ExportKind::Table,
        test: |p, _| p.starts_with("/servlet/servlet.OrgExport"),
    },
    Recipe {
        id: "dynamics.exportToExcel",
        crm: "dynamics365",
        kind: ExportKind::Table,
        test: |p, _| {
            lower_has(p, "/exporttoexcel") || (lower_has(p, "/_grid/print/") && lower_has(p, "excel"))
        },
    },
    Recipe {
        id: "dynamics.printable",
        crm: "dynamics365",
        kind: ExportKind::Report,
        test: |p, _| lower_has(p, "/_grid/print/"),
    },
    Recipe { id: "hubspot.export", crm: "hubspot", kind: ExportKind::Table, test: path_says_export },
    Recipe { id: "zoho.export", crm: "zoho", kind: ExportKind::Table, test: path_says_export },
    Recipe { id: "pipedrive.export", crm: "pipedrive", kind: ExportKind::Table, test: path_says_export },
    Recipe { id: "freshsales.export", crm: "freshsales", kind: ExportKind::Table, test: path_says_export },
];

/// The kind a file type alone tells (extension, then MIME type).
pub fn kind_of_file(filename: &str, mime: &str) -> ExportKind {
    let name = filename.rsplit(['/', '\\']).next().unwrap_or("").to_ascii_lowercase();
    let ext = name.rsplit_once('.').map(|(_, e)| e).unwrap_or("");
    match ext {
        "csv" | "tsv" | "xlsx" | "xls" | "xlsm" | "ods" | "vcf" | "json" | "zip" => return ExportKind::Table,
        // A saved page (Save page as) of a CRM is its records as shown: a report.
        "pdf" | "html" | "htm" | "mhtml" | "mht" => return ExportKind::Report,
        _ => {}
    }
    let mime = mime.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    match mime.as_str() {
        "text/csv"
        | "text/tab-separated-values"
        | "application/vnd.ms-excel"
        | "text/vcard"
        | "text/x-vcard"
        | "application/json"
        | "application/zip"
        | "application/x-zip-compressed"
        | "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" => ExportKind::Table,
        "application/pdf" | "text/html" | "multipart/related" | "application/x-mimearchive" => {
            ExportKind::Report
        }
        _ => ExportKind::Other,
    }
}

/// A file a CRM page built itself (`blob:`/`data:`): whatever its name or type says, it is data
/// the page held — a table unless its type says report (a page cannot avoid the record by naming
/// its CSV `x.dat` or typing it `application/octet-stream`).
fn page_made_kind(file_kind: ExportKind) -> ExportKind {
    match file_kind {
        ExportKind::Other => ExportKind::Table,
        k => k,
    }
}

/// The `https://host/…` inside a `blob:https://host/uuid` URL.
fn blob_origin(url: &str) -> Option<&str> {
    url.strip_prefix("blob:").filter(|rest| rest.starts_with("http"))
}

/// The CRM of one URL, if the catalog in force calls it a CRM.
fn crm_at(catalog: &Catalog, url: &str) -> Option<(Origin, PageUrl)> {
    let page = PageUrl::parse(url).ok()?;
    let entry = catalog.classify(&page)?;
    let origin = Origin::Crm {
        crm_id: entry.id.to_string(),
        crm_name: entry.name.to_string(),
        host: page.host.clone(),
    };
    Some((origin, page))
}

/// Whether a download is data leaving a CRM, and what kind. `None`: nothing ties it to a CRM.
///
/// Order: the download's own URL (a CRM endpoint, or a `blob:` made by a CRM page), its final
/// URL (a redirect to a CDN keeps the first), the referrer, then the tab that started it. A
/// recipe is read on the download's own CRM URL only (a referrer's path says nothing about the
/// file); otherwise the file type tells the kind.
pub fn classify(catalog: &Catalog, d: &DownloadFacts) -> Option<Classified> {
    let scheme_less = d.url.trim();
    let page_made = scheme_less.starts_with("blob:") || scheme_less.starts_with("data:");
    let file_kind = kind_of_file(&d.filename, &d.mime);
    // The download's own URL on a CRM host: a recipe may know it.
    for url in [scheme_less, d.final_url.trim()] {
        if let Some((origin, _)) = blob_origin(url).and_then(|u| crm_at(catalog, u)) {
            return Some(Classified { origin, kind: page_made_kind(file_kind), recipe: "blob" });
        }
        if let Some((origin, _)) = crm_at(catalog, url) {
            let recipe = recipe_for(&origin, url);
            let (kind, recipe) = match recipe {
                Some(r) => (r.kind, r.id),
                None => (file_kind, "file"),
            };
            return Some(Classified { origin, kind, recipe });
        }
    }
    // Started from a CRM page (referrer, then the opener tab): a CDN, a frame, a page-made file.
    let from_page = [Some(d.referrer.as_str()), d.tab_url.as_deref()];
    for url in from_page.into_iter().flatten() {
        if let Some((origin, _)) = crm_at(catalog, url) {
            let (kind, recipe) =
                if page_made { (page_made_kind(file_kind), "blob") } else { (file_kind, "file") };
            return Some(Classified { origin, kind, recipe });
        }
    }
    // A page-made file whose page we cannot read: say so rather than guess. A `blob:` whose
    // origin we can read and is not a CRM (nor opened from one, above) is not an export.
    let unreadable = d.referrer.trim().is_empty() && d.tab_url.is_none();
    let foreign_blob = [scheme_less, d.final_url.trim()].into_iter().any(|u| blob_origin(u).is_some());
    (page_made && unreadable && !foreign_blob).then_some(Classified {
        origin: Origin::Unknown,
        kind: file_kind,
        recipe: "unknownOrigin",
    })
}

/// The `&'static` id of a recipe id read back from storage (`file` when unknown).
pub fn recipe_id(id: &str) -> &'static str {
    const OTHERS: [&str; 3] = ["blob", "file", "unknownOrigin"];
    RECIPES.iter().map(|r| r.id).chain(OTHERS).find(|r| *r == id).unwrap_or("file")
}

fn recipe_for(origin: &Origin, url: &str) -> Option<&'static Recipe> {
    let Origin::Crm { crm_id, .. } = origin else { return None };
    let parsed = Url::parse(url).ok()?;
    let (path, query) = (parsed.path(), parsed.query().unwrap_or(""));
    // Freshsales' classic host shares the recipe of Freshsales.
    let crm = if crm_id == "freshsales-classic" { "freshsales" } else { crm_id.as_str() };
    RECIPES.iter().find(|r| r.crm == crm && (r.test)(path, query))
}

/// What to do with a recognised export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Action {
    /// Let it go, record nothing.
    Ignore,
    /// Let it go and record it.
    Log,
    /// Hold it until the user gives a reason (recorded), or cancels.
    Ask,
    /// Cancel it, explain, record it.
    Block,
}

impl Action {
    pub fn id(self) -> &'static str {
        match self {
            Action::Ignore => "ignored",
            Action::Log => "logged",
            Action::Ask => "asked",
            Action::Block => "blocked",
        }
    }
}

/// Policy for one export: the kind's mode; on a host IT allow-listed (`exportAllowHosts`) it is
/// at most logged. An unknown origin follows the mode of its kind.
pub fn decide(settings: &Settings, c: &Classified) -> Action {
    let mode = match c.kind {
        ExportKind::Table => settings.export_table_mode,
        ExportKind::Report => settings.export_report_mode,
        ExportKind::Other => settings.export_other_mode,
    };
    let allowed = match &c.origin {
        Origin::Crm { host, .. } => settings.export_allow_hosts.iter().any(|p| p.matches(host)),
        Origin::Unknown => false,
    };
    match mode {
        ExportMode::Off => Action::Ignore,
        ExportMode::Log => Action::Log,
        ExportMode::Warn | ExportMode::Block if allowed => Action::Log,
        ExportMode::Warn => Action::Ask,
        ExportMode::Block => Action::Block,
    }
}

/// The file name as an event may carry it (`exportLogFileNames`): nothing, the first 16 hex
/// digits of its SHA-256 (to correlate, not to read; a common name can be guessed), or whole
/// (the last path segment, at most 80 characters).
pub fn file_name_for_log(mode: FileNameLog, filename: &str) -> Option<String> {
    let base = filename.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() {
        return None;
    }
    match mode {
        FileNameLog::None => None,
        FileNameLog::Hashed => {
            let digest = Sha256::digest(base.as_bytes());
            Some(format!("sha256:{}", &crate::events::hex(&digest)[..16]))
        }
        FileNameLog::Full => Some(base.chars().filter(|c| !c.is_control()).take(80).collect()),
    }
}

/// The event detail of a download: kind, recipe, action, size, file name (as allowed), reason.
pub fn download_detail(
    c: &Classified,
    action: Action,
    size: Option<u64>,
    file: Option<&str>,
    reason: Option<&str>,
) -> String {
    download_status_detail(c, action.id(), size, file, reason)
}

/// [`download_detail`] with a status other than an action's: "held, reason asked", "hold lost,
/// cancelled", "not held (already complete)", "cancel failed".
pub fn download_status_detail(
    c: &Classified,
    status: &str,
    size: Option<u64>,
    file: Option<&str>,
    reason: Option<&str>,
) -> String {
    let mut d = format!("{} export ({}): {status}", c.kind.id(), c.recipe);
    if let Some(s) = size.filter(|s| *s > 0) {
        d.push_str(&format!(", {s} bytes"));
    }
    if let Some(f) = file {
        d.push_str(&format!(", file {f}"));
    }
    if let Some(r) = reason.map(str::trim).filter(|r| !r.is_empty()) {
        let r: String = r.chars().filter(|c| !c.is_control()).take(120).collect();
        d.push_str(&format!(", reason: {r}"));
    }
    d
}

/// At most this many characters of a reason are kept.
pub const MAX_REASON_CHARS: usize = 120;

/// What a content script reports about a copy (never the text): its size in characters and the
/// table rows in the selection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Copy {
    pub chars: u64,
    pub rows: u64,
}

/// Whether a copy from a CRM page is large enough to record: over either threshold.
pub fn copy_is_large(settings: &Settings, c: Copy) -> bool {
    settings.export_clipboard_log
        && (c.chars >= u64::from(settings.clipboard_char_threshold)
            || c.rows >= u64::from(settings.clipboard_row_threshold))
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests;
