//! Site rules: per-site extraction rules in the community's ftr-site-config format (issue 13), read from the
//! folders `[settings] site_rules` names, and applied to a parsed page.
//!
//! - `read`: one rule file's text → [`SiteRules`] plus the problems found (unknown directives are warnings);
//! - `apply`: rules → a page: `replace_string` on the HTML, then title/author/date, strip, native-ad clue and
//!   body selection over the parsed document, and the single-page / next-page links;
//! - `coverage`: how much of a rule folder we read and evaluate (`tidings rules coverage DIR`).
//!
//! File lookup follows the format: `example.com.txt` serves example.com and www.example.com, and
//! `.example.com.txt` serves every subdomain of example.com. The exact file wins over a wildcard, a nearer
//! wildcard over a farther one; among folders the later one wins (an admin's folder overrides a checkout).

mod apply;
mod coverage;
mod read;

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use url::Url;

use crate::xpath::XPath;

pub use apply::Applied;
pub use coverage::{Coverage, measure};
pub use read::read;

/// Rule files larger than this are refused: the largest community file is a few kilobytes.
const MAX_FILE_BYTES: u64 = 256 * 1024;

/// One XPath directive line.
#[derive(Debug, Clone)]
pub struct Rule {
    pub xpath: XPath,
    /// 1-based line in the rule file, for `--explain` and `check`.
    pub line: usize,
}

/// A `test_url` and the `test_contains` lines that follow it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleTest {
    pub url: String,
    pub contains: Vec<String>,
}

/// The directives of one rule file. Lists keep file order; for `body`, `title`, `author`, `date` and the
/// page links the first expression that selects something wins.
#[derive(Debug, Clone, Default)]
pub struct SiteRules {
    /// The file these came from.
    pub path: PathBuf,
    pub body: Vec<Rule>,
    pub title: Vec<Rule>,
    pub author: Vec<Rule>,
    pub date: Vec<Rule>,
    pub strip: Vec<Rule>,
    /// Elements whose `id` or `class` contains one of these substrings are removed.
    pub strip_id_or_class: Vec<String>,
    /// Images whose `src` contains one of these substrings are removed.
    pub strip_image_src: Vec<String>,
    /// `prune: no` keeps a rule-selected body as selected, without the extractor's conditional cleaning.
    pub prune: Option<bool>,
    /// Accepted for compatibility; our HTML parser already repairs markup.
    pub tidy: Option<bool>,
    /// `autodetect_on_failure: no`: when the body rules select nothing, fail instead of scoring the page.
    pub autodetect_on_failure: Option<bool>,
    /// `(find, replace)` pairs applied to the page's HTML, in order, before parsing.
    pub replace: Vec<(String, String)>,
    /// Request headers (lower-case name, value) for every request to this site.
    pub http_headers: Vec<(String, String)>,
    pub single_page_link: Vec<Rule>,
    pub next_page_link: Vec<Rule>,
    /// A page on which any of these selects something is sponsored content.
    pub native_ad_clue: Vec<Rule>,
    pub tests: Vec<RuleTest>,
}

/// How bad a problem in a rule file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    /// The line is ignored but the format allows it (unknown or unsupported directive).
    Warning,
    /// The line is malformed (bad XPath, bad value): the author meant something we cannot do.
    Error,
}

/// One problem in a rule folder or file; `line` is 0 for problems with the whole file or folder.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    pub path: PathBuf,
    pub line: usize,
    pub severity: Severity,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        if self.line == 0 {
            write!(f, "{}: {severity}: {}", self.path.display(), self.message)
        } else {
            write!(
                f,
                "{}:{}: {severity}: {}",
                self.path.display(),
                self.line,
                self.message
            )
        }
    }
}

/// Every rule file of the configured folders, by file name (without `.txt`).
#[derive(Debug, Clone, Default)]
pub struct RuleBook {
    files: HashMap<String, Arc<SiteRules>>,
}

