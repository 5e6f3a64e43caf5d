//! Byte fixtures annotated field by field: the document's example frames that are
//! not in the shared vectors (all checksum-valid), and the typed values of a few
//! that are. Every fixture must also re-encode to its own bytes.

use codec_gn::bkv::{BkvBody, FeeBracket};
use codec_gn::codes::{BillingMode, PortStatus, ResultCode, Switch, TimeOfDay};
use codec_gn::msg::node_list::{NodeListDown, NodeListUp};
use codec_gn::msg::socket_down::SocketDown;
use codec_gn::msg::socket_up::SocketUp;
use codec_gn::units::{Celsius, DeciVolts, DeciWatts, Fen, MilliAmps, Seconds, UnixTime, Wh};
use codec_gn::{BusinessNo, Direction, Message, Packet, PortNo, SocketNo, replies};

use super::support::{beijing_to_unix, unhex};

fn round_trip(hex: &str) -> Packet {
    let bytes = unhex(hex);
    let p = Packet::decode(&bytes).unwrap();
    assert_eq!(
        codec_gn::hex::encode(&p.encode().unwrap()),
        codec_gn::hex::encode(&bytes)
    );
    p
}

#[test]
fn bkv_status_cluster_0x1017() {
    let p = round_trip(concat!(
        "fcfe 0091 1000 00000000 01 82241218000382", // header, length 145, cmd, seq 0, up, gateway
        "04 01 01 1017",                             // len 4, key-len 1, key 0x01 command = 0x1017
        "0a 01 02 0000000000000000",                 // 0x02 frame sequence (8 bytes)
        "09 01 03 82241218000382",                   // 0x03 gateway id
        "65 01 94",                                  // 0x94 socket cluster, 0x65 = 101 bytes
        "  03 01 4a 01",                             //   0x4A socket 1
        "  04 01 3e ffff",                           //   0x3E firmware ffff
        "  03 01 07 1d",                             //   0x07 temperature 29 °C
        "  03 01 96 1e",                             //   0x96 RSSI 30
        "  28 01 5b",                                //   0x5B port A, 40 bytes
        "    03 01 08 00",                           //     0x08 port 0 (A)
        "    03 01 09 90",                           //     0x09 status 0x90: online, charging
        "    04 01 0a 0009",                         //     0x0A business no 9
        "    04 01 95 08f7",                         //     0x95 voltage 229.5 V
        "    04 01 0b 0004",                         //     0x0B power 0.4 W
        "    04 01 0c 002a",                         //     0x0C current 0.042 A
        "    04 01 0d 0000",                         //     0x0D energy 0 Wh
        "    04 01 0e 0000",                         //     0x0E 0 minutes
        "  28 01 5b 030108010301098004010a000004019508f704010b000104010c000104010d000004010e0000",
        "5d fcee",
    ));
    let Message::Bkv(b) = &p.message else {
        panic!()
    };
    assert_eq!(b.command(), 0x1017);
    assert_eq!(b.sequence, Some(0));
    let BkvBody::StatusReport(r) = &b.body else {
        panic!()
    };
    assert!(r.layout.is_canonical());
    let s = &r.sockets[0];
    assert_eq!(s.socket, Some(SocketNo(1)));
    assert_eq!(s.temperature, Some(Celsius::new(29)));
    let a = &s.ports[0];
    assert_eq!(a.port.and_then(PortNo::port), Some(codec_gn::Port::A));
    assert!(a.status.is_some_and(|st| st.online() && st.charging()));
    assert_eq!(a.business_no, Some(BusinessNo(9)));
    assert_eq!(a.voltage, Some(DeciVolts::new(2295)));
    assert_eq!(a.power, Some(DeciWatts::new(4)));
    assert_eq!(a.current, Some(MilliAmps::new(42)));
    assert_eq!(s.ports[1].status, Some(PortStatus(0x80)));
    // The documented acknowledgement is the 0x1017 ↓ vector.
    let ack = replies::acknowledgement(&p).unwrap();
    assert_eq!(
        codec_gn::hex::encode(&ack.encode().unwrap()),
        "fcff002f100000000000008224121800038204010110170a010200000000000000000901038224121800038203010f0144fcee"
    );
}

