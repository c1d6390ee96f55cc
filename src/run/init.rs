//! `cbcheck init`: write a commented starter callbacks file.

use std::path::Path;

use super::Outcome;
use super::output::stdout_outcome;
use crate::config::{STARTER, STDIN};
use crate::report::human::{self, Renderer};
use crate::report::{self, Style};

pub(super) fn init(style: Style, file: &Path, force: bool) -> Outcome {
    if file.as_os_str() == STDIN {
        return stdout_outcome(style, STARTER);
    }
    if !force && std::fs::symlink_metadata(file).is_ok() {
        let err = super::input::InputError::Exists {
            path: file.display().to_string(),
        };
        return super::error::fail(&Renderer::new(style), err, "");
    }
    let written = if force {
        report::write_file_atomically(file, STARTER)
    } else {
        report::write_new_file(file, STARTER)
    };
    match written {
        Ok(()) => {
            human::eprint(&human::init_written(&file.display().to_string()));
            Outcome::Clean
        }
        Err(err) => super::error::fail(&Renderer::new(style), err, ""),
    }
}
