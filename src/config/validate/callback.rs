//! An app's `callback`: `absent`, or the URL the vendor posts events to (with its
//! `${NAME}` placeholders) and the command words of the service's catalog.

use miette::SourceSpan;
use url::Url;

use super::{CALLBACK_KEYS, Path, Validator};
use crate::config::diagnostic::{ConfigDiagnostic, Rule};
use crate::config::node::{Node, Value};
use crate::config::placeholders;
use crate::config::{DeclaredCommand, DesiredCallback};
use crate::model::ServiceName;
use crate::model::catalog;

impl Validator<'_> {
    pub(super) fn callback(
        &mut self,
        path: Path<'_>,
        node: &Node,
        allow_insecure_url: bool,
        service: ServiceName,
    ) -> Option<DesiredCallback> {
        if let Value::Str(word) = &node.value {
            let help = if catalog::suggest(word, ["absent"]).is_some() {
                "did you mean `absent`?"
            } else {
                "give `url` and `commands`, or write `callback: absent` for an app that must have none"
            };
            self.wrong_type(
                path,
                "a mapping with `url` and `commands`, or `absent`",
                node,
                Some(help),
            );
            return None;
        }
        let fields = self.fields(node, path, CALLBACK_KEYS)?;
        let url = match fields.get("url") {
            Some((_, value)) => self.callback_url(path.key("url"), value, allow_insecure_url),
            None => {
                self.missing(
                    &fields,
                    path.key("url"),
                    "add `url:` with the https URL the vendor must post events to",
                );
                None
            }
        };
        let commands = match fields.get("commands") {
            Some((key, value)) => self
                .commands(path.key("commands"), key, value, service)
                .map(|commands| (commands, key.span)),
            None => {
                self.missing(
                    &fields,
                    path.key("commands"),
                    format!(
                        "add `commands:` with the events to deliver, e.g. `- {}`",
                        service.row().commands[0]
                    ),
                );
                None
            }
        };
        let (url, url_span) = url?;
        let (commands, commands_key) = commands?;
        Some(DesiredCallback {
            written: url.clone(),
            url,
            commands,
            url_span,
            commands_key,
        })
    }

    fn callback_url(
        &mut self,
        path: Path<'_>,
        node: &Node,
        allow_insecure: bool,
    ) -> Option<(String, SourceSpan)> {
        let text = self.string(path, node)?;
        self.urls.insert(node.defined.offset());
        let shape = match placeholders::url_shape(self.text, path, node, text) {
            Ok(shape) => shape,
            Err(d) => {
                self.push(d);
                return None;
            }
        };
        self.placeholders
            .extend(placeholders::in_url(self.text, path, node, text));
        let problem = match Url::parse(&shape) {
            Ok(url) if url.scheme() == "https" && url.host().is_some() => {
                return Some((text.to_owned(), node.span));
            }
            Ok(url) if url.scheme() == "http" && url.host().is_some() => {
                let d = if allow_insecure {
                    ConfigDiagnostic::warning(
                        Rule::InsecureUrl,
                        format!("`{path}` is plain http (allowed by `allow_insecure_url`)"),
                    )
                    .help("events, and any token in the URL, cross the network unencrypted: move the endpoint to https")
                } else {
                    ConfigDiagnostic::error(Rule::InsecureUrl, format!("`{path}` is plain http"))
                        .help("use an https URL; if plain http is truly intended, set `allow_insecure_url: true` on this app")
                };
                self.push(d.primary(node.span, "not https"));
                return allow_insecure.then(|| (text.to_owned(), node.span));
            }
            Ok(url) if url.host().is_none() => "it has no host".to_owned(),
            Ok(url) => format!("the scheme `{}` is not http or https", url.scheme()),
            Err(err) => format!("it does not parse as a URL ({err})"),
        };
        self.push(
            ConfigDiagnostic::error(
                Rule::InvalidUrl,
                format!("`{path}` is not a valid callback URL: {problem}"),
            )
            .primary(node.span, "invalid URL")
            .help("give an absolute https URL, e.g. `https://hooks.example.com/tencent/room`"),
        );
        None
    }

    fn commands(
        &mut self,
        path: Path<'_>,
        key: &Node,
        node: &Node,
        service: ServiceName,
    ) -> Option<Vec<DeclaredCommand>> {
        let Value::Seq(items) = &node.value else {
            self.wrong_type(
                path,
                "a list of command words",
                node,
                Some("list one command per line, each starting with `- `"),
            );
            return None;
        };
        if items.is_empty() {
            self.push(
                ConfigDiagnostic::warning(Rule::EmptyCommands, format!("`{path}` is empty"))
                    .primary(key.span, "no events will be delivered")
                    .help("list the events the service needs; an app that needs none should not declare a callback URL"),
            );
        }
        let mut declared: Vec<DeclaredCommand> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (index, item) in items.iter().enumerate() {
            let Some(word) = self.string(path.item(index), item) else {
                ok = false;
                continue;
            };
            if !catalog::is_known(service, word) && !self.declares(service, word) {
                self.unknown_command(word, item.span, service);
                ok = false;
                continue;
            }
            if let Some(first) = declared.iter().find(|d| d.word == word) {
                self.push(
                    ConfigDiagnostic::warning(
                        Rule::DuplicateCommand,
                        format!("`{word}` is listed twice"),
                    )
                    .label(first.span, "first listed here")
                    .primary(item.span, "listed again here")
                    .help("remove the second entry"),
                );
                continue;
            }
            declared.push(DeclaredCommand {
                word: word.to_owned(),
                span: item.span,
            });
        }
        ok.then_some(declared)
    }

    fn unknown_command(&mut self, word: &str, span: SourceSpan, service: ServiceName) {
        let d = ConfigDiagnostic::error(
            Rule::UnknownCommand,
            format!("unknown callback command `{word}`"),
        );
        let known = service.row().commands;
        let title = service.title();
        let declare = format!(
            "declare it at the top level: `known_commands:` with `{}: [{word}]`",
            service.name()
        );
        let d = if let Some(other) = catalog::sibling_service(service, word) {
            d.primary(span, format!("not a {title} command")).help(format!(
                "`{word}` belongs to the sibling service {} ({}…); this entry configures {}: declare it in an entry with `service: {}`",
                other.name(),
                other.row().get.trim_end_matches("get_callback"),
                service.row().get.trim_end_matches("/get_callback"),
                other.name(),
            ))
        } else if let Some(near) = catalog::suggest_command(service, word) {
            d.primary(span, format!("did you mean `{near}`?"))
                .help(format!("replace it with `{near}`"))
        } else {
            d.primary(span, format!("not in cbcheck's {title} catalog"))
                .help(format!(
                    "if the vendor added `{word}` since this cbcheck was released, {declare}; the {title} words cbcheck knows: {}",
                    known.join(", ")
                ))
        };
        self.push(d);
    }
}
