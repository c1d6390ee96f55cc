//! Progress on stderr while a run waits on the network: apps done of the total, and
//! the failures so far. Drawn only on a terminal, only once a wait has lasted about
//! a second, and cleared before anything else is printed.

use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// A wait shorter than this shows nothing: a fast run stays one clean report.
const SHOWN_AFTER: Duration = Duration::from_secs(1);

/// How often the spinner and the elapsed time move while nothing finishes.
const TICK: Duration = Duration::from_millis(100);

/// `checking [=====>      ] 12/200 apps, 1 failed (3s)`
const TEMPLATE: &str = "{spinner} {prefix} [{bar:24}] {pos}/{len} apps, {msg} ({elapsed})";

/// Where a revealed bar draws.
type Target = Box<dyn Fn() -> ProgressDrawTarget + Send + Sync>;

/// One run's progress display; every method is a no-op when it is not shown.
pub struct Progress {
    /// `None` when progress is not shown at all.
    shown: Option<Shown>,
}

struct Shown {
    bar: ProgressBar,
    failed: AtomicU64,
    target: std::sync::Arc<Target>,
    after: Duration,
    /// The thread that draws the bar once a wait has lasted `after`.
    reveal: Mutex<Option<Reveal>>,
}

struct Reveal {
    stop: mpsc::Sender<()>,
    thread: JoinHandle<()>,
}

impl Progress {
    /// Progress on stderr when `wanted` (the run's text goes to a person on stderr,
    /// not a machine format) and stderr is a terminal that can redraw a line. Not
    /// under NO_GRAPHICS: a line redrawn ten times a second is noise to a screen reader.
    pub(super) fn on_stderr(wanted: bool) -> Progress {
        let env_set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
        let terminal = std::io::stderr().is_terminal()
            && std::env::var_os("TERM").is_none_or(|term| term != "dumb")
            && !env_set("NO_GRAPHICS");
        if wanted && terminal {
            Progress::drawn_on(Box::new(ProgressDrawTarget::stderr), SHOWN_AFTER)
        } else {
            Progress::none()
        }
    }

    /// Progress that shows nothing.
    fn none() -> Progress {
        Progress { shown: None }
    }

