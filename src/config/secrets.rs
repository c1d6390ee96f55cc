//! Secrets written in a callbacks file, found wherever they are: under a key whose
//! name says it holds one, in a value shaped like key material (under any key, anchor
//! or alias), and in the userinfo and query of any URL. Their text is masked before
//! any snippet of the file is shown, and validation never quotes them in a message.

use std::collections::{HashMap, HashSet};
use std::io::Read;
use std::ops::Range;

use base64::Engine;
use base64::alphabet;
use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
use miette::SourceSpan;
use unicode_normalization::UnicodeNormalization;

use super::diagnostic::{Collected, ConfigDiagnostic, Rule};
use super::node::{Node, Value};

pub const ENV_HELP: &str = "keep secrets out of this file (it is meant for git): put the key in an \
environment variable and name the variable with `secret_key_env`, or use CBCHECK_SECRET_KEY_<SDKAPPID> \
/ CBCHECK_SECRET_KEY";

/// What the scan found.
#[derive(Default)]
pub struct Secrets {
    /// Where secret text is written: masked in every output.
    pub spans: Vec<SourceSpan>,
    /// Userinfo and query values of URLs: masked unless `--show-secrets`.
    pub url_tokens: Vec<SourceSpan>,
    /// One `secret-in-file` error per secret-named key and per key-material value.
    pub diagnostics: Collected,
    pub hidden: Hidden,
}

/// The secret scalars, by where they are defined, so that their aliases are known too.
#[derive(Default)]
pub struct Hidden(HashSet<usize>);

impl Hidden {
    /// Whether the node is a secret scalar: validation must not quote it in a message.
    pub fn hides(&self, node: &Node) -> bool {
        !matches!(node.value, Value::Null | Value::Seq(_) | Value::Map(_))
            && self.0.contains(&node.defined.offset())
    }
}

/// Scan the tree (`text` is the file it was parsed from), and the file's comments.
pub fn scan<'t>(text: &'t str, root: &'t Node) -> Secrets {
    let mut scanner = Scanner {
        text,
        found: Secrets::default(),
        reported: HashSet::new(),
        names: HashMap::new(),
    };
    scanner.node(root, false);
    let mut found = scanner.found;
    scan_lines(text, Lines::Comments, &mut found);
    found
}

struct Scanner<'t> {
    text: &'t str,
    found: Secrets,
    /// Where a problem was reported: the children an alias replays all sit at the
    /// alias, and are reported once.
    reported: HashSet<usize>,
    /// A fleet repeats a dozen key names thousands of times.
    names: HashMap<&'t str, bool>,
}

impl<'t> Scanner<'t> {
    /// `secret`: the node is (inside) the value of a secret-named key.
    fn node(&mut self, node: &'t Node, secret: bool) {
        match &node.value {
            Value::Seq(items) => items.iter().for_each(|item| self.node(item, secret)),
            Value::Map(entries) => {
                for (key, value) in entries {
                    self.node(key, secret);
                    let named = match &key.value {
                        Value::Str(name) => {
                            !secret
                                && *self
                                    .names
                                    .entry(name)
                                    .or_insert_with(|| is_secret_name(name))
                        }
                        _ => false,
                    };
                    if named && let Value::Str(name) = &key.value {
                        self.report(
                            key.span,
                            format!("`{name}` would hold a secret in a file meant for git"),
                            ENV_HELP,
                        );
                    }
                    self.node(value, secret || named);
                }
            }
            Value::Str(_) | Value::Bool(_) | Value::Int(_) | Value::UInt(_) | Value::Float(_)
                if secret =>
            {
                self.hide(node);
            }
            Value::Str(value) => self.scalar(node, value),
            _ => {}
        }
    }

    fn hide(&mut self, node: &Node) {
        if self.found.hidden.0.insert(node.defined.offset()) {
            self.found.spans.push(node.defined);
        }
    }

    fn report(&mut self, span: SourceSpan, message: String, help: &str) {
        if self.reported.insert(span.offset()) {
            self.found.diagnostics.push(
                ConfigDiagnostic::error(Rule::SecretInFile, message)
                    .primary(span, "secrets must not be written in this file")
                    .help(help),
            );
        }
    }

