//! One rule file's text → [`SiteRules`]. A line is `directive: value`, `replace_string(find): replace` or
//! `http_header(name): value`; `#` starts a comment line. Unknown and unsupported directives are warnings;
//! malformed lines (bad XPath, bad yes/no, a `replace_string` without its `find_string`) are errors. Either
//! way the line is skipped and the rest of the file still applies.

use std::path::Path;

use super::{Problem, Rule, RuleTest, Severity, SiteRules};
use crate::xpath::XPath;

/// Directives of the format that tidings reads but does not act on.
const UNSUPPORTED: &[&str] = &[
    "autodetect_next_page",
    "convert_double_br_tags",
    "dissolve",
    "footnotes",
    "if_page_contains",
    "insert_detected_image",
    "login_extra_fields",
    "login_password_field",
    "login_uri",
    "login_username_field",
    "move_into",
    "not_logged_in_xpath",
    "parser",
    "post_strip_attr",
    "requires_login",
    "single_page_link_in_feed",
    "skip_id_or_class",
    "skip_json_ld",
    "src_lazy_load_attr",
    "strip_attr",
    "strip_comments",
    "wrap_in",
];

/// Request headers a rule may not set: they belong to the HTTP client.
const RESERVED_HEADERS: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "te",
    "upgrade",
];

/// Parses `text` (read from `path`); the problems name `path` and the line.
pub fn read(text: &str, path: &Path) -> (SiteRules, Vec<Problem>) {
    let mut reader = Reader {
        rules: SiteRules {
            path: path.to_path_buf(),
            ..SiteRules::default()
        },
        problems: Vec::new(),
        pending_find: None,
    };
    for (at, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Err((severity, message)) = reader.line(line, at + 1) {
            reader.problem(at + 1, severity, message);
        }
    }
    if let Some((_, line)) = reader.pending_find.take() {
        reader.problem(
            line,
            Severity::Warning,
            "find_string without a following replace_string; ignored".into(),
        );
    }
    (reader.rules, reader.problems)
}

struct Reader {
    rules: SiteRules,
    problems: Vec<Problem>,
    /// A `find_string` waiting for its `replace_string`, with its line.
    pending_find: Option<(String, usize)>,
}

pub(super) type LineError = (Severity, String);

fn error(message: impl Into<String>) -> LineError {
    (Severity::Error, message.into())
}

impl Reader {
    fn problem(&mut self, line: usize, severity: Severity, message: String) {
        self.problems.push(Problem {
            path: self.rules.path.clone(),
            line,
            severity,
            message,
        });
    }

    fn line(&mut self, line: &str, number: usize) -> Result<(), LineError> {
        let (directive, argument, value) = split(line)?;
        let directive = directive.to_ascii_lowercase();
        if let Some(argument) = argument {
            return match directive.as_str() {
                "replace_string" => {
                    if argument.is_empty() {
                        return Err(error("replace_string() needs the text to find"));
                    }
                    self.rules.replace.push((argument.to_string(), value.to_string()));
                    Ok(())
                }
                "http_header" => self.http_header(argument, value),
                _ => Err((
                    Severity::Warning,
                    format!("unknown directive {directive}(…); ignored"),
                )),
            };
        }
        // replace_string may replace with nothing; every other directive needs a value.
        if value.is_empty() && directive != "replace_string" {
            return Err((Severity::Warning, format!("{directive} has no value; ignored")));
        }
        let rules = &mut self.rules;
        let list = match directive.as_str() {
            "body" => &mut rules.body,
            "title" => &mut rules.title,
            "author" => &mut rules.author,
            "date" => &mut rules.date,
            "strip" => &mut rules.strip,
            "single_page_link" => &mut rules.single_page_link,
            "next_page_link" => &mut rules.next_page_link,
            "native_ad_clue" => &mut rules.native_ad_clue,
            "strip_id_or_class" | "strip_image_src" => {
                let value = value.trim_matches(['"', '\'']);
                if value.contains(['"', '\'']) || value.is_empty() {
                    return Err(error(format!(
                        "{directive} value must be plain text without quotes"
                    )));
                }
                let list = if directive == "strip_id_or_class" {
                    &mut rules.strip_id_or_class
                } else {
                    &mut rules.strip_image_src
                };
                list.push(value.to_string());
                return Ok(());
            }
            "prune" => return yes_no(value).map(|v| rules.prune = Some(v)),
            "tidy" => return yes_no(value).map(|v| rules.tidy = Some(v)),
            "autodetect_on_failure" => return yes_no(value).map(|v| rules.autodetect_on_failure = Some(v)),
            "find_string" => {
                if let Some((_, earlier)) = self.pending_find.replace((value.to_string(), number)) {
                    return Err((
                        Severity::Warning,
                        format!("find_string on line {earlier} has no replace_string; ignored"),
                    ));
                }
                return Ok(());
            }
            "replace_string" => {
                let (find, _) = self
                    .pending_find
                    .take()
                    .ok_or_else(|| error("replace_string without a preceding find_string"))?;
                rules.replace.push((find, value.to_string()));
                return Ok(());
            }
            "test_url" => {
                let valid = url::Url::parse(value).is_ok_and(|url| matches!(url.scheme(), "http" | "https"));
                if !valid {
                    return Err(error(format!("test_url {value:?} is not an http(s) URL")));
                }
                rules.tests.push(RuleTest {
                    url: value.to_string(),
                    contains: Vec::new(),
                });
                return Ok(());
            }
            "test_contains" => {
                let test = rules
                    .tests
                    .last_mut()
                    .ok_or_else(|| error("test_contains before any test_url"))?;
                test.contains.push(value.to_string());
                return Ok(());
            }
            other if UNSUPPORTED.contains(&other) => {
                return Err((Severity::Warning, format!("{other} is not supported; ignored")));
            }
            other => return Err((Severity::Warning, format!("unknown directive {other}; ignored"))),
        };
        let xpath = XPath::parse(value).map_err(|e| error(format!("{directive}: {e}: {value}")))?;
        list.push(Rule { xpath, line: number });
        Ok(())
    }

