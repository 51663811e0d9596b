//! Log output (issue 12): where each `tracing` event goes and in what shape.
//!
//! - Under systemd (`JOURNAL_STREAM` set): one line per event, prefixed with its syslog priority (`<3>` error,
//!   `<4>` warning, `<6>` info, `<7>` debug) so journald files it at the right level, then the message and
//!   stable `key=value` fields (values with spaces or quotes are quoted).
//! - `log_format = "json"`: one JSON object per line, for log shippers.
//! - On a terminal: the human format, and a live progress line that log lines print above, never through.
//!
//! Whatever the format, each line passes through [`redact`] on its way out, so no credentials or tokens of a
//! URL reach the log, wherever in the line (field, message, a lower layer's error text) the URL appears.

use std::fmt::{self, Write as _};
use std::io::{self, IsTerminal, Write};
use std::sync::{Arc, Mutex, PoisonError};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter};
use tracing_subscriber::registry::LookupSpan;

use crate::redact::redact;

/// `[settings] log_format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum LogFormat {
    /// Human lines; syslog-prefixed `key=value` lines under journald.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// The live progress line on a terminal, shared with the log writer so a log line first clears it and then
/// redraws it below itself.
#[derive(Debug, Clone, Default)]
pub struct ProgressLine {
    current: Arc<Mutex<String>>,
}

impl ProgressLine {
    /// Replaces the progress line with `text` (no newline).
    pub fn draw(&self, text: &str) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        text.clone_into(&mut current);
        let mut stderr = io::stderr().lock();
        let _ = write!(stderr, "\r\x1b[2K{current}");
        let _ = stderr.flush();
    }

    /// Ends the progress line: later output starts on a fresh line.
    pub fn finish(&self) {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        if !current.is_empty() {
            current.clear();
            let _ = writeln!(io::stderr().lock());
        }
    }
}

/// Installs the global subscriber: `RUST_LOG` if set, else `default_level`.
pub fn init(format: LogFormat, default_level: &str, progress: &ProgressLine) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false);
    let on_terminal = io::stderr().is_terminal();
    let plain = RedactedLines { progress: None };
    // `try_init` fails only if a subscriber is already installed; the first one stays, which is fine.
    let _ = match format {
        LogFormat::Json => builder.json().with_writer(plain).try_init(),
        LogFormat::Text if std::env::var_os("JOURNAL_STREAM").is_some() => {
            builder.event_format(JournalLine).with_writer(plain).try_init()
        }
        LogFormat::Text if on_terminal => builder
            .with_writer(RedactedLines {
                progress: Some(progress.clone()),
            })
            .try_init(),
        LogFormat::Text => builder.with_ansi(false).with_writer(plain).try_init(),
    };
}

/// The writer of every log line: redacts it, then writes it to stderr in one go, lifting the progress line
/// (clear it, write the log line, redraw it) when there is one.
#[derive(Clone)]
struct RedactedLines {
    progress: Option<ProgressLine>,
}

impl<'a> MakeWriter<'a> for RedactedLines {
    type Writer = LogLine;

    fn make_writer(&'a self) -> Self::Writer {
        LogLine {
            progress: self.progress.clone(),
            buffer: Vec::new(),
        }
    }
}

/// One event's bytes, written in one go when dropped.
struct LogLine {
    progress: Option<ProgressLine>,
    buffer: Vec<u8>,
}

impl Write for LogLine {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LogLine {
    fn drop(&mut self) {
        let line = String::from_utf8_lossy(&self.buffer);
        let line = redact(&line);
        let current = self
            .progress
            .as_ref()
            .map(|progress| progress.current.lock().unwrap_or_else(PoisonError::into_inner));
        let mut stderr = io::stderr().lock();
        match current.as_deref().filter(|current| !current.is_empty()) {
            None => {
                let _ = stderr.write_all(line.as_bytes());
            }
            Some(current) => {
                let _ = write!(stderr, "\r\x1b[2K{line}{current}");
            }
        }
        let _ = stderr.flush();
    }
}

/// `<priority>message key=value …` for journald's stream transport.
struct JournalLine;

impl<S, N> FormatEvent<S, N> for JournalLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let priority = match *event.metadata().level() {
            Level::ERROR => 3,
            Level::WARN => 4,
            Level::INFO => 6,
            Level::DEBUG | Level::TRACE => 7,
        };
        let mut fields = KeyValues::default();
        event.record(&mut fields);
        writeln!(writer, "<{priority}>{}{}", fields.message, fields.pairs)
    }
}

/// Collects an event's message and its other fields as ` key=value`.
#[derive(Default)]
struct KeyValues {
    message: String,
    pairs: String,
}

impl Visit for KeyValues {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.message);
        } else {
            let _ = write!(self.pairs, " {}={}", field.name(), quoted(value));
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.record_str(field, &format!("{value:?}"));
    }
}

/// A value as-is when it is one plain token, else in double quotes with `\` and `"` escaped; newlines become
/// `\n` so an event stays one line.
fn quoted(value: &str) -> String {
    let plain = !value.is_empty()
        && !value
            .chars()
            .any(|c| c.is_whitespace() || c == '"' || c == '=' || c == '\\' || c.is_control());
    if plain {
        return value.to_string();
    }
    let mut out = String::with_capacity(value.len() + 2);
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_quoted_only_when_needed() {
        assert_eq!(quoted("news"), "news");
        assert_eq!(quoted("http://x/a?b=c"), "\"http://x/a?b=c\"");
        assert_eq!(quoted("two words"), "\"two words\"");
        assert_eq!(quoted("say \"hi\"\nbye"), "\"say \\\"hi\\\"\\nbye\"");
        assert_eq!(quoted(""), "\"\"");
    }
}
