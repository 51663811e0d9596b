//! Blocks → the two body forms: Markdown (`## ` headings, lists, `> ` quotes, fenced code, GFM tables,
//! inline links and images) and plain text (the words only, blocks separated by blank lines). Also the
//! last precision pass over blocks: furniture lines, a leading repeat of the title, dangling headings.

use super::boilerplate::is_boilerplate_line;
use super::render::{Block, Inline};

/// Removes furniture lines, a first heading (or paragraph) repeating the title, duplicates of the previous
/// block, and headings left with nothing after them.
pub(super) fn tidy(blocks: Vec<Block>, title: Option<&str>) -> Vec<Block> {
    let mut kept: Vec<Block> = Vec::with_capacity(blocks.len());
    for block in blocks {
        let Some(block) = tidy_block(block) else { continue };
        let repeats_title = kept.is_empty()
            && title.is_some_and(
                |t| matches!(&block, Block::Heading(_, i) | Block::Paragraph(i) if same_words(&i.text, t)),
            );
        // A short line repeated at once is a duplicated label or caption; a long paragraph repeated is what
        // the page says (a refrain, a quoted passage).
        let repeated_line =
            kept.last() == Some(&block) && block_text(&block).chars().count() <= REPEATABLE_CHARS;
        if repeats_title || repeated_line {
            continue;
        }
        kept.push(block);
    }
    // A caption before the story starts belongs to the lead (hero) image, which is page furniture;
    // captions between paragraphs are part of the story.
    if let Some(first_paragraph) = kept
        .iter()
        .position(|b| matches!(b, Block::Paragraph(i) if !i.text.is_empty()))
    {
        let mut position = 0;
        kept.retain(|block| {
            position += 1;
            !(position <= first_paragraph && matches!(block, Block::Caption(_)))
        });
    }
    // A deck or kicker set as a paragraph sits above the byline or dateline: when every block before the
    // last leading byline/dateline is short text (not a lead image), they are all headline furniture.
    let header_end = kept
        .iter()
        .take(lead_length(&kept))
        .rposition(|block| match block {
            Block::Paragraph(i) => is_byline_or_dateline(&i.text, false),
            Block::Heading(_, i) => is_byline_or_dateline(&i.text, true),
            _ => false,
        });
    let short_text = |block: &Block| match block {
        Block::Paragraph(i) | Block::Heading(_, i) => (1..=200).contains(&i.text.chars().count()),
        _ => false,
    };
    if let Some(end) = header_end
        && kept[..end].iter().all(short_text)
    {
        kept.drain(..end);
    }
    // Bylines and datelines that sit inside the body container, before the story starts, and headline
    // pieces (kicker, deck) set as headings above it.
    let lead_end = lead_length(&kept);
    let first_paragraph = kept.iter().position(|b| matches!(b, Block::Paragraph(_)));
    let mut position = 0;
    kept.retain(|block| {
        position += 1;
        let lead = position <= lead_end;
        let before_story = first_paragraph.is_none_or(|p| position <= p);
        match block {
            Block::Paragraph(i) => !(lead && is_byline_or_dateline(&i.text, false)),
            Block::Heading(_, i) => {
                !(lead && before_story && (is_byline_or_dateline(&i.text, true) || part_of(&i.text, title)))
            }
            _ => true,
        }
    });
    while matches!(kept.last(), Some(Block::Heading(..))) {
        kept.pop();
    }
    // A heading directly followed by another of the same or higher rank introduced nothing.
    let mut index = 0;
    while index + 1 < kept.len() {
        let empty_section = match (&kept[index], &kept[index + 1]) {
            (Block::Heading(level, _), Block::Heading(next, _)) => next <= level,
            _ => false,
        };
        if empty_section {
            kept.remove(index);
        } else {
            index += 1;
        }
    }
    kept
}

