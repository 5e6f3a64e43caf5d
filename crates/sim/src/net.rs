//! Connecting, and waiting before the next try.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};
use tokio::time::timeout;

use crate::clock::Clock;
use crate::config::NetConfig;
use crate::rng::Rng;

/// Shortest wall-clock wait between connects: at high speed-ups the simulated
/// back-off shrinks to nothing, and a pile must not spin against a closed port.
const MIN_WALL_BACKOFF: Duration = Duration::from_millis(10);

/// Opens a connection to the target from the pile's source address (`index` picks
/// one of `source_addrs`).
pub(crate) async fn connect(net: &NetConfig, index: u32) -> io::Result<TcpStream> {
    let socket = if net.target.is_ipv4() {
        TcpSocket::new_v4()?
    } else {
        TcpSocket::new_v6()?
    };
    if let Some(size) = net.socket_buffer {
        socket.set_send_buffer_size(size)?;
        socket.set_recv_buffer_size(size)?;
    }
    if !net.source_addrs.is_empty() {
        let i = usize::try_from(index).unwrap_or(0) % net.source_addrs.len();
        if let Some(ip) = net.source_addrs.get(i) {
            socket.bind(SocketAddr::new(*ip, 0))?;
        }
    }
    let stream = timeout(net.connect_timeout, socket.connect(net.target))
        .await
        .map_err(|_| io::Error::new(io::ErrorKind::TimedOut, "connect timed out"))??;
    // Frames are small and answers should go out at once.
    stream.set_nodelay(true)?;
    Ok(stream)
}

/// Exponential back-off in simulated time, jittered ±20 % so a fleet that lost its
/// gateway does not reconnect in lockstep.
#[derive(Debug)]
pub(crate) struct Backoff {
    min: Duration,
    max: Duration,
    next: Duration,
}

impl Backoff {
    pub(crate) fn new(min: Duration, max: Duration) -> Self {
        Backoff {
            min,
            max,
            next: min,
        }
    }

    pub(crate) fn reset(&mut self) {
        self.next = self.min;
    }

    /// The next wait, as wall time.
    pub(crate) fn next_wall(&mut self, clock: &Clock, rng: &mut Rng) -> Duration {
        let sim = self.next;
        self.next = (self.next * 2).min(self.max);
        Self::wall(sim, clock, rng)
    }

    /// The shortest wait, as wall time (after a requested reconnect or a reboot).
    pub(crate) fn min_wall(&self, clock: &Clock, rng: &mut Rng) -> Duration {
        Self::wall(self.min, clock, rng)
    }

    fn wall(sim: Duration, clock: &Clock, rng: &mut Rng) -> Duration {
        let ms = u64::try_from(sim.as_millis()).unwrap_or(u64::MAX);
        let jittered = Duration::from_millis(rng.jitter(ms, 20));
        clock.wall_duration(jittered).max(MIN_WALL_BACKOFF)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_max() {
        let clock = Clock::new(1);
        let mut rng = Rng::new(1);
        let mut b = Backoff::new(Duration::from_secs(5), Duration::from_secs(12));
        let w: Vec<u64> = (0..4)
            .map(|_| b.next_wall(&clock, &mut rng).as_millis() as u64)
            .collect();
        assert!((4000..=6000).contains(&w[0]));
        assert!((8000..=12000).contains(&w[1]));
        assert!((9600..=14400).contains(&w[2]) && (9600..=14400).contains(&w[3]));
        b.reset();
        assert!(b.next_wall(&clock, &mut rng) <= Duration::from_secs(6));
        let fast = Clock::new(1_000_000);
        assert_eq!(b.min_wall(&fast, &mut rng), MIN_WALL_BACKOFF);
    }
}
