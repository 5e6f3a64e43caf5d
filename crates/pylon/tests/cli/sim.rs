//! `pylon sim` runs piles against a target (no stack needed).

use std::io::{BufRead, BufReader, Read};
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

fn pylon(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_pylon"));
    c.args(args).env_remove("PYLON_CONFIG");
    c
}

#[test]
fn sim_without_piles_is_a_usage_error() {
    let out = pylon(&["sim"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("nothing to simulate"));
}

#[test]
fn sim_connects_a_dny_pile_that_sends_its_iccid_first() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let target = listener.local_addr().unwrap().to_string();
    let mut child = pylon(&[
        "sim",
        "--dny",
        "1",
        "--target",
        &target,
        "--summary-every",
        "1",
    ])
    .stdout(Stdio::piped())
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    let (mut conn, _) = listener.accept().unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut iccid = [0u8; 20];
    conn.read_exact(&mut iccid).unwrap();
    assert_eq!(&iccid, b"89860000000000000000");
    let mut register = [0u8; 3];
    conn.read_exact(&mut register).unwrap();
    assert_eq!(&register, b"DNY");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let banner = lines.next().unwrap().unwrap();
    assert!(banner.starts_with("pylon sim: 1 DNY piles"), "{banner}");
    let summary = lines.next().unwrap().unwrap();
    assert!(summary.contains("piles 1 connected 1"), "{summary}");
    child.kill().unwrap();
    child.wait().unwrap();
}