    /// A string that is not under a secret name: key material, or a URL with tokens.
    fn scalar(&mut self, node: &Node, value: &str) {
        if let Some(material) = key_material(value) {
            self.hide(node);
            self.report(
                trim_end(self.text, node.span),
                format!("{} is written in a file meant for git", material.what()),
                material.help(),
            );
            return;
        }
        let trimmed = value.trim_start();
        if !has_scheme(trimmed) {
            return;
        }
        let lead = value.len() - trimmed.len();
        let ranges: Vec<Range<usize>> = crate::model::redact::secret_ranges(trimmed)
            .into_iter()
            .map(|r| r.start + lead..r.end + lead)
            .collect();
        if !ranges.is_empty() {
            let written = written_ranges(self.text, node.defined, value, &ranges);
            self.found.url_tokens.extend(written);
        }
    }
}

/// The span without trailing blanks: a block scalar's span runs to the next key.
fn trim_end(text: &str, span: SourceSpan) -> SourceSpan {
    let end = span.offset() + span.len();
    match text.get(span.offset()..end) {
        Some(written) => SourceSpan::new(span.offset().into(), written.trim_end().len()),
        None => span,
    }
}

/// `scheme:` as a URL starts (RFC 3986: a letter, then letters, digits, `+`, `-`, `.`).
fn has_scheme(text: &str) -> bool {
    let Some((scheme, _)) = text.split_once(':') else {
        return false;
    };
    let mut chars = scheme.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
}

/// The bytes of the file that spell one byte range of a scalar's value (where the
/// scalar is defined), or the whole scalar when that is not known.
pub fn written_range(text: &str, node: &Node, value: &str, range: Range<usize>) -> SourceSpan {
    written_ranges(text, node.defined, value, &[range])
        .into_iter()
        .next()
        .unwrap_or(node.defined)
}

/// The bytes of the file that spell the given byte ranges of a scalar's value.
///
/// Plain and block scalars, and quoted ones without escapes, hold the value's non-blank
/// characters in order (only indentation, line folding and the quotes differ), so each
/// range maps exactly. When they do not (an escape, a doubled quote), which written
/// bytes spell the range is not known: the whole written scalar is returned.
fn written_ranges(
    text: &str,
    span: SourceSpan,
    value: &str,
    ranges: &[Range<usize>],
) -> Vec<SourceSpan> {
    let whole = vec![span];
    let Some(written) = text.get(span.offset()..span.offset() + span.len()) else {
        return whole;
    };
    let (inner_start, inner) = match written.chars().next() {
        Some(quote @ ('"' | '\'')) if written.len() >= 2 && written.ends_with(quote) => {
            (1, &written[1..written.len() - 1])
        }
        _ => (0, written),
    };
    // Where each non-blank character of the value is written, in order.
    let mut spelled = inner
        .char_indices()
        .filter(|(_, c)| !c.is_whitespace())
        .map(|(i, c)| (span.offset() + inner_start + i, c));
    let mut at: Vec<(usize, usize)> = Vec::new(); // (value byte, file byte)
    for (i, c) in value.char_indices().filter(|(_, c)| !c.is_whitespace()) {
        match spelled.next() {
            Some((offset, w)) if w == c => at.push((i, offset)),
            _ => return whole,
        }
    }
    if spelled.next().is_some() {
        return whole;
    }
    ranges
        .iter()
        .filter_map(|range| {
            // `at` is in value order: the range's non-blank characters are a slice of it.
            let inside = &at[at.partition_point(|&(i, _)| i < range.start)
                ..at.partition_point(|&(i, _)| i < range.end)];
            let (&(_, first), &(_, last)) = (inside.first()?, inside.last()?);
            let end = last + text[last..].chars().next().map_or(1, char::len_utf8);
            Some(SourceSpan::new(first.into(), end - first))
        })
        .collect()
}

/// Scan a file that does not parse: its syntax error shows the lines around it.
pub fn scan_unparsed(text: &str) -> Secrets {
    let mut found = Secrets::default();
    scan_lines(text, Lines::Whole, &mut found);
    found
}

/// Which text of each line [`scan_lines`] reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lines {
    /// Only comments: the tree has the rest.
    Comments,
    /// Everything: there is no tree.
    Whole,
}

