//! Just enough of the zip format to tell an office document from bytes that merely start like
//! one: the central directory at the end of the archive must be whole, every entry in it must
//! point at a local header, and nothing may be encrypted or need ZIP64.

const END_OF_DIRECTORY: &[u8] = b"PK\x05\x06";
const DIRECTORY_ENTRY: &[u8] = b"PK\x01\x02";
const LOCAL_HEADER: &[u8] = b"PK\x03\x04";
/// The end record (22 bytes) and the longest comment it may carry.
const LONGEST_TAIL: usize = 22 + 0xFFFF;

fn u16_at(bytes: &[u8], at: usize) -> Option<usize> {
    let pair = bytes.get(at..at + 2)?;
    Some(usize::from(u16::from_le_bytes([pair[0], pair[1]])))
}

fn u32_at(bytes: &[u8], at: usize) -> Option<usize> {
    let quad = bytes.get(at..at + 4)?;
    let value = u32::from_le_bytes([quad[0], quad[1], quad[2], quad[3]]);
    // 0xFFFFFFFF means "see the ZIP64 record", which office documents never need.
    (value != u32::MAX).then(|| usize::try_from(value).ok())?
}

/// The names of the archive's entries, in directory order, or `None` when it is not a sound zip.
pub fn entry_names(content: &[u8]) -> Option<Vec<&str>> {
    if !content.starts_with(LOCAL_HEADER) {
        return None;
    }
    let search_from = content.len().saturating_sub(LONGEST_TAIL);
    let end = (search_from..content.len().saturating_sub(21))
        .rev()
        .find(|&at| content[at..].starts_with(END_OF_DIRECTORY))?;
    let entries = u16_at(content, end + 10)?;
    let directory_size = u32_at(content, end + 12)?;
    let directory_start = u32_at(content, end + 16)?;
    let comment = u16_at(content, end + 20)?;
    if end + 22 + comment != content.len() || directory_start + directory_size != end {
        return None;
    }
    let mut names = Vec::with_capacity(entries);
    let mut at = directory_start;
    for _ in 0..entries {
        if !content.get(at..)?.starts_with(DIRECTORY_ENTRY) {
            return None;
        }
        let flags = u16_at(content, at + 8)?;
        let name_length = u16_at(content, at + 28)?;
        let extra_length = u16_at(content, at + 30)?;
        let comment_length = u16_at(content, at + 32)?;
        let local = u32_at(content, at + 42)?;
        if flags & 1 == 1 || local >= directory_start {
            return None;
        }
        if !content.get(local..)?.starts_with(LOCAL_HEADER) {
            return None;
        }
        let name = std::str::from_utf8(content.get(at + 46..at + 46 + name_length)?).ok()?;
        names.push(name);
        at += 46 + name_length + extra_length + comment_length;
    }
    (at == end).then_some(names)
}

/// A stored (uncompressed) archive of the named entries, for tests.
#[cfg(test)]
pub fn archive(entries: &[(&str, &[u8])]) -> Vec<u8> {
    let mut bytes = Vec::new();
    let mut directory = Vec::new();
    for (name, content) in entries {
        let offset = u32::try_from(bytes.len()).expect("small");
        let length = u16::try_from(name.len()).expect("short");
        let size = u32::try_from(content.len()).expect("small").to_le_bytes();
        bytes.extend_from_slice(LOCAL_HEADER);
        bytes.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        bytes.extend_from_slice(&size);
        bytes.extend_from_slice(&size);
        bytes.extend_from_slice(&length.to_le_bytes());
        bytes.extend_from_slice(&[0, 0]);
        bytes.extend_from_slice(name.as_bytes());
        bytes.extend_from_slice(content);
        directory.extend_from_slice(DIRECTORY_ENTRY);
        directory.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        directory.extend_from_slice(&size);
        directory.extend_from_slice(&size);
        directory.extend_from_slice(&length.to_le_bytes());
        directory.extend_from_slice(&[0; 12]);
        directory.extend_from_slice(&offset.to_le_bytes());
        directory.extend_from_slice(name.as_bytes());
    }
    let start = u32::try_from(bytes.len()).expect("small");
    let size = u32::try_from(directory.len()).expect("small");
    let count = u16::try_from(entries.len()).expect("few");
    bytes.extend_from_slice(&directory);
    bytes.extend_from_slice(END_OF_DIRECTORY);
    bytes.extend_from_slice(&[0, 0, 0, 0]);
    bytes.extend_from_slice(&count.to_le_bytes());
    bytes.extend_from_slice(&count.to_le_bytes());
    bytes.extend_from_slice(&size.to_le_bytes());
    bytes.extend_from_slice(&start.to_le_bytes());
    bytes.extend_from_slice(&[0, 0]);
    bytes
}

#[cfg(test)]
mod tests {
    use super::{archive, entry_names};

    #[test]
    fn a_sound_archive_lists_its_entries_and_a_fake_one_nothing() {
        let sound = archive(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b""),
        ]);
        assert_eq!(
            entry_names(&sound),
            Some(vec!["[Content_Types].xml", "word/document.xml"])
        );
        // The magic bytes and the names, but no directory: a fake .docx.
        let fake = b"PK\x03\x04 [Content_Types].xml word/document.xml".to_vec();
        assert_eq!(entry_names(&fake), None);
        let mut cut = sound.clone();
        cut.truncate(sound.len() - 3);
        assert_eq!(entry_names(&cut), None);
        let mut encrypted = sound.clone();
        let directory = sound
            .windows(4)
            .position(|window| window == b"PK\x01\x02")
            .expect("a directory");
        encrypted[directory + 8] = 1;
        assert_eq!(entry_names(&encrypted), None);
    }
}
