//! Frames for the device: written at once when the socket takes them (the usual case:
//! no queue, no second task, no wake-up), queued otherwise. A device that does not read
//! ends its connection (`WRITE_TIMEOUT`): when more than `cap` frames wait, or the
//! oldest has waited `timeout`.

use std::collections::VecDeque;
use std::io::ErrorKind;
use std::time::Duration;

use bytes::Bytes;
use tokio::net::TcpStream;
use tokio::time::Instant;

pub struct Outbox {
    /// Frames not yet (completely) written; empty and unallocated while the socket keeps up.
    queue: VecDeque<Bytes>,
    /// Bytes of the front frame already written.
    written: usize,
    /// When the front frame started waiting (`None` while nothing waits).
    since: Option<Instant>,
    /// `gateway.write_queue_frames`.
    cap: usize,
    /// `gateway.write_timeout_secs`.
    timeout: Duration,
    /// Set once the device is deemed not to read, or the socket failed.
    failed: bool,
}

impl Outbox {
    pub fn new(cap: usize, timeout: Duration) -> Self {
        Self {
            queue: VecDeque::new(),
            written: 0,
            since: None,
            cap,
            timeout,
            failed: false,
        }
    }

    /// Writes `frame` now if nothing waits before it, else queues it.
    pub fn send(&mut self, stream: &TcpStream, frame: Bytes) {
        if self.failed {
            return;
        }
        if self.queue.is_empty() {
            match stream.try_write(&frame) {
                Ok(n) if n == frame.len() => return,
                Ok(n) => self.written = n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => self.written = 0,
                Err(_) => {
                    self.failed = true;
                    return;
                }
            }
            self.since = Some(Instant::now());
        } else if self.queue.len() >= self.cap {
            self.failed = true;
            return;
        }
        self.queue.push_back(frame);
    }

    /// Writes what the socket takes now (call when it is writable).
    pub fn flush(&mut self, stream: &TcpStream) {
        while let Some(front) = self.queue.front() {
            let rest = front.get(self.written..).unwrap_or_default();
            match stream.try_write(rest) {
                Ok(n) if n == rest.len() => {
                    self.queue.pop_front();
                    self.written = 0;
                    self.since = (!self.queue.is_empty()).then(Instant::now);
                }
                Ok(n) => self.written += n,
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    self.fail();
                    return;
                }
            }
        }
        self.queue = VecDeque::new();
    }

    /// At the end of the connection: what waits goes out within the write timeout.
    pub async fn finish(&mut self, stream: &TcpStream) {
        let deadline = Instant::now() + self.timeout;
        while self.is_queued() && !self.failed {
            match tokio::time::timeout_at(deadline, stream.writable()).await {
                Ok(Ok(())) => self.flush(stream),
                _ => return,
            }
        }
    }

    pub fn fail(&mut self) {
        self.failed = true;
    }

    pub fn failed(&self) -> bool {
        self.failed
    }

    /// Frames wait for the socket.
    pub fn is_queued(&self) -> bool {
        !self.queue.is_empty()
    }

    /// When the waiting front frame times the connection out.
    pub fn deadline(&self) -> Option<Instant> {
        self.since.map(|s| s + self.timeout)
    }
}