/// What the tree cannot show, found line by line without parsing: key material and
/// URL tokens in each word, PEM blocks, and the value of a secret-named key (in a file
/// that does not parse, with the lines indented under it). It masks more than the
/// tree would rather than less; it reports nothing.
fn scan_lines(text: &str, lines: Lines, found: &mut Secrets) {
    let mut scan = LineScan {
        lines,
        in_pem: false,
        under_secret: None,
    };
    match lines {
        Lines::Whole => {
            for (offset, line) in lines_of(text) {
                scan.line(offset, line, found);
            }
        }
        // Only a line with a `#` can hold a comment: the others are not visited, only
        // noticed (a line without a comment ends a PEM block in comments).
        Lines::Comments => {
            let bytes = text.as_bytes();
            // Where the line after the last one scanned starts.
            let mut next = 0;
            while let Some(hash) = memchr::memchr(b'#', &bytes[next..]) {
                let hash = next + hash;
                let start = memchr::memrchr2(b'\n', b'\r', &bytes[..hash]).map_or(0, |i| i + 1);
                let end =
                    memchr::memchr2(b'\n', b'\r', &bytes[hash..]).map_or(text.len(), |i| hash + i);
                if start != next {
                    scan.in_pem = false;
                }
                scan.line(start, &text[start..end], found);
                if end == text.len() {
                    break;
                }
                next = after_break(bytes, end);
            }
        }
    }
}

/// The lines of `text` with their byte offsets, without their breaks: `\n`, `\r\n` and
/// a lone `\r` each end one line, as the YAML parser counts them (a CRLF file has no
/// empty line between two of its lines, which would end a PEM block in comments).
fn lines_of(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let bytes = text.as_bytes();
    let mut start = 0;
    std::iter::from_fn(move || {
        if start >= text.len() {
            return None;
        }
        let end = memchr::memchr2(b'\n', b'\r', &bytes[start..]).map_or(text.len(), |i| start + i);
        let line = (start, &text[start..end]);
        start = if end == text.len() {
            end
        } else {
            after_break(bytes, end)
        };
        Some(line)
    })
}

/// Where the line after the break at `at` (a `\n` or `\r`) starts.
fn after_break(bytes: &[u8], at: usize) -> usize {
    if bytes[at] == b'\r' && bytes.get(at + 1) == Some(&b'\n') {
        at + 2
    } else {
        at + 1
    }
}

/// [`scan_lines`]' state from one line to the next.
struct LineScan {
    lines: Lines,
    in_pem: bool,
    /// The indentation of a secret-named key whose value is on the lines below it.
    under_secret: Option<usize>,
}

impl LineScan {
    /// One line, without its line break, `offset` bytes into the file.
    fn line(&mut self, offset: usize, line: &str, found: &mut Secrets) {
        let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
        if let Some(key_indent) = self.under_secret {
            if line.trim().is_empty() || indent > key_indent {
                found.spans.push(SourceSpan::new(
                    (offset + indent).into(),
                    line.len() - indent,
                ));
                return;
            }
            self.under_secret = None;
        }
        let segment = match self.lines {
            Lines::Whole => 0,
            Lines::Comments => match comment_start(line) {
                Some(hash) => hash + 1,
                None => {
                    self.in_pem = false;
                    return;
                }
            },
        };
        let text_of = &line[segment..];
        let at = offset + segment;
        if self.in_pem {
            found.spans.push(SourceSpan::new(at.into(), text_of.len()));
            self.in_pem = !text_of.contains("-----END ");
            return;
        }
        if let Some(begin) = text_of.find("-----BEGIN ") {
            found
                .spans
                .push(SourceSpan::new((at + begin).into(), text_of.len() - begin));
            self.in_pem = !text_of[begin..].contains("-----END ");
        }
        for (word_start, word) in words_of(text_of) {
            let word_at = at + word_start;
            if key_material(word).is_some() {
                found
                    .spans
                    .push(SourceSpan::new(word_at.into(), word.len()));
            } else if has_scheme(word) {
                for range in crate::model::redact::secret_ranges(word) {
                    found
                        .url_tokens
                        .push(SourceSpan::new((word_at + range.start).into(), range.len()));
                }
            }
        }
        if let Some(value_start) = secret_value_start(text_of) {
            let value = &text_of[value_start..];
            let trimmed = value.trim();
            let lead = value.len() - value.trim_start().len();
            found.spans.push(SourceSpan::new(
                (at + value_start + lead).into(),
                trimmed.len(),
            ));
            if self.lines == Lines::Whole && (trimmed.is_empty() || trimmed.starts_with(['|', '>']))
            {
                self.under_secret = Some(indent);
            }
        }
    }
}

