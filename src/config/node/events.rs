//! The tree built straight from granit-parser's events, in one pass.
//!
//! serde-saphyr 2.2.0 builds the same tree when it deserialises `Spanned<Value>` with
//! [`options`](super::options), but through several visitors and maps per node. This
//! builder reproduces what it gives for the YAML a fleet file is made of: the same spans
//! (an alias's node and all below it spanned at the alias, `defined` where written), the
//! same scalar types, the same budgets. What it does not reproduce it declines, and
//! [`parse`](super::parse) reads the file with serde-saphyr instead: tags, merge keys
//! (`<<`), keys that are collections or aliases, duplicate keys, infinities and NaN,
//! a second document, a budget reached, and every syntax error (so refusals keep
//! serde-saphyr's messages and offsets).

use std::borrow::Cow;
use std::collections::HashSet;

use granit_parser::{Event, Parser, ScalarStyle, Span, StrInput};
use miette::SourceSpan;

use super::{Node, Value};

/// Why the builder stepped aside; the caller then asks serde-saphyr.
#[derive(Debug)]
pub(super) struct Declined;

type Built<T> = Result<T, Declined>;

/// The tree serde-saphyr would build for `text`, or `Declined` where it might build
/// another one or refuse the text.
pub(super) fn build(text: &str) -> Built<Node> {
    let options = super::options();
    let limits = Limits::of(&options).ok_or(Declined)?;
    let parser = Parser::with_options(StrInput::new(text), parser_options(&options, &limits));
    let mut builder = Builder::new(limits);
    for item in parser {
        let (event, span) = item.map_err(|_| Declined)?;
        builder.event(event, &span)?;
    }
    builder.finish()
}

/// The limits serde-saphyr applies with [`options`](super::options), read from them.
struct Limits {
    max_depth: usize,
    max_events: usize,
    max_nodes: usize,
    max_aliases: usize,
    max_anchors: usize,
    max_scalar_bytes: usize,
    max_comment_bytes: usize,
    max_recorded_events: usize,
    max_recorded_bytes: usize,
    max_replayed: usize,
    max_replay_depth: usize,
    /// The alias/anchor ratio check: (enforced, minimum aliases, multiplier).
    ratio: (bool, usize, usize),
}

impl Limits {
    fn of(options: &serde_saphyr::Options) -> Option<Limits> {
        let budget = options.budget.as_ref()?;
        // The policies this builder mirrors; any other setting is serde-saphyr's to apply.
        let mirrored = options.strict_booleans
            && matches!(
                options.duplicate_keys,
                serde_saphyr::DuplicateKeyPolicy::Error
            )
            && matches!(options.merge_keys, serde_saphyr::MergeKeyPolicy::Merge)
            && !options.legacy_octal_numbers
            && !options.leading_zero_numbers_as_strings
            && !options.underscored_numbers_as_strings
            && !options.null_as_string
            && !options.no_schema;
        mirrored.then_some(Limits {
            max_depth: budget.max_depth,
            max_events: budget.max_events,
            max_nodes: budget.max_nodes,
            max_aliases: budget.max_aliases,
            max_anchors: budget.max_anchors,
            max_scalar_bytes: budget.max_total_scalar_bytes,
            max_comment_bytes: budget.max_total_comment_bytes,
            max_recorded_events: budget.max_recorded_anchor_events,
            max_recorded_bytes: budget.max_recorded_anchor_bytes,
            max_replayed: options.alias_limits.max_total_replayed_events,
            max_replay_depth: options.alias_limits.max_replay_stack_depth,
            ratio: (
                budget.enforce_alias_anchor_ratio,
                budget.alias_anchor_min_aliases,
                budget.alias_anchor_ratio_multiplier,
            ),
        })
    }
}

