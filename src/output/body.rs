//! The Markdown body made safe for a site builder: whatever template syntax the article quotes is shown as
//! text, never executed, and reads the same on the built page.
//!
//! - Hugo runs shortcodes (`{{< name >}}`, `{{% name %}}`) anywhere in content, code blocks included, and
//!   fails the build on an unknown one. A closed one is written in Hugo's own comment form
//!   `{{</* name */>}}`, which Hugo prints as the original text; an unclosed opener gets an invisible
//!   WORD JOINER (U+2060) between `{{` and `<`/`%`, which no longer starts a shortcode.
//! - Jekyll runs Liquid (`{% … %}`, `{{ … }}`) in posts: the whole body goes inside `{% raw %}`, and an
//!   `endraw` tag quoted by the article is broken up so it cannot end the raw block early.
//! - MDX (Astro, Next.js with `.mdx` files) reads `{…}` as JavaScript, `<Tag>` as JSX and `import`/`export`
//!   at a line start as modules: braces and `<` are backslash-escaped and those words get a character
//!   reference, outside code spans and fenced code, where MDX takes text literally.

use super::yaml::is_forbidden;

/// The body with the characters no output file carries removed (see [`is_forbidden`]); tabs and line
/// breaks are kept, `\r\n` and lone `\r` become `\n`.
pub fn clean_body(body: &str) -> String {
    let unified = body.replace("\r\n", "\n");
    unified
        .chars()
        .filter_map(|c| match c {
            '\t' | '\n' => Some(c),
            '\r' => Some('\n'),
            c if is_forbidden(c) => None,
            c => Some(c),
        })
        .collect()
}