/// Where a comment starts: a `#` at the line's start or after a blank (a `#` inside a
/// quoted value may be taken for one: more is masked, never less).
fn comment_start(line: &str) -> Option<usize> {
    line.char_indices()
        .find(|&(i, c)| c == '#' && (i == 0 || line[..i].ends_with([' ', '\t'])))
        .map(|(i, _)| i)
}

/// The words of a line, split at blanks and quotes, without flow punctuation around them.
fn words_of(line: &str) -> impl Iterator<Item = (usize, &str)> {
    line.split(|c: char| c.is_whitespace() || c == '"' || c == '\'')
        // Each word is a slice of `line`: its address gives its offset (blanks may be
        // several bytes long).
        .map(|word| (word.as_ptr() as usize - line.as_ptr() as usize, word))
        .filter_map(|(at, word)| {
            let trimmed = word.trim_start_matches([',', '[', '{']);
            let lead = word.len() - trimmed.len();
            let trimmed = trimmed.trim_end_matches([',', ']', '}']);
            (!trimmed.is_empty()).then_some((at + lead, trimmed))
        })
}

/// Where the value starts on a line `key: value` (also in a list item or a flow
/// mapping) whose key is a secret name.
fn secret_value_start(line: &str) -> Option<usize> {
    line.char_indices()
        .filter(|&(i, c)| c == ':' && line[i + 1..].chars().next().is_none_or(char::is_whitespace))
        .find_map(|(colon, _)| {
            let before = &line[..colon];
            let key = before
                .rsplit(['{', ',', '['])
                .next()
                .unwrap_or(before)
                .trim()
                .trim_start_matches(['-', ' '])
                .trim_matches(['"', '\'']);
            is_secret_name(key).then_some(colon + 1)
        })
}

/// A kind of secret recognised by its shape alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Material {
    HexKey,
    UserSig,
    Pem,
}

impl Material {
    fn what(self) -> &'static str {
        match self {
            Material::HexKey => "a secret key (64 hex digits)",
            Material::UserSig => "a UserSig",
            Material::Pem => "a PEM block",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Material::HexKey => ENV_HELP,
            Material::UserSig => {
                "remove it: cbcheck mints its own UserSig from the secret key, which it reads from the environment"
            }
            Material::Pem => "remove it: cbcheck needs no private key or certificate",
        }
    }
}

/// Whether a value looks like key material, whatever key it is under.
fn key_material(value: &str) -> Option<Material> {
    let value = value.trim();
    if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Some(Material::HexKey)
    } else if has_pem_begin(value) {
        Some(Material::Pem)
    } else if is_usersig(value) {
        Some(Material::UserSig)
    } else {
        None
    }
}

/// `value.contains("-----BEGIN ")`, looking only where a `-` is (a substring search
/// costs more to prepare than most values take to read).
fn has_pem_begin(value: &str) -> bool {
    let bytes = value.as_bytes();
    memchr::memchr_iter(b'-', bytes).any(|at| bytes[at..].starts_with(b"-----BEGIN "))
}

