//! BKV: the length-prefixed key/value list carried by GN command `0x1000`.
//!
//! * [`parse_list`] / [`encode_list`]: the generic, lossless item list.
//! * [`BkvPacket`]: a typed packet — header keys 0x01–0x03 plus a [`BkvBody`]
//!   chosen by command and direction, with status clusters nested as
//!   [`SocketCluster`] → [`PortCluster`].
//!
//! Typed records keep unknown keys (and values that do not fit their type) in
//! `extra`, and remember the wire order and integer widths in a [`Layout`]
//! whenever they differ from the canonical ones, so `encode(decode(x)) == x`.

mod charging;
mod cluster;
mod events;
pub(crate) mod item;
mod macros;
mod packet;
mod params;
pub(crate) mod record;
pub(crate) mod value;

pub use charging::{ChargeEnded, ChargeEndedAck, StartStop, StartStopAnswer};
pub use cluster::{PortCluster, SocketCluster, StatusReport, StatusReportAck};
pub use events::{ConnectReport, Event, EventAck};
pub use item::{BkvItem, BkvKey, encode_list, parse_list};
pub use packet::{BkvBody, BkvPacket, OtherBody, command};
pub use params::{ParamsAnswer, QueryParams, SetParams, SetParamsAnswer};
pub use record::{Layout, MAX_DEPTH};
pub use value::FeeBracket;

/// Writes unknown items as `key_<hex>_hex: "<value hex>"` (a repeated key gets
/// `_2`, `_3`, … appended).
pub(crate) fn serialize_extra<M: serde::ser::SerializeMap>(
    map: &mut M,
    extra: &[BkvItem],
) -> Result<(), M::Error> {
    let mut seen: Vec<String> = Vec::new();
    for item in extra {
        let base = item.key().json_name();
        let n = seen.iter().filter(|s| **s == base).count();
        let name = if n == 0 {
            base.clone()
        } else {
            format!("{base}_{}", n + 1)
        };
        map.serialize_entry(&name, &crate::hex::encode(item.value()))?;
        seen.push(base);
    }
    Ok(())
}