fn tidy_block(block: Block) -> Option<Block> {
    match block {
        Block::Paragraph(ref inline) | Block::Heading(_, ref inline)
            if !inline.text.is_empty() && is_boilerplate_line(&inline.text) =>
        {
            None
        }
        Block::List {
            ordered,
            start,
            items,
        } => {
            let items: Vec<Vec<Block>> = items
                .into_iter()
                .map(|item| item.into_iter().filter_map(tidy_block).collect::<Vec<_>>())
                .filter(|item| !item.is_empty())
                .collect();
            (!items.is_empty()).then_some(Block::List {
                ordered,
                start,
                items,
            })
        }
        Block::Quote(inner) => {
            let inner: Vec<Block> = inner.into_iter().filter_map(tidy_block).collect();
            (!inner.is_empty()).then_some(Block::Quote(inner))
        }
        other => Some(other),
    }
}

/// Blocks this short or shorter are dropped when they repeat the previous block.
const REPEATABLE_CHARS: usize = 100;

/// How many blocks at the start may be byline or dateline furniture.
const LEADING_BLOCKS: usize = 3;
/// However long the lead-in, a byline is not looked for past this block.
const MAX_LEADING_BLOCKS: usize = 8;
/// A paragraph this long is the story itself, past the headline furniture.
const LEDE_CHARS: usize = 150;

/// How many leading blocks may be headline furniture: up to the first real paragraph, since a kicker,
/// deck, credit and byline can push a dateline past the third block.
fn lead_length(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .position(|b| matches!(b, Block::Paragraph(i) if i.text.chars().count() >= LEDE_CHARS))
        .map_or(LEADING_BLOCKS, |lede| lede.max(LEADING_BLOCKS))
        .min(MAX_LEADING_BLOCKS)
        .min(blocks.len())
}

/// "By Jane Doe", "By Jane Doe and John Roe, Reuters", "Published 3 March 2025", "Updated: …",
/// "2/26/2015 7:11 AM PST BY STAFF". A heading ("By the numbers") is only taken for a dated one.
fn is_byline_or_dateline(text: &str, heading: bool) -> bool {
    let words = text.split_whitespace().count();
    let lower = text.to_lowercase();
    let byline = !heading
        && super::byline::BYLINE_WORDS.iter().any(|by| lower.starts_with(by))
        && words <= 10
        && !text.trim_end().ends_with(['.', '!', '?']);
    let dated_byline = words <= 12
        && lower
            .split_once(" by ")
            .is_some_and(|(before, after)| has_year(before) && after.split_whitespace().count() <= 4);
    let dateline = [
        "published",
        "updated",
        "posted on",
        "last updated",
        "first published",
    ]
    .iter()
    .any(|p| lower.starts_with(p))
        && words <= 12;
    // A bare date, or a labelled one ("입력 2025.03.18 06:00", "2025年3月21日 18時05分").
    let bare_date = words <= 6
        && (super::dates::parse_date(text).is_some()
            || (text.chars().count() <= 40 && super::dates::find_date_in_text(text).is_some()));
    byline || dated_byline || dateline || bare_date
}

/// Whether the text holds a four-digit year (19xx or 20xx) as a token of its own.
fn has_year(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .any(|t| t.len() == 4 && (t.starts_with("19") || t.starts_with("20")))
}

/// Whether every word of `text` (at least two) is a word of the title: a kicker or deck split off it.
fn part_of(text: &str, title: Option<&str>) -> bool {
    let words = |s: &str| -> Vec<String> {
        s.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    };
    let Some(title) = title.map(words) else {
        return false;
    };
    let own = words(text);
    own.len() >= 2 && own.iter().all(|w| title.contains(w))
}

fn same_words(a: &str, b: &str) -> bool {
    let squash = |s: &str| {
        s.chars()
            .filter(|c| c.is_alphanumeric())
            .flat_map(char::to_lowercase)
            .collect::<String>()
    };
    let (a, b) = (squash(a), squash(b));
    !a.is_empty() && a == b
}

