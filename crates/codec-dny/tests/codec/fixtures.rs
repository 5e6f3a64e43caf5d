//! Byte fixtures from the vendor documents, annotated field by field.

use bytes::Bytes;
use codec_dny::{
    Downlink, Frame, MessageId, NulText, OrderNo, PhysicalId, Port, ServerAddress, StartStopAnswer,
    Uplink, Wh,
};

use crate::unhex;

fn up(hex: &str) -> Frame<Uplink> {
    let bytes = unhex(hex);
    let f = Frame::<Uplink>::decode(&bytes).unwrap();
    assert_eq!(
        f.to_bytes().unwrap().as_ref(),
        bytes.as_slice(),
        "re-encode"
    );
    f
}

fn down(hex: &str) -> Frame<Downlink> {
    let bytes = unhex(hex);
    let f = Frame::<Downlink>::decode(&bytes).unwrap();
    assert_eq!(
        f.to_bytes().unwrap().as_ref(),
        bytes.as_slice(),
        "re-encode"
    );
    f
}

const ORDER: &str = "20190901180000130030380102030405";

#[test]
fn settlement_0x03_spec_example() {
    let f = up("
        444e59        -- DNY
        2800          -- length 40
        3b37ab04      -- physical id 04ab373b
        0100          -- msg id 1
        03            -- settlement
        100e          -- charge duration 3600 s
        e803          -- max power 1000 = 100.0 W
        3000          -- energy 48 x 0.01 kWh = 480 Wh
        01            -- port 1 (0-based: second port)
        01            -- start mode: online
        00000000      -- card id: none for online starts
        01            -- stop reason: full
        20190901180000130030380102030405 -- order no
        e803          -- second max power 100.0 W
        4405          -- checksum 0x0544
    "
    .lines()
    .map(|l| l.split("--").next().unwrap())
    .collect::<String>()
    .as_str());
    assert_eq!(f.physical_id, "04ab373b".parse::<PhysicalId>().unwrap());
    assert_eq!(f.message_id, MessageId::new(1));
    let Uplink::Settlement(s) = f.message else {
        panic!()
    };
    assert_eq!(s.record.charge_duration_s, 3600);
    assert_eq!(s.record.max_power.get(), 1000);
    assert_eq!(s.record.energy, Wh::new(480));
    assert_eq!(s.record.port, Port::new(1));
    assert_eq!(s.record.start_mode, 1);
    assert_eq!(s.record.card_id.decimal(), 0);
    assert_eq!(s.record.stop_reason, 1);
    assert_eq!(s.record.order_no, ORDER.parse::<OrderNo>().unwrap());
    assert_eq!(s.second_max_power.map(|p| p.get()), Some(1000));
    assert_eq!(s.timestamp, None);
    assert_eq!(s.occupancy_min, None);
    assert!(s.extra.is_empty());
}

#[test]
fn port_power_heartbeat_0x06_spec_example() {
    let f = up(concat!(
        "444e59",
        "3200",
        "3b37ab04",
        "0a00",
        "06",                               // header, length 50, id, msg 10, cmd
        "01",                               // port 2
        "01",                               // status: charging
        "100e",                             // 3600 s
        "3000",                             // 480 Wh
        "01",                               // online start
        "e803",                             // power now 100.0 W
        "b004",                             // max 120.0 W
        "2003",                             // min 80.0 W
        "e803",                             // average 100.0 W
        "20190901180000130030380102030405", // order no
        "0100",                             // interval energy raw 1
        "e803",                             // peak power 100.0 W
        "9808",                             // voltage 220.0 V
        "c701",                             // current 455 mA
        "55",                               // ambient 85 - 65 = 20 degC
        "00",                               // port temperature: no sensor
        "da08",                             // checksum
    ));
    let Uplink::PortPowerHeartbeat(h) = f.message else {
        panic!()
    };
    assert_eq!(h.port.number(), Some(2));
    assert_eq!((h.status, h.charge_duration_s), (1, 3600));
    assert_eq!(h.energy.get(), 480);
    assert_eq!(
        (
            h.power.get(),
            h.max_power.get(),
            h.min_power.get(),
            h.avg_power.get()
        ),
        (1000, 1200, 800, 1000)
    );
    assert_eq!(h.interval_energy_raw, Some(1));
    assert_eq!(h.peak_power.map(|p| p.get()), Some(1000));
    assert_eq!(h.voltage.map(|v| v.get()), Some(2200));
    assert_eq!(h.current.map(|c| c.get()), Some(455));
    assert_eq!(h.ambient_temperature.and_then(|t| t.celsius()), Some(20));
    assert_eq!(h.port_temperature.map(|t| t.celsius()), Some(None));
    assert_eq!((h.timestamp, h.occupancy_min), (None, None));
}

