//! The extraction-quality metric: token 4-gram ("shingle") precision and recall of an extracted text
//! against a human-made reference, as in public article-extraction benchmarks.
//!
//! Tokenisation: the text is lower-cased; a token is a maximal run of alphanumeric characters, except that
//! every Han, Hangul or Kana character is a token of its own (so Korean, Japanese and Chinese text — which
//! may have few or no spaces — are compared character by character rather than as a few huge "words").
//! Everything else (punctuation, whitespace, Markdown leftovers) only separates tokens. Shingles are the
//! sliding windows of 4 consecutive tokens, counted as a multiset; a text with fewer than 4 tokens uses its
//! tokens as its shingles.
//!
//! References are Markdown; [`strip_markdown`] reduces them to their words first.

use std::collections::HashMap;

const SHINGLE_SIZE: usize = 4;

fn is_cjk_ideograph_or_syllable(c: char) -> bool {
    matches!(c as u32,
        0x3040..=0x30FF       // Hiragana, Katakana
        | 0x3400..=0x4DBF     // CJK Extension A
        | 0x4E00..=0x9FFF     // CJK Unified Ideographs
        | 0xF900..=0xFAFF     // CJK Compatibility Ideographs
        | 0xAC00..=0xD7AF     // Hangul syllables
        | 0x1100..=0x11FF     // Hangul Jamo
        | 0x3130..=0x318F     // Hangul compatibility Jamo
        | 0x20000..=0x2FA1F) // CJK Extensions B–F and supplement
}

/// The tokens of `text`, as described in the module docs.
pub fn tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let mut current = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if is_cjk_ideograph_or_syllable(c) {
            if !current.is_empty() {
                tokens.push(std::mem::take(&mut current));
            }
            tokens.push(c.to_string());
        } else if c.is_alphanumeric() {
            current.push(c);
        } else if !current.is_empty() {
            tokens.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    tokens
}

fn shingles(text: &str) -> HashMap<Vec<String>, usize> {
    let tokens = tokens(text);
    let mut counts = HashMap::new();
    if tokens.len() < SHINGLE_SIZE {
        for token in tokens {
            *counts.entry(vec![token]).or_insert(0) += 1;
        }
    } else {
        for window in tokens.windows(SHINGLE_SIZE) {
            *counts.entry(window.to_vec()).or_insert(0) += 1;
        }
    }
    counts
}

/// Shingle precision (share of the extracted shingles found in the reference) and recall (share of the
/// reference shingles found in the extraction), with multiset counting. An empty extraction scores
/// (0, 0); an empty reference gives recall 1 (nothing was missed) and precision 0 unless both are empty.
pub fn shingle_scores(extracted: &str, reference: &str) -> (f64, f64) {
    let extracted = shingles(extracted);
    let reference = shingles(reference);
    let extracted_total: usize = extracted.values().sum();
    let reference_total: usize = reference.values().sum();
    if extracted_total == 0 {
        return (0.0, if reference_total == 0 { 1.0 } else { 0.0 });
    }
    if reference_total == 0 {
        return (0.0, 1.0);
    }
    let common: usize = extracted
        .iter()
        .map(|(shingle, count)| reference.get(shingle).map_or(0, |other| (*count).min(*other)))
        .sum();
    (
        common as f64 / extracted_total as f64,
        common as f64 / reference_total as f64,
    )
}

/// Harmonic mean of the mean precision and the mean recall over a corpus; 0 when both are 0.
pub fn f1(mean_precision: f64, mean_recall: f64) -> f64 {
    if mean_precision + mean_recall == 0.0 {
        0.0
    } else {
        2.0 * mean_precision * mean_recall / (mean_precision + mean_recall)
    }
}

/// The words of a Markdown reference: no link targets, image lines, heading/quote/list markers, fences,
/// table pipes, emphasis markers or escapes.
pub fn strip_markdown(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    let mut in_fence = false;
    for raw_line in markdown.lines() {
        let line = raw_line.trim();
        if line.starts_with("```") || line.starts_with("~~~") {
            in_fence = !in_fence;
            continue;
        }
        if in_fence {
            // Code is kept verbatim: `_`, `*` and `|` are part of it.
            out.push_str(raw_line);
            out.push('\n');
            continue;
        }
        let is_table_rule = line.starts_with('|') && line.chars().all(|c| matches!(c, '|' | '-' | ':' | ' '));
        if line.starts_with("![") || is_table_rule {
            continue;
        }
        let unquoted = line.trim_start_matches('>').trim_start();
        let line = match unquoted.trim_start_matches('#') {
            heading if heading.len() < unquoted.len() => heading.trim_start(),
            _ => strip_list_marker(unquoted),
        };
        let line = if line.starts_with('|') {
            line.replace('|', " ")
        } else {
            line.to_owned()
        };
        out.push_str(&strip_inline(&line));
        out.push('\n');
    }
    out
}

