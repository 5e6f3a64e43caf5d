//! Frames for the device: written at once when the socket takes them (the usual case:
//! no queue, no second task, no wake-up), queued otherwise. A device that does not read
//! ends its connection (`WRITE_TIMEOUT`): when more than `cap` frames wait, or the
//! oldest has waited `timeout`.
//!
//! The answers to one read's frames are held and written together ([`Outbox::hold`],
//! [`Outbox::release`]): a device that fell behind, or a gateway that did, has several
//! frames in one read, and on loopback and real networks alike each write is a system
//! call and a segment of its own. One write per frame was the gateway's largest cost at
//! its limit (docs/benchmarks.md, "Fifteenth machine").

use std::collections::VecDeque;
use std::io::{ErrorKind, IoSlice};
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
    /// The first frame held for [`Outbox::release`]; a read with one frame (an idle
    /// device's) needs no more, so most connections never allocate `more`.
    held: Option<Bytes>,
    /// The frames held after the first, in order.
    more: Vec<Bytes>,
}

/// Frames written by one `writev` at most; the rest are queued and follow when the socket
/// is writable again.
const MAX_IOV: usize = 32;

impl Outbox {
    pub fn new(cap: usize, timeout: Duration) -> Self {
        Self {
            queue: VecDeque::new(),
            written: 0,
            since: None,
            cap,
            timeout,
            failed: false,
            held: None,
            more: Vec::new(),
        }
    }

    /// Keeps `frame` to be written with the others held at [`Outbox::release`]. Whoever
    /// holds must release before anything that waits, and before sending otherwise.
    pub fn hold(&mut self, frame: Bytes) {
        match self.held {
            None => self.held = Some(frame),
            Some(_) => self.more.push(frame),
        }
    }

    /// Writes what is held, in one system call when the socket takes it all; what it
    /// does not take is queued, in order.
    pub fn release(&mut self, stream: &TcpStream) {
        let Some(first) = self.held.take() else {
            return;
        };
        // Taken out and put back: its capacity serves the next read.
        let mut more = std::mem::take(&mut self.more);
        let mut written = 0;
        if !self.failed && self.queue.is_empty() {
            let mut iov = [IoSlice::new(&[]); MAX_IOV];
            let frames = std::iter::once(&first).chain(&more);
            let n = iov
                .iter_mut()
                .zip(frames)
                .map(|(s, f)| *s = IoSlice::new(f))
                .count();
            written = match stream.try_write_vectored(&iov[..n]) {
                Ok(w) => w,
                Err(e) if e.kind() == ErrorKind::WouldBlock => 0,
                Err(_) => {
                    self.failed = true;
                    0
                }
            };
        }
        for f in std::iter::once(first).chain(more.drain(..)) {
            if written >= f.len() {
                written -= f.len();
            } else if self.queue.is_empty() && !self.failed {
                // The first frame not (completely) written starts the queue.
                self.written = std::mem::take(&mut written);
                self.since = Some(Instant::now());
                self.queue.push_back(f);
            } else {
                self.enqueue(f);
            }
        }
        self.more = more;
    }

    /// Writes `frame` now (after anything held) if nothing waits before it, else queues it.
    pub fn send(&mut self, stream: &TcpStream, frame: Bytes) {
        self.hold(frame);
        self.release(stream);
    }

    /// Queues `frame` behind others that wait; too many waiting ends the connection.
    fn enqueue(&mut self, frame: Bytes) {
        if self.failed {
            return;
        }
        if self.queue.len() >= self.cap {
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

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpSocket};

    /// A connected pair on loopback; the gateway's end has a small send buffer so that a
    /// device that does not read fills it quickly.
    async fn pair() -> (TcpStream, TcpStream) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let socket = TcpSocket::new_v4().unwrap();
        socket.set_send_buffer_size(4096).unwrap();
        let (ours, theirs) = tokio::join!(
            socket.connect(listener.local_addr().unwrap()),
            listener.accept()
        );
        (ours.unwrap(), theirs.unwrap().0)
    }

    fn frames(n: usize, len: usize) -> Vec<Bytes> {
        (0..n)
            .map(|i| Bytes::from(vec![u8::try_from(i % 251).unwrap(); len]))
            .collect()
    }

    async fn read_exactly(device: &mut TcpStream, n: usize) -> Vec<u8> {
        let mut got = vec![0; n];
        tokio::time::timeout(Duration::from_secs(10), device.read_exact(&mut got))
            .await
            .expect("the device received everything within 10 s")
            .unwrap();
        got
    }

    #[tokio::test]
    async fn held_answers_reach_the_device_in_order_and_only_when_released() {
        let (gateway, mut device) = pair().await;
        let mut out = Outbox::new(16, Duration::from_secs(5));
        let sent = frames(3, 7);
        for f in &sent {
            out.hold(f.clone());
        }
        let mut probe = [0u8; 1];
        let early = tokio::time::timeout(Duration::from_millis(50), device.read(&mut probe));
        assert!(early.await.is_err(), "nothing is written before release");
        out.release(&gateway);
        assert!(!out.is_queued() && !out.failed());
        assert_eq!(read_exactly(&mut device, 21).await, sent.concat());
        // A lone held frame goes out the same way, and the outbox holds nothing after.
        out.hold(Bytes::from_static(b"one"));
        out.release(&gateway);
        out.release(&gateway);
        assert_eq!(read_exactly(&mut device, 3).await, b"one");
    }

    #[tokio::test]
    async fn what_the_socket_does_not_take_is_queued_in_order_and_flushed_later() {
        let (gateway, mut device) = pair().await;
        let mut out = Outbox::new(1_000, Duration::from_secs(5));
        // More than the socket buffers on both ends take, and more than one `writev`.
        let sent = frames(MAX_IOV * 20, 1024);
        for f in &sent {
            out.hold(f.clone());
        }
        out.release(&gateway);
        assert!(out.is_queued() && out.deadline().is_some() && !out.failed());
        let expected = sent.concat();
        let reader = tokio::spawn(async move { read_exactly(&mut device, expected.len()).await });
        while out.is_queued() {
            gateway.writable().await.unwrap();
            out.flush(&gateway);
        }
        assert_eq!(reader.await.unwrap(), sent.concat());
        assert!(out.deadline().is_none());
    }

    #[tokio::test]
    async fn a_device_that_does_not_read_fails_the_outbox_once_too_many_wait() {
        let (gateway, _device) = pair().await;
        let mut out = Outbox::new(4, Duration::from_secs(5));
        for f in frames(MAX_IOV * 100, 1024) {
            out.hold(f);
        }
        out.release(&gateway);
        assert!(out.failed(), "more than the cap waited");
    }
}
