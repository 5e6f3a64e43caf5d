//! Start commands this process sent, by port, and how they ended. A pile that starts
//! answers the command (the gateway's gRPC answer, which moves the order to `charging`)
//! and also reports the start as a device event. Both used to try the same transition:
//! the event's handler read the order, usually lost the race to the answer (its update
//! found a newer version), read it again and ignored it — three statements for nothing
//! on every order. The handler now asks here first: a start this process saw confirmed
//! on that port, with the same order reference, needs nothing more. Anything else (no
//! entry: another replica sent it, or the entry expired; a failed or still unanswered
//! start; another reference) goes the usual way, so this only ever skips work the state
//! machine would have ignored.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::sync::watch;

/// How long an outcome is remembered: the pile's report follows its answer within
/// moments; a report later than this takes the usual way.
const REMEMBERED: Duration = Duration::from_secs(60);
/// Entries kept before the expired ones are swept out on the next start.
const SWEEP_ABOVE: usize = 4_096;

/// Where a start command stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Start {
    /// Sent, no answer yet.
    Sent,
    /// The pile answered and this process moved the order to `charging`; the order's
    /// reference as the pile knows it.
    Confirmed(String),
    /// Anything else: refused, unanswered, or the transition did not apply.
    NotConfirmed,
}

type Port = (String, u32);

struct Entry {
    at: Instant,
    state: watch::Sender<Start>,
}

#[derive(Default)]
pub struct Starts(Mutex<Remembered>);

#[derive(Default)]
struct Remembered {
    by_port: HashMap<Port, Entry>,
    /// Sweep the expired entries when the map reaches this size: twice what the last
    /// sweep left (at least [`SWEEP_ABOVE`]), so a map of fresh entries — reports
    /// consumed by another replica — is not swept on every start.
    sweep_at: usize,
}

impl Starts {
    /// Records a start about to be sent on `port` of `device` (replacing an older one of
    /// that port); report its outcome through the guard. A guard dropped unreported
    /// counts as not confirmed.
    pub fn sent(self: &Arc<Self>, device: &str, port: u32) -> Sending {
        let key = (device.to_owned(), port);
        let (state, _) = watch::channel(Start::Sent);
        let mut memory = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if memory.by_port.len() >= memory.sweep_at.max(SWEEP_ABOVE) {
            memory.by_port.retain(|_, e| e.at.elapsed() < REMEMBERED);
            memory.sweep_at = memory.by_port.len() * 2;
        }
        memory.by_port.insert(
            key.clone(),
            Entry {
                at: Instant::now(),
                state: state.clone(),
            },
        );
        Sending {
            starts: self.clone(),
            key,
            state,
        }
    }

    /// Whether the pile's start report for `order_ref` on `port` of `device` is one this
    /// process already applied: waits (at most `wait`) while that port's start is in
    /// flight. A `true` is given once per start: the entry is removed.
    pub async fn already_applied(
        &self,
        device: &str,
        port: u32,
        order_ref: &str,
        wait: Duration,
    ) -> bool {
        if order_ref.is_empty() {
            return false;
        }
        let key = (device.to_owned(), port);
        let state = {
            let memory = self.0.lock().unwrap_or_else(|e| e.into_inner());
            match memory.by_port.get(&key) {
                Some(e) if e.at.elapsed() < REMEMBERED => e.state.clone(),
                _ => return false,
            }
        };
        let mut rx = state.subscribe();
        let _ = tokio::time::timeout(wait, rx.wait_for(|s| *s != Start::Sent)).await;
        let applied = matches!(&*rx.borrow(), Start::Confirmed(r) if r == order_ref);
        if applied {
            self.forget(&key, &state);
        }
        applied
    }

    /// Removes the entry of `port` if it is still the start whose state is `state` (a
    /// newer start on the port keeps its own).
    fn forget(&self, port: &Port, state: &watch::Sender<Start>) {
        let mut memory = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if memory
            .by_port
            .get(port)
            .is_some_and(|e| e.state.same_channel(state))
        {
            memory.by_port.remove(port);
        }
    }
}

