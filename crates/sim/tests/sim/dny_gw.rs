//! A minimal DNY "gateway" for tests, built from the codec: accepts a pile, answers
//! register, heartbeat and time at once, acknowledges settlements (optionally only
//! after skipping some transmissions), and hands every item it reads to the test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use bytes::Bytes;
use codec_dny::{
    Downlink, Frame, Item, MessageId, PhysicalId, ResultAnswer, StreamDecoder, TimeAnswer,
    UnixTime, Uplink,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

pub const WAIT: Duration = Duration::from_secs(10);

/// What the gateway read.
#[derive(Debug)]
pub enum Seen {
    Iccid(String),
    Link,
    Frame(Frame<Uplink>),
    /// A decode error (text of the codec's error).
    Bad(String),
    Closed,
}

/// What the gateway answers by itself.
#[derive(Debug)]
pub struct Policy {
    pub answer_heartbeats: AtomicBool,
    pub ack_settlements: AtomicBool,
    /// Settlement transmissions to ignore before acknowledging.
    pub skip_settlements: AtomicU32,
}

impl Default for Policy {
    fn default() -> Self {
        Policy {
            answer_heartbeats: AtomicBool::new(true),
            ack_settlements: AtomicBool::new(true),
            skip_settlements: AtomicU32::new(0),
        }
    }
}

pub struct Listener {
    listener: TcpListener,
    pub addr: SocketAddr,
}

impl Listener {
    pub async fn bind() -> Listener {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        Listener { listener, addr }
    }

    pub async fn accept(&self) -> Conn {
        let (stream, _) = timeout(WAIT, self.listener.accept())
            .await
            .expect("no connection")
            .unwrap();
        Conn::start(stream)
    }
}

enum Cmd {
    Send(Bytes),
    Close,
}

pub struct Conn {
    pub policy: Arc<Policy>,
    seen: mpsc::UnboundedReceiver<Seen>,
    cmd: mpsc::UnboundedSender<Cmd>,
    pub physical_id: Option<PhysicalId>,
}

impl Conn {
    fn start(stream: TcpStream) -> Conn {
        let policy = Arc::new(Policy::default());
        let (seen_tx, seen) = mpsc::unbounded_channel();
        let (cmd, cmd_rx) = mpsc::unbounded_channel();
        tokio::spawn(serve(stream, policy.clone(), seen_tx, cmd_rx));
        Conn {
            policy,
            seen,
            cmd,
            physical_id: None,
        }
    }

    pub async fn next(&mut self) -> Seen {
        let s = timeout(WAIT, self.seen.recv())
            .await
            .expect("nothing from the pile")
            .unwrap_or(Seen::Closed);
        if let Seen::Frame(f) = &s {
            self.physical_id = Some(f.physical_id);
        }
        s
    }

    /// The next item within `wait`, if any.
    pub async fn next_within(&mut self, wait: Duration) -> Option<Seen> {
        timeout(wait, self.seen.recv()).await.ok().flatten()
    }

    /// Skips items until a frame matching `pred`.
    pub async fn frame(&mut self, pred: impl Fn(&Uplink) -> bool) -> Frame<Uplink> {
        loop {
            match self.next().await {
                Seen::Frame(f) if pred(&f.message) => return f,
                Seen::Closed => panic!("connection closed while waiting for a frame"),
                _ => {}
            }
        }
    }

    pub fn send(&self, id: u16, message: Downlink) -> Bytes {
        let frame = Frame {
            physical_id: self.physical_id.expect("no frame seen yet"),
            message_id: MessageId::new(id),
            message,
        };
        let bytes = frame.to_bytes().unwrap();
        self.send_raw(bytes.clone());
        bytes
    }

    pub fn send_raw(&self, bytes: Bytes) {
        let _ = self.cmd.send(Cmd::Send(bytes));
    }

    pub fn close(&self) {
        let _ = self.cmd.send(Cmd::Close);
    }
}

fn answer_for(f: &Frame<Uplink>, policy: &Policy) -> Option<Downlink> {
    let now = UnixTime::new(1_750_000_000);
    match &f.message {
        Uplink::Register(_) => Some(Downlink::RegisterAnswer(ResultAnswer::new(0))),
        Uplink::Heartbeat(_) if policy.answer_heartbeats.load(Ordering::Relaxed) => {
            Some(Downlink::HeartbeatAnswer(ResultAnswer::new(0)))
        }
        Uplink::TimeRequest(_) => Some(Downlink::Time(TimeAnswer {
            timestamp: now,
            extra: Bytes::new(),
        })),
        Uplink::Settlement(_) => {
            let skip = policy.skip_settlements.load(Ordering::Relaxed);
            if skip > 0 {
                policy.skip_settlements.store(skip - 1, Ordering::Relaxed);
                None
            } else if policy.ack_settlements.load(Ordering::Relaxed) {
                Some(Downlink::SettlementAnswer(ResultAnswer::new(0)))
            } else {
                None
            }
        }
        _ => None,
    }
}

async fn serve(
    mut stream: TcpStream,
    policy: Arc<Policy>,
    seen: mpsc::UnboundedSender<Seen>,
    mut cmd: mpsc::UnboundedReceiver<Cmd>,
) {
    let mut dec = StreamDecoder::new();
    let mut buf = [0u8; 2048];
    loop {
        tokio::select! {
            r = stream.read(&mut buf) => {
                let n = match r {
                    Ok(0) | Err(_) => {
                        let _ = seen.send(Seen::Closed);
                        return;
                    }
                    Ok(n) => n,
                };
                dec.feed(&buf[..n]).unwrap();
                loop {
                    match dec.decode_next() {
                        Ok(Some(Item::Frame(raw))) => {
                            let f = Frame::<Uplink>::from_raw(&raw).unwrap();
                            if let Some(answer) = answer_for(&f, &policy) {
                                let out = Frame {
                                    physical_id: f.physical_id,
                                    message_id: f.message_id,
                                    message: answer,
                                };
                                stream.write_all(&out.to_bytes().unwrap()).await.unwrap();
                            }
                            let _ = seen.send(Seen::Frame(f));
                        }
                        Ok(Some(Item::Iccid(i))) => {
                            let _ = seen.send(Seen::Iccid(i.to_string()));
                        }
                        Ok(Some(Item::Link)) => {
                            let _ = seen.send(Seen::Link);
                        }
                        Ok(Some(Item::Garbage(g) | Item::Incomplete(g))) => {
                            let _ = seen.send(Seen::Bad(format!("{} garbage bytes", g.len())));
                        }
                        Ok(None) => break,
                        Err(e) => {
                            let _ = seen.send(Seen::Bad(e.to_string()));
                        }
                    }
                }
            }
            c = cmd.recv() => match c {
                Some(Cmd::Send(b)) => stream.write_all(&b).await.unwrap(),
                Some(Cmd::Close) | None => return,
            },
        }
    }
}
