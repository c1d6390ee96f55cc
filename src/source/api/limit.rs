//! Request pacing: never more than the vendor's limit per SDKAppID, and an optional
//! cap on all calls together.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Spaces calls at least `interval` apart: at most `rate` calls in any second.
#[derive(Debug)]
struct Pacer {
    interval: Duration,
    next: Mutex<Option<Instant>>,
}

impl Pacer {
    fn new(rate: u32) -> Pacer {
        Pacer {
            interval: Duration::from_secs(1) / rate.max(1),
            next: Mutex::new(None),
        }
    }

    /// Reserve the next free slot, then wait for it.
    async fn wait(&self) {
        let now = Instant::now();
        let slot = {
            let mut next = self
                .next
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let slot = next.map_or(now, |n| n.max(now));
            *next = Some(slot + self.interval);
            slot
        };
        // A slot already due is taken at once: no timer to set, and none to wake
        // the runtime for.
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
    }
}

/// One pacer per SDKAppID at the vendor's rate, and an optional global one.
#[derive(Debug)]
pub struct RateLimits {
    per_app_rate: u32,
    per_app: Mutex<HashMap<u64, Arc<Pacer>>>,
    global: Option<Pacer>,
}

impl RateLimits {
    pub fn new(per_app_rate: u32, global_rate: Option<u32>) -> RateLimits {
        RateLimits {
            per_app_rate,
            per_app: Mutex::new(HashMap::new()),
            global: global_rate.map(Pacer::new),
        }
    }

    /// Wait until a call for `sdkappid` is allowed.
    pub async fn wait(&self, sdkappid: u64) {
        if let Some(global) = &self.global {
            global.wait().await;
        }
        let pacer = {
            let mut map = self
                .per_app
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            Arc::clone(
                map.entry(sdkappid)
                    .or_insert_with(|| Arc::new(Pacer::new(self.per_app_rate))),
            )
        };
        pacer.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Virtual time: deterministic, and instant to run.
    #[tokio::test(start_paused = true)]
    async fn one_app_never_exceeds_its_rate() {
        let limits = Arc::new(RateLimits::new(200, None));
        let start = Instant::now();
        let mut tasks = Vec::new();
        for _ in 0..401 {
            let limits = Arc::clone(&limits);
            tasks.push(tokio::spawn(async move {
                limits.wait(1_400_000_001).await;
                Instant::now()
            }));
        }
        let mut granted = Vec::new();
        for task in tasks {
            granted.push(task.await.expect("task"));
        }
        granted.sort();
        // Any 201 consecutive grants span at least one second: ≤ 200 per second.
        for window in granted.windows(201) {
            assert!(window[200] - window[0] >= Duration::from_secs(1));
        }
        assert!(granted[400] - start >= Duration::from_secs(2));
    }

    #[tokio::test(start_paused = true)]
    async fn apps_are_paced_independently_but_the_global_cap_binds_them() {
        let limits = RateLimits::new(200, None);
        let start = Instant::now();
        for app in 0..100 {
            limits.wait(app).await;
        }
        assert!(
            Instant::now() - start < Duration::from_millis(5),
            "distinct apps wait for nobody"
        );

        let limits = RateLimits::new(200, Some(10));
        let start = Instant::now();
        for app in 0..11 {
            limits.wait(app).await;
        }
        assert!(
            Instant::now() - start >= Duration::from_secs(1),
            "--max-rps 10 spaces all calls"
        );
    }
}
