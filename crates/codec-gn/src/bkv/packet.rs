//! The BKV packet: the payload of a GN `0x1000` frame. It starts with the
//! command (0x01), the frame sequence (0x02, 8 bytes) and the gateway id (0x03),
//! then the command's keys; the command and the frame direction pick the body.

use bytes::{Bytes, BytesMut};

use super::charging::{ChargeEnded, ChargeEndedAck, StartStop, StartStopAnswer};
use super::cluster::{StatusReport, StatusReportAck};
use super::events::{ConnectReport, Event, EventAck};
use super::item::Items;
use super::macros::bkv_record;
use super::params::{ParamsAnswer, QueryParams, SetParams, SetParamsAnswer};
use super::record::{Ctx, Record, decode_record, encode_record};
use super::value::{Gateway, Int};
use crate::error::{BkvError, Error};
use crate::frame::Direction;
use crate::ids::GatewayId;

bkv_record! {
    /// Keys 0x01–0x03, which open every BKV packet.
    pub(crate) struct Header {
        /// 0x01 BKV command.
        0x01 "command" => command: u16 = Int<2>,
        /// 0x02 frame sequence.
        0x02 "sequence" => sequence: u64 = Int<8>,
        /// 0x03 gateway id.
        0x03 "gateway_id" => gateway_id: GatewayId = Gateway,
    }
}

bkv_record! {
    /// The body of a BKV command (or direction) this crate has no type for:
    /// every item after the header, kept as it came.
    pub struct OtherBody {
    }
}

/// BKV commands (key 0x01).
pub mod command {
    /// Charging ended (electricity + service-fee mode).
    pub const CHARGE_ENDED: u16 = 0x1004;
    /// Start/stop charging (electricity + service-fee mode).
    pub const START_STOP: u16 = 0x1007;
    /// Abnormal event.
    pub const EVENT: u16 = 0x1010;
    /// Set socket parameters.
    pub const SET_PARAMS: u16 = 0x1011;
    /// Query socket parameters.
    pub const QUERY_PARAMS: u16 = 0x1012;
    /// Undocumented connect report (captured).
    pub const CONNECT_REPORT: u16 = 0x1013;
    /// Socket status cluster.
    pub const STATUS: u16 = 0x1017;
}

macro_rules! bodies {
    ($( $variant:ident($ty:ty) = $cmd:path, $dir:ident, $name:literal; )*) => {
        /// A typed BKV body; the variant fixes command and direction.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum BkvBody {
            $(
                #[doc = concat!($name, ".")]
                $variant($ty),
            )*
            /// Any other command, or a documented command in a direction it
            /// is not documented for.
            Other {
                /// The BKV command (key 0x01).
                command: u16,
                /// The items.
                body: OtherBody,
            },
        }

        impl BkvBody {
            /// The BKV command.
            pub fn command(&self) -> u16 {
                match self {
                    $( Self::$variant(_) => $cmd, )*
                    Self::Other { command, .. } => *command,
                }
            }

            /// The direction this body travels, `None` for [`BkvBody::Other`].
            pub fn direction(&self) -> Option<Direction> {
                match self {
                    $( Self::$variant(_) => Some(Direction::$dir), )*
                    Self::Other { .. } => None,
                }
            }

            /// A short human name.
            pub fn name(&self) -> &'static str {
                match self {
                    $( Self::$variant(_) => $name, )*
                    Self::Other { .. } => "bkv (untyped)",
                }
            }

            fn decode(
                command: u16,
                direction: Direction,
                header: &mut Header,
                list: &Bytes,
            ) -> Result<Self, BkvError> {
                $(
                    if command == $cmd && direction == Direction::$dir {
                        return Ok(Self::$variant(decode_top(header, list)?));
                    }
                )*
                Ok(Self::Other { command, body: decode_top(header, list)? })
            }

            fn encode(&self, header: &Header, out: &mut BytesMut) -> Result<(), Error> {
                match self {
                    $( Self::$variant(b) => encode_record(b, Some(header), out), )*
                    Self::Other { body, .. } => encode_record(body, Some(header), out),
                }
            }

            pub(crate) fn serialize_fields<M: serde::ser::SerializeMap>(
                &self,
                map: &mut M,
            ) -> Result<(), M::Error> {
                match self {
                    $( Self::$variant(b) => b.serialize_entries(map), )*
                    Self::Other { body, .. } => body.serialize_entries(map),
                }
            }
        }
    };
}