/// A UserSig (TLSSigAPI v1 or v2): zlib-compressed JSON in base64 with `+/=` written
/// as `*-_`. Decoding it is the test: a long identifier-like string is not one.
fn is_usersig(value: &str) -> bool {
    // The shortest real token (one-letter identifier) is about 150 characters.
    const SHORTEST: usize = 64;
    // Enough output to see the document start.
    const PREFIX: u64 = 16;
    let alphabet = |c: char| c.is_ascii_alphanumeric() || "*-_+/=".contains(c);
    if value.len() < SHORTEST || !value.chars().all(alphabet) {
        return false;
    }
    // The document's start is in the first few hundred bytes; a token cut short
    // decodes once cut to whole base64 quanta.
    let standard: String = value
        .chars()
        .take(512)
        .map(|c| match c {
            '*' => '+',
            '-' => '/',
            '_' => '=',
            other => other,
        })
        .collect();
    let engine = GeneralPurpose::new(
        &alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let head = &standard[..standard.len() / 4 * 4];
    let Ok(compressed) = engine.decode(head) else {
        return false;
    };
    // A token cut short still starts with its document: read what inflates, stop at
    // the first error.
    let mut document = Vec::new();
    let mut inflater = flate2::read::ZlibDecoder::new(compressed.as_slice()).take(PREFIX);
    let mut chunk = [0u8; PREFIX as usize];
    while let Ok(n @ 1..) = inflater.read(&mut chunk) {
        document.extend_from_slice(&chunk[..n]);
    }
    document.trim_ascii_start().starts_with(b"{")
}

/// Whether a key's name says its value is a secret: one of its words is `secret`,
/// `key`, `password`, `token`, `usersig`, `sig`, `pem`… (`app_key`, `apiKey2`,
/// `ｓｅｃｒｅｔ`), unless its last word says it names a place where the secret is kept
/// (`secret_key_env`, `password_file`).
pub fn is_secret_name(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "secret",
        "secrets",
        "key",
        "keys",
        "password",
        "passwords",
        "passwd",
        "pwd",
        "passphrase",
        "token",
        "tokens",
        "usersig",
        "sig",
        "signature",
        "credential",
        "credentials",
        "pem",
    ];
    // Also inside a word written without separators (`hmackey`, `accesstoken`).
    const PARTS: &[&str] = &[
        "secret",
        "password",
        "passwd",
        "passphrase",
        "token",
        "usersig",
        "credential",
        "apikey",
        "appkey",
        "privatekey",
        "accesskey",
        "signingkey",
        "hmackey",
    ];
    const PLACES: &[&str] = &[
        "env",
        "environment",
        "var",
        "variable",
        "name",
        "file",
        "path",
    ];
    // Live's `token_auth` is the file's own key, and its values are `enabled` and
    // `disabled`: a setting about the token, never the token.
    if name == "token_auth" {
        return false;
    }
    let words = words(name);
    if words.last().is_some_and(|w| PLACES.contains(&w.as_str())) || is_command_name(name) {
        return false;
    }
    let joined = words.concat();
    words.iter().any(|w| WORDS.contains(&w.as_str())) || PARTS.iter().any(|p| joined.contains(p))
}

/// Whether a key's name says its value is a command to run (`secret_key_command`,
/// `credential_process`, `key_cmd`): cbcheck takes a command only from the
/// environment, never from a file a pull request can change.
pub fn is_command_name(name: &str) -> bool {
    const COMMANDS: &[&str] = &["command", "cmd", "process", "exec", "script", "program"];
    words(name)
        .last()
        .is_some_and(|w| COMMANDS.contains(&w.as_str()))
}

