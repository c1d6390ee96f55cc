//! The edits one app's entry needs, value by value: a key set or added, the callback
//! switched between `absent` and a configuration, its URL rewritten, its command list
//! trimmed and extended; and the layouts refused (merge keys, shared anchors).

use super::EditError;
use super::editor::{EarlierEdit, Editor, flow_callback, flow_list, styled};
use super::plan::{Plan, app_differs, callback_differs, ordered, sorted, words};
use super::yaml::{aliased, get, is_absent, is_flow, is_scalar, key_end, replayed, span, str_of};
use crate::config::App;
use crate::config::node::{Node, Value};
use crate::config::writer;

impl Editor<'_> {
    /// The edits to values written in the app's own entry (not through an alias).
    pub(super) fn direct(
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
            return if app_differs(item, plan) {
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
            return if callback_differs(value, plan) {
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
    pub(super) fn through_aliases(&mut self, i: usize, item: &Node, plan: Option<&Plan<'_>>) {
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
}
