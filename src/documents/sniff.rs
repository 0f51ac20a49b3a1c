//! What a file is, judged by its content, and what its name may safely say.

/// The types accepted for upload.
pub const ALLOWED: [&str; 7] = [PDF, PNG, JPEG, DOCX, XLSX, ODT, TEXT];

pub const PDF: &str = "application/pdf";
pub const PNG: &str = "image/png";
pub const JPEG: &str = "image/jpeg";
pub const DOCX: &str = "application/vnd.openxmlformats-officedocument.wordprocessingml.document";
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
pub const ODT: &str = "application/vnd.oasis.opendocument.text";
pub const TEXT: &str = "text/plain";

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack
        .windows(needle.len())
        .any(|window| window == needle)
}

/// The allowed type of this content, if it is one.
pub fn detect(content: &[u8]) -> Option<&'static str> {
    if content.starts_with(b"%PDF-") {
        return Some(PDF);
    }
    if content.starts_with(b"\x89PNG\r\n\x1a\n") {
        return Some(PNG);
    }
    if content.starts_with(&[0xFF, 0xD8, 0xFF]) {
        return Some(JPEG);
    }
    if content.starts_with(b"PK\x03\x04") {
        // Office files are zip archives whose entries tell which kind; the archive must be
        // whole (its central directory read), not only start like one. An OpenDocument file
        // starts with an uncompressed `mimetype` entry naming its type.
        let names = super::zip::entry_names(content)?;
        let has = |wanted: &str| names.contains(&wanted);
        if names.first() == Some(&"mimetype") && content.len() > 38 {
            return contains(&content[38..content.len().min(120)], ODT.as_bytes()).then_some(ODT);
        }
        if has("[Content_Types].xml") {
            if has("word/document.xml") && !has("word/vbaProject.bin") {
                return Some(DOCX);
            }
            if has("xl/workbook.xml") && !has("xl/vbaProject.bin") {
                return Some(XLSX);
            }
        }
        return None;
    }
    let text = std::str::from_utf8(content).ok()?;
    let plain = text.chars().all(|character| {
        !character.is_control() || matches!(character, '\n' | '\r' | '\t' | '\u{c}')
    });
    plain.then_some(TEXT)
}

/// The media type a client claimed, without parameters and lower-cased; `None` when it claimed
/// nothing in particular.
pub fn claimed(content_type: Option<&str>) -> Option<String> {
    let essence = content_type?.split(';').next()?.trim().to_ascii_lowercase();
    match essence.as_str() {
        "" | "application/octet-stream" | "binary/octet-stream" => None,
        "image/jpg" | "image/pjpeg" => Some(JPEG.to_owned()),
        _ => Some(essence),
    }
}

const MAX_NAME_CHARS: usize = 200;

/// A file name safe to keep and show: no folders, no control or direction-changing characters,
/// no leading dots, at most 200 characters with the extension kept; `document` when nothing is
/// left.
pub fn sanitise_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = base
        .chars()
        .filter(|character| {
            !character.is_control()
                && !matches!(character,
                    '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}'
                    | '\u{FEFF}' | '<' | '>' | ':' | '"' | '|' | '?' | '*')
        })
        .collect();
    let collapsed = cleaned.split_whitespace().collect::<Vec<_>>().join(" ");
    let trimmed = collapsed.trim_matches(|character: char| character == '.' || character == ' ');
    if trimmed.is_empty() {
        return "document".to_owned();
    }
    if trimmed.chars().count() <= MAX_NAME_CHARS {
        return trimmed.to_owned();
    }
    let extension = trimmed
        .rsplit_once('.')
        .map(|(_, extension)| extension)
        .filter(|extension| !extension.is_empty() && extension.chars().count() <= 10);
    match extension {
        Some(extension) => {
            let keep = MAX_NAME_CHARS - extension.chars().count() - 1;
            let stem: String = trimmed.chars().take(keep).collect();
            format!("{}.{extension}", stem.trim_end())
        }
        None => trimmed.chars().take(MAX_NAME_CHARS).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::{DOCX, JPEG, ODT, PDF, PNG, TEXT, XLSX, claimed, detect, sanitise_file_name};

    #[test]
    fn detects_allowed_types_by_content() {
        assert_eq!(detect(b"%PDF-1.7\n..."), Some(PDF));
        assert_eq!(detect(b"\x89PNG\r\n\x1a\n\0\0"), Some(PNG));
        assert_eq!(detect(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0]), Some(JPEG));
        assert_eq!(detect("章程\n第一条 本会名称…\n".as_bytes()), Some(TEXT));
        let docx = super::super::zip::archive(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
        ]);
        assert_eq!(detect(&docx), Some(DOCX));
        let xlsx = super::super::zip::archive(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("xl/workbook.xml", b"<workbook/>"),
        ]);
        assert_eq!(detect(&xlsx), Some(XLSX));
        let odt = super::super::zip::archive(&[
            ("mimetype", ODT.as_bytes()),
            ("content.xml", b"<office:document-content/>"),
        ]);
        assert_eq!(detect(&odt), Some(ODT));
        // The magic bytes and the entry names without an archive around them.
        let mut fake_docx = b"PK\x03\x04".to_vec();
        fake_docx.extend_from_slice(&[0; 26]);
        fake_docx.extend_from_slice(b"[Content_Types].xml....word/document.xml");
        assert_eq!(detect(&fake_docx), None);
        let macros = super::super::zip::archive(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
            ("word/vbaProject.bin", b"macros"),
        ]);
        assert_eq!(
            detect(&macros),
            None,
            "macro-enabled documents are not accepted"
        );
        assert_eq!(detect(b"PK\x03\x04 some other zip"), None);
        assert_eq!(detect(b"MZ\x90\x00 executable\x00\x01"), None);
        assert_eq!(detect(b"GIF89a\x01\x00"), None);
    }

    #[test]
    fn claimed_types_are_normalised() {
        assert_eq!(
            claimed(Some("Application/PDF; charset=binary")).as_deref(),
            Some(PDF)
        );
        assert_eq!(claimed(Some("application/octet-stream")), None);
        assert_eq!(claimed(None), None);
    }

    #[test]
    fn hostile_names_are_harmless() {
        assert_eq!(sanitise_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitise_file_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(sanitise_file_name("a\0b\r\nc.pdf"), "abc.pdf");
        assert_eq!(
            sanitise_file_name("invoice\u{202E}fdp.exe"),
            "invoicefdp.exe"
        );
        assert_eq!(sanitise_file_name("..."), "document");
        assert_eq!(sanitise_file_name(".hidden"), "hidden");
        let long = format!("{}.pdf", "章".repeat(300));
        let cleaned = sanitise_file_name(&long);
        assert_eq!(cleaned.chars().count(), 200);
        assert!(cleaned.ends_with(".pdf"));
        assert_eq!(sanitise_file_name("  评估  材料 .docx "), "评估 材料 .docx");
    }
}
