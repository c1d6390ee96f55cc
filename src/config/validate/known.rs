//! `known_commands`: command words a file declares for a service because the vendor
//! has them and this cbcheck's catalog does not yet. They are accepted and compared
//! like the catalog's; one notice names them, so they are not forgotten once a
//! release knows them.

use miette::SourceSpan;

use super::{KNOWN_COMMANDS_KEYS, Path, Validator};
use crate::config::diagnostic::{ConfigDiagnostic, Rule};
use crate::config::node::{Node, Value};
use crate::model::ServiceName;
use crate::model::catalog;

impl Validator<'_> {
    /// Read `known_commands` (its key node and its value) into the validator's list.
    pub(super) fn known_commands(&mut self, key: &Node, node: &Node) {
        let Some(fields) = self.fields(node, Path::Named("known_commands"), KNOWN_COMMANDS_KEYS)
        else {
            return;
        };
        let mut declared: Vec<(ServiceName, String)> = Vec::new();
        for (name, (_, value)) in &fields.found {
            let Some(service) = ServiceName::from_name(name) else {
                continue;
            };
            let known = Path::Named("known_commands");
            let path = known.key(name);
            let Value::Seq(items) = &value.value else {
                self.wrong_type(
                    path,
                    "a list of command words",
                    value,
                    Some("list one word per line, each starting with `- `"),
                );
                continue;
            };
            let mut spans: Vec<(&str, SourceSpan)> = Vec::new();
            for (index, item) in items.iter().enumerate() {
                let Some(word) = self.string(path.item(index), item) else {
                    continue;
                };
                if let Some((_, first)) = spans.iter().find(|(w, _)| *w == word) {
                    let first = *first;
                    self.push(
                        ConfigDiagnostic::warning(
                            Rule::DuplicateCommand,
                            format!("`{word}` is listed twice"),
                        )
                        .label(first, "first listed here")
                        .primary(item.span, "listed again here")
                        .help("remove the second entry"),
                    );
                    continue;
                }
                spans.push((word, item.span));
                self.known_word(service, path, word, item.span, &mut declared);
            }
        }
        if !declared.is_empty() {
            let words: Vec<String> = declared
                .iter()
                .map(|(service, word)| format!("`{word}` ({})", service.name()))
                .collect();
            self.push(
                ConfigDiagnostic::notice(
                    Rule::DeclaredCommands,
                    format!(
                        "`known_commands` declares {} not in cbcheck's catalog: {}",
                        if declared.len() == 1 { "a word" } else { "words" },
                        words.join(", ")
                    ),
                )
                .primary(key.span, "accepted and compared like the catalog's words")
                .help("once a cbcheck release knows them, lint warns and they can be removed from `known_commands`"),
            );
        }
        self.known_commands = declared;
    }

    fn known_word(
        &mut self,
        service: ServiceName,
        path: Path<'_>,
        word: &str,
        span: SourceSpan,
        declared: &mut Vec<(ServiceName, String)>,
    ) {
        if catalog::is_known(service, word) {
            self.push(
                ConfigDiagnostic::warning(
                    Rule::CatalogedCommand,
                    format!(
                        "`{word}` is in cbcheck's {} catalog already",
                        service.title()
                    ),
                )
                .primary(span, "known without this declaration")
                .help(format!("remove it from `{path}`")),
            );
            return;
        }
        if !catalog::is_word_shaped(word) {
            self.push(
                ConfigDiagnostic::error(
                    Rule::InvalidValue,
                    format!("`{word}` in `{path}` is not shaped like a command word"),
                )
                .primary(span, "expected `Service.CallbackEvent`")
                .help(format!(
                    "a command word is a prefix, a dot and `Callback…`, letters and digits only, e.g. `{}`",
                    service.row().commands[0]
                )),
            );
            return;
        }
        declared.push((service, word.to_owned()));
    }

    /// Whether `known_commands` declares `word` for `service`.
    pub(super) fn declares(&self, service: ServiceName, word: &str) -> bool {
        self.known_commands
            .iter()
            .any(|(s, w)| *s == service && w == word)
    }

    /// The words `known_commands` declares for `service`, for its apps.
    pub(super) fn declared_for(&self, service: ServiceName) -> Vec<String> {
        self.known_commands
            .iter()
            .filter(|(s, _)| *s == service)
            .map(|(_, w)| w.clone())
            .collect()
    }
}