    fn drawn_on(target: Target, after: Duration) -> Progress {
        let bar = ProgressBar::hidden();
        bar.set_style(
            ProgressStyle::with_template(TEMPLATE)
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        Progress {
            shown: Some(Shown {
                bar,
                failed: AtomicU64::new(0),
                target: std::sync::Arc::new(target),
                after,
                reveal: Mutex::new(None),
            }),
        }
    }

    /// A wait for `total` apps begins; `doing` says what is done to them ("checking").
    pub fn start(&self, doing: &'static str, total: usize) {
        let Some(shown) = &self.shown else {
            return;
        };
        self.clear();
        shown.failed.store(0, Ordering::SeqCst);
        shown.bar.reset();
        shown.bar.set_prefix(doing);
        shown.bar.set_length(total as u64);
        shown.bar.set_message(failed_text(0));
        let (stop, stopped) = mpsc::channel::<()>();
        let bar = shown.bar.clone();
        let target = std::sync::Arc::clone(&shown.target);
        let after = shown.after;
        // A thread that cannot be had means no progress, not a failed run.
        let thread = std::thread::Builder::new()
            .name("progress".into())
            .spawn(move || {
                // Told to stop (or dropped) before the wait was long: nothing is drawn.
                if let Err(mpsc::RecvTimeoutError::Timeout) = stopped.recv_timeout(after) {
                    reveal(&bar, &target);
                }
            });
        if let (Ok(thread), Ok(mut slot)) = (thread, shown.reveal.lock()) {
            *slot = Some(Reveal { stop, thread });
        }
    }

    /// One app is done.
    pub fn done(&self, failed: bool) {
        let Some(shown) = &self.shown else {
            return;
        };
        if failed {
            let failed = shown.failed.fetch_add(1, Ordering::SeqCst) + 1;
            shown.bar.set_message(failed_text(failed));
        }
        shown.bar.inc(1);
    }

    /// The wait is over: the bar is erased, and nothing more is drawn until the next
    /// `start`.
    pub fn clear(&self) {
        let Some(shown) = &self.shown else {
            return;
        };
        // The reveal thread is finished first, so it cannot draw after the clear.
        let reveal = shown.reveal.lock().ok().and_then(|mut slot| slot.take());
        if let Some(Reveal { stop, thread }) = reveal {
            let _ = stop.send(());
            let _ = thread.join();
        }
        shown.bar.finish_and_clear();
        shown.bar.set_draw_target(ProgressDrawTarget::hidden());
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

fn reveal(bar: &ProgressBar, target: &Target) {
    bar.set_draw_target(target());
    bar.enable_steady_tick(TICK);
}

fn failed_text(failed: u64) -> String {
    format!("{failed} failed")
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use indicatif::TermLike;

    use super::*;

    /// A terminal that records what is drawn on it.
    #[derive(Debug, Clone, Default)]
    struct Screen(Arc<Mutex<Vec<String>>>);

    impl Screen {
        fn record(&self, what: String) {
            if let Ok(mut drawn) = self.0.lock() {
                drawn.push(what);
            }
        }

        fn drawn(&self) -> Vec<String> {
            self.0.lock().map(|d| d.clone()).unwrap_or_default()
        }
    }

    impl TermLike for Screen {
        fn width(&self) -> u16 {
            100
        }
        fn move_cursor_up(&self, n: usize) -> std::io::Result<()> {
            self.record(format!("<up {n}>"));
            Ok(())
        }
        fn move_cursor_down(&self, n: usize) -> std::io::Result<()> {
            self.record(format!("<down {n}>"));
            Ok(())
        }
        fn move_cursor_right(&self, n: usize) -> std::io::Result<()> {
            self.record(format!("<right {n}>"));
            Ok(())
        }
        fn move_cursor_left(&self, n: usize) -> std::io::Result<()> {
            self.record(format!("<left {n}>"));
            Ok(())
        }
        fn write_line(&self, s: &str) -> std::io::Result<()> {
            self.record(format!("{s}\n"));
            Ok(())
        }
        fn write_str(&self, s: &str) -> std::io::Result<()> {
            self.record(s.to_owned());
            Ok(())
        }
        fn clear_line(&self) -> std::io::Result<()> {
            self.record("<clear>".into());
            Ok(())
        }
        fn flush(&self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// Progress drawn on `screen` only when the test reveals it (the wait never ends).
    fn on(screen: &Screen) -> Progress {
        let screen = screen.clone();
        Progress::drawn_on(
            Box::new(move || ProgressDrawTarget::term_like(Box::new(screen.clone()))),
            Duration::from_secs(3600),
        )
    }

    fn revealed(progress: &Progress) {
        let shown = progress.shown.as_ref().expect("shown");
        reveal(&shown.bar, &shown.target);
        shown.bar.force_draw();
    }

    #[test]
    fn a_short_wait_draws_nothing() {
        let screen = Screen::default();
        let progress = on(&screen);
        progress.start("checking", 3);
        for failed in [false, true, false] {
            progress.done(failed);
        }
        progress.clear();
        drop(progress);
        assert_eq!(screen.drawn(), Vec::<String>::new());
    }

    #[test]
    fn a_long_wait_shows_apps_done_of_the_total_and_the_failures_then_is_erased() {
        let screen = Screen::default();
        let progress = on(&screen);
        progress.start("checking", 200);
        progress.done(false);
        progress.done(true);
        revealed(&progress);
        let drawn = screen.drawn().concat();
        assert!(drawn.contains("checking ["), "{drawn}");
        assert!(drawn.contains("] 2/200 apps, 1 failed ("), "{drawn}");

        progress.clear();
        let after_clear = screen.drawn();
        let is_text = |s: &String| !s.starts_with('<') && !s.trim().is_empty();
        let last_text = after_clear.iter().rposition(is_text);
        let last_clear = after_clear.iter().rposition(|s| s == "<clear>");
        assert!(last_text < last_clear, "{after_clear:?}");
        // Nothing is drawn once cleared, though apps still finish.
        progress.done(true);
        assert_eq!(screen.drawn(), after_clear);

        // The next wait counts from nothing.
        progress.start("changing", 2);
        revealed(&progress);
        let drawn = screen.drawn()[after_clear.len()..].concat();
        assert!(drawn.contains("changing ["), "{drawn}");
        assert!(drawn.contains("] 0/2 apps, 0 failed ("), "{drawn}");
    }
}
