//! Where a report or exported file goes. A regular file (or none yet) is replaced
//! whole; a pipe, a character device or one of the run's own descriptors
//! (`/dev/stdout`, `/dev/fd/N`, `/proc/self/fd/N`) is written into, as a shell's `>`
//! would; anything else is refused. A device, pipe or descriptor is never replaced by a
//! file: as root, a rename over `/dev/null` would leave a world-readable file there.

use std::path::{Path, PathBuf};

/// How a path is written.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(not(unix), allow(dead_code))] // elsewhere every path is a file to replace
pub(super) enum Destination {
    /// A regular file, none yet, or a symlink that is to be replaced: through a
    /// temporary file and a rename.
    Replace,
    /// The run's standard output.
    Stdout,
    /// The run's standard error.
    Stderr,
    /// A FIFO or a character device: opened and written into.
    Stream(PathBuf),
    /// Another descriptor of the run: opened for appending and written into.
    Descriptor(PathBuf),
}

/// Why a path is not written.
#[derive(Debug)]
#[cfg_attr(not(unix), allow(dead_code))]
pub(super) struct Refusal {
    pub reason: String,
    pub help: &'static str,
}

/// What writing `path` means. `follow`: a symlink at the path is followed to the file
/// it points at (exported files kept elsewhere); otherwise it is replaced by the new
/// file (reports: a committed link must not aim a report at another file). A link to
/// one of the run's descriptors is written through either way: replacing `/dev/stdout`
/// would break the machine, and writing there sends the text nowhere but to the run's
/// own output.
///
/// Only stdout and stderr are reached through a link of one's own (one outside `/dev`
/// and `/proc`, say committed in a pull request); a report path linked to any other
/// descriptor is a link like any other. Opening `/proc/self/fd/0` opens the file the
/// shell gave as stdin anew, for writing even when the shell opened it read-only.
#[cfg(unix)]
pub(super) fn of(path: &Path, follow: bool) -> Result<Destination, Refusal> {
    use std::os::unix::fs::FileTypeExt;
    match descriptor(path) {
        Some(found) if found.own_link && !follow && !matches!(found.number, 1 | 2) => {}
        Some(Found {
            owner: Owner::Run,
            number,
            path: link,
            ..
        }) => {
            return Ok(match number {
                1 => Destination::Stdout,
                2 => Destination::Stderr,
                _ => Destination::Descriptor(link),
            });
        }
        Some(Found {
            owner: Owner::Other,
            ..
        }) => {
            return Err(Refusal {
                reason: "it is another process's descriptor".into(),
                help: "write to a file, or to this run's own output (/dev/stdout, /dev/fd/N)",
            });
        }
        None => {}
    }
    let (target, metadata) = match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_symlink() && follow => {
            // A dangling link is reported by the replacement, as before.
            let Ok(target) = std::fs::canonicalize(path) else {
                return Ok(Destination::Replace);
            };
            match std::fs::metadata(&target) {
                Ok(m) => (target, m),
                Err(_) => return Ok(Destination::Replace),
            }
        }
        Ok(m) => (path.to_path_buf(), m),
        Err(_) => return Ok(Destination::Replace),
    };
    let kind = metadata.file_type();
    let refused = |what: &str, help| {
        Err(Refusal {
            reason: format!("it is {what}"),
            help,
        })
    };
    if kind.is_file() || kind.is_symlink() {
        Ok(Destination::Replace)
    } else if kind.is_fifo() || kind.is_char_device() {
        Ok(Destination::Stream(target))
    } else if kind.is_dir() {
        refused("a directory", "give a file name inside the directory")
    } else if kind.is_block_device() {
        refused(
            "a block device",
            "cbcheck writes to files, pipes and character devices, never onto a disk",
        )
    } else {
        refused(
            "a socket",
            "cbcheck writes to files, pipes and character devices; a socket cannot be opened as one",
        )
    }
}

#[cfg(not(unix))]
pub(super) fn of(_path: &Path, _follow: bool) -> Result<Destination, Refusal> {
    Ok(Destination::Replace)
}

/// Write into a stream or descriptor: no file is created, none truncated.
#[cfg(unix)]
pub(super) fn write_into(path: &Path, descriptor: bool, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::FileTypeExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .append(descriptor)
        .open(path)?;
    // What was opened, not what was looked at: the path may have changed in between.
    let kind = file.metadata()?.file_type();
    if !(descriptor || kind.is_fifo() || kind.is_char_device()) {
        return Err(std::io::Error::other(
            "it stopped being a pipe or device while being written",
        ));
    }
    match file.write_all(text.as_bytes()).and_then(|()| file.flush()) {
        // A reader that closed the pipe early chose to (as for stdout).
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        written => written,
    }
}

