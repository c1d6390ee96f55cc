//! The committed man pages (docs/man/) are generated from the clap definitions, so they
//! cannot fall behind `--help`. `clap_mangen` is a dev-dependency only: it adds nothing
//! to the shipped binary.

use clap::CommandFactory;

use crate::support::repo_path;

const UPDATE: &str = "CBCHECK_UPDATE_MAN";

/// `cbcheck.1`, then `cbcheck-<command>.1` for each visible subcommand, as
/// `clap_mangen::generate_to` names them (without the `help` subcommand).
fn pages() -> Vec<(String, Vec<u8>)> {
    let mut root = cbcheck::cli::Cli::command().disable_help_subcommand(true);
    root.build();
    let mut pages = Vec::new();
    for command in std::iter::once(root.clone())
        .chain(root.get_subcommands().filter(|s| !s.is_hide_set()).cloned())
    {
        let man =
            clap_mangen::Man::new(command).source(format!("cbcheck {}", env!("CARGO_PKG_VERSION")));
        let mut page = Vec::new();
        man.render(&mut page).expect("renders into memory");
        pages.push((man.get_filename(), page));
    }
    pages
}

#[test]
fn committed_man_pages_are_not_stale() {
    let dir = repo_path("docs/man");
    let pages = pages();
    if std::env::var_os(UPDATE).is_some() {
        std::fs::create_dir_all(&dir).expect("docs/man can be created");
        for (name, page) in &pages {
            std::fs::write(dir.join(name), page).expect("docs/man is writable");
        }
    }
    let hint = format!("run `{UPDATE}=1 cargo test --locked man_pages` and commit docs/man");
    for (name, page) in &pages {
        let committed = std::fs::read(dir.join(name))
            .unwrap_or_else(|_| panic!("docs/man/{name} is not committed: {hint}"));
        assert!(committed == *page, "docs/man/{name} is stale: {hint}");
    }
    let mut committed: Vec<String> = std::fs::read_dir(&dir)
        .expect("docs/man exists")
        .map(|entry| {
            entry
                .expect("readable")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    committed.sort();
    let mut expected: Vec<String> = pages.into_iter().map(|(name, _)| name).collect();
    expected.sort();
    assert_eq!(
        committed, expected,
        "docs/man holds a page for a command that no longer exists"
    );
}