/// The body as Markdown.
pub(super) fn to_markdown(blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(block_markdown)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// The body as plain text: one paragraph per block (list items and table rows one per line).
pub(super) fn to_text(blocks: &[Block]) -> String {
    blocks
        .iter()
        .map(block_text)
        .filter(|s| !s.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

fn block_markdown(block: &Block) -> String {
    match block {
        Block::Paragraph(inline) | Block::Caption(inline) => inline.markdown.clone(),
        Block::Heading(level, inline) => {
            let hashes = "#".repeat((*level).clamp(2, 4));
            format!("{hashes} {}", inline.markdown.replace('\n', " "))
        }
        Block::List {
            ordered,
            start,
            items,
        } => items
            .iter()
            .enumerate()
            .map(|(n, item)| {
                let marker = if *ordered {
                    format!("{}. ", start + n)
                } else {
                    "- ".to_owned()
                };
                let body = to_markdown(item);
                indent_after_first(&format!("{marker}{body}"), marker.len())
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Block::Quote(inner) => to_markdown(inner)
            .lines()
            .map(|line| {
                if line.is_empty() {
                    ">".to_owned()
                } else {
                    format!("> {line}")
                }
            })
            .collect::<Vec<_>>()
            .join("\n"),
        Block::Code { language, code } => {
            let longest_run = longest_backtick_run(code);
            let fence = "`".repeat(longest_run.max(2) + 1);
            format!(
                "{fence}{}\n{code}\n{fence}",
                language.as_deref().unwrap_or_default()
            )
        }
        Block::Table { rows } => table_markdown(rows),
    }
}

fn indent_after_first(text: &str, width: usize) -> String {
    let pad = " ".repeat(width);
    let mut lines = text.lines();
    let mut out = lines.next().unwrap_or_default().to_owned();
    for line in lines {
        out.push('\n');
        if !line.is_empty() {
            out.push_str(&pad);
            out.push_str(line);
        }
    }
    out
}

fn longest_backtick_run(code: &str) -> usize {
    code.split(|c| c != '`').map(str::len).max().unwrap_or(0)
}

fn table_markdown(rows: &[Vec<Inline>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let line = |cells: &[Inline]| {
        let mut out = String::from("|");
        for column in 0..columns {
            let cell = cells
                .get(column)
                .map(|c| c.markdown.replace('|', "\\|"))
                .unwrap_or_default();
            out.push(' ');
            out.push_str(&cell);
            out.push_str(" |");
        }
        out
    };
    let mut lines: Vec<String> = Vec::with_capacity(rows.len() + 1);
    for (n, row) in rows.iter().enumerate() {
        lines.push(line(row));
        if n == 0 {
            lines.push(format!("|{}", " --- |".repeat(columns)));
        }
    }
    lines.join("\n")
}

fn block_text(block: &Block) -> String {
    match block {
        Block::Paragraph(inline) | Block::Caption(inline) | Block::Heading(_, inline) => inline.text.clone(),
        Block::List { items, .. } => items
            .iter()
            .map(|item| to_text(item))
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join("\n"),
        Block::Quote(inner) => to_text(inner),
        Block::Code { code, .. } => code.clone(),
        Block::Table { rows } => rows
            .iter()
            .map(|cells| {
                cells
                    .iter()
                    .map(|c| c.text.as_str())
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join("\t")
            })
            .collect::<Vec<_>>()
            .join("\n"),
    }
}

/// Plain-text length of the blocks, for comparing extraction strategies.
pub(super) fn text_chars(blocks: &[Block]) -> usize {
    blocks
        .iter()
        .map(|b| block_text(b).chars().filter(|c| !c.is_whitespace()).count())
        .sum()
}

/// The first block that reads like prose, for the excerpt fallback.
pub(super) fn first_prose(blocks: &[Block]) -> Option<&str> {
    blocks.iter().find_map(|block| match block {
        Block::Paragraph(inline) if inline.text.chars().count() >= 60 => Some(inline.text.as_str()),
        _ => None,
    })
}