#[test]
fn bkv_charge_ended_0x1004_up_and_its_ack() {
    let p = round_trip(concat!(
        "fcfe 007d 1000 00000000 01 82210225000520",
        "04010110 04 0a0102 0000000000000000 090103 82210225000520", // 0x1004, seq 0, gateway
        "03 01 07 2a",                                               // 0x07 MCU temperature 42 °C
        "03 01 4a 01",                                               // 0x4A socket 1
        "03 01 08 00",                                               // 0x08 port A
        "03 01 09 98",             // 0x09 status 0x98 (no-load end)
        "04 01 0a 0033",           // 0x0A order 0x33
        "04 01 0b 0000",           // 0x0B power 0
        "04 01 0c 0000",           // 0x0C current 0
        "04 01 0d 0000",           // 0x0D energy 0 Wh
        "04 01 0e 0001",           // 0x0E 1 minute
        "09 01 2e 20240823101729", // 0x2E end time 2024-08-23 10:17:29 (BCD, +08:00)
        "03 01 2f 08",             // 0x2F end reason 8
        "03 01 12 04",             // 0x12 charging mode 4
        "04 01 85 0000",           // 0x85 electricity fee 0 fen
        "04 01 86 0000",           // 0x86 service fee 0 fen
        "03 01 89 01",             // 0x89 one bracket
        "08 01 84 000100000000",   // 0x84 per-bracket usage (raw)
        "db fcee",
    ));
    let Message::Bkv(b) = &p.message else {
        panic!()
    };
    let BkvBody::ChargeEnded(e) = &b.body else {
        panic!()
    };
    assert_eq!(
        e.end_time,
        Some(UnixTime::new(beijing_to_unix("2024-08-23 10:17:29")))
    );
    assert_eq!(e.charge_duration, Some(Seconds::new(60)));
    assert_eq!(e.end_reason, Some(8));
    assert_eq!(e.electricity_fee, Some(Fen::new(0)));
    assert_eq!(e.bracket_usage.as_ref().map(|r| r.0.len()), Some(6));
    assert!(e.layout.is_canonical());
    let ack = replies::acknowledgement(&p).unwrap();
    assert_eq!(
        codec_gn::hex::encode(&ack.encode().unwrap()),
        "fcff0037100000000000008221022500052004010110040a010200000000000000000901038221022500052003010f0103014a0103010800c8fcee"
    );
}

#[test]
fn bkv_start_stop_0x1007_keeps_unknown_key_in_place() {
    let p = round_trip(concat!(
        "fcff 0059 1000 215445a5 00 82210225000520",
        "04010110 07 0a0102 00000000215445a5 090103 82210225000520",
        "03 01 4a 01",           // socket 1
        "03 01 08 00",           // port A
        "03 01 13 01",           // switch on
        "03 01 12 04",           // charging mode 4
        "03 01 47 01",           // control type 1
        "03 01 f4 02",           // 0xF4 = 2: undocumented, kept raw in place
        "04 01 88 0064",         // paid 100 fen
        "03 01 80 01",           // service fee by energy
        "03 01 89 01",           // one bracket
        "08 01 83 173b00320032", // until 23:59, 50 fen/kWh + 50 fen/kWh
        "55 fcee",
    ));
    let Message::Bkv(b) = &p.message else {
        panic!()
    };
    let BkvBody::StartStop(s) = &b.body else {
        panic!()
    };
    assert_eq!(s.switch, Some(Switch::ON));
    assert_eq!(s.payment, Some(Fen::new(100)));
    assert_eq!(
        s.fee_brackets.as_deref(),
        Some(
            &[FeeBracket {
                end: TimeOfDay::END_OF_DAY,
                electricity_price: Fen::new(50),
                service_fee: Fen::new(50)
            }][..]
        )
    );
    assert_eq!(s.extra.len(), 1);
    assert_eq!(s.extra[0].key().as_u8(), Some(0xf4));
    assert!(!s.layout.is_canonical());
}

