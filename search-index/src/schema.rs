//! The fields of the index. Bump `SCHEMA_VERSION` whenever they change: an index built with
//! another version is rebuilt.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use crate::analysis::{GRAMS, KEYWORD, LATIN, WORDS};

pub const SCHEMA_VERSION: u32 = 5;

#[derive(Clone, Copy, Debug)]
pub struct Fields {
    /// `kind:id`, unique; used to replace and delete documents.
    pub key: Field,
    pub kind: Field,
    pub id: Field,
    pub tenant: Field,
    /// The tenant and every tenant above it, for "this tenant including its children".
    pub tenant_path: Field,
    /// Folded title, searched as words.
    pub title: Field,
    pub title_grams: Field,
    /// The folded title whole, as a column: a substring of it found by its grams is checked
    /// against it (no positions read).
    pub title_text: Field,
    /// The title as written, for display.
    pub display_title: Field,
    pub name_exact: Field,
    pub name_prefix: Field,
    pub name_pinyin: Field,
    pub name_initials: Field,
    /// Folded body, searched as words (and highlighted in snippets).
    pub body: Field,
    /// The body as written, for snippets.
    pub display_body: Field,
    pub body_grams: Field,
    pub uscc: Field,
    pub org_type: Field,
    pub status: Field,
    pub grade: Field,
    pub service_area: Field,
    pub category: Field,
    pub published: Field,
    /// The publication year, for its facet.
    pub year: Field,
    pub url: Field,
    /// Ties in the ranking: shorter titles first, then a hash of `key`, so that equal scores
    /// keep one order whatever the segments (see `tie_order`).
    pub tie_order: Field,
}

/// The tie order of a document: its title's length in characters, then FNV-1a of its key.
pub fn tie_order(title: &str, key: &str) -> u64 {
    let length = u64::try_from(title.chars().count())
        .unwrap_or(u64::MAX)
        .min(0xFFFF);
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in key.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    (length << 48) | (hash >> 16)
}

fn text(tokenizer: &str, positions: bool, stored: bool) -> TextOptions {
    let record = if positions {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::Basic
    };
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

pub fn build() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let fields = Fields {
        key: builder.add_text_field("key", STRING | STORED),
        kind: builder.add_text_field("kind", STRING | STORED | FAST),
        id: builder.add_text_field("id", STRING | STORED),
        tenant: builder.add_text_field("tenant", STRING | STORED | FAST),
        tenant_path: builder.add_text_field("tenant_path", STRING),
        title: builder.add_text_field("title", text(WORDS, true, false)),
        title_grams: builder.add_text_field("title_grams", text(GRAMS, true, false)),
        title_text: builder.add_text_field("title_text", FAST),
        display_title: builder.add_text_field("display_title", STORED),
        name_exact: builder.add_text_field("name_exact", text(KEYWORD, false, false)),
        name_prefix: builder.add_text_field("name_prefix", text(KEYWORD, false, false)),
        name_pinyin: builder.add_text_field("name_pinyin", text(LATIN, false, false)),
        name_initials: builder.add_text_field("name_initials", text(KEYWORD, false, false)),
        body: builder.add_text_field("body", text(WORDS, true, false)),
        display_body: builder.add_text_field("display_body", STORED),
        body_grams: builder.add_text_field("body_grams", text(GRAMS, true, false)),
        uscc: builder.add_text_field("uscc", STRING | STORED),
        org_type: builder.add_text_field("org_type", STRING | STORED | FAST),
        status: builder.add_text_field("status", STRING | STORED | FAST),
        grade: builder.add_text_field("grade", STRING | STORED | FAST),
        service_area: builder.add_text_field("service_area", STRING | STORED | FAST),
        category: builder.add_text_field("category", STRING | STORED | FAST),
        published: builder.add_date_field("published", INDEXED | STORED | FAST),
        year: builder.add_text_field("year", STRING | FAST),
        url: builder.add_text_field("url", STORED),
        tie_order: builder.add_u64_field("tie_order", FAST),
    };
    (builder.build(), fields)
}
