//! What the integration tests share: running the real binary in a scratch
//! directory (`cmd`), the vendor's replies and one fake vendor (`vendor`),
//! certificates (`tls`), what no output may carry (`text`), reading metrics
//! (`prometheus`), fixture files, and loading a file in-process.
//!
//! A test that runs the binary reads:
//!
//! ```ignore
//! let vendor = Vendor::start();
//! vendor.room(1400000001, "https://hooks.example.com/cb", &[A]);
//! let dir = workdir("in-sync").with("callbacks.yaml", fixture("two-apps.yaml"));
//! dir.cbcheck().args(["verify", "callbacks.yaml"]).endpoint(&vendor).key(KEY).run().code(0);
//! assert_eq!(vendor.requests()[0].interface(), "get_callback");
//! ```

pub mod cmd;
pub mod prometheus;
pub mod text;
pub mod tls;
pub mod usersig;
pub mod vendor;

pub use cmd::{Cmd, Out, Workdir, names, workdir};

/// The report format version every machine format carries (docs/versioning.md).
pub const REPORT_VERSION: u32 = 3;

use cbcheck::testing::{Loaded, Renderer, Style, lint_report, load_bytes};

/// Lint YAML text as if it were the file `callbacks.yaml`.
pub fn load(yaml: &str) -> Loaded {
    load_bytes(
        "callbacks.yaml".to_owned(),
        yaml.as_bytes().to_vec(),
        &cbcheck::testing::Redaction::default(),
    )
}

/// Every diagnostic as `(code, 1-based line)`, in report order.
pub fn codes_and_lines(loaded: &Loaded) -> Vec<(&'static str, usize)> {
    loaded
        .diagnostics
        .iter()
        .map(|d| (d.rule.code(), d.line_col().map_or(0, |(line, _)| line)))
        .collect()
}

/// What `cbcheck lint` prints for the file: no colour, fixed width.
pub fn rendered(loaded: &Loaded) -> String {
    lint_report(&Renderer::new(Style::plain()), loaded)
}

/// `one-app.yaml` with its app named `name` (as YAML text) and `extra` lines (each
/// indented four spaces) before its callback.
pub fn one_app(name: &str, extra: &str) -> String {
    fixture("one-app.yaml")
        .replace("  - name: prod\n", &format!("  - name: {name}\n"))
        .replace("    callback:\n", &format!("{extra}    callback:\n"))
}

/// The repository root, for examples/ and schemas/.
pub fn repo_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(relative)
}

/// The text of `tests/fixtures/<name>`.
pub fn fixture(name: &str) -> String {
    cmd::read(&repo_path("tests/fixtures").join(name))
}