/// Hugo shortcode delimiters in `body` turned into text Hugo prints as is.
pub fn escape_hugo_shortcodes(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 16);
    let mut rest = body;
    while let Some(at) = rest.find("{{") {
        let after = &rest[at + 2..];
        let marker = match after.chars().next() {
            Some(marker @ ('<' | '%')) => marker,
            _ => {
                // One brace at a time: in `{{{<` the shortcode opener starts at the second brace.
                out.push_str(&rest[..=at]);
                rest = &rest[at + 1..];
                continue;
            }
        };
        out.push_str(&rest[..at]);
        let inner = &after[1..];
        let closing = if marker == '<' { ">}}" } else { "%}}" };
        match inner.find(closing) {
            Some(end) => {
                // Hugo's escaped shortcode: `{{</*` … `*/>}}` is printed without the comment markers.
                out.push_str("{{");
                out.push(marker);
                out.push_str("/*");
                out.push_str(&inner[..end]);
                out.push_str("*/");
                out.push_str(closing);
                rest = &inner[end + closing.len()..];
            }
            None => {
                out.push_str("{{\u{2060}");
                out.push(marker);
                rest = inner;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `body` inside a Liquid `{% raw %}` block, so Jekyll prints `{% … %}` and `{{ … }}` instead of running them.
pub fn liquid_raw(body: &str) -> String {
    const BREAK_OUT: &str = "{% endraw %}{{ \"{%\" }}{% raw %}";
    let mut out = String::with_capacity(body.len() + 32);
    out.push_str("{% raw %}\n");
    let mut rest = body;
    while let Some(at) = rest.find("{%") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 2..];
        let tag = after.trim_start_matches('-').trim_start();
        // Liquid ends a raw block at any `{%` … `endraw` … `%}` (whitespace control and spacing allowed):
        // print that `{%` from outside the block instead.
        if tag.starts_with("endraw") {
            out.push_str(BREAK_OUT);
        } else {
            out.push_str("{%");
        }
        rest = after;
    }
    out.push_str(rest);
    out.push_str("\n{% endraw %}");
    out
}

/// `body` with MDX's expression, JSX and module syntax escaped outside code.
pub fn escape_mdx(body: &str) -> String {
    let mut out = String::with_capacity(body.len() + 32);
    let mut fence: Option<(char, usize)> = None;
    for line in body.split_inclusive('\n') {
        let trimmed = line.trim_start_matches(' ');
        let indent = line.len() - trimmed.len();
        let run = |marker: char| trimmed.chars().take_while(|c| *c == marker).count();
        match fence {
            Some((marker, length)) => {
                if indent < 4 && run(marker) >= length && trimmed[run(marker)..].trim().is_empty() {
                    fence = None;
                }
                out.push_str(line);
                continue;
            }
            None if indent < 4 => {
                if let Some(marker) = ['`', '~'].into_iter().find(|marker| run(*marker) >= 3) {
                    fence = Some((marker, run(marker)));
                    out.push_str(line);
                    continue;
                }
            }
            None => {}
        }
        escape_mdx_line(line, &mut out);
    }
    out
}

fn escape_mdx_line(line: &str, out: &mut String) {
    for word in ["import", "export"] {
        if line
            .strip_prefix(word)
            .is_some_and(|rest| rest.starts_with([' ', '\t']))
        {
            // `&#105;` is `i`, `&#101;` is `e`: the line no longer starts an ES module statement.
            out.push_str(if word == "import" { "&#105;" } else { "&#101;" });
            return escape_mdx_text(&line[1..], out);
        }
    }
    escape_mdx_text(line, out);
}

/// Escapes `{`, `}` and `<` except inside inline code spans (a backtick run closed by a run of equal length).
fn escape_mdx_text(text: &str, out: &mut String) {
    let mut rest = text;
    while let Some(at) = rest.find(['`', '{', '}', '<']) {
        out.push_str(&rest[..at]);
        let tail = &rest[at..];
        if tail.starts_with('`') {
            let ticks = tail.chars().take_while(|c| *c == '`').count();
            // A closed code span is copied whole; an unclosed run is literal backticks.
            let span = find_run(&tail[ticks..], ticks).map_or(ticks, |end| ticks + end + ticks);
            out.push_str(&tail[..span]);
            rest = &tail[span..];
            continue;
        }
        out.push('\\');
        out.push_str(&tail[..1]);
        rest = &tail[1..];
    }
    out.push_str(rest);
}

/// Where a run of exactly `length` backticks starts in `text`.
fn find_run(text: &str, length: usize) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut index = 0;
    while index < bytes.len() {
        if bytes[index] == b'`' {
            let run = bytes[index..].iter().take_while(|byte| **byte == b'`').count();
            if run == length {
                return Some(index);
            }
            index += run;
        } else {
            index += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hugo_shortcodes_become_text() {
        assert_eq!(
            escape_hugo_shortcodes("Use {{< youtube id >}} or {{% notice %}}x{{% /notice %}}."),
            "Use {{</* youtube id */>}} or {{%/* notice */%}}x{{%/* /notice */%}}."
        );
        assert_eq!(
            escape_hugo_shortcodes("open {{< only and {{ .Title }}"),
            "open {{\u{2060}< only and {{ .Title }}"
        );
        assert_eq!(escape_hugo_shortcodes("{{<>}}{{"), "{{</**/>}}{{");
        assert_eq!(escape_hugo_shortcodes("{{{< x >}}"), "{{{</* x */>}}");
    }

    #[test]
    fn liquid_is_wrapped_and_endraw_cannot_escape() {
        assert_eq!(
            liquid_raw("{{ site.x }} {% include a.html %}"),
            "{% raw %}\n{{ site.x }} {% include a.html %}\n{% endraw %}"
        );
        assert_eq!(
            liquid_raw("a {%- endraw -%} b"),
            "{% raw %}\na {% endraw %}{{ \"{%\" }}{% raw %}- endraw -%} b\n{% endraw %}"
        );
    }

    #[test]
    fn mdx_braces_tags_and_modules_are_escaped_outside_code() {
        let body = "import x from 'y'\n\nA {b} <Chart /> `{code} <X>` ``a`b``\n\n```js\nlet o = {a: 1} <T>\n```\nexport const a = 1\n";
        assert_eq!(
            escape_mdx(body),
            "&#105;mport x from 'y'\n\nA \\{b\\} \\<Chart /> `{code} <X>` ``a`b``\n\n```js\nlet o = {a: 1} <T>\n```\n&#101;xport const a = 1\n"
        );
        assert_eq!(escape_mdx("a ` b {c}"), "a ` b \\{c\\}");
    }

    #[test]
    fn body_cleaning_keeps_text_and_line_breaks() {
        assert_eq!(
            clean_body("\u{feff}a\r\nb\u{0}\u{ffff}\tc\u{202e}\r"),
            "a\nb\tc\n"
        );
    }
}
