//! Text as Python sees it: UTF-8 decoding with the failing line named,
//! `str.splitlines()`, `str.isspace()`, `os.path.splitext`. A leaf module,
//! shared by the parsers, the vars-file loader and the source walker, so none
//! of them has to import another for these.

use crate::error::{InventoryError, Result};
use std::path::Path;

/// Python's `str.isspace()`: Unicode `White_Space` plus U+001C..U+001F.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// A file's bytes as UTF-8 text; the error names the first line that is not
/// UTF-8, for inventory sources and vars files alike.
pub(crate) fn decode_utf8(bytes: Vec<u8>, path: &Path) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| {
        let bytes = e.as_bytes();
        let valid = std::str::from_utf8(&bytes[..e.utf8_error().valid_up_to()]).unwrap_or_default();
        InventoryError::parse(
            path,
            Some(line_after(valid)),
            "this line is not valid UTF-8 (inventory files must be UTF-8 encoded)",
        )
    })
}

/// The 1-based line on which the byte right after `valid` stands, with
/// Python's line breaks (what the INI plugin counts).
pub(crate) fn line_after(valid: &str) -> u32 {
    let n = py_splitlines(valid).len();
    // The next byte starts a new line if `valid` ended with a break.
    let line = if valid.is_empty() || valid.ends_with(is_line_break) {
        n + 1
    } else {
        n
    };
    u32::try_from(line).unwrap_or(u32::MAX)
}

/// Characters at which Python's `str.splitlines()` breaks.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r'
            | '\x0b'
            | '\x0c'
            | '\x1c'
            | '\x1d'
            | '\x1e'
            | '\u{85}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

/// Python's `str.splitlines()` (no keepends): `\r\n` is one break, and a
/// final break does not start an empty line.
pub fn py_splitlines(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if is_line_break(c) {
            out.push(&text[start..i]);
            let mut end = i + c.len_utf8();
            if c == '\r' {
                if let Some(&(j, '\n')) = chars.peek() {
                    chars.next();
                    end = j + 1;
                }
            }
            start = end;
        }
    }
    if start < text.len() {
        out.push(&text[start..]);
    }
    out
}

/// Python's `os.path.splitext(path)[1]`: the extension of the last path
/// component, leading dots of the name not counting.
pub fn splitext_ext(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stripped = name.trim_start_matches('.');
    match stripped.rfind('.') {
        Some(i) => stripped[i..].to_string(),
        None => String::new(),
    }
}
