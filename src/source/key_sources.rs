//! A fleet's keys from one secret: a JSON map (in a variable or a file) of SDKAppID to
//! key, or a command that prints an app's key. Nothing here ever puts a value it read
//! in a message: a map's parse error says where and what kind, the command's output
//! is never shown.

use std::collections::HashMap;
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::source::secret::Secret;

/// The most of a key file that is read: a map of thousands of keys fits many times.
pub const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

/// The most of a key command's output that is read: a key is tens of bytes.
pub const MAX_COMMAND_OUTPUT_BYTES: u64 = 64 * 1024;

/// How long a key command may run when `CBCHECK_SECRET_KEY_COMMAND_TIMEOUT` is unset.
pub const DEFAULT_COMMAND_TIMEOUT: Duration = Duration::from_secs(10);

/// How many key commands run at once.
pub const COMMANDS_IN_FLIGHT: usize = 4;

/// A JSON object of names to string values (SDKAppID to key, or NAME to placeholder
/// value), each kept as a secret. Blank values are left out (they count as unset).
pub fn parse_map(text: &[u8]) -> Result<HashMap<String, Secret>, String> {
    let map: HashMap<String, String> = serde_json::from_slice(text).map_err(|err| {
        // serde_json's message may quote a value ("invalid type: string \"…\""): only
        // its class and position are told.
        let class = match err.classify() {
            serde_json::error::Category::Syntax => "not valid JSON",
            serde_json::error::Category::Eof => "JSON that ends early",
            serde_json::error::Category::Data => "not a JSON object whose values are all strings",
            serde_json::error::Category::Io => "unreadable",
        };
        format!("{class} (line {}, column {})", err.line(), err.column())
    })?;
    Ok(map
        .into_iter()
        .filter_map(|(name, value)| {
            let value = value.trim();
            (!value.is_empty()).then(|| (name, Secret::new(value)))
        })
        .collect())
}

/// A key map: every name must be an SDKAppID (never quoted: a map written the wrong
/// way round would have keys for names).
pub fn parse_key_map(text: &[u8]) -> Result<HashMap<u64, Secret>, String> {
    let mut keys = HashMap::new();
    for (name, key) in parse_map(text)? {
        let Some(id) = name
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|_| name.trim().bytes().all(|b| b.is_ascii_digit()))
        else {
            return Err(
                "a name in it is not an SDKAppID (the names are SDKAppIDs written as strings)"
                    .to_owned(),
            );
        };
        keys.insert(id, key);
    }
    Ok(keys)
}

/// A key file as read: its keys, and a warning when others may read it.
pub struct KeyFile {
    pub keys: HashMap<u64, Secret>,
    pub warning: Option<String>,
}

/// Read a key file: refused when others may write it (they could swap the keys) or
/// it is larger than [`MAX_KEY_FILE_BYTES`]; a warning when others may read it.
pub fn read_key_file(path: &Path) -> Result<KeyFile, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot be read: {e}"))?;
    let metadata = file
        .metadata()
        .map_err(|e| format!("cannot be read: {e}"))?;
    let warning = permissions(&metadata)?;
    if metadata.len() > MAX_KEY_FILE_BYTES {
        return Err(too_large());
    }
    let mut bytes = Vec::new();
    file.take(MAX_KEY_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot be read: {e}"))?;
    if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
        return Err(too_large());
    }
    Ok(KeyFile {
        keys: parse_key_map(&bytes).map_err(|reason| format!("is {reason}"))?,
        warning,
    })
}

fn too_large() -> String {
    format!("is larger than {} MiB", MAX_KEY_FILE_BYTES >> 20)
}

/// Refused when the group or others may write the file; a warning when others may
/// read it.
#[cfg(unix)]
fn permissions(metadata: &std::fs::Metadata) -> Result<Option<String>, String> {
    use std::os::unix::fs::PermissionsExt;
    let mode = metadata.permissions().mode() & 0o777;
    if mode & 0o022 != 0 {
        return Err(format!(
            "is writable by other users (mode {mode:04o}), who could replace the keys: `chmod go-w` it"
        ));
    }
    Ok((mode & 0o004 != 0)
        .then(|| format!("is readable by every user (mode {mode:04o}): `chmod o-r` it")))
}

#[cfg(not(unix))]
fn permissions(_: &std::fs::Metadata) -> Result<Option<String>, String> {
    Ok(None)
}

/// The key command's words, split as a shell would split them but never run by one
/// (no expansion, no pipes): `vault kv get -field=key secret/trtc`.
pub fn command_words(command: &str) -> Result<Vec<String>, String> {
    match shlex::split(command) {
        Some(words) if !words.is_empty() => Ok(words),
        Some(_) => Err("is empty".to_owned()),
        None => Err("is not valid shell words (an unclosed quote?)".to_owned()),
    }
}

