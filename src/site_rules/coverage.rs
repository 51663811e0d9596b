//! How much of a rule folder tidings understands: the share of files read without errors, and of the
//! `body`/`strip`/`title`/`author`/`date` expressions that compile and evaluate, with the kinds that do not.
//! Run as `tidings rules coverage DIR`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use scraper::Html;

use super::read::split;
use super::{Problem, RuleBook, Severity};
use crate::xpath::{Document, XPath};

/// The directives whose expressions are measured.
const MEASURED: &[&str] = &["body", "strip", "title", "author", "date"];

/// A small page every expression is evaluated against, so type errors that only show at evaluation count.
const SAMPLE_PAGE: &str = "<html lang=en><head><title>t</title><meta name=author content=a></head><body>\
    <article id=main class='post body'><h1>h</h1><p class=x>p <a href='/2'>2</a></p></article></body></html>";

/// Coverage figures for one folder.
#[derive(Debug, Default)]
pub struct Coverage {
    pub folder: PathBuf,
    pub files: usize,
    /// Files with no error (warnings, such as unknown directives, allowed).
    pub files_clean: usize,
    /// Per measured directive: (expressions, supported).
    pub expressions: BTreeMap<&'static str, (usize, usize)>,
    /// Why expressions were not supported: kind → (count, an example `path:line: expression`).
    pub unsupported: BTreeMap<String, (usize, String)>,
    /// Directives warned about as unknown or unsupported: directive → lines.
    pub ignored_directives: BTreeMap<String, usize>,
}

/// Measures `folder`.
pub fn measure(folder: &Path) -> Coverage {
    let (_, problems) = RuleBook::load(&[folder.to_path_buf()]);
    let mut coverage = Coverage {
        folder: folder.to_path_buf(),
        ..Coverage::default()
    };
    let html = Html::parse_document(SAMPLE_PAGE);
    let sample = Document::new(&html);
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|ext| ext == "txt"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    coverage.files = files.len();
    coverage.files_clean = files
        .iter()
        .filter(|path| {
            !problems
                .iter()
                .any(|p| &p.path == *path && p.severity == Severity::Error)
        })
        .count();
    for problem in &problems {
        if let Some(directive) = ignored_directive(problem) {
            *coverage.ignored_directives.entry(directive).or_default() += 1;
        }
    }
    for path in &files {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for (at, line) in text.lines().enumerate() {
            let line = line.trim();
            let Ok((directive, None, value)) = split(line) else {
                continue;
            };
            let directive = directive.to_ascii_lowercase();
            let Some(&name) = MEASURED.iter().find(|&&m| m == directive) else {
                continue;
            };
            if value.is_empty() {
                continue;
            }
            let entry = coverage.expressions.entry(name).or_default();
            entry.0 += 1;
            let outcome = XPath::parse(value).and_then(|xpath| xpath.evaluate(&sample).map(|_| ()));
            match outcome {
                Ok(()) => entry.1 += 1,
                Err(error) => {
                    let kind = kind_of(&error.to_string());
                    let example = format!("{}:{}: {value}", path.display(), at + 1);
                    coverage.unsupported.entry(kind).or_insert((0, example)).0 += 1;
                }
            }
        }
    }
    coverage
}

/// The directive a "not supported" or "unknown directive" warning is about.
fn ignored_directive(problem: &Problem) -> Option<String> {
    let message = &problem.message;
    let name = message
        .strip_prefix("unknown directive ")
        .or_else(|| message.strip_suffix(" is not supported; ignored"))?;
    Some(name.split([';', ' ']).next().unwrap_or(name).to_string())
}

/// An error message without its position and quoted specifics, so like errors group together.
fn kind_of(message: &str) -> String {
    let without_position = message
        .split_once(": ")
        .filter(|(head, _)| head.starts_with("at character"))
        .map_or(message, |(_, rest)| rest);
    without_position
        .split(", found")
        .next()
        .unwrap_or(without_position)
        .to_string()
}

impl fmt::Display for Coverage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let percent = |part: usize, whole: usize| {
            if whole == 0 {
                100.0
            } else {
                part as f64 * 100.0 / whole as f64
            }
        };
        writeln!(f, "rules folder: {}", self.folder.display())?;
        writeln!(
            f,
            "files read without errors: {}/{} ({:.2}%)",
            self.files_clean,
            self.files,
            percent(self.files_clean, self.files)
        )?;
        let (mut total, mut supported) = (0, 0);
        for (directive, (all, ok)) in &self.expressions {
            writeln!(f, "  {directive:<7} {ok}/{all} ({:.2}%)", percent(*ok, *all))?;
            total += all;
            supported += ok;
        }
        writeln!(
            f,
            "expressions supported: {supported}/{total} ({:.2}%)",
            percent(supported, total)
        )?;
        if !self.unsupported.is_empty() {
            writeln!(f, "not supported, by kind:")?;
            let mut kinds: Vec<_> = self.unsupported.iter().collect();
            kinds.sort_by(|a, b| b.1.0.cmp(&a.1.0).then(a.0.cmp(b.0)));
            for (kind, (count, example)) in kinds {
                writeln!(f, "  {count:>4}  {kind}\n        e.g. {example}")?;
            }
        }
        if !self.ignored_directives.is_empty() {
            writeln!(f, "directives read but not acted on (lines):")?;
            for (directive, count) in &self.ignored_directives {
                writeln!(f, "  {count:>4}  {directive}")?;
            }
        }
        Ok(())
    }
}
