//! File names: slugs from titles and the `[settings] filename` template, whose result is always a relative
//! path of safe segments inside `output_dir`.
//!
//! Template keys: `{date}` (YYYY-MM-DD), `{slug}` (from the title), `{hash}` (16 hex digits of the SHA-256 of
//! the canonical URL), `{feed}`, `{category}` (`uncategorized` when there is none), `{year}`, `{month}`. A `/`
//! makes sub-folders (`{feed}/{slug}.md`, Hugo page bundles `{slug}/index.md`).

use sha2::{Digest, Sha256};
use unicode_normalization::UnicodeNormalization;
use url::Url;

use super::Preset;
use crate::record::ArticleRecord;

/// Slugs stay well under the 255-byte file-name limit of common file systems, whatever the script.
const MAX_SLUG_BYTES: usize = 96;
/// The file-name limit of ext4, XFS, btrfs and APFS, in bytes.
const MAX_SEGMENT_BYTES: usize = 255;
const KEYS: [&str; 7] = ["date", "slug", "hash", "feed", "category", "year", "month"];

/// A file-name slug: Latin letters folded to ASCII (`Café Déjà` → `cafe-deja`), other scripts' letters and
/// digits kept (Hangul titles give Hangul slugs), everything else one `-`. Never empty, never a separator,
/// never starts with `.`.
pub fn slugify(title: &str) -> String {
    let mut slug = String::with_capacity(title.len());
    let mut pending_dash = false;
    for c in title.nfc() {
        let addition = fold_to_ascii(c).unwrap_or_else(|| c.to_lowercase().collect());
        if addition.is_empty() {
            pending_dash = !slug.is_empty();
            continue;
        }
        if slug.len() + addition.len() + usize::from(pending_dash) > MAX_SLUG_BYTES {
            // Cut at the last word boundary rather than mid-word, when there is one.
            if let Some(boundary) = slug.rfind('-').filter(|_| !pending_dash) {
                slug.truncate(boundary);
            }
            break;
        }
        if pending_dash {
            slug.push('-');
            pending_dash = false;
        }
        slug.push_str(&addition);
    }
    if slug.is_empty() {
        "article".to_string()
    } else {
        slug
    }
}

/// A Latin letter with diacritics (or a ligature) as plain ASCII, `Some("")` for anything that is not a letter
/// or digit, `None` for letters and digits of other scripts, which are kept as they are.
fn fold_to_ascii(c: char) -> Option<String> {
    if c.is_ascii_alphanumeric() {
        return Some(c.to_ascii_lowercase().to_string());
    }
    let special = match c {
        'ß' => Some("ss"),
        'æ' | 'Æ' => Some("ae"),
        'ø' | 'Ø' => Some("o"),
        'đ' | 'Đ' | 'ð' | 'Ð' => Some("d"),
        'ł' | 'Ł' => Some("l"),
        'œ' | 'Œ' => Some("oe"),
        'þ' | 'Þ' => Some("th"),
        _ => None,
    };
    if let Some(folded) = special {
        return Some(folded.to_string());
    }
    if !c.is_alphanumeric() {
        return Some(String::new());
    }
    let decomposed: String = std::iter::once(c)
        .nfkd()
        .filter(|part| !unicode_normalization::char::is_combining_mark(*part))
        .collect();
    decomposed
        .chars()
        .all(|part| part.is_ascii_alphanumeric())
        .then(|| decomposed.to_ascii_lowercase())
}