/// The scanner settings serde-saphyr derives from the same options, so that the text
/// is scanned alike (comment events included: they move the empty file's position).
fn parser_options(options: &serde_saphyr::Options, limits: &Limits) -> granit_parser::Options {
    let mut parser = granit_parser::Options::default();
    if let Some(budget) = options.budget.as_ref() {
        parser.simple_key_max_lookahead = budget.simple_key_max_lookahead;
        parser.flow_nesting_limit = budget.flow_nesting_limit;
        parser.max_buffered_comment_events = budget.max_buffered_comment_events;
    }
    parser.block_nesting_limit = parser
        .block_nesting_limit
        .max(limits.max_depth.saturating_add(1));
    parser.emit_comments = options.emit_comments;
    parser.strict_indentation = options.strict_indentation;
    parser.bom_inside_document_as_content = options.bom_inside_document_as_content;
    parser
}

/// A node that has been written once and may be replayed by an alias.
struct Anchored {
    node: Node,
    /// The events serde-saphyr recorded for it (its own and any it replayed).
    events: usize,
    /// Scalars and collection starts among them.
    nodes: usize,
    /// Their scalar text, in bytes.
    bytes: usize,
    /// How many collections deep it is (0 for a scalar).
    height: usize,
}

/// How serde-saphyr tells two mapping keys apart (a scalar key's fingerprint): an
/// integer by its value, in any spelling; any other scalar by its text. Two keys of
/// other types with the same text are the same here and may not be there, so this
/// declines a little more often than serde-saphyr refuses, never less.
#[derive(Clone, PartialEq, Eq, Hash)]
enum Key<'a> {
    Integer { negative: bool, magnitude: u128 },
    Text(Cow<'a, str>),
}

/// An open collection and its finished children: a list's items, or a mapping's
/// entries and the key still waiting for its value. Each collection grows its own
/// vector, which becomes its value as it is (no copy of a large list at its end).
struct Open<'a> {
    span: SourceSpan,
    mapping: bool,
    anchor: usize,
    items: Vec<Node>,
    entries: Vec<(Node, Node)>,
    key: Option<Node>,
    /// For a mapping, where its keys start in `Builder::keys`.
    first_key: usize,
    /// A mapping's keys as a set, once there are too many to compare one by one.
    key_set: Option<HashSet<Key<'a>>>,
    /// The counters when it opened, to size an anchored collection's recording.
    at_open: Counts,
}

#[derive(Clone, Copy, Default)]
struct Counts {
    events: usize,
    nodes: usize,
    bytes: usize,
}

/// A mapping compares its keys one by one up to this many, then through a set.
const FEW_KEYS: usize = 16;

struct Builder<'a> {
    limits: Limits,
    open: Vec<Open<'a>>,
    /// The keys of every open mapping, innermost last.
    keys: Vec<Key<'a>>,
    root: Option<Node>,
    /// Anchored nodes by the parser's anchor id.
    anchors: Vec<Option<Anchored>>,
    /// The deepest anchored collection still open counts each event once per open one.
    open_anchors: usize,
    defined_anchors: usize,
    aliases: usize,
    replayed: usize,
    /// Every parser event and replayed event, as serde-saphyr's budget counts them.
    events: usize,
    /// Node events (scalars, collection starts and ends), replayed ones included.
    counts: Counts,
    comment_bytes: usize,
    recorded_events: usize,
    recorded_bytes: usize,
    documents: usize,
    /// The last event's span: an empty stream's null is placed there.
    last: SourceSpan,
}