impl RuleBook {
    /// Reads every `*.txt` file of `folders`; a later folder's file replaces an earlier one of the same name.
    /// Never fails: unreadable folders and files, and bad lines, are returned as problems.
    pub fn load(folders: &[PathBuf]) -> (RuleBook, Vec<Problem>) {
        let mut book = RuleBook::default();
        let mut problems = Vec::new();
        for folder in folders {
            for (name, path) in rule_files(folder, &mut problems) {
                match read_file(&path) {
                    Ok(text) => {
                        let (rules, found) = read(&text, &path);
                        problems.extend(found);
                        book.files.insert(name, Arc::new(rules));
                    }
                    Err(message) => problems.push(Problem {
                        path,
                        line: 0,
                        severity: Severity::Error,
                        message,
                    }),
                }
            }
        }
        (book, problems)
    }

    /// Number of rule files.
    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }

    /// Every rule file, in file-name order (for `tidings rules test`).
    pub fn all(&self) -> Vec<Arc<SiteRules>> {
        let mut names: Vec<&String> = self.files.keys().collect();
        names.sort();
        names
            .into_iter()
            .map(|name| Arc::clone(&self.files[name]))
            .collect()
    }

    /// The rules for the site serving `url`, if any file covers its host.
    pub fn for_url(&self, url: &Url) -> Option<Arc<SiteRules>> {
        if self.files.is_empty() {
            return None;
        }
        let host = url.host_str()?.trim_end_matches('.').to_ascii_lowercase();
        candidate_names(&host)
            .into_iter()
            .find_map(|name| self.files.get(&name).cloned())
    }
}

/// Whether two URLs are on the same site: the same host, a leading `www.` aside (next pages stay there).
pub fn same_site(a: &Url, b: &Url) -> bool {
    let host = |url: &Url| {
        url.host_str()
            .map(|host| host.trim_start_matches("www.").to_ascii_lowercase())
    };
    host(a).is_some() && host(a) == host(b)
}

/// File names to try for `host`, most specific first: the host without `www.`, then `.parent` wildcards.
fn candidate_names(host: &str) -> Vec<String> {
    let bare = host.strip_prefix("www.").unwrap_or(host);
    let mut names = vec![bare.to_string()];
    let labels: Vec<&str> = host.split('.').collect();
    for skip in 1..labels.len().saturating_sub(1) {
        names.push(format!(".{}", labels[skip..].join(".")));
    }
    names
}

/// `(name without .txt, path)` of each rule file in `folder`, sorted so loading is deterministic.
fn rule_files(folder: &Path, problems: &mut Vec<Problem>) -> Vec<(String, PathBuf)> {
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(error) => {
            problems.push(Problem {
                path: folder.to_path_buf(),
                line: 0,
                severity: Severity::Error,
                message: format!("cannot read the rules folder: {error}"),
            });
            return Vec::new();
        }
    };
    let mut files: Vec<(String, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let file_name = entry.file_name().into_string().ok()?;
            let name = file_name.strip_suffix(".txt")?.to_ascii_lowercase();
            (name.len() > 1).then(|| (name, entry.path()))
        })
        .collect();
    files.sort();
    files
}

fn read_file(path: &Path) -> Result<String, String> {
    let metadata = std::fs::metadata(path).map_err(|error| format!("cannot read: {error}"))?;
    if !metadata.is_file() {
        return Err("not a regular file".into());
    }
    if metadata.len() > MAX_FILE_BYTES {
        return Err(format!("larger than {MAX_FILE_BYTES} bytes"));
    }
    let bytes = std::fs::read(path).map_err(|error| format!("cannot read: {error}"))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::candidate_names;

    #[test]
    fn hosts_map_to_exact_then_wildcard_files() {
        assert_eq!(
            candidate_names("www.example.com"),
            ["example.com", ".example.com"]
        );
        assert_eq!(candidate_names("example.com"), ["example.com"]);
        assert_eq!(
            candidate_names("a.news.example.co.uk"),
            [
                "a.news.example.co.uk",
                ".news.example.co.uk",
                ".example.co.uk",
                ".co.uk"
            ]
        );
    }
}
