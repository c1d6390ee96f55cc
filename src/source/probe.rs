//! `verify --probe`: resolve each callback host, connect to it and, for https,
//! complete a verified TLS handshake, then close. Never a request: a POST would run
//! the user's handler with a fake event, and a GET proves nothing (the vendor POSTs).
//!
//! The probe runs on its own thread and runtime, beside the configuration checks:
//! it never holds them up, and its own timeout bounds how long the run waits for it.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use rustls::ClientConfig;
use rustls::pki_types::ServerName;
use rustls_platform_verifier::BuilderVerifierExt;
use tokio::net::TcpStream;
use tokio::time::{Instant, timeout_at};
use tokio_rustls::TlsConnector;

use crate::model::probe::{
    ProbeOutcome, ProbeResult, ProbeTarget, TlsProblem, Validity, non_public,
};

/// How to probe.
#[derive(Debug, Clone, Copy)]
pub struct ProbeOptions {
    /// Connect to private, loopback and link-local addresses too.
    pub allow_private: bool,
    /// For the whole probe of one host: DNS, connect and handshake.
    pub timeout: Duration,
    /// Hosts probed at once.
    pub concurrency: usize,
    /// `--deadline`: the probe ends with the run, whatever its own timeout.
    pub deadline: Option<super::api::Deadline>,
}

/// A probe under way.
pub struct Probing {
    targets: Vec<ProbeTarget>,
    thread: Option<std::thread::JoinHandle<Vec<ProbeResult>>>,
    setup_error: Option<String>,
}

/// Start probing `targets` in the background.
pub fn start(targets: Vec<ProbeTarget>, options: ProbeOptions) -> Probing {
    let work = targets.clone();
    let spawned = std::thread::Builder::new()
        .name("cbcheck-probe".into())
        .spawn(move || run(work, options));
    match spawned {
        Ok(thread) => Probing {
            targets,
            thread: Some(thread),
            setup_error: None,
        },
        Err(err) => Probing {
            targets,
            thread: None,
            setup_error: Some(err.to_string()),
        },
    }
}

impl Probing {
    /// Wait for the results: one per target, in the targets' order.
    pub fn finish(self) -> Vec<ProbeResult> {
        let reason = match self.thread.map(std::thread::JoinHandle::join) {
            Some(Ok(results)) => return results,
            Some(Err(_)) => "the probe stopped unexpectedly".to_owned(),
            None => self.setup_error.unwrap_or_default(),
        };
        not_probed(&self.targets, &format!("cannot start the probe: {reason}"))
    }
}

fn not_probed(targets: &[ProbeTarget], reason: &str) -> Vec<ProbeResult> {
    targets.iter().map(|t| failed(t, reason)).collect()
}

/// A target the probe could not get to.
fn failed(target: &ProbeTarget, reason: &str) -> ProbeResult {
    ProbeResult {
        target: target.clone(),
        outcome: ProbeOutcome::Unreachable {
            reason: reason.to_owned(),
        },
        duration: None,
        certificate: None,
        at: SystemTime::now(),
    }
}

fn run(targets: Vec<ProbeTarget>, options: ProbeOptions) -> Vec<ProbeResult> {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(err) => return not_probed(&targets, &format!("cannot start the probe: {err}")),
    };
    let tls = tls_config();
    let results = runtime.block_on(probe_all(targets, options, tls));
    // A DNS lookup that outlived its timeout holds a blocking thread: not waited for.
    runtime.shutdown_background();
    results
}

/// The same trust as the API client's: reqwest's rustls backend with the platform
/// verifier (on Linux the system store, `SSL_CERT_FILE` and `SSL_CERT_DIR` honoured),
/// and the same provider (ring, see `api::Client::new`).
fn tls_config() -> Result<Arc<ClientConfig>, String> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_platform_verifier()
        .map_err(|e| e.to_string())?
        .with_no_client_auth();
    Ok(Arc::new(config))
}

async fn probe_all(
    targets: Vec<ProbeTarget>,
    options: ProbeOptions,
    tls: Result<Arc<ClientConfig>, String>,
) -> Vec<ProbeResult> {
    let permits = Arc::new(tokio::sync::Semaphore::new(options.concurrency.max(1)));
    let mut tasks = tokio::task::JoinSet::new();
    for (index, target) in targets.iter().cloned().enumerate() {
        let permits = Arc::clone(&permits);
        let tls = tls.clone();
        tasks.spawn(async move {
            // The semaphore is never closed.
            let _permit = permits.acquire_owned().await.ok();
            (index, probe(target, options, tls).await)
        });
    }
    let mut results: Vec<Option<ProbeResult>> = vec![None; targets.len()];
    while let Some(joined) = tasks.join_next().await {
        if let Ok((index, result)) = joined {
            results[index] = Some(result);
        }
    }
    results
        .into_iter()
        .zip(&targets)
        .map(|(result, target)| {
            result.unwrap_or_else(|| failed(target, "the probe stopped unexpectedly"))
        })
        .collect()
}

