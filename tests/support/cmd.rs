//! Running the real binary: a scratch directory with its files, then a command
//! built up with arguments, environment and stdin, and what it did.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::vendor::Vendor;

/// The environment variable the secret key is read from.
pub const SECRET_KEY: &str = "CBCHECK_SECRET_KEY";

/// A fresh, empty scratch directory `<target tmp>/<test file>/<name>`: paths in the
/// output are stable, and a name is unique within its test file.
#[track_caller]
pub fn workdir(name: &str) -> Workdir {
    let file = std::panic::Location::caller().file();
    let module = Path::new(file)
        .file_stem()
        .and_then(|stem| stem.to_str())
        .unwrap_or("tests");
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(module)
        .join(name);
    let _ = std::fs::remove_dir_all(&path);
    std::fs::create_dir_all(&path).expect("scratch dir");
    Workdir { path }
}

/// A scratch directory (see [`workdir`]); derefs to its path.
#[derive(Debug, Clone)]
pub struct Workdir {
    path: PathBuf,
}

impl Workdir {
    /// Writes `name` (parents created) and hands the directory back.
    #[must_use]
    pub fn with(self, name: &str, contents: impl AsRef<[u8]>) -> Workdir {
        self.write(name, contents);
        self
    }

    /// Writes `name` (parents created).
    pub fn write(&self, name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let path = self.path.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dir");
        }
        std::fs::write(&path, contents).expect("scratch file");
        path
    }

    /// The text of `name`; panics when it is missing.
    pub fn read(&self, name: &str) -> String {
        read(&self.path.join(name))
    }

    /// `cbcheck` run in this directory.
    pub fn cbcheck(&self) -> Cmd {
        Cmd::new().current_dir(&self.path)
    }
}

impl std::ops::Deref for Workdir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.path
    }
}

impl AsRef<Path> for Workdir {
    fn as_ref(&self) -> &Path {
        &self.path
    }
}

/// The text of a file; panics when it is missing.
pub fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The names in `dir`, sorted (to show that nothing was left behind).
pub fn names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// One run of the real binary, built up before it runs.
pub struct Cmd {
    cmd: assert_cmd::Command,
    hidden: Vec<String>,
}

impl Cmd {
    /// The built `cbcheck` binary, with a stable environment: no colour, narration or
    /// step summary inherited from the developer's shell or the CI job.
    pub fn new() -> Cmd {
        let mut cmd = assert_cmd::Command::new(env!("CARGO_BIN_EXE_cbcheck"));
        for name in [
            "NO_COLOR",
            "NO_GRAPHICS",
            "CLICOLOR_FORCE",
            "GITHUB_STEP_SUMMARY",
        ] {
            cmd.env_remove(name);
        }
        Cmd {
            cmd,
            hidden: Vec::new(),
        }
    }

    #[must_use]
    pub fn current_dir(mut self, dir: &Path) -> Cmd {
        self.cmd.current_dir(dir);
        self
    }

    #[must_use]
    pub fn arg(mut self, arg: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.cmd.arg(arg);
        self
    }

    #[must_use]
    pub fn args<I, S>(mut self, args: I) -> Cmd
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.cmd.args(args);
        self
    }

    #[must_use]
    pub fn env(mut self, name: &str, value: impl AsRef<std::ffi::OsStr>) -> Cmd {
        self.cmd.env(name, value);
        self
    }

    /// Every `(name, value)` of `vars`.
    #[must_use]
    pub fn envs(mut self, vars: &[(&str, &str)]) -> Cmd {
        for (name, value) in vars {
            self.cmd.env(name, value);
        }
        self
    }

    #[must_use]
    pub fn env_remove(mut self, name: &str) -> Cmd {
        self.cmd.env_remove(name);
        self
    }

    /// `CBCHECK_SECRET_KEY=key`, and the key must not appear in the output.
    #[must_use]
    pub fn key(self, key: &str) -> Cmd {
        let shown = key.get(..16).unwrap_or(key).to_owned();
        self.env(SECRET_KEY, key).hides(&shown)
    }

    /// `--endpoint <the fake vendor>`.
    #[must_use]
    pub fn endpoint(self, vendor: &Vendor) -> Cmd {
        self.args(["--endpoint", &vendor.uri()])
    }

    /// What the binary reads on stdin.
    #[must_use]
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> Cmd {
        self.cmd.write_stdin(bytes);
        self
    }

    /// Text that must appear neither on stdout nor on stderr (checked by `run`).
    #[must_use]
    pub fn hides(mut self, secret: &str) -> Cmd {
        self.hidden.push(secret.to_owned());
        self
    }

    /// Runs to the end (blocking; the fake vendor serves from its own thread).
    pub fn run(mut self) -> Out {
        let started = Instant::now();
        let output = self.cmd.output().expect("cbcheck runs");
        let out = Out {
            code: output.status.code(),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            took: started.elapsed(),
            output,
        };
        for secret in &self.hidden {
            for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
                assert!(
                    !text.contains(secret.as_str()),
                    "{stream} shows {secret:?}:\n{text}"
                );
            }
        }
        out
    }

    /// `run` off an async test's runtime.
    pub async fn run_async(self) -> Out {
        tokio::task::spawn_blocking(move || self.run())
            .await
            .expect("joins")
    }
}

impl Default for Cmd {
    fn default() -> Cmd {
        Cmd::new()
    }
}

/// What one run did.
#[derive(Debug)]
pub struct Out {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The raw output, for bytes that are not UTF-8.
    pub output: Output,
    pub took: Duration,
}

impl Out {
    /// Asserts the exit code, showing both streams when it is not `code`.
    #[track_caller]
    pub fn code(&self, code: i32) -> &Out {
        assert_eq!(
            self.code,
            Some(code),
            "exit code\n--- stdout\n{}\n--- stderr\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_has(&self, text: &str) -> &Out {
        assert!(
            self.stdout.contains(text),
            "stdout lacks {text:?}:\n{}",
            self.stdout
        );
        self
    }

    #[track_caller]
    pub fn stderr_has(&self, text: &str) -> &Out {
        assert!(
            self.stderr.contains(text),
            "stderr lacks {text:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stderr_lacks(&self, text: &str) -> &Out {
        assert!(
            !self.stderr.contains(text),
            "stderr shows {text:?}:\n{}",
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn stdout_is(&self, text: &str) -> &Out {
        assert_eq!(self.stdout, text, "stdout");
        self
    }

    #[track_caller]
    pub fn stderr_is(&self, text: &str) -> &Out {
        assert_eq!(self.stderr, text, "stderr");
        self
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn stdout_json(&self) -> Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", self.stdout))
    }
}
