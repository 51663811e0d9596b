//! Reading the parsed TOML tree of `feeds.toml` key by key.
//!
//! Each table is read through typed getters: a value of the wrong type is reported at its position and
//! treated as absent, and when the table is done every key nobody asked for is reported as unknown. Nothing
//! stops at the first such problem, so the validation that follows still sees (and reports on) the rest of
//! the file. The keys a table knows are exactly the ones its reader asks for: there is no second list.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Problems;

/// Reads one table; call [`TableReader::finish`] once every known key has been asked for.
pub(super) struct TableReader<'t, 'i, 'p, 's> {
    table: &'t DeTable<'i>,
    /// How messages name the table: `[settings]`, `[[feeds]]`, `the top level`.
    label: &'static str,
    asked: Vec<&'static str>,
    problems: &'p mut Problems<'s>,
}

impl<'t, 'i, 'p, 's> TableReader<'t, 'i, 'p, 's> {
    pub(super) fn new(table: &'t DeTable<'i>, label: &'static str, problems: &'p mut Problems<'s>) -> Self {
        Self {
            table,
            label,
            asked: Vec::new(),
            problems,
        }
    }

    /// The value under `key`, noting the key as known.
    fn value(&mut self, key: &'static str) -> Option<&'t Spanned<DeValue<'i>>> {
        self.asked.push(key);
        self.table.get(key)
    }

    fn wrong_type(&mut self, key: &str, expected: &str, found: &Spanned<DeValue<'_>>) {
        self.problems.add(
            found.span(),
            format!(
                "`{key}` in {} must be {expected}, not {}",
                self.label,
                described(found.get_ref())
            ),
        );
    }

    pub(super) fn text(&mut self, key: &'static str) -> Option<Spanned<String>> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::String(text) => Some(Spanned::new(value.span(), text.to_string())),
            _ => {
                self.wrong_type(key, "a string", value);
                None
            }
        }
    }

    pub(super) fn integer(&mut self, key: &'static str) -> Option<Spanned<i64>> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::Integer(integer) => match i64::from_str_radix(integer.as_str(), integer.radix()) {
                Ok(number) => Some(Spanned::new(value.span(), number)),
                Err(_) => {
                    self.wrong_type(key, "a 64-bit integer", value);
                    None
                }
            },
            _ => {
                self.wrong_type(key, "an integer", value);
                None
            }
        }
    }

    pub(super) fn flag(&mut self, key: &'static str) -> Option<bool> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::Boolean(flag) => Some(*flag),
            _ => {
                self.wrong_type(key, "true or false", value);
                None
            }
        }
    }

    /// An array of strings, each with its span; an element of another type is reported and left out.
    pub(super) fn texts(&mut self, key: &'static str) -> Vec<Spanned<String>> {
        self.string_array(key)
            .map(Spanned::into_inner)
            .unwrap_or_default()
    }

    /// An array of strings as one value with the array's span (a command and its arguments).
    pub(super) fn text_list(&mut self, key: &'static str) -> Option<Spanned<Vec<String>>> {
        self.string_array(key).map(|array| {
            let span = array.span();
            Spanned::new(
                span,
                array.into_inner().into_iter().map(Spanned::into_inner).collect(),
            )
        })
    }

    fn string_array(&mut self, key: &'static str) -> Option<Spanned<Vec<Spanned<String>>>> {
        let value = self.value(key)?;
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, "an array of strings", value);
            return None;
        };
        let texts = items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::String(text) => Some(Spanned::new(item.span(), text.to_string())),
                _ => {
                    self.wrong_type(key, "an array of strings", item);
                    None
                }
            })
            .collect();
        Some(Spanned::new(value.span(), texts))
    }

    pub(super) fn table(&mut self, key: &'static str) -> Option<&'t DeTable<'i>> {
        let value = self.value(key)?;
        match value.get_ref() {
            DeValue::Table(table) => Some(table),
            _ => {
                self.wrong_type(key, "a table", value);
                None
            }
        }
    }

    /// An array of tables (`[[key]]`), each with its span; other elements are reported and left out.
    pub(super) fn tables(&mut self, key: &'static str) -> Vec<Spanned<&'t DeTable<'i>>> {
        let Some(value) = self.value(key) else {
            return Vec::new();
        };
        let DeValue::Array(items) = value.get_ref() else {
            self.wrong_type(key, "an array of tables", value);
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| match item.get_ref() {
                DeValue::Table(table) => Some(Spanned::new(item.span(), table)),
                _ => {
                    self.wrong_type(key, "an array of tables", item);
                    None
                }
            })
            .collect()
    }

    /// Reports every key of the table that was never asked for, with the nearest known spelling.
    pub(super) fn finish(self) {
        for (key, _) in self.table.iter() {
            let name: &str = key.get_ref();
            if self.asked.contains(&name) {
                continue;
            }
            let hint = nearest(name, &self.asked)
                .map(|known| format!("; did you mean `{known}`?"))
                .unwrap_or_default();
            self.problems.add(
                key.span(),
                format!("unknown key `{name}` in {}{hint}", self.label),
            );
        }
    }
}

/// "a string (\"4\")", "an integer (4)", ...: the type found, with a short look at the value.
fn described(value: &DeValue<'_>) -> String {
    let shown = match value {
        DeValue::String(text) if text.chars().count() <= 40 => format!(" ({text:?})"),
        DeValue::Integer(integer) => format!(" ({})", integer.as_str()),
        DeValue::Float(float) => format!(" ({})", float.as_str()),
        DeValue::Boolean(flag) => format!(" ({flag})"),
        _ => String::new(),
    };
    let article = if matches!(value, DeValue::Integer(_) | DeValue::Array(_)) {
        "an"
    } else {
        "a"
    };
    format!("{article} {}{shown}", value.type_str())
}

/// The known key within two edits of `unknown`, if one is that close.
fn nearest<'k>(unknown: &str, known: &[&'k str]) -> Option<&'k str> {
    known
        .iter()
        .map(|candidate| (edit_distance(unknown, candidate), *candidate))
        .filter(|(distance, _)| *distance <= 2)
        .min()
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, a_char) in a.chars().enumerate() {
        let mut current = vec![i + 1];
        for (j, b_char) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(a_char != *b_char);
            current.push(substitution.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_key_is_suggested_only_when_close() {
        let known = ["concurrency", "per_host_concurrency", "timeout"];
        assert_eq!(nearest("concurency", &known), Some("concurrency"));
        assert_eq!(nearest("timeuot", &known), Some("timeout"));
        assert_eq!(nearest("colour", &known), None);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("한국", "한극"), 1);
    }
}