#[test]
fn bkv_answers_from_the_document() {
    // 0x1010 ↓ event ack: 0x4A socket 2, 0x0F ok.
    let p = round_trip(
        "fcff0033100000000000008223081100144704010110100a010200000000000000000901038223081100144703014a0203010f0119fcee",
    );
    assert!(
        matches!(&p.message, Message::Bkv(b) if matches!(&b.body, BkvBody::EventAck(a) if a.ack == Some(ResultCode::OK) && a.socket == Some(SocketNo(2))))
    );
    // 0x1011 ↑ set-parameters answer.
    let p = round_trip(
        "fcfe003310001f6f78c3018222042000055204010110110a0102000000001f6f78c30901038222042000055203014a0203010f01b9fcee",
    );
    assert!(
        matches!(&p.message, Message::Bkv(b) if matches!(b.body, BkvBody::SetParamsAnswer(_)) && b.sequence == Some(0x1f6f78c3))
    );
    // 0x1012 ↓ parameter query for socket 2.
    let p = round_trip(
        "fcff002f10001f6ac867008222042000055204010110120a0102000000001f6ac8670901038222042000055203014a027ffcee",
    );
    assert!(
        matches!(&p.message, Message::Bkv(b) if matches!(&b.body, BkvBody::QueryParams(q) if q.socket == Some(SocketNo(2))))
    );
}

#[test]
fn status_answer_0x1c() {
    let p = round_trip(concat!(
        "fcfe 0035 0015 001c91ee 01 86004459453005", // answer echoes the query's sequence
        "0021 1c",                                   // inner length 33, sub 0x1C
        "01 5136 29 15",                             // socket 1, firmware 5136, 41 °C, RSSI 21
        "00 80 0000 08ef 0000 0001 0000 0000",       // port A: idle, 229.5 V, 1 mA
        "01 80 0000 08ef 0000 0001 0000 0000",       // port B
        "77 fcee",
    ));
    let Message::SocketUp(SocketUp::StatusAnswer(s)) = &p.message else {
        panic!()
    };
    assert_eq!(s.ports.len(), 2);
    assert_eq!(s.ports[1].port, PortNo(1));
    assert_eq!(s.ports[0].voltage, DeciVolts::new(0x08ef));
    // The annotation's 0x1D is accepted and kept.
    let mut b = unhex(
        "fcfe00350015001c91ee018600445945300500211c01513629150080000008ef00000001000000000180000008ef000000010000000077fcee",
    );
    b[20] = 0x1d;
    let n = b.len();
    b[n - 3] = b[n - 3].wrapping_add(1);
    let p = Packet::decode(&b).unwrap();
    assert!(matches!(
        p.message,
        Message::SocketUp(SocketUp::StatusAnswerAs1D(_))
    ));
    assert_eq!(&p.encode().unwrap()[..], &b[..]);
}

#[test]
fn charge_ended_0x02_and_its_captured_ack() {
    let p = round_trip(concat!(
        "fcfe 0025 0015 00000000 01 86004459453005",
        "0011 02",       // inner length 17, sub 0x02
        "02 5036 30 20", // socket 2, firmware 5036, 48 °C, RSSI 32
        "00 98 0068",    // port A, status 0x98 (no-load end), business no 0x68
        "0000 0001",     // power 0, current 1 mA
        "0050 002d",     // energy 80 Wh (0.08 kWh), 45 minutes
        "41 fcee",
    ));
    let Message::SocketUp(SocketUp::ChargeEnded(e)) = &p.message else {
        panic!()
    };
    assert!(e.report.status.no_load());
    assert_eq!(e.report.energy, Wh::new(80));
    assert_eq!(e.report.charge_duration, Seconds::new(45 * 60));
    let ack = replies::acknowledgement(&p).unwrap();
    let Message::SocketDown(SocketDown::EndAck(a)) = &ack.message else {
        panic!()
    };
    assert_eq!(a.socket, SocketNo(2));
    // `00 02 0C <socket> 01`, as the captured gateway accepted.
    assert_eq!(
        codec_gn::hex::encode(&ack.encode().unwrap()[18..23]),
        "00020c0201"
    );
}