/// A start in flight; tell it how it ended.
pub struct Sending {
    starts: Arc<Starts>,
    key: Port,
    state: watch::Sender<Start>,
}

impl Sending {
    /// The order moved to `charging` on the pile's answer; `order_ref` is its reference.
    pub fn confirmed(self, order_ref: &str) {
        self.state
            .send_replace(Start::Confirmed(order_ref.to_owned()));
    }
}

impl Drop for Sending {
    fn drop(&mut self) {
        let unconfirmed = self.state.send_if_modified(|s| {
            let sent = *s == Start::Sent;
            if sent {
                *s = Start::NotConfirmed;
            }
            sent
        });
        // A start that was not confirmed leaves nothing to skip: forget it now.
        if unconfirmed {
            self.starts.forget(&self.key, &self.state);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const WAIT: Duration = Duration::from_secs(5);

    #[tokio::test]
    async fn a_confirmed_start_is_applied_once_for_its_own_reference() {
        let starts = Arc::new(Starts::default());
        starts.sent("pile-1", 1).confirmed("ref-a");
        assert!(!starts.already_applied("pile-1", 1, "ref-b", WAIT).await);
        assert!(!starts.already_applied("pile-1", 2, "ref-a", WAIT).await);
        assert!(!starts.already_applied("pile-2", 1, "ref-a", WAIT).await);
        assert!(!starts.already_applied("pile-1", 1, "", WAIT).await);
        assert!(starts.already_applied("pile-1", 1, "ref-a", WAIT).await);
        assert!(
            !starts.already_applied("pile-1", 1, "ref-a", WAIT).await,
            "a second report of the same start takes the usual way"
        );
    }

    #[tokio::test]
    async fn a_start_that_failed_or_was_dropped_skips_nothing() {
        let starts = Arc::new(Starts::default());
        drop(starts.sent("pile-1", 1));
        assert!(!starts.already_applied("pile-1", 1, "ref-a", WAIT).await);
        assert!(
            starts.0.lock().unwrap().by_port.is_empty(),
            "forgotten at once"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_report_during_the_command_waits_for_its_answer() {
        let starts = Arc::new(Starts::default());
        let sending = starts.sent("pile-1", 1);
        let s = starts.clone();
        let report =
            tokio::spawn(async move { s.already_applied("pile-1", 1, "ref-a", WAIT).await });
        tokio::time::sleep(Duration::from_millis(50)).await;
        assert!(
            !report.is_finished(),
            "waits while the command is in flight"
        );
        sending.confirmed("ref-a");
        assert!(report.await.unwrap());

        // Unanswered within the wait: the report takes the usual way.
        let _still_sending = starts.sent("pile-1", 2);
        assert!(!starts.already_applied("pile-1", 2, "ref-b", WAIT).await);
    }

    #[tokio::test]
    async fn a_newer_start_on_the_port_replaces_the_older() {
        let starts = Arc::new(Starts::default());
        let old = starts.sent("pile-1", 1);
        starts.sent("pile-1", 1).confirmed("ref-new");
        drop(old);
        assert!(
            starts.already_applied("pile-1", 1, "ref-new", WAIT).await,
            "the older start's end does not remove the newer one's entry"
        );
    }

    #[test]
    fn fresh_entries_past_the_sweep_size_are_kept_and_not_swept_each_time() {
        let starts = Arc::new(Starts::default());
        for i in 0..(SWEEP_ABOVE as u32 + 10) {
            starts.sent("pile", i).confirmed("r");
        }
        let memory = starts.0.lock().unwrap();
        assert_eq!(
            memory.by_port.len(),
            SWEEP_ABOVE + 10,
            "nothing expired yet"
        );
        assert_eq!(
            memory.sweep_at,
            SWEEP_ABOVE * 2,
            "the next sweep waits for twice as many"
        );
    }
}
