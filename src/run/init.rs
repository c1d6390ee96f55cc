//! `cbcheck init`: write a commented starter callbacks file.

use std::path::Path;

use super::Outcome;
use super::error::Error;
use super::input::NewFile;
use crate::config::{STARTER, STDIN};
use crate::report;
use crate::report::human::{self, Stderr};

pub(super) fn init(stderr: &Stderr, file: &Path, force: bool) -> Result<Outcome, Error> {
    if file.as_os_str() == STDIN {
        report::print_stdout(STARTER)?;
        return Ok(Outcome::Clean);
    }
    let who = NewFile {
        command: "init",
        help: "give another FILE, `-` to print the starter file, or --force to replace it",
    };
    super::input::refuse_existing(file, force, &who)?;
    if force {
        report::write_file_atomically(file, STARTER)?;
    } else {
        report::write_new_file(file, STARTER)?;
    }
    stderr.say(&human::init_written(&file.display().to_string()));
    Ok(Outcome::Clean)
}