fn strip_list_marker(line: &str) -> &str {
    if let Some(rest) = line
        .strip_prefix("- ")
        .or_else(|| line.strip_prefix("* "))
        .or_else(|| line.strip_prefix("+ "))
    {
        return rest;
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    match line.get(digits..digits + 2) {
        Some(". ") | Some(") ") if digits > 0 => &line[digits + 2..],
        _ => line,
    }
}

/// Drops images, keeps link text without targets, removes emphasis/code markers and backslash escapes.
fn strip_inline(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        match chars[i] {
            '\\' if i + 1 < chars.len() => {
                out.push(chars[i + 1]);
                i += 2;
            }
            '!' if chars.get(i + 1) == Some(&'[') => i = skip_link(&chars, i + 1, None),
            '[' => i = skip_link(&chars, i, Some(&mut out)),
            '`' => {
                // Code spans are kept verbatim.
                let close = chars[i + 1..]
                    .iter()
                    .position(|&c| c == '`')
                    .map_or(chars.len(), |p| i + 1 + p);
                out.extend(&chars[i + 1..close]);
                i = close + 1;
            }
            // Intra-word underscores (snake_case) are text, not emphasis.
            '_' if i > 0
                && chars[i - 1].is_alphanumeric()
                && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric()) =>
            {
                out.push('_');
                i += 1;
            }
            '*' | '_' | '~' => i += 1,
            c => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

/// Skips `[text](target)` starting at `start` (the `[`), copying the text into `keep` when given.
/// Returns the index after the construct, or after the `[` when it is not a link.
fn skip_link(chars: &[char], start: usize, keep: Option<&mut String>) -> usize {
    let Some(close) = chars[start..].iter().position(|&c| c == ']').map(|p| start + p) else {
        return start + 1;
    };
    if chars.get(close + 1) != Some(&'(') {
        if let Some(keep) = keep {
            keep.extend(&chars[start + 1..close]);
        }
        return close + 1;
    }
    let end = chars[close..]
        .iter()
        .position(|&c| c == ')')
        .map_or(chars.len(), |p| close + p + 1);
    if let Some(keep) = keep {
        keep.push_str(&strip_inline(&chars[start + 1..close].iter().collect::<String>()));
    }
    end
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_texts_score_one() {
        let text = "The quick brown fox jumps over the lazy dog.";
        assert_eq!(shingle_scores(text, text), (1.0, 1.0));
    }

    #[test]
    fn punctuation_and_case_do_not_matter() {
        let (precision, recall) =
            shingle_scores("the QUICK, brown fox -- jumps!", "The quick brown fox jumps");
        assert_eq!((precision, recall), (1.0, 1.0));
    }

    #[test]
    fn extra_text_lowers_precision_only() {
        let reference = "one two three four five six";
        let (precision, recall) = shingle_scores("one two three four five six seven eight", reference);
        assert_eq!(recall, 1.0);
        assert!((precision - 3.0 / 5.0).abs() < 1e-9, "{precision}");
    }

    #[test]
    fn missing_text_lowers_recall_only() {
        let (precision, recall) = shingle_scores("one two three four", "one two three four five six");
        assert_eq!(precision, 1.0);
        assert!((recall - 1.0 / 3.0).abs() < 1e-9, "{recall}");
    }

    #[test]
    fn shingles_are_multisets() {
        let (precision, recall) = shingle_scores("a b c d a b c d", "a b c d");
        assert!((precision - 1.0 / 5.0).abs() < 1e-9, "{precision}");
        assert_eq!(recall, 1.0);
    }

    #[test]
    fn short_and_empty_texts() {
        assert_eq!(shingle_scores("", "some reference text here"), (0.0, 0.0));
        assert_eq!(shingle_scores("hello world", "hello world"), (1.0, 1.0));
        assert_eq!(shingle_scores("hello", "hello world"), (1.0, 0.5));
    }

    #[test]
    fn cjk_characters_are_tokens() {
        assert_eq!(tokens("서울시는 오늘"), vec!["서", "울", "시", "는", "오", "늘"]);
        assert_eq!(tokens("東京abc都"), vec!["東", "京", "abc", "都"]);
        let (precision, recall) = shingle_scores("서울시는 오늘 발표했다", "서울시는 오늘 발표했다");
        assert_eq!((precision, recall), (1.0, 1.0));
    }

    #[test]
    fn strips_markdown_to_words() {
        let markdown = "## 1. Trails\n\n- **Bold** [link](https://x.test/a) and `code`\n\n![alt](https://x.test/i.jpg)\n\n\
                        > quoted \\*star\\*\n\n| a | b |\n| --- | --- |\n| c | d |\n\n```rust\nlet x = 1;\n```";
        let words: Vec<String> = tokens(&strip_markdown(markdown));
        let expected = "1 trails bold link and code quoted star a b c d let x 1";
        assert_eq!(words.join(" "), expected);
    }

    #[test]
    fn f1_is_the_harmonic_mean() {
        assert_eq!(f1(0.0, 0.0), 0.0);
        assert!((f1(1.0, 0.5) - 2.0 / 3.0).abs() < 1e-9);
    }
}
