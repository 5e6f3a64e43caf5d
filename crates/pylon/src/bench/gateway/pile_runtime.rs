//! The load piles' runtime: a thread of their own in the benchmark's process.

/// The load piles' own single-threaded runtime, driven by a thread of its own until
/// dropped. On the benchmark's multi-threaded runtime every pile's timer and every
/// answer woke a worker thread parked on another core (thread switches were a sixth of
/// the piles' CPU); one thread that finds the next pile's work waiting leaves more of
/// the two cores to the gateway and NATS, which are what is measured.
pub struct PileRuntime {
    pub handle: tokio::runtime::Handle,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PileRuntime {
    pub fn start() -> anyhow::Result<PileRuntime> {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let handle = rt.handle().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("load-piles".into())
            .spawn(move || {
                // Ends when the sender is dropped too.
                let _ = rt.block_on(stopped);
            })?;
        Ok(PileRuntime {
            handle,
            stop: Some(stop),
            thread: Some(thread),
        })
    }
}

impl Drop for PileRuntime {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(t) = self.thread.take() {
            // The thread only drops its runtime (and the piles' sockets) after this.
            let _ = t.join();
        }
    }
}
