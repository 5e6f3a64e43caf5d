//! Every DNY server command gets its answer, with the command's message id.

use bytes::Bytes;
use codec_dny::{
    CardParams, DeciWatts, Downlink, EepromRead, EepromWrite, FirmwarePacket, Locate, Message,
    ModifyCharge, MultiFunction, NoData, NulText, Port, RunParams2, RunParams11, RunParams12,
    RunParams13, SetQrCode, SetTcCardMode, SetWorkMode, TempQrCode, Uplink,
};
use sim::{SimEvent, spawn_pile};

use crate::dny::config;
use crate::dny_gw::{Listener, Seen, WAIT};

/// The result byte of a one-byte answer, or the first byte of a longer one.
fn result(m: &Uplink) -> Option<u8> {
    match m {
        Uplink::SetRunParams11Answer(a)
        | Uplink::SetRunParams12Answer(a)
        | Uplink::SetRunParams2Answer(a)
        | Uplink::SetCardParamsAnswer(a)
        | Uplink::RebootAnswer(a)
        | Uplink::ClearStorageAnswer(a)
        | Uplink::PlayVoiceAnswer(a)
        | Uplink::ModifyChargeAnswer(a)
        | Uplink::EepromWriteAnswer(a)
        | Uplink::SetWorkModeAnswer(a)
        | Uplink::SetQrCodeAnswer(a)
        | Uplink::SetTcCardModeAnswer(a)
        | Uplink::TempQrCodeAnswer(a)
        | Uplink::LocateAnswer(a)
        | Uplink::SetRunParams13Answer(a)
        | Uplink::MultiFunctionAnswer(a) => Some(a.result),
        Uplink::EepromReadAnswer(a) => Some(a.result),
        Uplink::UpgradeSubDeviceAnswer(a) => Some(a.result),
        _ => None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_is_answered_with_its_message_id() {
    let gw = Listener::bind().await;
    let (pile, mut events) = spawn_pile(config(gw.addr, 20)).unwrap();
    let mut conn = gw.accept().await;
    conn.frame(|m| matches!(m, Uplink::Register(_))).await;
    let run11 = RunParams11 {
        unplug_power: DeciWatts::new(3),
        unplug_detect_s: 10,
        float_percent: 20,
        float_detect_s: 1800,
        float_time_s: 3600,
        heartbeat_interval_s: 60,
        extra: Bytes::new(),
    };
    let run2 = |overload| RunParams2 {
        max_charge_time_s: 36000,
        overload_power: DeciWatts::new(overload),
        over_voltage: None,
        under_voltage: None,
        extra: Bytes::new(),
    };
    let card = CardParams {
        sector: 0,
        user_key: [1, 2, 3, 4, 5, 6],
        new_card_key: [0xFF; 6],
        extra: Bytes::new(),
    };
    let packet = |current| FirmwarePacket {
        total: 3,
        current,
        firmware: Bytes::from(vec![0xAB; 200]),
    };
    // (command, expected result byte for one-byte answers)
    let cases: Vec<(Downlink, Option<u8>)> = vec![
        (Downlink::SetRunParams11(run11.clone()), Some(0)),
        (Downlink::ReadRunParams11(NoData::default()), None),
        (Downlink::SetRunParams12(RunParams12::default()), Some(0)),
        (Downlink::ReadRunParams12(NoData::default()), None),
        (Downlink::SetRunParams2(run2(15_000)), Some(0)),
        (Downlink::SetRunParams2(run2(30_000)), Some(1)),
        (Downlink::ReadRunParams2(NoData::default()), None),
        (Downlink::SetCardParams(card.clone()), Some(0)),
        (Downlink::ReadCardParams(NoData::default()), None),
        (Downlink::PlayVoice(Default::default()), Some(1)),
        (
            Downlink::ModifyCharge(ModifyCharge {
                rate_mode: 0,
                port: Port::new(0),
                value: 600,
                extra: Bytes::new(),
            }),
            Some(1),
        ),
        (
            Downlink::EepromWrite(EepromWrite {
                address: 0x10,
                data: Bytes::from_static(&[1, 2, 3]),
                extra: Bytes::new(),
            }),
            Some(0),
        ),
        (
            Downlink::EepromRead(EepromRead {
                address: 0x0F,
                length: 5,
                extra: Bytes::new(),
            }),
            Some(0),
        ),
        (
            Downlink::SetWorkMode(SetWorkMode {
                work_mode: 1,
                extra: Bytes::new(),
            }),
            Some(0),
        ),
        (
            Downlink::SetQrCode(SetQrCode {
                main_screen: 1,
                reserved: [0; 3],
                qr_text: NulText::padded("https://pylon.invalid/q/1", 72).unwrap(),
                extra: Bytes::new(),
            }),
            Some(0),
        ),
        (
            Downlink::SetTcCardMode(SetTcCardMode {
                mode: 2,
                extra: Bytes::new(),
            }),
            Some(1),
        ),
        (
            Downlink::TempQrCode(TempQrCode {
                text: NulText::padded("hello", 200).unwrap(),
                extra: Bytes::new(),
            }),
            Some(0),
        ),
        (
            Downlink::Locate(Locate {
                duration_s: 5,
                extra: Bytes::new(),
            }),
            Some(0),
        ),
        (
            Downlink::SetRunParams13(RunParams13 {
                mute: 1,
                extra: Bytes::new(),
            }),
            Some(0),
        ),
        (
            Downlink::MultiFunction(MultiFunction {
                function: 0,
                port: Port::new(0),
                extra: Bytes::new(),
            }),
            Some(0),
        ),
        (Downlink::UpgradeSubDevice(packet(1)), Some(0)),
        (Downlink::UpgradeSubDevice(packet(3)), Some(1)),
        (Downlink::UpgradeSubDevice(packet(2)), Some(0)),
    ];
    for (i, (cmd, expect)) in cases.into_iter().enumerate() {
        let id = 0x4000 + i as u16;
        let command = cmd.command();
        conn.send(id, cmd);
        let f = conn
            .frame(|m| m.command() == command && !matches!(m, Uplink::Heartbeat(_)))
            .await;
        assert_eq!(f.message_id.get(), id, "answer to {command:#04x}");
        if let Some(r) = expect {
            assert_eq!(result(&f.message), Some(r), "{:?}", f.message);
        }
        match &f.message {
            Uplink::RunParams11(p) => assert_eq!(*p, run11),
            Uplink::RunParams2(p) => assert_eq!(p.overload_power.get(), 15_000),
            Uplink::CardParams(p) => assert_eq!(*p, card),
            Uplink::EepromReadAnswer(a) => assert_eq!(a.data.as_ref(), &[0xFF, 1, 2, 3, 0xFF]),
            _ => {}
        }
    }
    // 0x81 has no answer of its own: the pile reports register and both heartbeats.
    conn.send(0x5000, Downlink::QueryNetworkStatus(NoData::default()));
    conn.frame(|m| matches!(m, Uplink::Register(_))).await;
    conn.frame(|m| matches!(m, Uplink::OldHeartbeat(_))).await;
    // The last firmware packet makes the pile reboot with the next version.
    conn.send(0x5001, Downlink::UpgradeSubDevice(packet(3)));
    conn.frame(|m| matches!(m, Uplink::UpgradeSubDeviceAnswer(_)))
        .await;
    let mut again = gw.accept().await;
    assert!(matches!(again.next().await, Seen::Iccid(_)));
    let f = again.frame(|m| matches!(m, Uplink::Register(_))).await;
    assert!(matches!(f.message, Uplink::Register(ref r) if r.firmware_version == 216));
    // 0x87 reboot: answered, then the pile reconnects.
    again.send(0x5002, Downlink::Reboot(NoData::default()));
    let f = again.frame(|m| matches!(m, Uplink::RebootAnswer(_))).await;
    assert_eq!(f.message_id.get(), 0x5002);
    events
        .wait_for(WAIT, |e| {
            matches!(
                e,
                SimEvent::Disconnected {
                    reason: sim::DisconnectReason::Reboot
                }
            )
        })
        .await
        .expect("no reboot");
    gw.accept().await;
    assert!(pile.counters().commands_answered >= 25);
}