/// The lower-case words of a key's name: compatibility forms folded (NFKC, so
/// fullwidth `ｓｅｃｒｅｔ` is `secret`), invisible characters dropped, split at
/// separators, at case changes (`apiKey`, `HMACKey`) and between letters and digits.
fn words(name: &str) -> Vec<String> {
    // Zero-width and soft-hyphen characters: NFKC keeps them, a reader does not see them.
    let invisible = |c: &char| matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{2060}'..='\u{2064}' | '\u{feff}');
    let chars: Vec<char> = if name.is_ascii() {
        // ASCII is its own NFKC form, and has no invisible characters.
        name.chars().collect()
    } else {
        name.nfkc().filter(|c| !invisible(c)).collect()
    };
    let mut words = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_alphanumeric() {
            words.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
            continue;
        }
        let before = i.checked_sub(1).map(|j| chars[j]);
        let after = chars.get(i + 1);
        let boundary = before.is_some_and(|b| {
            b.is_alphanumeric()
                && ((b.is_lowercase() && c.is_uppercase())
                    || (b.is_uppercase()
                        && c.is_uppercase()
                        && after.is_some_and(|a| a.is_lowercase()))
                    || (b.is_numeric() != c.is_numeric()))
        });
        if boundary && !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
        word.extend(c.to_lowercase());
    }
    words.extend((!word.is_empty()).then_some(word));
    words
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_are_recognised_in_any_spelling() {
        for name in [
            "secret_key",
            "SecretKey",
            "usersig",
            "user_sig",
            "UserSig",
            "key",
            "password",
            "api-key",
            "token",
            "app_key",
            "signing_key",
            "hmac_key",
            "hmacKey",
            "hmackey",
            "HMACKey",
            "private_key_pem",
            "apiKey2",
            "ｓｅｃｒｅｔ",
            "ＳＥＣＲＥＴ_ＫＥＹ",
            "sec\u{200b}ret",
            "Pass Word",
            "pass.word",
            "signature",
            "credentials",
            "accessToken",
            "pem",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn the_schema_keys_and_places_for_secrets_are_not_secret_names() {
        let schema = super::super::validate::TOP_KEYS
            .iter()
            .chain(super::super::validate::DEFAULTS_KEYS)
            .chain(super::super::validate::APP_KEYS)
            .chain(super::super::validate::CALLBACK_KEYS);
        for name in schema {
            assert!(!is_secret_name(name), "{name}");
        }
        for name in [
            "keys_env",
            "secretKeyEnv",
            "password_file",
            "monkey",
            "keyboard",
            "design",
            "turkey_sandwich",
            "x-common",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }

    #[test]
    fn words_split_at_case_digits_and_separators() {
        assert_eq!(words("apiKey2"), ["api", "key", "2"]);
        assert_eq!(words("HMACKey"), ["hmac", "key"]);
        assert_eq!(
            words("private_key.pem-x y"),
            ["private", "key", "pem", "x", "y"]
        );
        assert_eq!(words("ｓｅｃｒｅｔ"), ["secret"]);
        assert_eq!(words("__"), Vec::<String>::new());
    }

    #[test]
    fn key_material_is_told_by_its_shape() {
        let key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
        assert_eq!(key_material(key), Some(Material::HexKey));
        assert_eq!(
            key_material(&key.to_ascii_uppercase()),
            Some(Material::HexKey)
        );
        assert_eq!(key_material(&format!(" {key}\n")), Some(Material::HexKey));
        assert_eq!(key_material(&key[1..]), None);
        assert_eq!(
            key_material("-----BEGIN EC PRIVATE KEY-----\nMHcC\n-----END EC PRIVATE KEY-----\n"),
            Some(Material::Pem)
        );
        let token = crate::source::usersig::mint(
            &crate::source::secret::Secret::new(key),
            &crate::source::usersig::SigParams {
                sdkappid: 1,
                identifier: "a",
                time: 0,
                expire: 1,
            },
        );
        let token = token.expose();
        assert_eq!(key_material(token), Some(Material::UserSig));
        // Cut short, or in the standard alphabet, it is still one.
        assert_eq!(key_material(&token[..80]), Some(Material::UserSig));
        assert_eq!(key_material(&token[..83]), Some(Material::UserSig));
        let standard: String = token
            .chars()
            .map(|c| match c {
                '*' => '+',
                '-' => '/',
                '_' => '=',
                c => c,
            })
            .collect();
        assert_eq!(key_material(&standard), Some(Material::UserSig));
        for innocuous in [
            "CBCHECK_SECRET_KEY_PROD_1400000001_WITH_A_VERY_LONG_NAME_FOR_TESTING_ONLY",
            "Room.CallbackAfterCreateRoom",
            &"A".repeat(200),
            &"eJw".repeat(40),
            "https://hooks.example.com/tencent/room?token=abc",
        ] {
            assert_eq!(key_material(innocuous), None, "{innocuous}");
        }
    }

    #[test]
    fn a_file_that_does_not_parse_is_masked_line_by_line() {
        let key = "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e";
        let text = format!(
            "a:\u{3000}{key}\n- {{x: 1, password: pw1}}\ntoken: |\n  line-one\n\n  line-two\n\
             next: https://u:pw2@h/?t=pw3 # -----BEGIN KEY-----\n# body\n# -----END KEY-----\nlast: 1\n"
        );
        let found = scan_unparsed(&text);
        let hidden = [found.spans, found.url_tokens].concat();
        let masked = super::super::mask(text.clone(), &hidden);
        for secret in [key, "pw1", "line-one", "line-two", "pw2", "pw3", "body"] {
            assert!(!masked.contains(secret), "{secret}:\n{masked}");
        }
        // Offsets count bytes: the wide blank before the key is intact.
        assert!(masked.starts_with("a:\u{3000}****"), "{masked}");
        assert!(masked.contains("\nnext: https://"), "{masked}");
        assert!(masked.ends_with("\nlast: 1\n"), "{masked}");
        assert_eq!(masked.lines().count(), text.lines().count());
    }

    /// Every line of the file given to [`LineScan::line`], comments mode: what the scan
    /// found before it skipped the lines without a `#`.
    fn comments_line_by_line(text: &str) -> Secrets {
        let mut found = Secrets::default();
        let mut scan = LineScan {
            lines: Lines::Comments,
            in_pem: false,
            under_secret: None,
        };
        for (offset, line) in lines_of(text) {
            scan.line(offset, line, &mut found);
        }
        found
    }

    #[test]
    fn lines_end_at_lf_crlf_and_a_lone_cr() {
        let text = "a\r\nb\rc\n\nd\n\re";
        let lines: Vec<_> = lines_of(text).collect();
        assert_eq!(
            lines,
            [
                (0, "a"),
                (3, "b"),
                (5, "c"),
                (7, ""),
                (8, "d"),
                (10, ""),
                (11, "e")
            ]
        );
    }

    #[test]
    fn a_key_in_comments_of_a_crlf_file_is_masked_to_its_end() {
        for (text, parsed) in [
            (
                "version: 1\r\n# -----BEGIN PRIVATE KEY-----\r\n# MIIEvQIBADANBgkq\r\n# c2VjcmV0\r\n# -----END PRIVATE KEY-----\r\napps: 5\r\n",
                true,
            ),
            (
                "version: 1\r\n# -----BEGIN PRIVATE KEY-----\r\n# MIIEvQIBADANBgkq\r\n# c2VjcmV0\r\n# -----END PRIVATE KEY-----\r\napps: [\r\n",
                false,
            ),
        ] {
            let found = if parsed {
                let mut found = Secrets::default();
                scan_lines(text, Lines::Comments, &mut found);
                found
            } else {
                scan_unparsed(text)
            };
            let masked = super::super::mask(text.to_owned(), &found.spans);
            for secret in ["MIIEvQIBADANBgkq", "c2VjcmV0"] {
                assert!(!masked.contains(secret), "{secret}:\n{masked:?}");
            }
            assert!(masked.contains("apps:"), "{masked:?}");
        }
    }

    proptest::proptest! {
        #[test]
        fn comments_are_found_as_if_every_line_were_read(
            pieces in proptest::collection::vec(
                proptest::sample::select(vec![
                    "#", " #", "# ", "a#b", "\n", "\r", "\r\n", "\n\n", "key: v", " ", "\t",
                    "-----BEGIN KEY-----", "-----END KEY-----", "body", "password: pw",
                    "https://u:pw@h/?t=x", "5bd2850fff3ecb11d7c805251c51ee463a25727bddc2385f3fa8bfee1bb93b5e",
                    "é",
                ]),
                0..24,
            ),
        ) {
            let text = pieces.concat();
            let mut found = Secrets::default();
            scan_lines(&text, Lines::Comments, &mut found);
            let expected = comments_line_by_line(&text);
            proptest::prop_assert_eq!(found.spans, expected.spans);
            proptest::prop_assert_eq!(found.url_tokens, expected.url_tokens);
        }
    }

    fn spans_in(text: &str, value: &str, range: Range<usize>) -> Vec<String> {
        let span = SourceSpan::new(0.into(), text.len());
        written_ranges(text, span, value, std::slice::from_ref(&range))
            .iter()
            .map(|s| text[s.offset()..s.offset() + s.len()].to_owned())
            .collect()
    }

    #[test]
    fn value_ranges_map_to_the_written_text() {
        // Plain, and quoted: the quotes are skipped.
        assert_eq!(spans_in("a:b@c", "a:b@c", 0..3), ["a:b"]);
        assert_eq!(spans_in("\"a:b@c\"", "a:b@c", 0..3), ["a:b"]);
        assert_eq!(spans_in("'a:b@c'", "a:b@c", 2..3), ["b"]);
        // Folded over lines: the range covers the line break and indentation.
        assert_eq!(
            spans_in("x?t=ab\n    cd\n", "x?t=ab cd", 4..9),
            ["ab\n    cd"]
        );
        // An escape or a doubled quote: the whole scalar.
        assert_eq!(spans_in("\"a:\\x62@c\"", "a:b@c", 0..3), ["\"a:\\x62@c\""]);
        assert_eq!(spans_in("'a''b'", "a'b", 2..3), ["'a''b'"]);
        // A range of blanks only spells nothing.
        assert!(spans_in("a b", "a b", 1..2).is_empty());
    }
}
