//! Config errors that name the file, the key, the value and what is allowed.

/// A config that cannot be run. Displayed as `FILE[: line L]: key `KEY`: MESSAGE`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}", self.render())]
pub struct ConfigError {
    /// Where the bad value came from: a file path or `--set key=value`.
    pub origin: String,
    /// The offending key, when known.
    pub key: Option<String>,
    /// 1-based line of the key in the file, when found.
    pub line: Option<usize>,
    pub message: String,
}

impl ConfigError {
    pub fn new(origin: impl Into<String>, key: Option<String>, message: impl Into<String>) -> Self {
        Self {
            origin: origin.into(),
            key,
            line: None,
            message: message.into(),
        }
    }

    /// Adds the line where `key` is set at top level in `source`, if it is there.
    pub fn locate(mut self, source: &str) -> Self {
        if let Some(key) = self.key.as_deref() {
            let top = key.split('.').next().unwrap_or(key);
            self.line = source
                .lines()
                .position(|l| l.strip_prefix(top).is_some_and(|rest| rest.trim_start().starts_with(':')))
                .map(|i| i + 1);
        }
        self
    }
}

impl ConfigError {
    fn render(&self) -> String {
        let line = self.line.map_or(String::new(), |l| format!(": line {l}"));
        let key = self.key.as_ref().map_or(String::new(), |k| format!(": key `{k}`"));
        let text = format!("{}{line}{key}: {}", self.origin, self.message);
        // one line whatever a value held (a newline in a quoted string, binary noise)
        text.chars()
            .flat_map(|c| {
                let escaped: Vec<char> = if c.is_control() { c.escape_default().collect() } else { vec![c] };
                escaped
            })
            .collect()
    }
}
