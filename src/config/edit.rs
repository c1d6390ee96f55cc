//! Refreshing a callbacks file in place (`export --from`): only the values that
//! differ from live are rewritten, through the spans of the parsed tree; every other
//! byte (comments, order, `defaults`, anchors, quoting, line endings) stays.
//!
//! Shared values: an app that reads its callback, `url` or `commands` through an
//! alias (`*name`) gets an explicit value in place of the alias when what it must
//! hold differs from what the anchor will hold; the anchor itself belongs to the app
//! that defines it. A value that comes from a merge key (`<<: *name`) is refused,
//! naming its line: changing the merged mapping would change every app merging it.
//! `defaults` are never edited: an app that needs another `extra_commands` (a live
//! word outside the catalog) or `allow_insecure_url` gets the key in its own entry.

use std::collections::HashMap;
use std::ops::Range;

use super::App;
use super::node::{self, Node, Value};
use super::writer;
use crate::model::ExtraCommands;
use crate::model::catalog;
use crate::model::file_text::LineIndex;

/// What an app must declare after the refresh.
pub enum Want<'a> {
    /// Leave the entry as it is (its live URL cannot be declared).
    Keep,
    /// No configuration live: `callback: absent`.
    Absent,
    Present {
        /// The URL to write (`writer::declared_url`).
        url: &'a str,
        /// The live command words, in live order.
        commands: &'a [String],
    },
}

/// The edited text, and how many apps changed.
#[derive(Debug)]
pub struct Refreshed {
    pub text: String,
    pub changed: usize,
}

/// Why the file cannot be refreshed in place.
#[derive(Debug)]
pub struct EditError {
    /// The app, as reports name it.
    pub app: String,
    /// 1-based line of the value concerned.
    pub line: usize,
    pub reason: String,
}

/// Rewrite `text` (the file `apps` were loaded from, unmasked) so that each app
/// declares what `wants` says, in file order; `apps[i].token_auth` is the value a
/// declared `token_auth` must take.
pub fn refresh(text: &str, apps: &[App], wants: &[Want<'_>]) -> Result<Refreshed, EditError> {
    let lines = LineIndex::new(text);
    // App `i` and a reason, at the app's `sdkappid`.
    let error = |i: usize, reason: &str| EditError {
        app: apps.get(i).map(App::label).unwrap_or_default(),
        line: apps
            .get(i)
            .map_or(1, |app| lines.line_of(app.spans.sdkappid.offset()) + 1),
        reason: reason.to_owned(),
    };
    let not_loaded = || error(0, "the text is not the file the apps were loaded from");
    let root = node::parse(text).map_err(|_| not_loaded())?;
    let items = app_items(&root).ok_or_else(not_loaded)?;
    if items.len() != apps.len() || wants.len() != apps.len() {
        return Err(not_loaded());
    }
    let mut editor = Editor {
        text,
        lines: LineIndex::new(text),
        eol: line_ending(text),
        edits: Vec::new(),
        written: HashMap::new(),
        changed: vec![false; apps.len()],
    };
    let plans: Vec<Option<Plan<'_>>> = apps
        .iter()
        .zip(wants)
        .map(|(app, want)| Plan::new(app, want))
        .collect();
    // Values written where they are defined first: an app reading one through an
    // alias then compares with what the anchor will hold.
    for (i, ((item, app), plan)) in items.iter().zip(apps).zip(&plans).enumerate() {
        editor.direct(i, item, app, plan.as_ref())?;
    }
    for (i, (item, plan)) in items.iter().zip(&plans).enumerate() {
        editor.through_aliases(i, item, plan.as_ref());
    }
    let changed_apps = editor.changed.clone();
    let edited = editor
        .apply()
        .map_err(|i| error(i, "two changes to this app would overlap"))?;
    check(&edited, &plans, &changed_apps).map_err(|i| {
        error(
            i,
            "the edited file would not read back as live (a layout this edit does not handle)",
        )
    })?;
    Ok(Refreshed {
        text: edited,
        changed: changed_apps.iter().filter(|c| **c).count(),
    })
}

/// The entries of the `apps` list, in file order.
fn app_items(root: &Node) -> Option<&[Node]> {
    match &get(root, "apps")?.1.value {
        Value::Seq(items) => Some(items),
        _ => None,
    }
}

/// What one app's entry must say, from the live side.
struct Plan<'a> {
    callback: Option<(&'a str, Vec<&'a str>)>,
    allow_insecure_url: bool,
    extra_commands: Option<ExtraCommands>,
    token_auth: Option<&'static str>,
}

impl<'a> Plan<'a> {
    fn new(app: &App, want: &Want<'a>) -> Option<Plan<'a>> {
        let callback = match want {
            Want::Keep => return None,
            Want::Absent => None,
            Want::Present { url, commands } => {
                let mut known: Vec<&str> = Vec::new();
                for word in commands
                    .iter()
                    .filter(|w| catalog::is_known(app.service, w))
                {
                    if !known.contains(&word.as_str()) {
                        known.push(word);
                    }
                }
                Some((*url, known))
            }
        };
        let (insecure, unknown) = match want {
            Want::Present { url, commands } => (
                url::Url::parse(url).is_ok_and(|u| u.scheme() == "http"),
                commands.iter().any(|w| !catalog::is_known(app.service, w)),
            ),
            _ => (false, false),
        };
        Some(Plan {
            callback,
            allow_insecure_url: insecure && !app.allow_insecure_url,
            // An unknown live word cannot be declared; `warn` keeps it reported without failing.
            extra_commands: (unknown && app.extra_commands == ExtraCommands::Error)
                .then_some(ExtraCommands::Warn),
            token_auth: app
                .spans
                .token_auth
                .and(app.token_auth)
                .map(|enabled| if enabled { "enabled" } else { "disabled" }),
        })
    }
}

/// A value as written by an earlier edit, keyed by where it is defined.
enum EarlierEdit {
    Url(String),
    Commands(Vec<String>),
}

struct Editor<'t> {
    text: &'t str,
    lines: LineIndex,
    eol: &'static str,
    /// (app, bytes replaced, replacement)
    edits: Vec<(usize, Range<usize>, String)>,
    written: HashMap<usize, EarlierEdit>,
    changed: Vec<bool>,
}