#[test]
fn power_bracket_start_under_0x0005_and_end_0x18() {
    let p = round_trip(concat!(
        "fcff 0038 0005 00282bda 00 86004459453005", // framed with command 0x0005 (see DECISIONS)
        "0024 17",                                   // inner length 36, sub 0x17
        "01 00 01",                                  // socket 1, port A, on
        "0064",                                      // paid 100 fen
        "05",                                        // five brackets
        "07d0 0019 003c",                            // ≤ 200 W: 25 fen per 60 min
        "0fa0 0032 003c",
        "1770 0064 003c",
        "1f40 0096 003c",
        "4e20 01f4 0078",
        "29 fcee",
    ));
    let Message::NodeListDown(NodeListDown::PowerBracketStart(s)) = &p.message else {
        panic!()
    };
    assert_eq!(s.amount, Fen::new(100));
    assert_eq!(s.brackets.len(), 5);
    assert_eq!(s.brackets[0].max_power, DeciWatts::new(2000));
    assert_eq!(s.brackets[0].price, Fen::new(25));
    assert_eq!(s.brackets[4].duration, Seconds::new(120 * 60));

    let p = round_trip(concat!(
        "fcfe 003c 0015 00000000 01 86004459453005",
        "0028 18",                     // inner length 40, sub 0x18
        "01 5136 2d 20",               // socket 1, firmware, 45 °C, RSSI 32
        "00 98 0017",                  // port A, 0x98, business no 0x17
        "0000 0002 0001 0024",         // power, current 2 mA, energy 1 Wh, 36 minutes
        "07e4 06 08 0e 15 07",         // end 2020-06-08 14:21:07 (binary, +08:00)
        "02",                          // end reason 2
        "000f",                        // spent 15 fen
        "0000",                        // settle power 0 (the annotation's 0BB8 is not in the hex)
        "05 0024 0000 0000 0000 0000", // five brackets: 36, 0, 0, 0, 0 minutes
        "37 fcee",
    ));
    let Message::SocketUp(SocketUp::PowerBracketEnded(e)) = &p.message else {
        panic!()
    };
    assert_eq!(
        e.end_time,
        UnixTime::new(beijing_to_unix("2020-06-08 14:21:07"))
    );
    assert_eq!(e.amount, Fen::new(15));
    assert_eq!(e.bracket_durations[0], Seconds::new(36 * 60));
    // Acknowledged like 0x02 (G11): `00 02 0C 01 01`, sequence 0.
    let ack = replies::acknowledgement(&p).unwrap();
    assert_eq!(
        codec_gn::hex::encode(&ack.encode().unwrap()),
        "fcff0016001500000000008600445945300500020c0101d8fcee"
    );
}

#[test]
fn card_power_bracket_order_and_end() {
    let p = round_trip(concat!(
        "fcff 003f 0015 00eaec02 00 86804901216105",
        "002b 0b",    // inner length 43, sub 0x0B card order
        "41 01 0053", // socket 0x41, port B, business no 0x53
        "01 03",      // on, mode 3 (power brackets)
        "0000 0000",  // duration, energy (unused in mode 3)
        "00c8 05",    // amount 200 fen, five brackets
        "07d00019003c 0fa00032003c 17700064003c 1f400096003c 4e2001f40078",
        "1b fcee",
    ));
    let Message::SocketDown(SocketDown::CardOrder(o)) = &p.message else {
        panic!()
    };
    assert_eq!(o.mode, BillingMode::POWER_BRACKETS);
    assert_eq!(o.plan.as_ref().map(|p| p.amount), Some(Fen::new(200)));

    // The document prints this one field per line and drops the status byte;
    // 0x98 is the only value that makes its checksum right.
    let p = round_trip(concat!(
        "fcfe 003c 0015 00000000 01 86804901216105",
        "0028 0c",
        "41 5140 28 20 01 98 0053", // socket, firmware, 40 °C, RSSI, port B, 0x98, business no
        "0000 0001 0000 0006",      // power, current, energy, 6 minutes
        "000000000002 00 03",       // card, online card, power brackets
        "0002 0000",                // spent 2 fen, settle power 0
        "05 0006 0000 0000 0000 0000",
        "7c fcee",
    ));
    let Message::SocketUp(SocketUp::CardChargeEnded(e)) = &p.message else {
        panic!()
    };
    assert_eq!(e.billing_mode, BillingMode::POWER_BRACKETS);
    assert_eq!(e.amount, Fen::new(2));
    assert_eq!(e.report.status, PortStatus(0x98));
}

