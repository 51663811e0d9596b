//! Output: an [`ArticleRecord`] → a Markdown file with YAML front matter, written atomically.
//!
//! Knows nothing of HTTP or SQLite. The front matter keys and their order follow the format site builders
//! already consume (Next.js blog starter, Hugo, Astro, Jekyll): `title`, `date`, `excerpt`, `coverImage`,
//! `author`, `tags`, `category`, `source`. Every string is emitted double-quoted with YAML escapes, so no
//! title (quotes, colons, `#`, `---`, newlines, `no`/`yes`, emoji, Hangul) can break the document.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use unicode_normalization::UnicodeNormalization;

use crate::record::ArticleRecord;

/// Prefix of temporary files; a leading dot keeps site builders from picking them up.
const TEMP_PREFIX: &str = ".tidings-";
const TEMP_SUFFIX: &str = ".tmp";
/// Slugs stay well under the 255-byte file-name limit of common file systems, whatever the script.
const MAX_SLUG_BYTES: usize = 96;

/// Why a file could not be written.
#[derive(Debug, thiserror::Error)]
pub enum OutputError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

/// The whole file: front matter, a blank line, the body, a final newline.
pub fn render(record: &ArticleRecord) -> String {
    let mut out = String::with_capacity(record.body.len() + 512);
    out.push_str("---\n");
    push_scalar(&mut out, "title", &record.title);
    push_scalar(&mut out, "date", &record.date.format("%Y-%m-%d").to_string());
    push_scalar(&mut out, "excerpt", &record.excerpt);
    if let Some(cover) = &record.cover_image {
        push_scalar(&mut out, "coverImage", cover.as_str());
    }
    if let Some(author) = &record.author {
        push_scalar(&mut out, "author", author);
    }
    if record.tags.is_empty() {
        out.push_str("tags: []\n");
    } else {
        out.push_str("tags:\n");
        for tag in &record.tags {
            out.push_str("  - ");
            push_quoted(&mut out, tag);
            out.push('\n');
        }
    }
    if let Some(category) = &record.category {
        push_scalar(&mut out, "category", category);
    }
    push_scalar(&mut out, "source", record.canonical_url.as_str());
    out.push_str("---\n\n");
    out.push_str(record.body.trim_end());
    out.push('\n');
    out
}

fn push_scalar(out: &mut String, key: &str, value: &str) {
    out.push_str(key);
    out.push_str(": ");
    push_quoted(out, value);
    out.push('\n');
}

/// A YAML 1.2 double-quoted scalar (valid YAML 1.1 too): backslash escapes for `"`, `\`, every C0/C1 control
/// character, the Unicode line/paragraph separators and the BOM, which YAML readers would otherwise treat
/// as line breaks or reject.
fn push_quoted(out: &mut String, value: &str) {
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{85}' => out.push_str("\\N"),
            '\u{a0}' => out.push(' '),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            c if c.is_control() || c == '\u{feff}' => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A file-name slug: Latin letters folded to ASCII (`Café Déjà` → `cafe-deja`), other scripts' letters and
/// digits kept (Hangul titles give Hangul slugs), everything else one `-`. Never empty, never a separator.
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

/// The file name for an article from the `[settings] filename` pattern; `attempt` > 1 adds `-2`, `-3` … before
/// the extension to make a colliding name unique.
pub fn file_name(pattern: &str, record: &ArticleRecord, attempt: u32) -> String {
    let slug = slugify(&record.title);
    let slug = if attempt > 1 {
        format!("{slug}-{attempt}")
    } else {
        slug
    };
    let name = pattern
        .replace("{date}", &record.date.format("%Y-%m-%d").to_string())
        .replace("{feed}", &slugify(&record.feed))
        .replace("{slug}", &slug);
    name.replace(['/', '\\', '\0'], "-")
}

/// Writes `contents` to `dir/name` so that readers see the old file or the new one, never a part: a temporary
/// file in the same folder, flushed to disk, renamed over the target, and the folder synced.
pub fn write_atomically(dir: &Path, name: &str, contents: &str) -> Result<PathBuf, OutputError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io_error(dir))?;
    let target = dir.join(name);
    let temp = dir.join(format!(
        "{TEMP_PREFIX}{}-{}{TEMP_SUFFIX}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&temp, &target)?;
        // Make the rename itself durable (POSIX: a directory entry is data of the directory).
        std::fs::File::open(dir)?.sync_all()
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io_error(&target)(source));
    }
    Ok(target)
}

/// Removes temporary files left by a process that was killed mid-write; returns how many.
pub fn remove_stale_temp_files(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(Result::ok)
        .filter(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with(TEMP_PREFIX) && name.ends_with(TEMP_SUFFIX)
        })
        .filter(|entry| std::fs::remove_file(entry.path()).is_ok())
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::record::Origin;

    fn record(title: &str) -> ArticleRecord {
        ArticleRecord {
            canonical_url: url::Url::parse("https://news.example/a").expect("url"),
            feed: "news".into(),
            title: title.into(),
            date: chrono::NaiveDate::from_ymd_opt(2025, 9, 27).expect("date"),
            published: None,
            excerpt: "An excerpt…".into(),
            cover_image: None,
            author: Some("Jane".into()),
            tags: vec!["AI".into(), "no".into()],
            category: None,
            language: None,
            body: "Body.\n".into(),
            origin: Origin::Page,
        }
    }

    #[test]
    fn front_matter_keys_in_order_and_absent_optionals_omitted() {
        let text = render(&record("Plain"));
        assert_eq!(
            text,
            "---\ntitle: \"Plain\"\ndate: \"2025-09-27\"\nexcerpt: \"An excerpt…\"\nauthor: \"Jane\"\ntags:\n  - \"AI\"\n  - \"no\"\nsource: \"https://news.example/a\"\n---\n\nBody.\n"
        );
    }

    #[test]
    fn hostile_strings_are_escaped() {
        let mut out = String::new();
        push_quoted(&mut out, "a \"b\" \\ c\nd\u{2028}e\u{7}\u{a0}");
        assert_eq!(out, "\"a \\\"b\\\" \\\\ c\\nd\\Le\\u0007 \"");
    }

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
    fn file_names_follow_the_pattern_and_disambiguate() {
        let article = record("Hello/World");
        assert_eq!(
            file_name("{date}-{slug}.md", &article, 1),
            "2025-09-27-hello-world.md"
        );
        assert_eq!(
            file_name("{date}-{slug}.md", &article, 3),
            "2025-09-27-hello-world-3.md"
        );
        assert_eq!(file_name("{feed}/{slug}.md", &article, 1), "news-hello-world.md");
    }

    #[test]
    fn atomic_write_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_atomically(dir.path(), "a.md", "one").expect("write");
        write_atomically(dir.path(), "a.md", "two").expect("overwrite");
        assert_eq!(std::fs::read_to_string(path).expect("read"), "two");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
        std::fs::write(dir.path().join(".tidings-1-2.tmp"), "partial").expect("stale");
        assert_eq!(remove_stale_temp_files(dir.path()), 1);
    }
}