impl Editor<'_> {
    fn edit(&mut self, app: usize, range: Range<usize>, with: String) {
        self.changed[app] = true;
        self.edits.push((app, range, with));
    }

    fn line(&self, offset: usize) -> usize {
        self.lines.line_of(offset) + 1
    }

    fn refuse(&self, app: &App, at: &Node, reason: &str) -> EditError {
        EditError {
            app: app.label(),
            line: self.line(at.span.offset()),
            reason: reason.to_owned(),
        }
    }

    /// The edits to values written in the app's own entry (not through an alias).
    fn direct(
        &mut self,
        i: usize,
        item: &Node,
        app: &App,
        plan: Option<&Plan<'_>>,
    ) -> Result<(), EditError> {
        let Some(plan) = plan else {
            return Ok(());
        };
        if replayed(item) {
            return if self.app_differs(item, plan) {
                Err(self.refuse(
                    app,
                    item,
                    "the whole entry is an alias of another: give this app its own entry",
                ))
            } else {
                Ok(())
            };
        }
        self.keys(i, item, app, plan)?;
        let Some((key, value)) = get(item, "callback") else {
            return Ok(());
        };
        if replayed(key) {
            return if self.callback_differs(value, plan) {
                Err(self.refuse(
                    app,
                    key,
                    "its callback comes from a merge key (`<<`): changing the merged mapping would change every app that merges it; write this app's callback in its own entry",
                ))
            } else {
                Ok(())
            };
        }
        if replayed(value) {
            // Compared once the anchors' own edits are known.
            return Ok(());
        }
        let absent = is_absent(value);
        if plan.callback.is_some() == absent
            && self
                .anchor(key, value)
                .is_some_and(|anchor| aliased(self.text, anchor))
        {
            return Err(self.refuse(
                app,
                key,
                "its callback is anchored (`&`) for other entries to share: switching it between `absent` and a configuration here would switch theirs too; give this app its own callback",
            ));
        }
        match (&plan.callback, absent) {
            (None, true) => {}
            (None, false) => {
                let with = if is_flow(self.text, value) {
                    let range = value.span.offset()..self.end(value);
                    (range, "absent".to_owned())
                } else {
                    (key_end(key)..self.end(value), ": absent".to_owned())
                };
                self.edit(i, with.0, with.1);
            }
            (Some((url, commands)), true) => {
                let flow_item = is_flow(self.text, item);
                if flow_item {
                    let map = flow_callback(url, commands);
                    self.edit(i, span(value), map);
                } else {
                    let indent = self.indent_of(key) + 2;
                    let pad = " ".repeat(indent);
                    let mut block = format!("{pad}url: {}{}", writer::flow_scalar(url), self.eol);
                    if commands.is_empty() {
                        block.push_str(&format!("{pad}commands: []{}", self.eol));
                    } else {
                        block.push_str(&format!("{pad}commands:{}", self.eol));
                        for word in commands {
                            block.push_str(&format!(
                                "{pad}  - {}{}",
                                writer::flow_scalar(word),
                                self.eol
                            ));
                        }
                    }
                    let end = self.end(value);
                    self.edit(i, key_end(key)..end, ":".to_owned());
                    self.insert_lines(i, end, block);
                }
            }
            (Some((url, commands)), false) => {
                self.url(i, app, value, url)?;
                self.commands(i, app, value, commands)?;
            }
        }
        Ok(())
    }

    /// `allow_insecure_url`, `extra_commands` and a declared `token_auth`.
    fn keys(&mut self, i: usize, item: &Node, app: &App, plan: &Plan<'_>) -> Result<(), EditError> {
        if plan.allow_insecure_url {
            self.set_key(i, item, app, "allow_insecure_url", "true")?;
        }
        if let Some(policy) = plan.extra_commands {
            self.set_key(i, item, app, "extra_commands", policy.name())?;
        }
        if let Some(word) = plan.token_auth
            && get(item, "token_auth")
                .is_some_and(|(_, v)| !matches!(&v.value, Value::Str(s) if s == word))
        {
            self.set_key(i, item, app, "token_auth", word)?;
        }
        Ok(())
    }

    /// Give a key of the app's entry a value: in place, or as a new key (an explicit
    /// override of `defaults`, which stay as they are).
    fn set_key(
        &mut self,
        i: usize,
        item: &Node,
        app: &App,
        name: &str,
        value: &str,
    ) -> Result<(), EditError> {
        if let Some((key, node)) = get(item, name)
            && !replayed(key)
        {
            if !is_scalar(node) {
                return Err(self.refuse(app, node, &format!("`{name}` is not a plain value")));
            }
            self.edit(i, span(node), value.to_owned());
            return Ok(());
        }
        let Value::Map(entries) = &item.value else {
            return Ok(());
        };
        // Before `callback`, or before the second key: a key that starts its own line
        // in a block mapping (the first shares its line with the list's `- `).
        let at = entries
            .iter()
            .position(|(k, _)| matches!(&k.value, Value::Str(s) if s == "callback"))
            .filter(|&p| p > 0)
            .unwrap_or(1);
        let Some((before, _)) = entries.get(at).filter(|(k, _)| !replayed(k)) else {
            return Err(self.refuse(app, item, &format!("no place to add `{name}`")));
        };
        let start = self.line_start(before.span.offset());
        let prefix = &self.text[start..before.span.offset()];
        if !is_flow(self.text, item) && prefix.chars().all(|c| c == ' ') {
            let line = format!("{prefix}{name}: {value}{}", self.eol);
            self.edit(i, start..start, line);
        } else {
            let at = before.span.offset();
            self.edit(i, at..at, format!("{name}: {value}, "));
        }
        Ok(())
    }

    fn url(&mut self, i: usize, app: &App, callback: &Node, url: &str) -> Result<(), EditError> {
        let Some((key, node)) = get(callback, "url") else {
            return Ok(());
        };
        if replayed(key) {
            return if !matches!(&node.value, Value::Str(s) if s == url) {
                Err(self.refuse(app, key, "its callback URL comes from a merge key (`<<`): write it in this app's own callback"))
            } else {
                Ok(())
            };
        }
        if replayed(node) {
            let current = match self.written.get(&node.defined.offset()) {
                Some(EarlierEdit::Url(written)) => written.as_str(),
                _ => str_of(node).unwrap_or_default(),
            };
            if current != url {
                self.edit(i, span(node), writer::flow_scalar(url));
            }
            return Ok(());
        }
        if str_of(node) == Some(url) {
            return Ok(());
        }
        let original = &self.text[span(node)];
        let header = &self.text[key_end(key)..node.span.offset()];
        if header.contains(['|', '>']) {
            // A block scalar: its header goes with it. Its span runs on to the next
            // key's indentation; the line breaks after its last text stay.
            let end = node.span.offset() + original.trim_end().len();
            self.edit(
                i,
                key_end(key)..end,
                format!(": {}", writer::flow_scalar(url)),
            );
        } else {
            let in_flow = is_flow(self.text, callback);
            self.edit(i, span(node), styled(url, original, in_flow));
        }
        self.written
            .insert(node.span.offset(), EarlierEdit::Url(url.to_owned()));
        Ok(())
    }

    fn commands(
        &mut self,
        i: usize,
        app: &App,
        callback: &Node,
        live: &[&str],
    ) -> Result<(), EditError> {
        let Some((key, seq)) = get(callback, "commands") else {
            return Ok(());
        };
        let Value::Seq(items) = &seq.value else {
            return Ok(());
        };
        if replayed(key) {
            return if words(seq) != sorted(live) {
                Err(self.refuse(app, key, "its commands come from a merge key (`<<`): write them in this app's own callback"))
            } else {
                Ok(())
            };
        }
        if replayed(seq) {
            let current = match self.written.get(&seq.defined.offset()) {
                Some(EarlierEdit::Commands(written)) => written.clone(),
                _ => items.iter().filter_map(str_of).map(str::to_owned).collect(),
            };
            let current: Vec<&str> = current.iter().map(String::as_str).collect();
            if sorted(&current) != sorted(live) {
                let list = ordered(&current, live);
                self.edit(i, span(seq), flow_list(&list));
            }
            return Ok(());
        }
        let file: Vec<&str> = items.iter().filter_map(str_of).collect();
        if sorted(&file) == sorted(live) {
            return Ok(());
        }
        let list = ordered(&file, live);
        self.written.insert(
            seq.span.offset(),
            EarlierEdit::Commands(list.iter().map(|w| (*w).to_owned()).collect()),
        );
        let added: Vec<&str> = list.iter().filter(|w| !file.contains(w)).copied().collect();
        if is_flow(self.text, seq) || items.is_empty() {
            let kept: Vec<String> = items
                .iter()
                .filter(|n| str_of(n).is_some_and(|w| live.contains(&w)))
                .map(|n| self.text[span(n)].to_owned())
                .chain(added.iter().map(|w| writer::flow_scalar(w)))
                .collect();
            let range = seq.span.offset()..self.end(seq);
            self.edit(i, range, format!("[{}]", kept.join(", ")));
            return Ok(());
        }
        if list.is_empty() {
            let end = self.end(seq);
            let with = match self.anchor(key, seq) {
                Some(anchor) => format!(": {anchor} []"),
                None => ": []".to_owned(),
            };
            self.edit(i, key_end(key)..end, with);
            return Ok(());
        }
        let Some(first) = items.first() else {
            return Ok(());
        };
        let prefix_start = self.line_start(first.span.offset());
        let prefix = self.text[prefix_start..first.span.offset()].to_owned();
        if prefix.trim() != "-" {
            return Err(self.refuse(app, first, "its commands are not one `- word` a line"));
        }
        for item in items {
            if str_of(item).is_some_and(|w| live.contains(&w)) {
                continue;
            }
            let start = self.line_start(item.span.offset());
            let end = self.line_after(self.end(item));
            self.edit(i, start..end, String::new());
        }
        if !added.is_empty() {
            let lines: String = added
                .iter()
                .map(|w| format!("{prefix}{}{}", writer::flow_scalar(w), self.eol))
                .collect();
            let last = items.last().map_or(0, |n| self.end(n));
            self.insert_lines(i, last, lines);
        }
        Ok(())
    }

    /// Apps whose callback is an alias (`callback: *name`): an explicit flow mapping
    /// where what the anchor will hold is not what the app must have.
    fn through_aliases(&mut self, i: usize, item: &Node, plan: Option<&Plan<'_>>) {
        let Some(plan) = plan else {
            return;
        };
        if replayed(item) {
            return;
        }
        let Some((key, value)) = get(item, "callback") else {
            return;
        };
        if replayed(key) || !replayed(value) {
            return;
        }
        match &plan.callback {
            None if is_absent(value) => {}
            None => self.edit(i, span(value), "absent".to_owned()),
            Some((url, commands)) => {
                let url_now = get(value, "url").and_then(|(_, n)| {
                    match self.written.get(&n.defined.offset()) {
                        Some(EarlierEdit::Url(written)) => Some(written.clone()),
                        _ => str_of(n).map(str::to_owned),
                    }
                });
                let seq = get(value, "commands").map(|(_, n)| n);
                let commands_now: Vec<String> = match seq {
                    Some(n) => match self.written.get(&n.defined.offset()) {
                        Some(EarlierEdit::Commands(written)) => written.clone(),
                        _ => match &n.value {
                            Value::Seq(items) => {
                                items.iter().filter_map(str_of).map(str::to_owned).collect()
                            }
                            _ => Vec::new(),
                        },
                    },
                    None => Vec::new(),
                };
                let now: Vec<&str> = commands_now.iter().map(String::as_str).collect();
                if url_now.as_deref() != Some(*url) || sorted(&now) != sorted(commands) {
                    // The order the app read before the refresh.
                    let before: Vec<&str> = match seq.map(|n| &n.value) {
                        Some(Value::Seq(items)) => items.iter().filter_map(str_of).collect(),
                        _ => Vec::new(),
                    };
                    let list = ordered(&before, commands);
                    self.edit(i, span(value), flow_callback(url, &list));
                }
            }
        }
    }

    /// Whether an entry reached through an alias would have to change.
    fn app_differs(&self, item: &Node, plan: &Plan<'_>) -> bool {
        plan.allow_insecure_url
            || plan.extra_commands.is_some()
            || get(item, "callback").is_some_and(|(_, v)| self.callback_differs(v, plan))
    }

    fn callback_differs(&self, value: &Node, plan: &Plan<'_>) -> bool {
        match &plan.callback {
            None => !is_absent(value),
            Some((url, commands)) => {
                get(value, "url").and_then(|(_, n)| str_of(n)) != Some(*url)
                    || get(value, "commands").map(|(_, n)| words(n)) != Some(sorted(commands))
            }
        }
    }

    /// The anchor (`&name`) written between a key and its value, if any.
    fn anchor<'s>(&'s self, key: &Node, value: &Node) -> Option<&'s str> {
        let end = match &value.value {
            Value::Map(entries) if !is_flow(self.text, value) => entries.first().map(|(k, _)| k),
            Value::Seq(items) if !is_flow(self.text, value) => items.first(),
            _ => Some(value),
        }
        .map_or(value.span.offset(), |first| first.span.offset());
        let header = self.text.get(key_end(key)..end)?;
        header
            .lines()
            .map(|line| line.split(" #").next().unwrap_or(line))
            .flat_map(str::split_whitespace)
            .find(|token| token.starts_with('&'))
    }

    /// Lines inserted after the line holding `offset`.
    fn insert_lines(&mut self, i: usize, offset: usize, lines: String) {
        let at = self.line_after(offset);
        let missing_break = at == self.text.len() && !self.text.ends_with(['\n', '\r']);
        let lines = if missing_break {
            let trimmed = lines.strip_suffix(self.eol).unwrap_or(&lines);
            format!("{}{trimmed}", self.eol)
        } else {
            lines
        };
        self.edit(i, at..at, lines);
    }

    /// Where a value's text ends: after its last child, or its closing bracket.
    fn end(&self, node: &Node) -> usize {
        if replayed(node) || is_scalar(node) {
            return span(node).end;
        }
        if is_flow(self.text, node) {
            return closing(self.text, node.span.offset());
        }
        let children: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Map(entries) => entries.iter().flat_map(|(k, v)| [k, v]).collect(),
            _ => Vec::new(),
        };
        children
            .into_iter()
            .map(|n| self.end(n))
            .max()
            .unwrap_or(span(node).end)
    }

    fn line_start(&self, offset: usize) -> usize {
        self.lines.line(self.text, self.lines.line_of(offset)).start
    }

    /// The start of the line after the one holding `offset` (the text's end on the last).
    fn line_after(&self, offset: usize) -> usize {
        let end = self.lines.line(self.text, self.lines.line_of(offset)).end;
        let rest = &self.text[end..];
        end + if rest.starts_with("\r\n") {
            2
        } else if rest.starts_with(['\n', '\r']) {
            1
        } else {
            0
        }
    }

    /// The column of a key, counted in characters (the indentation its values take).
    fn indent_of(&self, key: &Node) -> usize {
        let start = self.line_start(key.span.offset());
        self.text[start..key.span.offset()].chars().count()
    }

    /// The edited text; the app of the first overlap otherwise.
    fn apply(mut self) -> Result<String, usize> {
        self.edits
            .sort_by_key(|(_, range, _)| (range.start, range.end));
        let mut out = String::with_capacity(self.text.len());
        let mut at = 0;
        for (app, range, with) in &self.edits {
            if range.start < at {
                return Err(*app);
            }
            out.push_str(&self.text[at..range.start]);
            out.push_str(with);
            at = range.end;
        }
        out.push_str(&self.text[at..]);
        Ok(out)
    }
}

