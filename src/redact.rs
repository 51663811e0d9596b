//! Secrets in URLs hidden before anything is shown: every log line, `status`, the `once` summary.
//!
//! Feed URLs may carry credentials (`https://user:password@host/`) or access tokens in the query
//! (`?token=…`, `?api_key=…`), and errors from lower layers repeat whatever URL they were given. So the
//! redaction works on text, wherever a URL appears in it: the user info of any `scheme://` becomes `***`, and
//! so does the value of any query or fragment parameter whose name suggests a secret. Everything else stays
//! byte for byte, so an item's URL in a log line can still be searched for.

use std::borrow::Cow;
use std::sync::LazyLock;

use regex::Regex;
use url::Url;

/// `scheme://` followed by user info (`user` or `user:password`) up to the `@` before the host.
static USER_INFO: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/?#\s@]+@").expect("user info pattern"));

/// A parameter whose name holds a secret-like word, and its value. Values stop at quotes and backslashes so
/// a JSON-escaped quote after the value is left intact.
static SECRET_PARAMETER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)([?&;#][^=&#\s"'<>\\]*(?:token|key|secret|password|passwd|auth|sig|session|credential)[^=&#\s"'<>\\]*=)[^&#\s"'<>\\]+"#,
    )
    .expect("secret parameter pattern")
});

/// `url` safe to show.
pub fn redact_url(url: &Url) -> String {
    redact(url.as_str()).into_owned()
}

/// `text` with the secrets of every URL in it replaced by `***`; borrowed when there was nothing to hide.
pub fn redact(text: &str) -> Cow<'_, str> {
    let without_user_info = USER_INFO.replace_all(text, "${1}***@");
    match SECRET_PARAMETER.replace_all(&without_user_info, "${1}***") {
        Cow::Borrowed(_) => without_user_info,
        Cow::Owned(redacted) => Cow::Owned(redacted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_and_secret_parameters_are_redacted() {
        let url = Url::parse("https://ann:hunter2@example.com/feed?api_key=abc&page=2&Token=x").expect("url");
        assert_eq!(
            redact_url(&url),
            "https://***@example.com/feed?api_key=***&page=2&Token=***"
        );
        let plain = Url::parse("https://example.com/feed.xml?page=2&q=a%20b").expect("url");
        assert_eq!(redact_url(&plain), "https://example.com/feed.xml?page=2&q=a%20b");
    }

    #[test]
    fn every_url_in_a_line_is_redacted_and_the_rest_kept() {
        let line = "WARN feed failed feed=news url=http://u:pw@127.0.0.1:8080/f.xml?token=SECRET error=\"error sending request for url (http://u:pw@127.0.0.1:8080/f.xml?token=SECRET#x)\" mail=a@b.example";
        let shown = redact(line);
        assert!(!shown.contains("pw") && !shown.contains("SECRET"), "{shown}");
        assert_eq!(
            shown.matches("http://***@127.0.0.1:8080/f.xml?token=***").count(),
            2
        );
        assert!(shown.ends_with("#x)\" mail=a@b.example"), "{shown}");
        assert!(matches!(redact("nothing to hide ?page=2"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escaped_quotes_after_a_secret_survive() {
        let json = r#"{"error":"bad \"https://h/?sig=abc\" here","url":"https://h/a?session_id=9&x=1"}"#;
        assert_eq!(
            redact(json),
            r#"{"error":"bad \"https://h/?sig=***\" here","url":"https://h/a?session_id=***&x=1"}"#
        );
    }

    #[test]
    fn an_email_address_in_a_path_is_not_user_info() {
        let url = "https://example.com/people/ann@example.com?page=1";
        assert_eq!(redact(url), url);
    }
}