bodies! {
    StatusReport(StatusReport) = command::STATUS, Up, "status cluster";
    StatusReportAck(StatusReportAck) = command::STATUS, Down, "status cluster ack";
    ChargeEnded(ChargeEnded) = command::CHARGE_ENDED, Up, "charging ended";
    ChargeEndedAck(ChargeEndedAck) = command::CHARGE_ENDED, Down, "charging ended ack";
    StartStop(StartStop) = command::START_STOP, Down, "start/stop charging";
    StartStopAnswer(StartStopAnswer) = command::START_STOP, Up, "start/stop answer";
    Event(Event) = command::EVENT, Up, "abnormal event";
    EventAck(EventAck) = command::EVENT, Down, "abnormal event ack";
    SetParams(SetParams) = command::SET_PARAMS, Down, "set socket parameters";
    SetParamsAnswer(SetParamsAnswer) = command::SET_PARAMS, Up, "set parameters answer";
    QueryParams(QueryParams) = command::QUERY_PARAMS, Down, "query socket parameters";
    ParamsAnswer(ParamsAnswer) = command::QUERY_PARAMS, Up, "socket parameters";
    ConnectReport(ConnectReport) = command::CONNECT_REPORT, Up, "connect report";
}

fn decode_top<R: Record>(header: &mut Header, list: &Bytes) -> Result<R, BkvError> {
    let mut rec = R::default();
    let ctx = Ctx {
        depth: 0,
        root: list,
    };
    decode_record(&mut rec, Some(header), list, ctx)?;
    Ok(rec)
}

/// A decoded BKV packet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BkvPacket {
    /// Key 0x02: the frame sequence zero-extended to 8 bytes (0 on device
    /// reports). `None` if the sender left it out.
    pub sequence: Option<u64>,
    /// Key 0x03: the gateway id (equals the frame's). `None` if left out.
    pub gateway_id: Option<GatewayId>,
    /// Command-specific keys.
    pub body: BkvBody,
}

impl BkvPacket {
    /// A packet carrying the frame's sequence and gateway id, as every example does.
    pub fn new(sequence: u32, gateway_id: GatewayId, body: BkvBody) -> Self {
        Self {
            sequence: Some(u64::from(sequence)),
            gateway_id: Some(gateway_id),
            body,
        }
    }

    /// The BKV command (key 0x01).
    pub fn command(&self) -> u16 {
        self.body.command()
    }

    /// Decodes the BKV list of a `0x1000` frame travelling in `direction`.
    pub fn decode(list: &Bytes, direction: Direction) -> Result<Self, BkvError> {
        let command = find_command(list)?;
        let mut header = Header::default();
        let body = BkvBody::decode(command, direction, &mut header, list)?;
        Ok(Self {
            sequence: header.sequence,
            gateway_id: header.gateway_id,
            body,
        })
    }

    /// Appends the BKV list.
    pub fn encode_into(&self, out: &mut BytesMut) -> Result<(), Error> {
        let header = Header {
            command: Some(self.command()),
            sequence: self.sequence,
            gateway_id: self.gateway_id,
            ..Header::default()
        };
        self.body.encode(&header, out)
    }
}

/// The command: the first plain item with key 0x01 whose value fits a `u16`
/// (the same item the header record will claim). Every example puts it first,
/// so only the items up to it are looked at here; the rest are checked while
/// the body decodes.
fn find_command(list: &Bytes) -> Result<u16, BkvError> {
    for item in Items::new(list, list) {
        let item = item?;
        if item.plain_key() == Some(0x01) {
            let mut probe = Header::default();
            let ctx = Ctx {
                depth: 1,
                root: list,
            };
            if probe.claim(0x01, item.value, ctx)? {
                return probe.command.ok_or(BkvError::MissingCommand);
            }
        }
    }
    Err(BkvError::MissingCommand)
}

impl serde::Serialize for BkvPacket {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        if let Some(seq) = self.sequence {
            map.serialize_entry("bkv_sequence", &seq)?;
        }
        if let Some(gw) = &self.gateway_id {
            map.serialize_entry("bkv_gateway_id", gw)?;
        }
        self.body.serialize_fields(&mut map)?;
        map.end()
    }
}