/// `{hash}`: the first 16 hex digits of the SHA-256 of the canonical URL; stable across runs and machines.
pub fn url_hash(url: &Url) -> String {
    Sha256::digest(url.as_str().as_bytes())
        .iter()
        .take(8)
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

/// Checks a `filename` template for `preset`; the error is the message for the config file.
pub fn check_template(pattern: &str, preset: Preset) -> Result<(), String> {
    if !pattern.contains("{slug}") && !pattern.contains("{hash}") {
        return Err("filename must contain {slug} or {hash} so that every article gets its own file".into());
    }
    let mut rest = pattern;
    while let Some(open) = rest.find('{') {
        let close = rest[open..]
            .find('}')
            .ok_or_else(|| format!("filename has an unclosed {{ in {pattern:?}"))?;
        let key = &rest[open + 1..open + close];
        if !KEYS.contains(&key) {
            return Err(format!(
                "filename key {{{key}}} is unknown; use {}",
                KEYS.map(|key| format!("{{{key}}}")).join(", ")
            ));
        }
        rest = &rest[open + close + 1..];
    }
    if pattern.contains(['\\', '\0']) || pattern.starts_with('/') {
        return Err("filename must be a relative path with / between folders".into());
    }
    if pattern
        .split('/')
        .any(|segment| segment.is_empty() || segment == "." || segment == "..")
    {
        return Err("filename folders must not be empty, . or .. (files stay inside output_dir)".into());
    }
    let last = pattern.rsplit('/').next().unwrap_or(pattern);
    if last.starts_with('.') {
        return Err("filename must not start with a dot (site builders skip hidden files)".into());
    }
    if preset == Preset::Jekyll && !last.starts_with("{date}-") {
        return Err(
            "preset jekyll needs file names starting with {date}- (Jekyll's _posts/YYYY-MM-DD-title.md)"
                .into(),
        );
    }
    Ok(())
}

/// The relative path of an article's file from a checked `filename` template; `attempt` > 1 adds `-2`, `-3` …
/// to the slug (or the hash when there is no slug) to make a colliding name unique.
pub fn file_name(pattern: &str, record: &ArticleRecord, attempt: u32) -> String {
    let suffix = if attempt > 1 {
        format!("-{attempt}")
    } else {
        String::new()
    };
    let unique_key = if pattern.contains("{slug}") {
        "{slug}"
    } else {
        "{hash}"
    };
    let value = |key: &str| match key {
        "{date}" => record.date.format("%Y-%m-%d").to_string(),
        "{slug}" => slugify(&record.title),
        "{hash}" => url_hash(&record.canonical_url),
        "{feed}" => slugify(&record.feed),
        "{category}" => record
            .category
            .as_deref()
            .map_or_else(|| "uncategorized".to_string(), slugify),
        "{year}" => record.date.format("%Y").to_string(),
        "{month}" => record.date.format("%m").to_string(),
        _ => String::new(),
    };
    let mut name = pattern.to_string();
    for key in KEYS {
        let key = format!("{{{key}}}");
        if name.contains(&key) {
            let mut replacement = value(&key);
            if key == unique_key {
                replacement.push_str(&suffix);
            }
            name = name.replace(&key, &replacement);
        }
    }
    name
}

/// True when `path` is relative, made of `/`-separated segments that are neither empty nor `.`/`..`, hold no
/// `\` or NUL, and fit the file-name limit: joined to `output_dir` it cannot leave it.
pub fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && path.split('/').all(|segment| {
            !segment.is_empty()
                && segment != "."
                && segment != ".."
                && segment.len() <= MAX_SEGMENT_BYTES
                && !segment.contains(['\\', '\0'])
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::output::tests::record;

    #[test]
    fn slugs() {
        let rows = [
            (
                "How South Korea plans to best OpenAI, Google",
                "how-south-korea-plans-to-best-openai-google",
            ),
            ("Café Déjà vu: Straße & Łódź", "cafe-deja-vu-strasse-lodz"),
            ("../../etc/passwd", "etc-passwd"),
            ("한국 AI 모델, 세계와 경쟁", "한국-ai-모델-세계와-경쟁"),
            ("!!!", "article"),
            ("🚀 Launch day 🚀", "launch-day"),
        ];
        for (title, expected) in rows {
            assert_eq!(slugify(title), expected, "{title}");
        }
        let long = slugify(&"long words ".repeat(40));
        assert!(
            long.len() <= MAX_SLUG_BYTES && "long-words-".repeat(40).starts_with(&format!("{long}-")),
            "{long}"
        );
        let korean = slugify(&"인공지능 반도체 수출 사상 최대 ".repeat(6));
        assert!(
            korean.len() <= MAX_SLUG_BYTES && korean.ends_with("최대"),
            "{korean}"
        );
    }

    #[test]
    fn file_names_follow_the_template_and_disambiguate() {
        let mut article = record("Hello/World");
        assert_eq!(
            file_name("{date}-{slug}.md", &article, 1),
            "2025-09-27-hello-world.md"
        );
        assert_eq!(
            file_name("{date}-{slug}.md", &article, 3),
            "2025-09-27-hello-world-3.md"
        );
        assert_eq!(
            file_name("{feed}/{year}/{month}/{slug}.md", &article, 1),
            "news/2025/09/hello-world.md"
        );
        assert_eq!(
            file_name("{slug}/index.md", &article, 2),
            "hello-world-2/index.md"
        );
        assert_eq!(
            file_name("{category}/{hash}.mdx", &article, 2),
            "uncategorized/95bbca1f9b4bae7d-2.mdx"
        );
        article.category = Some("General AI".into());
        assert_eq!(
            file_name("{category}/{slug}.md", &article, 1),
            "general-ai/hello-world.md"
        );
    }

    #[test]
    fn templates_are_checked() {
        assert!(check_template("{date}-{slug}.md", Preset::Jekyll).is_ok());
        assert!(check_template("{feed}/{slug}/index.md", Preset::Hugo).is_ok());
        let problems = [
            ("{date}.md", Preset::Seed, "must contain {slug} or {hash}"),
            ("{slug}-{title}.md", Preset::Seed, "{title} is unknown"),
            ("../{slug}.md", Preset::Seed, "must not be empty, . or .."),
            ("a//{slug}.md", Preset::Seed, "must not be empty"),
            ("/abs/{slug}.md", Preset::Seed, "relative path"),
            ("a\\{slug}.md", Preset::Seed, "relative path"),
            ("{slug}-{date", Preset::Seed, "unclosed"),
            (".{slug}.md", Preset::Seed, "dot"),
            ("{slug}.md", Preset::Jekyll, "preset jekyll"),
        ];
        for (pattern, preset, expected) in problems {
            let error = check_template(pattern, preset).expect_err(pattern);
            assert!(error.contains(expected), "{pattern}: {error}");
        }
    }
}