#[cfg(not(unix))]
pub(super) fn write_into(_path: &Path, _descriptor: bool, _text: &str) -> std::io::Result<()> {
    Err(std::io::Error::other("not a file"))
}

/// Whose descriptor a path names.
#[cfg(unix)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Owner {
    Run,
    Other,
}

/// Links followed at most (as the kernel's limit).
#[cfg(unix)]
const MAX_LINKS: usize = 40;

/// A descriptor a path names.
#[cfg(unix)]
#[derive(Debug)]
struct Found {
    owner: Owner,
    number: u32,
    /// The path on the way that names it.
    path: PathBuf,
    /// Whether a link on the way is one of one's own: outside `/dev` and `/proc`.
    own_link: bool,
}

/// Whether `path`, or a link on the way from it, names a descriptor: `/dev/fd/N`,
/// `/proc/<pid>/fd/N` (`/proc/self/fd/N`, where `/dev/stdout` points on Linux) or
/// `/proc/<pid>/task/<tid>/fd/N`.
#[cfg(unix)]
fn descriptor(path: &Path) -> Option<Found> {
    let mut current = path.to_path_buf();
    let mut own_link = false;
    for _ in 0..MAX_LINKS {
        if let Some((owner, number)) = names_descriptor(&current) {
            return Some(Found {
                owner,
                number,
                path: current,
                own_link,
            });
        }
        // Not a link (or unreadable): the end of the chain.
        let next = std::fs::read_link(&current).ok()?;
        own_link |= !in_system_directory(&current);
        current = match current.parent() {
            Some(parent) => parent.join(next),
            None => next,
        };
    }
    None
}

/// Whether a path is in `/dev` or `/proc` (its directory's links resolved): the
/// system's links, such as `/dev/stdout`.
#[cfg(unix)]
fn in_system_directory(path: &Path) -> bool {
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::canonicalize(parent)
        .is_ok_and(|directory| directory.starts_with("/dev") || directory.starts_with("/proc"))
}

#[cfg(unix)]
fn names_descriptor(path: &Path) -> Option<(Owner, u32)> {
    let number: u32 = path.file_name()?.to_str()?.parse().ok()?;
    let parent = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let directory = std::fs::canonicalize(parent).ok()?;
    if directory == Path::new("/dev/fd") {
        return Some((Owner::Run, number));
    }
    let parts: Vec<&str> = directory
        .strip_prefix("/proc")
        .ok()?
        .iter()
        .map(|part| part.to_str())
        .collect::<Option<_>>()?;
    let pid = match parts.as_slice() {
        [pid, "fd"] | [pid, "task", _, "fd"] => pid.parse::<u32>().ok()?,
        _ => return None,
    };
    let owner = if pid == std::process::id() {
        Owner::Run
    } else {
        Owner::Other
    };
    Some((owner, number))
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    #[test]
    fn descriptors_are_named_however_they_are_reached() {
        let own = |path: &str| descriptor(Path::new(path)).map(|f| (f.owner, f.number));
        assert_eq!(own("/dev/stdout"), Some((Owner::Run, 1)));
        assert_eq!(own("/dev/stderr"), Some((Owner::Run, 2)));
        assert_eq!(own("/dev/fd/1"), Some((Owner::Run, 1)));
        assert_eq!(own("/proc/self/fd/2"), Some((Owner::Run, 2)));
        assert_eq!(own("/proc/thread-self/fd/1"), Some((Owner::Run, 1)));
        let mine = format!("/proc/{}/fd/1", std::process::id());
        assert_eq!(own(&mine), Some((Owner::Run, 1)));
        assert_eq!(own("/proc/1/fd/1"), Some((Owner::Other, 1)));
        assert_eq!(own("/dev/null"), None);
        assert_eq!(own("report.json"), None);
        assert_eq!(own("1"), None);
    }

    #[test]
    fn devices_and_pipes_are_streams_and_links_to_them_are_replaced() {
        assert_eq!(
            of(Path::new("/dev/null"), false).ok(),
            Some(Destination::Stream("/dev/null".into()))
        );
        assert_eq!(
            of(Path::new("/dev/stdout"), false).ok(),
            Some(Destination::Stdout)
        );
        assert_eq!(
            of(Path::new("/dev/stderr"), true).ok(),
            Some(Destination::Stderr)
        );
        let dir = tempfile::tempdir().expect("dir");
        let link = dir.path().join("null");
        std::os::unix::fs::symlink("/dev/null", &link).expect("link");
        assert_eq!(of(&link, false).ok(), Some(Destination::Replace));
        assert_eq!(
            of(&link, true).ok(),
            Some(Destination::Stream("/dev/null".into()))
        );
        assert_eq!(
            of(&dir.path().join("new.json"), false).ok(),
            Some(Destination::Replace)
        );
        let refusal = of(dir.path(), false).expect_err("a directory");
        assert_eq!(refusal.reason, "it is a directory");
    }
}