/// Read the edited text back: every app must hold exactly what it was meant to. The
/// app that does not (the first changed one when the text does not parse).
fn check(edited: &str, plans: &[Option<Plan<'_>>], changed: &[bool]) -> Result<(), usize> {
    let first_changed = changed.iter().position(|c| *c).unwrap_or(0);
    let root = node::parse(edited).map_err(|_| first_changed)?;
    let items = app_items(&root).ok_or(first_changed)?;
    for (i, (item, plan)) in items.iter().zip(plans).enumerate() {
        let Some(plan) = plan else {
            continue;
        };
        let value_of = |name: &str| get(item, name).and_then(|(_, v)| str_of(v));
        let callback = get(item, "callback").map(|(_, v)| v);
        let ok = callback.is_some_and(|cb| match &plan.callback {
            None => is_absent(cb),
            Some((url, commands)) => {
                get(cb, "url").and_then(|(_, n)| str_of(n)) == Some(*url)
                    && get(cb, "commands").map(|(_, n)| words(n)) == Some(sorted(commands))
            }
        }) && (!plan.allow_insecure_url
            || get(item, "allow_insecure_url")
                .is_some_and(|(_, v)| matches!(v.value, Value::Bool(true))))
            && plan
                .extra_commands
                .is_none_or(|p| value_of("extra_commands") == Some(p.name()))
            && plan
                .token_auth
                .is_none_or(|word| value_of("token_auth") == Some(word));
        if !ok {
            return Err(i);
        }
    }
    Ok(())
}

/// Whether an alias (`*name`) of the anchor `&name` appears in the text.
fn aliased(text: &str, anchor: &str) -> bool {
    let alias = format!("*{}", &anchor[1..]);
    text.match_indices(&alias).any(|(at, _)| {
        text[at + alias.len()..]
            .chars()
            .next()
            .is_none_or(|c| c.is_whitespace() || matches!(c, ',' | ']' | '}'))
    })
}

/// The kept words in file order, then the new ones in live order.
fn ordered<'w>(file: &[&'w str], live: &[&'w str]) -> Vec<&'w str> {
    let mut list: Vec<&str> = Vec::with_capacity(live.len());
    for word in file.iter().chain(live) {
        if live.contains(word) && !list.contains(word) {
            list.push(word);
        }
    }
    list
}

fn sorted(words: &[&str]) -> Vec<String> {
    let mut words: Vec<String> = words.iter().map(|w| (*w).to_owned()).collect();
    words.sort();
    words.dedup();
    words
}

/// A sequence's string items, sorted and without repeats.
fn words(seq: &Node) -> Vec<String> {
    match &seq.value {
        Value::Seq(items) => sorted(&items.iter().filter_map(str_of).collect::<Vec<_>>()),
        _ => Vec::new(),
    }
}

fn flow_list(words: &[&str]) -> String {
    let items: Vec<String> = words.iter().map(|w| writer::flow_scalar(w)).collect();
    format!("[{}]", items.join(", "))
}

fn flow_callback(url: &str, commands: &[&str]) -> String {
    format!(
        "{{url: {}, commands: {}}}",
        writer::flow_scalar(url),
        flow_list(commands)
    )
}

/// The URL in the quoting style the old value used, where that style can hold it
/// (plain in a flow mapping cannot hold `,[]{}`).
fn styled(url: &str, original: &str, in_flow: bool) -> String {
    match original.chars().next() {
        Some('\'') if writer::single_quotable(url) => format!("'{}'", url.replace('\'', "''")),
        Some('"') => writer::double_quoted(url),
        _ if in_flow => writer::flow_scalar(url),
        _ => writer::scalar(url),
    }
}

fn get<'n>(map: &'n Node, key: &str) -> Option<&'n (Node, Node)> {
    match &map.value {
        Value::Map(entries) => entries
            .iter()
            .find(|(k, _)| matches!(&k.value, Value::Str(s) if s == key)),
        _ => None,
    }
}