impl<'a> Builder<'a> {
    fn new(limits: Limits) -> Builder<'a> {
        Builder {
            limits,
            open: Vec::with_capacity(16),
            keys: Vec::with_capacity(64),
            root: None,
            anchors: Vec::new(),
            open_anchors: 0,
            defined_anchors: 0,
            aliases: 0,
            replayed: 0,
            events: 0,
            counts: Counts::default(),
            comment_bytes: 0,
            recorded_events: 0,
            recorded_bytes: 0,
            documents: 0,
            last: SourceSpan::new(0.into(), 0),
        }
    }

    fn event(&mut self, event: Event<'a>, span: &Span) -> Built<()> {
        let at = byte_span(span);
        self.last = at;
        self.events += 1;
        check(self.events, self.limits.max_events)?;
        match event {
            Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => Ok(()),
            Event::DocumentStart(..) => {
                // A second document is refused (or, empty, needs serde-saphyr's eye).
                self.documents += 1;
                if self.documents > 1 {
                    return Err(Declined);
                }
                Ok(())
            }
            Event::Comment(text, _) => {
                self.comment_bytes = self.comment_bytes.saturating_add(text.len());
                check(self.comment_bytes, self.limits.max_comment_bytes)
            }
            Event::Scalar(text, style, anchor, tag) => {
                if tag.is_some() {
                    return Err(Declined);
                }
                self.scalar(text, style, anchor, at)
            }
            Event::SequenceStart(_, anchor, tag) => {
                if tag.is_some() {
                    return Err(Declined);
                }
                self.start(false, anchor, at)
            }
            Event::MappingStart(_, anchor, tag) => {
                if tag.is_some() {
                    return Err(Declined);
                }
                self.start(true, anchor, at)
            }
            Event::SequenceEnd | Event::MappingEnd => self.end(),
            Event::Alias(id) => self.alias(id, at),
            _ => Err(Declined),
        }
    }

    /// Count one node event (and its scalar text), as the budget and the anchors'
    /// recordings do.
    fn count(&mut self, node: bool, bytes: usize) -> Built<()> {
        self.counts.events += 1;
        if node {
            self.counts.nodes += 1;
            check(self.counts.nodes, self.limits.max_nodes)?;
        }
        self.counts.bytes = self.counts.bytes.saturating_add(bytes);
        check(self.counts.bytes, self.limits.max_scalar_bytes)?;
        self.record(1, bytes)
    }

    /// Charge `events` copies into every open anchor's recording.
    fn record(&mut self, events: usize, bytes: usize) -> Built<()> {
        if self.open_anchors == 0 {
            return Ok(());
        }
        self.recorded_events = self
            .recorded_events
            .saturating_add(events.saturating_mul(self.open_anchors));
        self.recorded_bytes = self
            .recorded_bytes
            .saturating_add(bytes.saturating_mul(self.open_anchors));
        check(self.recorded_events, self.limits.max_recorded_events)?;
        check(self.recorded_bytes, self.limits.max_recorded_bytes)
    }

    fn define_anchor(&mut self, id: usize) -> Built<()> {
        if self.anchors.len() <= id {
            self.anchors.resize_with(id + 1, || None);
        }
        // Ids are dense and new for every `&name` written; an id seen again is the same.
        if self.anchors[id].is_none() {
            self.defined_anchors += 1;
            check(self.defined_anchors, self.limits.max_anchors)?;
        }
        Ok(())
    }

    fn scalar(
        &mut self,
        text: Cow<'a, str>,
        style: ScalarStyle,
        anchor: usize,
        at: SourceSpan,
    ) -> Built<()> {
        let before = self.counts;
        if anchor != 0 {
            self.define_anchor(anchor)?;
            // Its own recording holds one copy.
            self.open_anchors += 1;
            self.count(true, text.len())?;
            self.open_anchors -= 1;
        } else {
            self.count(true, text.len())?;
        }
        let key = if self.expects_key() {
            if style == ScalarStyle::Plain && text == "<<" {
                return Err(Declined);
            }
            Some(key_of(&text, style))
        } else {
            None
        };
        let node = Node {
            span: at,
            defined: at,
            value: resolve(text, style)?,
        };
        if anchor != 0 {
            self.anchors[anchor] = Some(Anchored {
                node: node.clone(),
                events: 1,
                nodes: 1,
                bytes: self.counts.bytes - before.bytes,
                height: 0,
            });
        }
        self.push(node, key)
    }

    fn start(&mut self, mapping: bool, anchor: usize, at: SourceSpan) -> Built<()> {
        if self.open.len() >= self.limits.max_depth {
            return Err(Declined);
        }
        // A collection is never a key here.
        if self.expects_key() {
            return Err(Declined);
        }
        let at_open = self.counts;
        if anchor != 0 {
            self.define_anchor(anchor)?;
            self.open_anchors += 1;
        }
        self.count(true, 0)?;
        self.open.push(Open {
            span: at,
            mapping,
            anchor,
            items: Vec::new(),
            entries: Vec::new(),
            key: None,
            first_key: self.keys.len(),
            key_set: None,
            at_open,
        });
        Ok(())
    }

    fn end(&mut self) -> Built<()> {
        self.count(false, 0)?;
        let open = self.open.pop().ok_or(Declined)?;
        let value = if open.mapping {
            self.keys.truncate(open.first_key);
            Value::Map(open.entries)
        } else {
            Value::Seq(open.items)
        };
        let node = Node {
            span: open.span,
            defined: open.span,
            value,
        };
        if open.anchor != 0 {
            self.open_anchors -= 1;
            let height = height(&node);
            self.anchors[open.anchor] = Some(Anchored {
                node: node.clone(),
                events: self.counts.events - open.at_open.events,
                nodes: self.counts.nodes - open.at_open.nodes,
                bytes: self.counts.bytes - open.at_open.bytes,
                height,
            });
        }
        self.push(node, None)
    }

    fn alias(&mut self, id: usize, at: SourceSpan) -> Built<()> {
        self.aliases += 1;
        check(self.aliases, self.limits.max_aliases)?;
        if self.limits.max_replay_depth < 1 || self.expects_key() {
            return Err(Declined);
        }
        // An anchor not yet closed (a recursive alias) or unknown is not replayed here.
        let anchored = self
            .anchors
            .get(id)
            .and_then(Option::as_ref)
            .ok_or(Declined)?;
        let (events, nodes, bytes, height) = (
            anchored.events,
            anchored.nodes,
            anchored.bytes,
            anchored.height,
        );
        if self.open.len() + height > self.limits.max_depth {
            return Err(Declined);
        }
        self.replayed = self.replayed.saturating_add(events);
        check(self.replayed, self.limits.max_replayed)?;
        self.events = self.events.saturating_add(events);
        check(self.events, self.limits.max_events)?;
        self.counts.events += events;
        self.counts.nodes = self.counts.nodes.saturating_add(nodes);
        check(self.counts.nodes, self.limits.max_nodes)?;
        self.counts.bytes = self.counts.bytes.saturating_add(bytes);
        check(self.counts.bytes, self.limits.max_scalar_bytes)?;
        self.record(events, bytes)?;
        let anchored = self
            .anchors
            .get(id)
            .and_then(Option::as_ref)
            .ok_or(Declined)?;
        let mut node = anchored.node.clone();
        // Everything replayed is used where the alias is, and defined where it was.
        respan(&mut node, at);
        self.push(node, None)
    }

    fn expects_key(&self) -> bool {
        self.open
            .last()
            .is_some_and(|open| open.mapping && open.key.is_none())
    }

    /// Add a finished node to the collection it belongs to, or make it the root.
    fn push(&mut self, node: Node, key: Option<Key<'a>>) -> Built<()> {
        let Some(open) = self.open.last_mut() else {
            if self.root.is_some() {
                return Err(Declined);
            }
            self.root = Some(node);
            return Ok(());
        };
        if let Some(key) = key {
            let earlier = &self.keys[open.first_key..];
            let duplicate = match &mut open.key_set {
                Some(set) => !set.insert(key.clone()),
                None => {
                    let duplicate = earlier.contains(&key);
                    if earlier.len() >= FEW_KEYS {
                        let mut set: HashSet<Key<'a>> = earlier.iter().map(Key::clone).collect();
                        set.insert(key.clone());
                        open.key_set = Some(set);
                    }
                    duplicate
                }
            };
            if duplicate {
                return Err(Declined);
            }
            self.keys.push(key);
        }
        if !open.mapping {
            open.items.push(node);
        } else if let Some(key) = open.key.take() {
            open.entries.push((key, node));
        } else {
            open.key = Some(node);
        }
        Ok(())
    }

    fn finish(self) -> Built<Node> {
        if !self.open.is_empty() {
            return Err(Declined);
        }
        let (enforced, min_aliases, multiplier) = self.limits.ratio;
        if enforced
            && self.aliases >= min_aliases
            && (self.defined_anchors == 0
                || self.aliases > multiplier.saturating_mul(self.defined_anchors))
        {
            return Err(Declined);
        }
        // A stream without a document is a null, placed at the stream's end.
        Ok(self.root.unwrap_or(Node {
            span: self.last,
            defined: self.last,
            value: Value::Null,
        }))
    }
}