#[test]
fn small_answers_from_the_document() {
    // 0x0005/0x09 ↓ add socket 3 with its MAC.
    let p = round_trip("fcff001b 0005 001c979c 00 86004459453005 0007 09 03 350030701247 4dfcee");
    let Message::NodeListDown(NodeListDown::Add(a)) = &p.message else {
        panic!()
    };
    assert_eq!(a.mac.to_string(), "350030701247");
    // 0x0005/0x08 ↑ refresh ok.
    let p = round_trip("fcfe0015 0005 001c94f9 01 86004459453005 0001 08 01 6bfcee");
    assert!(
        matches!(&p.message, Message::NodeListUp(NodeListUp::RefreshResult(r)) if r.result.is_ok())
    );
    // 0x1A ↑ balance query: socket 2, port A, card 000000298352.
    let p =
        round_trip("fcfe001c 0015 00000000 01 82220420000552 0008 1a 02 00 000000298352 73fcee");
    let Message::SocketUp(SocketUp::BalanceQuery(q)) = &p.message else {
        panic!()
    };
    assert_eq!(q.card.to_string(), "000000298352");
    // 0x1B ↑ voice window answer ok.
    let p = round_trip("fcfe0017 0015 1f6a921f 01 82220420000552 0003 1b 01 01 01 a7fcee");
    assert!(matches!(&p.message, Message::SocketUp(SocketUp::VoiceAnswer(a)) if a.result.is_ok()));
}

#[test]
fn unknown_command_and_sub_command_keep_their_bytes() {
    let payload = [0xde, 0xad, 0xbe, 0xef];
    let f = codec_gn::Frame::new(
        Direction::Up,
        0x0042,
        7,
        "82241218000382".parse().unwrap(),
        payload[..].to_vec().into(),
    );
    let bytes = f.encode().unwrap();
    let p = Packet::decode(&bytes).unwrap();
    assert!(
        matches!(&p.message, Message::Unknown(u) if u.command == 0x42 && u.payload.0[..] == payload)
    );
    assert_eq!(p.encode().unwrap(), bytes);
    let f = codec_gn::Frame::new(
        Direction::Up,
        0x0015,
        0,
        "82241218000382".parse().unwrap(),
        vec![0, 2, 0x99, 1, 2].into(),
    );
    let bytes = f.encode().unwrap();
    let p = Packet::decode(&bytes).unwrap();
    assert!(matches!(&p.message, Message::SocketUp(SocketUp::Other(o)) if o.sub_command == 0x99));
    assert_eq!(p.encode().unwrap(), bytes);
}

#[test]
fn inner_length_that_disagrees_is_bad_payload() {
    // The earlier encoder's `00 02 1D 01` counted the sub-command too.
    let f = codec_gn::Frame::new(
        Direction::Down,
        0x0015,
        1,
        "86004459453005".parse().unwrap(),
        vec![0, 2, 0x1d, 1].into(),
    );
    let err = Packet::decode(&f.encode().unwrap()).unwrap_err();
    assert_eq!(err.kind().as_str(), "bad_payload");
    assert!(err.to_string().contains("inner length says 2"), "{err}");
}

#[test]
fn encoder_rejects_wrong_direction_and_unrepresentable_values() {
    let gw = "86004459453005".parse().unwrap();
    let reply = replies::heartbeat_reply(gw, UnixTime::new(0));
    let mut wrong = reply.clone();
    wrong.direction = Direction::Up;
    assert_eq!(wrong.encode().unwrap_err().kind().as_str(), "encode");
    let mut odd = codec_gn::msg::socket_down::Control {
        duration: Seconds::new(61),
        ..Default::default()
    };
    let p = Packet::new(
        Direction::Down,
        1,
        gw,
        Message::SocketDown(SocketDown::Control(odd.clone())),
    );
    assert!(
        p.encode()
            .unwrap_err()
            .to_string()
            .contains("whole number of minutes")
    );
    odd.duration = Seconds::new(60);
    odd.energy = Wh::new(70_000);
    let p = Packet::new(
        Direction::Down,
        1,
        gw,
        Message::SocketDown(SocketDown::Control(odd)),
    );
    assert!(p.encode().unwrap_err().to_string().contains("energy"));
}