#[test]
fn start_stop_answer_0x82_spec_example_and_short_form() {
    let f = up(concat!(
        "444e59",
        "1d00",
        "3b37ab04",
        "0200",
        "82",
        "00",                               // result: done
        "12345678123456781234567812345678", // order no
        "01",                               // port 2
        "0000",                             // waiting ports (result 5 only)
        "fe06",                             // checksum 0x06fe, little-endian
    ));
    let Uplink::StartStopAnswer(a) = f.message else {
        panic!()
    };
    assert_eq!(a.result, 0);
    assert_eq!(a.port, Some(Port::new(1)));
    assert_eq!(a.waiting_ports, Some(0));

    // A real device answered with only two bytes: result 1, then one byte
    // that cannot be an order number and is kept as extra.
    let short = Frame {
        physical_id: f.physical_id,
        message_id: f.message_id,
        message: Uplink::StartStopAnswer(StartStopAnswer {
            result: 1,
            extra: Bytes::from_static(&[1]),
            ..Default::default()
        }),
    };
    let bytes = short.to_bytes().unwrap();
    assert_eq!(&bytes[12..14], &[0x01, 0x01]);
    assert_eq!(Frame::<Uplink>::decode(&bytes).unwrap(), short);
}

#[test]
fn card_swipe_0x02_spec_example() {
    let f = up(concat!(
        "444e59", "1100", "3b37ab04", "0100", "02",
        "7a8d05dd", // card id (decimal big-endian 2056062429)
        "00",       // old card
        "01",       // port 2: a charging request
        "0000",     // balance on card 0 fen
        "0a04",     // checksum
    ));
    let Uplink::CardSwipe(c) = f.message else {
        panic!()
    };
    assert_eq!(c.card_id.decimal(), 0x7a8d05dd);
    assert_eq!((c.card_type, c.port, c.balance.get()), (0, Port::new(1), 0));
    assert_eq!((c.timestamp, c.card2), (None, None));
}

#[test]
fn change_server_address_0x34_host_example() {
    let f = down(concat!(
        "444e59",
        "3b00",
        "7008be76",
        "0000",
        "34",
        "b822",               // port 8888
        "03",                 // 4G
        "01",                 // socket B on
        "62616964752e636f6d", // "baidu.com"
        "00000000000000000000000000000000000000000000000000000000000000000000000000", // NUL padding to 46
        "5607",
    ));
    let Downlink::ChangeServerAddress(a) = &f.message else {
        panic!()
    };
    assert_eq!(f.physical_id.to_string(), "76be0870");
    assert_eq!((a.server_port, a.module_type, a.socket_b), (8888, 3, 1));
    assert_eq!(a.address.text(), "baidu.com");
    let built = ServerAddress {
        server_port: 8888,
        module_type: 3,
        socket_b: 1,
        address: NulText::padded("baidu.com", 46).unwrap(),
        extra: Bytes::new(),
    };
    assert_eq!(a, &built);
}

#[test]
fn times_0x22_and_0x12_answers() {
    // 0x22 answer from the device spec, 0x12 answer from the host spec.
    let f = down(
        "444e590d003b37ab04b9002209 0ea95f 1304"
            .replace(' ', "")
            .as_str(),
    );
    let Downlink::Time(t) = f.message else {
        panic!()
    };
    assert_eq!(t.timestamp.secs(), 0x5FA90E09);
    let f = down("444e590d008426d609050012de5ca95fda04");
    let Downlink::HostTime(t) = f.message else {
        panic!()
    };
    // 2020-11-09 23:14:38 Beijing
    assert_eq!(t.timestamp.to_iso8601(), "2020-11-09T15:14:38Z");
}

#[test]
fn params_0x86_and_0x8a_examples() {
    let f = down(concat!(
        "444e59",
        "1600",
        "3b37ab04",
        "0200",
        "86",
        "00",           // sector 0
        "159185191880", // user-card key
        "ffffffffffff", // new-card key
        "800a",
    ));
    let Downlink::SetCardParams(p) = f.message else {
        panic!()
    };
    assert_eq!(p.user_key, [0x15, 0x91, 0x85, 0x19, 0x18, 0x80]);
    let f = down(concat!(
        "444e59", "0d00", "3b37ab04", "0200", "8a", "00",   // timed, no full-stop
        "01",   // port 2
        "8070", // 28800 s
        "9603",
    ));
    let Downlink::ModifyCharge(m) = f.message else {
        panic!()
    };
    assert_eq!((m.rate_mode, m.port.get(), m.value), (0, 1, 28800));
    assert_eq!(m.energy(), None);
}

#[test]
fn direction_decides_0x8d() {
    let bytes = unhex("444e590a003b37ab0401008d00a402");
    let d = Frame::<Downlink>::decode(&bytes).unwrap();
    let u = Frame::<Uplink>::decode(&bytes).unwrap();
    assert!(matches!(d.message, Downlink::SetWorkMode(ref m) if m.work_mode == 0));
    assert!(matches!(u.message, Uplink::SetWorkModeAnswer(ref a) if a.result == 0));
}

#[test]
fn unknown_commands_keep_their_bytes() {
    // 0x73 appears only in a change log.
    let raw = codec_dny::RawFrame {
        physical_id: "04ab373b".parse().unwrap(),
        message_id: MessageId::new(1),
        command: 0x73,
        data: Bytes::from_static(&[1, 2, 3]),
    };
    let bytes = raw.to_bytes().unwrap();
    let f = Frame::<Uplink>::decode(&bytes).unwrap();
    assert!(
        matches!(&f.message, Uplink::Unknown { command: 0x73, payload } if payload.as_ref() == [1, 2, 3])
    );
    assert_eq!(f.to_bytes().unwrap(), bytes);
}
