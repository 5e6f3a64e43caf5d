use codec_gn::{Message, Packet};
use proto::events as pb;

use crate::{Harness, hex, read_some, send};

const HEARTBEAT: &str = "fcfe002e000000000000018224121800038238393836303835353130323444313938383139363230302e312e31371152fcee";
const STATUS: &str = "fcfe0091100000000000018224121800038204010110170a010200000000000000000901038224121800038265019403014a0104013effff0301071d0301961e28015b030108000301098004010a000004019508f904010b000204010c000204010d000004010e000028015b030108010301098004010a000004019508f904010b000104010c000104010d000004010e00001efcee";
const GATEWAY: &str = "82241218000382";

fn packets(bytes: &[u8]) -> Vec<Packet> {
    let mut buf = bytes::BytesMut::from(bytes);
    let mut dec = codec_gn::StreamDecoder::new(codec_gn::Limits::default());
    let mut out = Vec::new();
    while let Some(codec_gn::Decoded::Frame(f)) = dec.decode(&mut buf).unwrap() {
        out.push(Packet::from_frame(&f).unwrap());
    }
    out
}

#[tokio::test]
async fn a_gn_gateway_gets_its_time_and_acks() {
    let mut h = Harness::start().await;
    let mut gw = h.connect().await;
    send(&mut gw, &hex(HEARTBEAT)).await;
    let got = packets(&read_some(&mut gw, 500).await);
    assert_eq!(got.len(), 1);
    let Message::HeartbeatReply(r) = &got[0].message else {
        panic!("{:?}", got[0])
    };
    assert_eq!(got[0].gateway_id.to_string(), GATEWAY);
    let now = chrono::Utc::now().timestamp();
    assert!(
        (r.time.get() - now).abs() <= 2,
        "the reply carries the server's clock"
    );

    let (_, c): (_, pb::DeviceConnected) = h.next("connected").await;
    assert_eq!(c.device.unwrap().protocol, pb::Protocol::Gn as i32);
    let (_, hb): (_, pb::DeviceHeartbeat) = h.next("heartbeat").await;
    assert_eq!(hb.iccid, "898608551024D1988196");
    assert_eq!(hb.firmware, "200.1.17");
    assert_eq!(hb.signal, 0x11);

    // A status cluster is acknowledged with BKV 0x1017 + 0x0F = 01.
    send(&mut gw, &hex(STATUS)).await;
    let got = packets(&read_some(&mut gw, 500).await);
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].message.command(), 0x1000);
    let json = codec_gn::describe(&got[0]);
    assert_eq!(json["bkv_command"], "0x1017", "{json}");
    h.stop().await;
}

const CHARGING: &str = "fcfe0091100000000000018224121800038204010110170a010200000000000000000901038224121800038265019403014a0104013effff0301071d0301961e28015b030108000301099004010a000904019508f704010b000404010c002a04010d000004010e000028015b030108010301098004010a000004019508f704010b000104010c000104010d000004010e00005dfcee";

#[tokio::test]
async fn status_clusters_become_socket_port_and_meter_events() {
    let mut h = Harness::start().await;
    let mut gw = h.connect().await;
    send(&mut gw, &hex(HEARTBEAT)).await;
    send(&mut gw, &hex(STATUS)).await;
    read_some(&mut gw, 300).await;
    let socket = format!("{GATEWAY}-1");
    let (subject, hb): (_, pb::DeviceHeartbeat) = loop {
        let (s, hb): (_, pb::DeviceHeartbeat) = h.next("heartbeat").await;
        if hb.device.as_ref().unwrap().device_id == socket {
            break (s, hb);
        }
    };
    assert_eq!(
        subject,
        h.ns.subject(&["device", "_", &socket, "heartbeat"])
    );
    assert_eq!(hb.device.unwrap().gateway_id, GATEWAY);
    assert_eq!(
        (hb.temperature_c, hb.signal, hb.port_count),
        (Some(29), 30, 2)
    );
    for port in [1, 2] {
        let (_, ps): (_, pb::PortStatusChanged) = h.next("port_status").await;
        assert_eq!(
            (ps.port, ps.state, ps.raw_status),
            (port, pb::PortState::Idle as i32, 0x80)
        );
    }
    // Port A starts charging (status 0x90, business number 9): a change and a meter sample;
    // port B did not change and is not republished.
    send(&mut gw, &hex(CHARGING)).await;
    let (_, ps): (_, pb::PortStatusChanged) = h.next("port_status").await;
    assert_eq!(
        (ps.port, ps.state, ps.previous),
        (
            1,
            pb::PortState::Charging as i32,
            pb::PortState::Idle as i32
        )
    );
    let (_, m): (_, pb::MeterSample) = h.next("meter").await;
    assert_eq!(
        (
            m.port,
            m.order_ref.as_str(),
            m.voltage_dv,
            m.power_dw,
            m.current_ma
        ),
        (1, "9", 2295, 4, 42)
    );
    h.none("port_status", 500).await;
    h.stop().await;
}