/// The program's name as messages give it: the first word, never the arguments
/// (they may carry a token).
pub fn program(words: &[String]) -> &str {
    words.first().map_or("", String::as_str)
}

/// Kill the key command and every process of its group (a shell's `sleep`, a
/// helper it started), then reap it. The group is signalled with kill(1): no
/// unsafe code for one signal.
fn kill_group(child: &mut std::process::Child) {
    #[cfg(unix)]
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    let _ = child.kill();
    let _ = child.wait();
}

/// Run the key command with `sdkappid` as its last argument; its standard output,
/// trimmed, is the key. Its standard error is discarded and its output never shown:
/// a timeout (the child is killed), a failure to start, a non-zero exit, output that
/// is empty, not UTF-8 or larger than [`MAX_COMMAND_OUTPUT_BYTES`] is an error that
/// says which.
pub fn run_key_command(
    words: &[String],
    sdkappid: u64,
    timeout: Duration,
) -> Result<Secret, String> {
    let (program, args) = words.split_first().ok_or("is empty")?;
    let started = Instant::now();
    let mut command = Command::new(program);
    command
        .args(args)
        .arg(sdkappid.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    // A group of its own: on a timeout, whatever it started goes with it.
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut command, 0);
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not be started: {e}"))?;
    let Some(mut stdout) = child.stdout.take() else {
        return Err("gave no output".to_owned());
    };
    // The output is read on a thread of its own: a child that outlives its timeout,
    // or leaves a process holding the pipe, cannot stall the run.
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let read = (&mut stdout)
            .take(MAX_COMMAND_OUTPUT_BYTES + 1)
            .read_to_end(&mut bytes);
        let _ = sender.send(read.map(|_| bytes));
    });
    let timed_out = || format!("did not finish within {} s", timeout.as_secs());
    let left = timeout.saturating_sub(started.elapsed());
    let Ok(output) = receiver.recv_timeout(left) else {
        kill_group(&mut child);
        return Err(timed_out());
    };
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() < timeout => {
                std::thread::sleep(Duration::from_millis(10));
            }
            Ok(None) => {
                kill_group(&mut child);
                return Err(timed_out());
            }
            Err(e) => return Err(format!("could not be waited for: {e}")),
        }
    };
    if !status.success() {
        return Err(match status.code() {
            Some(code) => format!("exited with status {code}"),
            None => "was killed by a signal".to_owned(),
        });
    }
    let bytes = output.map_err(|e| format!("output could not be read: {e}"))?;
    if bytes.len() as u64 > MAX_COMMAND_OUTPUT_BYTES {
        return Err(format!(
            "printed more than {} KiB",
            MAX_COMMAND_OUTPUT_BYTES >> 10
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| "printed text that is not UTF-8".to_owned())?;
    let key = text.trim();
    if key.is_empty() {
        return Err("printed nothing".to_owned());
    }
    Ok(Secret::new(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "MapKeyV4lue0123";

    #[test]
    fn a_map_error_says_where_never_what() {
        for text in [
            format!("{{\"1400000001\": \"{KEY}\""),
            format!("{{\"1400000001\": [\"{KEY}\"]}}"),
            format!("{{\"1400000001\": \"{KEY}\" \"x\"}}"),
            format!("[\"{KEY}\"]"),
            format!("{{\"{KEY}\": \"1400000001\"}}"),
        ] {
            let err = parse_key_map(text.as_bytes()).expect_err(&text);
            assert!(!err.contains(KEY) && !err.contains("MapKey"), "{err}");
        }
        let err = parse_key_map(b"{\n  \"1\": 2\n}").expect_err("a number");
        assert_eq!(
            err,
            "not a JSON object whose values are all strings (line 2, column 8)"
        );
    }

    #[test]
    fn a_map_gives_each_sdkappid_its_trimmed_key() {
        let keys =
            parse_key_map(format!("{{\"1400000001\": \" {KEY}\\n\", \"2\": \" \"}}").as_bytes())
                .expect("valid");
        assert_eq!(keys.get(&1_400_000_001).map(Secret::expose), Some(KEY));
        assert!(!keys.contains_key(&2), "a blank key is no key");
    }

    #[test]
    fn command_words_are_split_without_a_shell() {
        assert_eq!(
            command_words("vault kv get '-field=secret key' $HOME").expect("words"),
            ["vault", "kv", "get", "-field=secret key", "$HOME"]
        );
        assert!(command_words("  ").is_err());
        assert!(command_words("vault 'kv").is_err());
    }
}
