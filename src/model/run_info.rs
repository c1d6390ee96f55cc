//! When a run happened, how long it took and which file contents it checked: what an
//! archived report or a metrics file needs to be read months later.

use std::fmt::Write as _;
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

/// The SHA-256 of `bytes`, in lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .fold(String::with_capacity(64), |mut hex, byte| {
            let _ = write!(hex, "{byte:02x}");
            hex
        })
}

/// One callbacks file a run read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDigest {
    pub file: String,
    /// `None` when the file could not be read.
    pub sha256: Option<String>,
    /// Whether the file had no errors.
    pub valid: bool,
}

/// The run as a whole.
#[derive(Debug, Clone)]
pub struct RunInfo {
    pub started: SystemTime,
    pub finished: SystemTime,
    /// Measured on a monotonic clock (the wall clock may step during a run).
    pub duration: Duration,
    pub files: Vec<FileDigest>,
    /// What `--probe` found, endpoint by endpoint (empty without it).
    pub probes: Vec<super::probe::ProbeResult>,
}

impl RunInfo {
    /// The run ends now; `clock` was started with it.
    pub fn finish(&mut self, clock: std::time::Instant) {
        self.finished = SystemTime::now();
        self.duration = clock.elapsed();
    }
}

/// Seconds since the Unix epoch, with a fraction (0 for a time before it).
pub fn unix_seconds(time: SystemTime) -> f64 {
    time.duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sha256_of_known_input() {
        // FIPS 180-2 test vector.
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
