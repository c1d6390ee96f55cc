//! Escaping text character by character, for the places that write text from the file
//! or the vendor in a form that must not carry some characters raw.

/// `text` with each character for which `escape` returns a replacement replaced by it.
pub fn escape_each(text: &str, escape: impl Fn(char) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match escape(c) {
            Some(escaped) => out.push_str(&escaped),
            None => out.push(c),
        }
    }
    out
}
