//! Keep/block filters (issue 12): regular expressions an admin sets in `[settings]` and per feed, matched
//! against an item's title, summary and tags and, once extracted, its body. Pure: the pipeline asks before
//! fetching a page (when the feed's own text decides) and again after extraction.
//!
//! Rules: a `block` match anywhere rejects the item. With `keep` patterns, an item is kept only if one of
//! them matches somewhere. The `[settings]` lists and the feed's lists apply together.

use regex::Regex;

/// The combined `keep` and `block` patterns that apply to one feed.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    keep: Vec<Regex>,
    block: Vec<Regex>,
}

/// What a filter says about an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Keep,
    /// Rejected; the reason names the pattern (or the lack of a keep match).
    Reject(String),
    /// The feed's text does not decide: judge again with the body.
    NeedBody,
}

impl Filter {
    /// A filter from the `[settings]` patterns followed by the feed's own.
    pub fn new(keep: Vec<Regex>, block: Vec<Regex>) -> Self {
        Self { keep, block }
    }

    /// True when no pattern applies (every item is kept without looking).
    pub fn is_empty(&self) -> bool {
        self.keep.is_empty() && self.block.is_empty()
    }

    /// Judges an item by its feed `texts` (title, summary, tags) and, when known, its extracted `body`. With
    /// no body the answer is [`Verdict::NeedBody`] unless the feed's text already decides: a block match
    /// rejects, and with no block patterns a keep match (or no keep patterns) keeps.
    pub fn judge(&self, texts: &[&str], body: Option<&str>) -> Verdict {
        let mut all: Vec<&str> = texts.to_vec();
        all.extend(body);
        if let Some(pattern) = self
            .block
            .iter()
            .find(|pattern| all.iter().any(|text| pattern.is_match(text)))
        {
            return Verdict::Reject(format!("matches block pattern {:?}", pattern.as_str()));
        }
        let kept = self.keep.is_empty()
            || self
                .keep
                .iter()
                .any(|pattern| all.iter().any(|text| pattern.is_match(text)));
        match (kept, body.is_some()) {
            (true, _) if body.is_some() || self.block.is_empty() => Verdict::Keep,
            (false, true) => Verdict::Reject("matches no keep pattern".into()),
            _ => Verdict::NeedBody,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filter(keep: &[&str], block: &[&str]) -> Filter {
        let compile = |patterns: &[&str]| {
            patterns
                .iter()
                .map(|pattern| Regex::new(pattern).expect("pattern"))
                .collect()
        };
        Filter::new(compile(keep), compile(block))
    }

    #[test]
    fn no_patterns_keep_everything_without_the_body() {
        assert_eq!(filter(&[], &[]).judge(&["anything"], None), Verdict::Keep);
    }

    #[test]
    fn feed_text_decides_before_the_fetch_when_it_can() {
        let block_only = filter(&[], &["(?i)sponsored"]);
        assert!(matches!(
            block_only.judge(&["Sponsored: buy"], None),
            Verdict::Reject(_)
        ));
        assert_eq!(block_only.judge(&["Real news"], None), Verdict::NeedBody);

        let keep_only = filter(&["(?i)rust"], &[]);
        assert_eq!(keep_only.judge(&["Rust 2.0 released"], None), Verdict::Keep);
        assert_eq!(keep_only.judge(&["Go 2.0 released"], None), Verdict::NeedBody);
    }

    #[test]
    fn body_decides_after_extraction() {
        let both = filter(&["(?i)rust"], &["(?i)webinar"]);
        assert_eq!(both.judge(&["Release notes"], Some("about Rust")), Verdict::Keep);
        assert_eq!(
            both.judge(&["Release notes"], Some("about Go")),
            Verdict::Reject("matches no keep pattern".into())
        );
        assert!(matches!(
            both.judge(&["Rust news"], Some("join our webinar")),
            Verdict::Reject(reason) if reason.contains("webinar")
        ));
    }
}
