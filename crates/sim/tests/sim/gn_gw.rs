//! A minimal GN "gateway server" for tests, built from the codec: answers heartbeats
//! with the time, acknowledges status clusters, events and end reports the way the
//! fact sheet says (`codec_gn::replies`), and hands every packet to the test.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use codec_gn::units::UnixTime;
use codec_gn::{Decoded, Direction, GatewayId, Message, Packet, StreamDecoder, replies};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::time::timeout;

pub use crate::dny_gw::WAIT;

#[derive(Debug)]
pub enum Seen {
    Packet(Box<Packet>),
    Bad(String),
    Closed,
}

#[derive(Debug)]
pub struct Policy {
    pub ack_reports: AtomicBool,
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
        let policy = Arc::new(Policy {
            ack_reports: AtomicBool::new(true),
        });
        let (seen_tx, seen) = mpsc::unbounded_channel();
        let (cmd, cmd_rx) = mpsc::unbounded_channel();
        tokio::spawn(serve(stream, policy.clone(), seen_tx, cmd_rx));
        Conn {
            policy,
            seen,
            cmd,
            gateway: None,
        }
    }
}

pub struct Conn {
    pub policy: Arc<Policy>,
    seen: mpsc::UnboundedReceiver<Seen>,
    cmd: mpsc::UnboundedSender<Option<Bytes>>,
    pub gateway: Option<GatewayId>,
}

impl Conn {
    pub async fn next(&mut self) -> Seen {
        let s = timeout(WAIT, self.seen.recv())
            .await
            .expect("nothing from the gateway")
            .unwrap_or(Seen::Closed);
        if let Seen::Packet(p) = &s {
            self.gateway = Some(p.gateway_id);
        }
        s
    }

    pub async fn next_within(&mut self, wait: Duration) -> Option<Seen> {
        timeout(wait, self.seen.recv()).await.ok().flatten()
    }

    /// Skips packets until one whose message matches.
    pub async fn packet(&mut self, pred: impl Fn(&Packet) -> bool) -> Packet {
        loop {
            match self.next().await {
                Seen::Packet(p) if pred(&p) => return *p,
                Seen::Closed => panic!("connection closed while waiting for a packet"),
                _ => {}
            }
        }
    }

    pub fn send(&self, sequence: u32, message: Message) -> Bytes {
        let gw = self.gateway.expect("no packet seen yet");
        let bytes = Packet::new(Direction::Down, sequence, gw, message)
            .encode()
            .unwrap();
        let _ = self.cmd.send(Some(bytes.clone()));
        bytes
    }

    pub fn close(&self) {
        let _ = self.cmd.send(None);
    }
}

async fn serve(
    mut stream: TcpStream,
    policy: Arc<Policy>,
    seen: mpsc::UnboundedSender<Seen>,
    mut cmd: mpsc::UnboundedReceiver<Option<Bytes>>,
) {
    let mut dec = StreamDecoder::default();
    let mut rx = BytesMut::new();
    let mut buf = [0u8; 4096];
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
                rx.extend_from_slice(&buf[..n]);
                loop {
                    match dec.decode(&mut rx) {
                        Ok(Some(Decoded::Frame(f))) => {
                            let p = match Packet::from_frame(&f) {
                                Ok(p) => p,
                                Err(e) => {
                                    let _ = seen.send(Seen::Bad(e.to_string()));
                                    continue;
                                }
                            };
                            let reply = match &p.message {
                                Message::Heartbeat(_) => Some(replies::heartbeat_reply(
                                    p.gateway_id,
                                    UnixTime::new(1_750_000_000),
                                )),
                                _ if policy.ack_reports.load(Ordering::Relaxed) => {
                                    replies::acknowledgement(&p)
                                }
                                _ => None,
                            };
                            if let Some(r) = reply {
                                stream.write_all(&r.encode().unwrap()).await.unwrap();
                            }
                            let _ = seen.send(Seen::Packet(Box::new(p)));
                        }
                        Ok(Some(Decoded::Garbage(g))) => {
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
                Some(Some(b)) => stream.write_all(&b).await.unwrap(),
                Some(None) | None => return,
            },
        }
    }
}