fn str_of(node: &Node) -> Option<&str> {
    match &node.value {
        Value::Str(s) => Some(s),
        _ => None,
    }
}

fn is_absent(node: &Node) -> bool {
    str_of(node) == Some("absent")
}

fn is_scalar(node: &Node) -> bool {
    !matches!(node.value, Value::Seq(_) | Value::Map(_))
}

/// Read through an alias (or a merge key): its text is elsewhere.
fn replayed(node: &Node) -> bool {
    node.span != node.defined
}

/// A flow collection's span is its opening bracket; a block one's is empty.
fn is_flow(text: &str, node: &Node) -> bool {
    !is_scalar(node) && matches!(text.get(span(node)), Some("[" | "{"))
}

fn span(node: &Node) -> Range<usize> {
    node.span.offset()..node.span.offset() + node.span.len()
}

/// The end of a key's text (where its `:` follows).
fn key_end(key: &Node) -> usize {
    span(key).end
}

/// The offset after the bracket closing the one at `open`, skipping quoted scalars
/// and comments.
fn closing(text: &str, open: usize) -> usize {
    let bytes = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    while i < bytes.len() {
        match bytes[i] {
            b'[' | b'{' => depth += 1,
            b']' | b'}' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            b'\'' => {
                i += 1;
                while i < bytes.len() {
                    if bytes[i] == b'\'' {
                        if bytes.get(i + 1) == Some(&b'\'') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
            }
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    if bytes[i] == b'\\' {
                        i += 1;
                    }
                    i += 1;
                }
            }
            b'#' if i > 0 && matches!(bytes[i - 1], b' ' | b'\t' | b'\n' | b'\r') => {
                while i < bytes.len() && !matches!(bytes[i], b'\n' | b'\r') {
                    i += 1;
                }
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    text.len()
}

/// The file's line break, for the lines an edit adds.
fn line_ending(text: &str) -> &'static str {
    match text.find(['\n', '\r']) {
        Some(i) if text[i..].starts_with("\r\n") => "\r\n",
        Some(i) if text[i..].starts_with('\r') => "\r",
        _ => "\n",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::redact::Redaction;

    /// What live has for one app: `None` for 100301.
    type Live<'a> = Option<(&'a str, &'a [&'a str])>;

    fn refreshed(text: &str, live: &[Live<'_>]) -> Result<Refreshed, EditError> {
        let loaded = super::super::load_bytes(
            "t.yaml".to_owned(),
            text.as_bytes().to_vec(),
            &Redaction::default(),
        );
        let config = loaded
            .config
            .unwrap_or_else(|| panic!("valid: {:?}", loaded.diagnostics));
        let commands: Vec<Vec<String>> = live
            .iter()
            .map(|l| {
                l.map_or_else(Vec::new, |(_, c)| {
                    c.iter().map(|w| (*w).to_owned()).collect()
                })
            })
            .collect();
        let wants: Vec<Want<'_>> = live
            .iter()
            .zip(&commands)
            .map(|(l, commands)| match l {
                Some((url, _)) => Want::Present { url, commands },
                None => Want::Absent,
            })
            .collect();
        refresh(text, &config.apps, &wants)
    }

    fn edited(text: &str, live: &[Live<'_>]) -> String {
        refreshed(text, live)
            .unwrap_or_else(|err| panic!("{err:?}"))
            .text
    }

    const CREATE: &str = "Room.CallbackAfterCreateRoom";
    const DESTROY: &str = "Room.CallbackAfterDestroyRoom";
    const ENTER: &str = "Room.CallbackAfterMemberEnter";
    const LEAVE: &str = "Room.CallbackAfterMemberLeave";
    const WORDS: [&str; 5] = [
        CREATE,
        DESTROY,
        ENTER,
        LEAVE,
        "Mic.CallbackAfterSeatInfoChanged",
    ];

    fn one_app(callback: &str) -> String {
        format!(
            "version: 1\napps:\n  - sdkappid: 1400000001\n    region: seoul\n    identifier: ops\n    callback:{callback}"
        )
    }

    #[test]
    fn a_url_keeps_its_quoting_style_where_that_style_can_hold_it() {
        let cases = [
            // (file's url value, live url, written)
            (
                "https://a.example.com",
                "https://b.example.com/x",
                "https://b.example.com/x",
            ),
            (
                "'https://a.example.com'",
                "https://b.example.com/it's",
                "'https://b.example.com/it''s'",
            ),
            (
                "\"https://a.example.com\"",
                "https://b.example.com/\"q\"",
                "\"https://b.example.com/\\\"q\\\"\"",
            ),
            // Plain cannot hold ` #` or `: `; single quotes cannot hold a line break.
            (
                "https://a.example.com",
                "https://b.example.com/ #x",
                "\"https://b.example.com/ #x\"",
            ),
            (
                "https://a.example.com",
                "https://b.example.com/a: b",
                "\"https://b.example.com/a: b\"",
            ),
            // Flow indicators are plain text in a block mapping.
            (
                "https://a.example.com",
                "https://b.example.com/?x=[1,2]",
                "https://b.example.com/?x=[1,2]",
            ),
            (
                "'https://a.example.com'",
                "https://b.example.com/\n",
                "\"https://b.example.com/\\n\"",
            ),
        ];
        for (file, live, written) in cases {
            let text = one_app(&format!(
                "\n      url: {file}   # note\n      commands: [{CREATE}]\n"
            ));
            let out = edited(&text, &[Some((live, &[CREATE]))]);
            assert_eq!(
                out,
                text.replace(&format!("url: {file}"), &format!("url: {written}")),
                "{file} -> {live:?}"
            );
        }
    }

    #[test]
    fn a_block_scalar_url_becomes_a_one_line_scalar() {
        let text = one_app(&format!(
            "\n      url: |-\n        https://a.example.com\n      commands: [{CREATE}]\n"
        ));
        let out = edited(&text, &[Some(("https://b.example.com", &[CREATE]))]);
        assert_eq!(
            out,
            one_app(&format!(
                "\n      url: https://b.example.com\n      commands: [{CREATE}]\n"
            ))
        );
    }

    #[test]
    fn block_commands_keep_file_order_and_comments_and_new_ones_follow_in_live_order() {
        let text = one_app(&format!(
            "\n      url: https://a.example.com\n      commands:\n        # the events we need\n        - {CREATE}   # create\n        - {DESTROY}  # destroy\n        - {ENTER}\n"
        ));
        let out = edited(
            &text,
            &[Some(("https://a.example.com", &[LEAVE, ENTER, CREATE]))],
        );
        assert_eq!(
            out,
            one_app(&format!(
                "\n      url: https://a.example.com\n      commands:\n        # the events we need\n        - {CREATE}   # create\n        - {ENTER}\n        - {LEAVE}\n"
            ))
        );
        // Every command gone: an empty flow list, as a block list cannot be empty.
        let out = edited(&text, &[Some(("https://a.example.com", &[]))]);
        assert_eq!(
            out,
            one_app("\n      url: https://a.example.com\n      commands: []\n")
        );
    }

    #[test]
    fn flow_commands_are_rewritten_as_one_flow_list() {
        let text = one_app(&format!(
            "\n      url: https://a.example.com\n      commands: [ {CREATE},  '{DESTROY}' ]  # two\n"
        ));
        let out = edited(&text, &[Some(("https://a.example.com", &[ENTER, DESTROY]))]);
        assert_eq!(
            out,
            one_app(&format!(
                "\n      url: https://a.example.com\n      commands: ['{DESTROY}', {ENTER}]  # two\n"
            ))
        );
        let empty = one_app("\n      url: https://a.example.com\n      commands: []\n");
        let out = edited(&empty, &[Some(("https://a.example.com", &[CREATE]))]);
        assert_eq!(out, empty.replace("[]", &format!("[{CREATE}]")));
    }

    #[test]
    fn a_command_added_at_the_end_of_a_file_without_a_last_line_break() {
        let text = one_app(&format!(
            "\n      url: https://a.example.com\n      commands:\n        - {CREATE}"
        ));
        let out = edited(&text, &[Some(("https://a.example.com", &[CREATE, ENTER]))]);
        assert_eq!(out, format!("{text}\n        - {ENTER}"));
    }

    #[test]
    fn absent_and_present_trade_places_in_block_and_flow_entries() {
        let before = "version: 1\r\ndefaults: {region: seoul, identifier: ops}\r\napps:\r\n  - sdkappid: 1400000001\r\n    callback: absent  # off\r\n  - {sdkappid: 1400000002, callback: absent}\r\n  - sdkappid: 1400000003\r\n    callback:\r\n      url: https://a.example.com\r\n      commands: [Room.CallbackAfterCreateRoom]\r\n  - {sdkappid: 1400000004, callback: {url: https://a.example.com, commands: []}}\r\n";
        let after = "version: 1\r\ndefaults: {region: seoul, identifier: ops}\r\napps:\r\n  - sdkappid: 1400000001\r\n    callback:  # off\r\n      url: https://n.example.com\r\n      commands:\r\n        - Room.CallbackAfterMemberEnter\r\n  - {sdkappid: 1400000002, callback: {url: \"https://f.example.com/a,b\", commands: [Room.CallbackAfterMemberEnter]}}\r\n  - sdkappid: 1400000003\r\n    callback: absent\r\n  - {sdkappid: 1400000004, callback: absent}\r\n";
        // Added lines end as the file's do: CRLF, or a bare CR.
        for eol in ["\r\n", "\r"] {
            let out = edited(
                &before.replace("\r\n", eol),
                &[
                    Some(("https://n.example.com", &[ENTER])),
                    Some(("https://f.example.com/a,b", &[ENTER])),
                    None,
                    None,
                ],
            );
            assert_eq!(out, after.replace("\r\n", eol));
        }
    }

    #[test]
    fn keys_the_file_inherits_are_overridden_on_the_app_and_defaults_stay() {
        // An unknown live word needs `extra_commands: warn`; an http URL needs
        // `allow_insecure_url: true`; a declared `token_auth` follows live.
        let text = "version: 1\ndefaults:\n  region: seoul\n  identifier: ops\n  extra_commands: error\napps:\n  - sdkappid: 1400000001\n    callback:\n      url: https://a.example.com\n      commands: [Room.CallbackAfterCreateRoom]\n  - sdkappid: 1400000002\n    service: live\n    token_auth: disabled\n    extra_commands: error\n    callback: {url: https://a.example.com, commands: [Live.CallbackAfterCreateRoom]}\n";
        let loaded = super::super::load_bytes(
            "t.yaml".to_owned(),
            text.as_bytes().to_vec(),
            &Redaction::default(),
        );
        let mut apps = loaded.config.expect("valid").apps;
        apps[1].token_auth = Some(true);
        let first = vec![CREATE.to_owned(), "Room.CallbackFuture".to_owned()];
        let second = vec![
            "Live.CallbackAfterCreateRoom".to_owned(),
            "Live.Future".to_owned(),
        ];
        let wants = [
            Want::Present {
                url: "http://a.example.com",
                commands: &first,
            },
            Want::Present {
                url: "https://a.example.com",
                commands: &second,
            },
        ];
        let out = refresh(text, &apps, &wants).expect("refreshed");
        assert_eq!(
            out.text,
            "version: 1\ndefaults:\n  region: seoul\n  identifier: ops\n  extra_commands: error\napps:\n  - sdkappid: 1400000001\n    allow_insecure_url: true\n    extra_commands: warn\n    callback:\n      url: http://a.example.com\n      commands: [Room.CallbackAfterCreateRoom]\n  - sdkappid: 1400000002\n    service: live\n    token_auth: enabled\n    extra_commands: warn\n    callback: {url: https://a.example.com, commands: [Live.CallbackAfterCreateRoom]}\n"
        );
        assert_eq!(out.changed, 2);
    }

    #[test]
    fn a_key_added_to_a_flow_entry_over_several_lines_stays_inside_it() {
        let text = "version: 1\napps:\n  - {sdkappid: 1400000001, region: seoul, identifier: ops,\n     callback: {url: https://a.example.com, commands: []}}\n";
        let out = edited(text, &[Some(("http://a.example.com", &[]))]);
        assert_eq!(
            out,
            "version: 1\napps:\n  - {sdkappid: 1400000001, region: seoul, identifier: ops,\n     allow_insecure_url: true, callback: {url: http://a.example.com, commands: []}}\n"
        );
    }

    #[test]
    fn an_alias_gets_its_own_value_only_where_it_must_differ_from_its_anchor() {
        let text = format!(
            "version: 1\ndefaults: {{region: seoul, identifier: ops}}\napps:\n  - sdkappid: 1400000001\n    callback:\n      url: &hook https://a.example.com\n      commands: &events [{CREATE}]\n  - sdkappid: 1400000002\n    callback:\n      url: *hook\n      commands: *events\n  - sdkappid: 1400000003\n    callback:\n      url: *hook\n      commands: *events\n"
        );
        // The anchor's app moves; the second follows it; the third stays where it was.
        let out = edited(
            &text,
            &[
                Some(("https://b.example.com", &[ENTER])),
                Some(("https://b.example.com", &[ENTER])),
                Some(("https://a.example.com", &[CREATE])),
            ],
        );
        assert_eq!(
            out,
            format!(
                "version: 1\ndefaults: {{region: seoul, identifier: ops}}\napps:\n  - sdkappid: 1400000001\n    callback:\n      url: &hook https://b.example.com\n      commands: &events [{ENTER}]\n  - sdkappid: 1400000002\n    callback:\n      url: *hook\n      commands: *events\n  - sdkappid: 1400000003\n    callback:\n      url: https://a.example.com\n      commands: [{CREATE}]\n"
            )
        );
    }

    #[test]
    fn an_anchor_survives_its_list_emptying_and_a_shared_callback_is_not_switched() {
        let text = format!(
            "version: 1\ndefaults: {{region: seoul, identifier: ops}}\napps:\n  - sdkappid: 1400000001\n    callback: &cb\n      url: https://a.example.com\n      commands: &events  # shared\n        - {CREATE}\n  - sdkappid: 1400000002\n    callback:\n      url: https://b.example.com\n      commands: *events\n"
        );
        let out = edited(
            &text,
            &[
                Some(("https://a.example.com", &[])),
                Some(("https://b.example.com", &[CREATE])),
            ],
        );
        assert_eq!(
            out,
            format!(
                "version: 1\ndefaults: {{region: seoul, identifier: ops}}\napps:\n  - sdkappid: 1400000001\n    callback: &cb\n      url: https://a.example.com\n      commands: &events []\n  - sdkappid: 1400000002\n    callback:\n      url: https://b.example.com\n      commands: [{CREATE}]\n"
            )
        );
        // `&cb` is shared once an entry uses it: then it cannot become `absent` here.
        let own = text.replace("commands: *events", &format!("commands: [{CREATE}]"));
        let unused = refreshed(&own, &[None, Some(("https://b.example.com", &[CREATE]))])
            .expect("an anchor nobody uses is no obstacle");
        assert!(
            unused
                .text
                .contains("    callback: absent\n  - sdkappid: 1400000002")
        );
        let shared = format!("{own}  - sdkappid: 1400000003\n    callback: *cb\n");
        let err = refreshed(
            &shared,
            &[None, Some(("https://b.example.com", &[CREATE])), None],
        )
        .expect_err("refused");
        assert!(err.reason.contains("anchored"), "{err:?}");
        assert_eq!(err.line, 5);
    }

    #[test]
    fn a_value_from_a_merge_key_is_refused_naming_its_line() {
        let text = format!(
            "version: 1\ndefaults: {{region: seoul, identifier: ops}}\napps:\n  - sdkappid: 1400000001\n    callback: &cb\n      url: https://a.example.com\n      commands: [{CREATE}]\n  - sdkappid: 1400000002\n    <<: {{callback: *cb}}\n"
        );
        let loaded = super::super::load_bytes(
            "t.yaml".to_owned(),
            text.as_bytes().to_vec(),
            &Redaction::default(),
        );
        if loaded.config.is_none() {
            // The validator refuses `<<` as a key: nothing to refresh.
            return;
        }
        let err = refreshed(
            &text,
            &[
                Some(("https://a.example.com", &[CREATE])),
                Some(("https://b.example.com", &[CREATE])),
            ],
        )
        .expect_err("refused");
        assert!(err.reason.contains("merge key"), "{err:?}");
        assert_eq!(err.line, 9);
    }

    #[test]
    fn an_unchanged_file_is_returned_byte_for_byte() {
        let text = one_app(&format!(
            "  # why\n      url: 'https://a.example.com'\n      commands:\n        - {CREATE}\n"
        ));
        let out = refreshed(&text, &[Some(("https://a.example.com", &[CREATE]))]).expect("ok");
        assert_eq!(out.text, text);
        assert_eq!(out.changed, 0);
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Any file list against any live list, block or flow: the words read back
            /// as live's, the kept ones in file order and the new ones after them in
            /// live order, and no line outside the list moves.
            #[test]
            fn any_commands_read_back_in_file_then_live_order(
                file in proptest::sample::subsequence(WORDS.to_vec(), 1..=WORDS.len()).prop_shuffle(),
                live in proptest::sample::subsequence(WORDS.to_vec(), 0..=WORDS.len()).prop_shuffle(),
                flow in any::<bool>(),
            ) {
                let list = if flow {
                    format!(" [{}]  # flow\n", file.join(", "))
                } else {
                    file.iter().map(|w| format!("\n        - {w}  # why")).collect::<String>() + "\n"
                };
                let head = "version: 1\napps:\n  - sdkappid: 1400000001\n    region: seoul\n    identifier: ops\n    callback:\n      url: https://a.example.com\n      commands:";
                let tail = "  - sdkappid: 1400000002  # next\n    region: seoul\n    identifier: ops\n    callback: absent\n";
                let text = format!("{head}{list}{tail}");
                let out = refreshed(&text, &[Some(("https://a.example.com", &live)), None]).expect("refreshed").text;
                prop_assert!(out.starts_with(head) && out.ends_with(tail), "{}", out);
                let root = node::parse(&out).expect("parses");
                let items = app_items(&root).expect("apps");
                let callback = &get(&items[0], "callback").expect("callback").1;
                let read: Vec<&str> = match &get(callback, "commands").expect("commands").1.value {
                    Value::Seq(items) => items.iter().filter_map(str_of).collect(),
                    other => panic!("{other:?}"),
                };
                let expected: Vec<&str> = file
                    .iter()
                    .filter(|w| live.contains(w))
                    .chain(live.iter().filter(|w| !file.contains(w)))
                    .copied()
                    .collect();
                prop_assert_eq!(read, expected);
            }

            /// Any live URL, written over any style of scalar, reads back as itself,
            /// and every other line stays as it was.
            #[test]
            fn any_url_reads_back_and_nothing_else_moves(
                url in "(https://[a-z.]{1,8}/)?[\\PC\\p{Cc}\\u{2028}\\u{2029}\\u{feff} #:'\"\\[\\]{},|>&*!%@`\\\\-]{0,24}",
                style in 0..5usize,
            ) {
                let old = ["https://a.example.com", "'https://a.example.com'", "\"https://a.example.com\"", "|-\n        https://a.example.com", "https://a.example.com"][style];
                let comment = if style == 3 { "" } else { "  # old" };
                let text = if style == 4 {
                    format!("version: 1\napps:\n  - {{sdkappid: 1400000001, region: seoul, identifier: ops, callback: {{url: {old}, commands: [{CREATE}]}}}}\n  - sdkappid: 1400000002  # next\n    region: seoul\n    identifier: ops\n    callback: absent\n")
                } else {
                    format!("version: 1\napps:\n  - sdkappid: 1400000001  # first\n    region: seoul\n    identifier: ops\n    callback:\n      url: {old}{comment}\n      commands: [{CREATE}]\n  - sdkappid: 1400000002  # next\n    region: seoul\n    identifier: ops\n    callback: absent\n")
                };
                let out = refreshed(&text, &[Some((&url, &[CREATE])), None]).expect("refreshed").text;
                let root = node::parse(&out).expect("parses");
                let items = app_items(&root).expect("apps");
                let callback = &get(&items[0], "callback").expect("callback").1;
                prop_assert_eq!(get(callback, "url").and_then(|(_, n)| str_of(n)), Some(url.as_str()));
                let url_line = text.lines().position(|l| l.contains("url:")).expect("url line");
                let before: Vec<&str> = text.lines().collect();
                let after: Vec<&str> = out.lines().collect();
                let skip = if style == 3 { 2 } else { 1 };
                prop_assert_eq!(&before[..url_line], &after[..url_line]);
                prop_assert_eq!(&before[url_line + skip..], &after[after.len() - (before.len() - url_line - skip)..]);
            }
        }
    }
}