    fn http_header(&mut self, name: &str, value: &str) -> Result<(), LineError> {
        let name = name.trim().to_ascii_lowercase();
        let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
        if name.is_empty() || !name.chars().all(token) {
            return Err(error(format!("http_header name {name:?} is not a header name")));
        }
        if value.chars().any(|c| c.is_control() && c != '\t') {
            return Err(error("http_header value has control characters"));
        }
        if RESERVED_HEADERS.contains(&name.as_str()) {
            return Err((
                Severity::Warning,
                format!("http_header({name}) is set by the HTTP client; ignored"),
            ));
        }
        self.rules.http_headers.push((name, value.to_string()));
        Ok(())
    }
}

/// `(directive, argument in parentheses, value)`. The argument runs to the first `):` so it may contain
/// colons (URLs), which a plain split at the first colon would break.
pub(super) fn split(line: &str) -> Result<(&str, Option<&str>, &str), LineError> {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(line.len());
    let (name, rest) = line.split_at(name_end);
    if name.is_empty() {
        return Err(error("expected `directive: value`"));
    }
    if let Some(inner) = rest.strip_prefix('(') {
        let close = inner
            .find("):")
            .ok_or_else(|| error(format!("{name}(…) needs `): ` after its argument")))?;
        return Ok((name, Some(&inner[..close]), inner[close + 2..].trim()));
    }
    let value = rest
        .trim_start()
        .strip_prefix(':')
        .ok_or_else(|| error("expected `directive: value`"))?;
    Ok((name, None, value.trim()))
}

fn yes_no(value: &str) -> Result<bool, LineError> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "true" | "1" | "on" => Ok(true),
        "no" | "false" | "0" | "off" => Ok(false),
        _ => Err(error(format!("expected yes or no, found {value:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::{Severity, read};

    #[test]
    fn every_directive_is_read() {
        let text = "# a comment\n\
            title: //h1\n\
            body: //article | //div[@id='story']\n\
            author: //span[@class='by']\n\
            date: //time/@datetime\n\
            strip: //aside\n\
            strip_id_or_class: promo\n\
            strip_image_src: /pixel.gif\n\
            prune: no\n\
            tidy: no\n\
            autodetect_on_failure: yes\n\
            replace_string(<br><br>): </p><p>\n\
            find_string: data-src=\n\
            replace_string: src=\n\
            http_header(User-Agent): Mozilla/5.0 (X11)\n\
            single_page_link: //a[@class='print']\n\
            next_page_link: //a[@rel='next']\n\
            native_ad_clue: //meta[@name='sponsored']\n\
            test_url: https://example.com/a\n\
            test_contains: Hello\n\
            test_contains: World\n";
        let (rules, problems) = read(text, Path::new("example.com.txt"));
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(rules.title[0].line, 2);
        assert_eq!(rules.body.len(), 1);
        assert_eq!(rules.strip_id_or_class, ["promo"]);
        assert_eq!(rules.strip_image_src, ["/pixel.gif"]);
        assert_eq!(
            (rules.prune, rules.tidy, rules.autodetect_on_failure),
            (Some(false), Some(false), Some(true))
        );
        assert_eq!(
            rules.replace,
            [
                ("<br><br>".to_string(), "</p><p>".to_string()),
                ("data-src=".into(), "src=".into())
            ]
        );
        assert_eq!(
            rules.http_headers,
            [("user-agent".to_string(), "Mozilla/5.0 (X11)".to_string())]
        );
        assert_eq!(rules.tests[0].contains, ["Hello", "World"]);
        assert_eq!(
            rules.next_page_link.len() + rules.single_page_link.len() + rules.native_ad_clue.len(),
            3
        );
    }

    #[test]
    fn problems_name_the_line_and_unknown_directives_are_warnings() {
        let text = "body: //div[\nlogin_uri: https://x\nfrobnicate: 1\nno colon here\nprune: maybe\n\
                    replace_string: orphan\ntest_contains: x\nreplace_string(http://a): b\n";
        let (rules, problems) = read(text, Path::new("x.txt"));
        let found: Vec<(usize, Severity)> = problems.iter().map(|p| (p.line, p.severity)).collect();
        assert_eq!(
            found,
            [
                (1, Severity::Error),
                (2, Severity::Warning),
                (3, Severity::Warning),
                (4, Severity::Error),
                (5, Severity::Error),
                (6, Severity::Error),
                (7, Severity::Error),
            ]
        );
        assert_eq!(rules.replace, [("http://a".to_string(), "b".to_string())]);
        assert!(
            problems[0]
                .to_string()
                .starts_with("x.txt:1: error: body: at character")
        );
    }
}