async fn probe(
    target: ProbeTarget,
    options: ProbeOptions,
    tls: Result<Arc<ClientConfig>, String>,
) -> ProbeResult {
    let at = SystemTime::now();
    let own = Instant::now() + options.timeout;
    let (deadline, within) = match options.deadline {
        Some(run) if Instant::from_std(run.at()) < own => (
            Instant::from_std(run.at()),
            format!(
                "before the run deadline (--deadline {})",
                run.after().as_secs_f64()
            ),
        ),
        _ => (own, format!("within {} s", options.timeout.as_secs_f64())),
    };
    // A host still waiting for its turn when the run's time is up is not begun.
    if deadline <= Instant::now() {
        return failed(&target, &format!("not probed {within}"));
    }
    let mut result = ProbeResult {
        target: target.clone(),
        outcome: ProbeOutcome::Reachable,
        duration: None,
        certificate: None,
        at,
    };
    let addresses = match resolve(&target, deadline).await {
        Ok(addresses) if !addresses.is_empty() => addresses,
        Ok(_) => {
            result.outcome = ProbeOutcome::Unresolvable {
                reason: "DNS gave no address".into(),
            };
            return result;
        }
        Err(None) => {
            result.outcome = ProbeOutcome::Unresolvable {
                reason: format!("no DNS answer {within}"),
            };
            return result;
        }
        Err(Some(reason)) => {
            result.outcome = ProbeOutcome::Unresolvable { reason };
            return result;
        }
    };
    let usable: Vec<SocketAddr> = addresses
        .iter()
        .copied()
        .filter(|a| options.allow_private || non_public(a.ip()).is_none())
        .collect();
    if usable.is_empty() {
        // The addresses are distinct, and share the port.
        let ips: Vec<IpAddr> = addresses.iter().map(SocketAddr::ip).collect();
        result.outcome = ProbeOutcome::Private { addresses: ips };
        return result;
    }
    let started = Instant::now();
    let stream = match connect(&usable, deadline).await {
        Ok(stream) => stream,
        Err(reason) => {
            result.outcome = ProbeOutcome::Unreachable {
                reason: reason.unwrap_or_else(|| format!("no connection {within}")),
            };
            return result;
        }
    };
    if !target.tls {
        result.duration = Some(started.elapsed());
        return result;
    }
    let config = match tls {
        Ok(config) => config,
        Err(reason) => {
            result.outcome = ProbeOutcome::TlsInvalid {
                problem: TlsProblem::Other,
                detail: format!("cannot set up TLS: {reason}"),
            };
            return result;
        }
    };
    let Ok(name) = ServerName::try_from(target.host.clone()) else {
        result.outcome = ProbeOutcome::TlsInvalid {
            problem: TlsProblem::Other,
            detail: "the host is not a name TLS can verify".into(),
        };
        return result;
    };
    match timeout_at(deadline, TlsConnector::from(config).connect(name, stream)).await {
        Err(_) => {
            result.outcome = ProbeOutcome::Unreachable {
                reason: format!("no TLS handshake {within}"),
            };
        }
        Ok(Err(err)) => {
            let (problem, detail) = tls_problem(&err);
            result.outcome = ProbeOutcome::TlsInvalid { problem, detail };
        }
        Ok(Ok(mut stream)) => {
            result.duration = Some(started.elapsed());
            result.certificate = stream
                .get_ref()
                .1
                .peer_certificates()
                .and_then(|chain| chain.first())
                .and_then(|leaf| validity(leaf.as_ref()));
            // close_notify, and nothing else is ever written.
            let _ = timeout_at(deadline, tokio::io::AsyncWriteExt::shutdown(&mut stream)).await;
        }
    }
    result
}

/// The host's addresses: `Err(None)` on timeout, `Err(Some(why))` on failure.
async fn resolve(
    target: &ProbeTarget,
    deadline: Instant,
) -> Result<Vec<SocketAddr>, Option<String>> {
    let lookup = tokio::net::lookup_host((target.host.as_str(), target.port));
    match timeout_at(deadline, lookup).await {
        Err(_) => Err(None),
        Ok(Err(err)) => Err(Some(err.to_string())),
        Ok(Ok(addresses)) => {
            let mut all: Vec<SocketAddr> = Vec::new();
            for address in addresses {
                if !all.contains(&address) {
                    all.push(address);
                }
            }
            Ok(all)
        }
    }
}

/// The first address that accepts a connection: `Err(None)` on timeout, else the
/// last address's error.
async fn connect(addresses: &[SocketAddr], deadline: Instant) -> Result<TcpStream, Option<String>> {
    let mut last = None;
    for address in addresses {
        match timeout_at(deadline, TcpStream::connect(address)).await {
            Err(_) => return Err(None),
            Ok(Ok(stream)) => return Ok(stream),
            Ok(Err(err)) => last = Some(format!("{}: {err}", address.ip())),
        }
    }
    Err(last)
}

/// Which certificate problem failed the handshake (rustls's error inside tokio-rustls's
/// `io::Error`), and its own words.
fn tls_problem(err: &std::io::Error) -> (TlsProblem, String) {
    use rustls::CertificateError as Cert;
    let Some(tls) = err
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    else {
        return (TlsProblem::Other, format!("the handshake failed: {err}"));
    };
    let problem = match tls {
        rustls::Error::InvalidCertificate(problem) => match problem {
            Cert::Expired | Cert::ExpiredContext { .. } => TlsProblem::Expired,
            Cert::NotValidYet | Cert::NotValidYetContext { .. } => TlsProblem::NotYetValid,
            Cert::UnknownIssuer => TlsProblem::UnknownIssuer,
            Cert::NotValidForName | Cert::NotValidForNameContext { .. } => TlsProblem::NameMismatch,
            _ => TlsProblem::Other,
        },
        _ => TlsProblem::Other,
    };
    (problem, tls.to_string())
}

/// The validity period of a DER certificate, if it parses.
fn validity(der: &[u8]) -> Option<Validity> {
    let (_, certificate) = x509_parser::parse_x509_certificate(der).ok()?;
    let time = |seconds: i64| {
        let magnitude = Duration::from_secs(seconds.unsigned_abs());
        if seconds >= 0 {
            SystemTime::UNIX_EPOCH.checked_add(magnitude)
        } else {
            SystemTime::UNIX_EPOCH.checked_sub(magnitude)
        }
    };
    let period = certificate.validity();
    Some(Validity {
        not_before: time(period.not_before.timestamp())?,
        not_after: time(period.not_after.timestamp())?,
    })
}