fn check(count: usize, max: usize) -> Built<()> {
    if count > max { Err(Declined) } else { Ok(()) }
}

/// The event's bytes, as serde-saphyr's `Location` carries them.
fn byte_span(span: &Span) -> SourceSpan {
    match (span.start.byte_offset(), span.end.byte_offset()) {
        (Some(start), Some(end)) => {
            let len = end.saturating_sub(start);
            // Beyond 4 GiB serde-saphyr gives no byte offsets (nor does `node::byte_span`).
            if u32::try_from(start).is_ok() && u32::try_from(len).is_ok() {
                SourceSpan::new(start.into(), len)
            } else {
                SourceSpan::new(0.into(), 0)
            }
        }
        _ => SourceSpan::new(0.into(), 0),
    }
}

fn height(node: &Node) -> usize {
    match &node.value {
        Value::Seq(items) => 1 + items.iter().map(height).max().unwrap_or(0),
        Value::Map(entries) => {
            1 + entries
                .iter()
                .map(|(k, v)| height(k).max(height(v)))
                .max()
                .unwrap_or(0)
        }
        _ => 0,
    }
}

fn respan(node: &mut Node, at: SourceSpan) {
    node.span = at;
    match &mut node.value {
        Value::Seq(items) => items.iter_mut().for_each(|item| respan(item, at)),
        Value::Map(entries) => entries.iter_mut().for_each(|(k, v)| {
            respan(k, at);
            respan(v, at);
        }),
        _ => {}
    }
}

