//! Snippets: the best fragment of a description, with what the query looked for in `<b>`.

use crate::analysis;

/// The longest snippet, in characters.
pub(crate) const SNIPPET_CHARS: usize = 150;

/// Characters shown before the first mark of a snippet cut from a longer text.
const SNIPPET_LEAD: usize = 20;

/// The best fragment of the description as written, what the query looked for in `<b>`: the
/// window of `SNIPPET_CHARS` that marks the most characters (the whole text when it is
/// shorter).
/// Matches are found in the folded text; folding keeps one character for each, so the same
/// characters are marked in the original. Empty when nothing is marked.
pub(crate) fn snippet_html(original: &str, highlights: &[String]) -> String {
    let folded = analysis::fold(original);
    let mut marks: Vec<(usize, usize)> = Vec::new();
    for word in highlights {
        let latin = word
            .chars()
            .all(|character| character.is_ascii_alphanumeric());
        for (start, found) in folded.match_indices(word.as_str()) {
            let mut end = start + found.len();
            // A Latin word matches at the start of a word only ("ai" is not in "maintain"), and
            // a stemmed word is marked to the end of the word it begins ("servic", "services").
            if latin {
                let inside = folded[..start]
                    .chars()
                    .next_back()
                    .is_some_and(|before| before.is_ascii_alphanumeric());
                if inside {
                    continue;
                }
                end += folded[end..]
                    .find(|character: char| !character.is_ascii_alphanumeric())
                    .unwrap_or(folded.len() - end);
            }
            marks.push((start, end));
        }
    }
    if marks.is_empty() {
        return String::new();
    }
    // Words overlap each other and the terms they come from: sorted and merged here.
    marks.sort_unstable();
    let mut merged: Vec<(usize, usize)> = Vec::with_capacity(marks.len());
    for (start, end) in marks {
        match merged.last_mut() {
            Some((_, last_end)) if start <= *last_end => *last_end = (*last_end).max(end),
            _ => merged.push((start, end)),
        }
    }
    // Byte offsets of each character, in the folded text and in the original.
    let starts = |text: &str| -> Vec<usize> {
        text.char_indices()
            .map(|(offset, _)| offset)
            .chain([text.len()])
            .collect()
    };
    let (folded_starts, original_starts) = (starts(&folded), starts(original));
    let character_at = |byte: usize| folded_starts.partition_point(|start| *start < byte);
    let to_original = |byte: usize| {
        original_starts
            .get(character_at(byte))
            .copied()
            .unwrap_or(original.len())
    };
    let characters = folded_starts.len() - 1;
    let (from, to) = if characters <= SNIPPET_CHARS {
        (0, characters)
    } else {
        // Of the windows starting a little before a mark, the first that marks the most
        // characters. Marks are sorted and apart, so their starts and their ends are both in
        // order.
        let mark_starts: Vec<usize> = merged
            .iter()
            .map(|(start, _)| character_at(*start))
            .collect();
        let mark_ends: Vec<usize> = merged.iter().map(|(_, end)| character_at(*end)).collect();
        let mut marked_before = vec![0];
        for (start, end) in mark_starts.iter().zip(&mark_ends) {
            marked_before.push(marked_before[marked_before.len() - 1] + end - start);
        }
        let mut best = (0, 0);
        for start in &mark_starts {
            let from = start
                .saturating_sub(SNIPPET_LEAD)
                .min(characters - SNIPPET_CHARS);
            let first = mark_starts.partition_point(|start| *start < from);
            let past = mark_ends.partition_point(|end| *end <= from + SNIPPET_CHARS);
            let marked = marked_before[past.max(first)] - marked_before[first];
            if marked > best.1 {
                best = (from, marked);
            }
        }
        if best.1 == 0 {
            // Every mark is longer than the window: the window starts with the first.
            best.0 = mark_starts[0].min(characters - SNIPPET_CHARS);
        }
        (best.0, best.0 + SNIPPET_CHARS)
    };
    let (from, to) = (folded_starts[from], folded_starts[to]);
    let mut html = String::new();
    let mut at = from;
    for (start, end) in merged {
        // A mark the window cuts is marked as far as the window shows it.
        let (start, end) = (start.max(from), end.min(to));
        if start >= end {
            continue;
        }
        html.push_str(&escape(&original[to_original(at)..to_original(start)]));
        html.push_str("<b>");
        html.push_str(&escape(&original[to_original(start)..to_original(end)]));
        html.push_str("</b>");
        at = end;
    }
    html.push_str(&escape(&original[to_original(at)..to_original(to)]));
    html
}

pub(crate) fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