/// serde-saphyr's fingerprint of an untagged scalar key, coarsened as [`Key`] says.
fn key_of<'a>(text: &Cow<'a, str>, style: ScalarStyle) -> Key<'a> {
    if style == ScalarStyle::Plain {
        let t = yaml_trim(text);
        let integer = if t.starts_with('-') {
            parse_int_signed(t).map(|v| (v < 0, v.unsigned_abs()))
        } else {
            parse_int_unsigned(t).map(|v| (false, v))
        };
        if let Some((negative, magnitude)) = integer {
            return Key::Integer {
                negative,
                magnitude,
            };
        }
    }
    Key::Text(text.clone())
}

/// An untagged scalar's value, as serde-saphyr's `deserialize_any` resolves it with
/// strict booleans; `Declined` for the infinities and NaN it refuses.
fn resolve(text: Cow<'_, str>, style: ScalarStyle) -> Built<Value> {
    if style != ScalarStyle::Plain {
        return Ok(Value::Str(text.into_owned()));
    }
    if matches!(&*text, "" | "~" | "null" | "Null" | "NULL") {
        return Ok(Value::Null);
    }
    let t = yaml_trim(&text);
    match t {
        "true" | "True" | "TRUE" => return Ok(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Ok(Value::Bool(false)),
        _ => {}
    }
    // A word: no number starts with a letter (`inf` and `nan` parse as non-finite
    // floats, which stay text below), so it is text.
    if t.as_bytes().first().is_some_and(u8::is_ascii_alphabetic) {
        return Ok(Value::Str(text.into_owned()));
    }
    let unsigned = t.strip_prefix(['+', '-']).unwrap_or(t);
    let uppercase_radix = matches!(unsigned.as_bytes(), [b'0', b'X' | b'O' | b'B', ..]);
    if uppercase_radix || is_signed_nan(t) {
        return Ok(Value::Str(text.into_owned()));
    }
    if t.starts_with('-') {
        if let Some(v) = parse_int_signed(t).and_then(|v| i64::try_from(v).ok()) {
            return Ok(Value::Int(v));
        }
    } else if let Some(v) = parse_int_unsigned(t).and_then(|v| u64::try_from(v).ok()) {
        return Ok(Value::UInt(v));
    }
    // `.inf` with any sign and an unsigned `.nan` (a signed one stayed text above).
    let signless = t
        .strip_prefix('-')
        .or_else(|| t.strip_prefix('+'))
        .unwrap_or(t);
    if matches!(
        signless,
        ".nan" | ".NaN" | ".NAN" | ".inf" | ".Inf" | ".INF"
    ) {
        return Err(Declined);
    }
    match t.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(Value::Float(v)),
        // A numeral too large for f64 is an infinity, refused.
        Ok(_) if unsigned.as_bytes().first().is_some_and(u8::is_ascii_digit) => Err(Declined),
        _ => Ok(Value::Str(text.into_owned())),
    }
}

/// The ASCII padding serde-saphyr trims before reading a number or boolean.
fn yaml_trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

fn is_signed_nan(t: &str) -> bool {
    t.strip_prefix(['+', '-'])
        .is_some_and(|unsigned| matches!(unsigned, ".nan" | ".NaN" | ".NAN"))
}

/// A YAML 1.2 integer with a leading sign (serde-saphyr's `parse_int_signed`, no
/// legacy octal): `0x`, `0o`, `0b` (either case) or decimal without a leading zero,
/// `_` only between digits.
fn parse_int_signed(t: &str) -> Option<i128> {
    let (negative, rest) = match t.strip_prefix('+') {
        Some(rest) => (false, rest),
        None => match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t),
        },
    };
    let (radix, digits) = radix_and_digits(rest);
    let magnitude = if radix == 10 {
        if digits.starts_with('0') && digits != "0" {
            return None;
        }
        // i128::MIN's magnitude is one more than i128::MAX.
        digits_value(digits, 10).filter(|&m| m <= i128::MAX.unsigned_abs() + 1)?
    } else {
        digits_value(digits, radix)?
    };
    if negative {
        if magnitude == i128::MAX.unsigned_abs() + 1 {
            Some(i128::MIN)
        } else {
            i128::try_from(magnitude).ok().map(|m| -m)
        }
    } else {
        i128::try_from(magnitude).ok()
    }
}

/// serde-saphyr's `parse_int_unsigned` (no legacy octal).
fn parse_int_unsigned(t: &str) -> Option<u128> {
    if t.starts_with('-') {
        return None;
    }
    let rest = t.strip_prefix('+').unwrap_or(t);
    let (radix, digits) = radix_and_digits(rest);
    if radix == 10 && digits.starts_with('0') && digits != "0" {
        return None;
    }
    digits_value(digits, radix)
}

fn radix_and_digits(rest: &str) -> (u32, &str) {
    let radix = match rest.as_bytes() {
        [b'0', b'x' | b'X', ..] => 16,
        [b'0', b'o' | b'O', ..] => 8,
        [b'0', b'b' | b'B', ..] => 2,
        _ => return (10, rest),
    };
    (radix, &rest[2..])
}

/// Digits in `radix`, `_` allowed only between two digits; `None` on overflow of u128.
fn digits_value(digits: &str, radix: u32) -> Option<u128> {
    let bytes = digits.as_bytes();
    let mut value: u128 = 0;
    let mut saw = false;
    for (i, &b) in bytes.iter().enumerate() {
        if b == b'_' {
            let between =
                i > 0 && bytes[i - 1] != b'_' && bytes.get(i + 1).is_some_and(|&n| n != b'_');
            if !between {
                return None;
            }
            continue;
        }
        let digit = char::from(b).to_digit(16).filter(|&d| d < radix)?;
        value = value
            .checked_mul(u128::from(radix))?
            .checked_add(u128::from(digit))?;
        saw = true;
    }
    saw.then_some(value)
}
