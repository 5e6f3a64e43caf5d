//! What a valid device is: its identity, the GN socket attributes, its status and how
//! many ports it has.

use super::FieldError;
use super::ids::{DeviceId, Protocol, parse_mac, parse_uid};

/// Operational status an operator sets (the live online state is `live`'s business).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    Active,
    Disabled,
    Maintenance,
}

impl Status {
    pub fn parse(field: &str, s: &str) -> Result<Self, FieldError> {
        match s.trim() {
            "" | "active" => Ok(Self::Active),
            "disabled" => Ok(Self::Disabled),
            "maintenance" => Ok(Self::Maintenance),
            other => Err(FieldError::new(
                field,
                format!("{other:?} is not a status (active, disabled, maintenance)"),
            )),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Disabled => "disabled",
            Self::Maintenance => "maintenance",
        }
    }
}

/// Most ports a DNY pile has (fact sheet §1.3: 16-port piles).
pub const MAX_PORTS: i64 = 16;
/// A GN socket has ports A and B.
pub const GN_SOCKET_PORTS: u8 = 2;

/// A new device as the API or a CSV row gives it, before validation.
#[derive(Clone, Debug, Default)]
pub struct DeviceInput {
    pub protocol: String,
    pub device_id: String,
    pub mac: Option<String>,
    pub uid: Option<String>,
    pub status: Option<String>,
    /// Ports when no model says it (DNY piles without a model).
    pub port_count: Option<i64>,
}

/// A validated new device.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceDraft {
    pub id: DeviceId,
    pub mac: Option<String>,
    pub uid: Option<String>,
    pub status: Status,
    pub port_count: Option<u8>,
}

impl DeviceInput {
    pub fn validate(&self) -> Result<DeviceDraft, FieldError> {
        let protocol = Protocol::parse("protocol", &self.protocol)?;
        let id = DeviceId::parse("device_id", protocol, &self.device_id)?;
        fn present(o: &Option<String>) -> Option<&str> {
            o.as_deref().map(str::trim).filter(|s| !s.is_empty())
        }
        let mac = present(&self.mac)
            .map(|m| parse_mac("mac", m))
            .transpose()?;
        let uid = present(&self.uid)
            .map(|u| parse_uid("uid", u))
            .transpose()?;
        if !matches!(id, DeviceId::Socket { .. }) {
            if mac.is_some() {
                return Err(FieldError::new("mac", "only GN sockets have a MAC"));
            }
            if uid.is_some() {
                return Err(FieldError::new("uid", "only GN sockets have a sticker UID"));
            }
        }
        let status = Status::parse("status", self.status.as_deref().unwrap_or(""))?;
        let port_count = self
            .port_count
            .map(|n| {
                u8::try_from(n)
                    .ok()
                    .filter(|n| (1..=MAX_PORTS).contains(&i64::from(*n)))
                    .ok_or_else(|| {
                        FieldError::new("port_count", format!("must be 1 to {MAX_PORTS}"))
                    })
            })
            .transpose()?;
        Ok(DeviceDraft {
            id,
            mac,
            uid,
            status,
            port_count,
        })
    }
}

/// A model as far as the rules need it.
#[derive(Clone, Copy, Debug)]
pub struct ModelFacts {
    pub protocol: Protocol,
    pub port_count: u8,
}

/// How many ports the device gets: a GN gateway none, a GN socket two, a DNY pile its
/// model's count, else the count given. A model of the other protocol is refused.
pub fn port_count(
    id: &DeviceId,
    model: Option<ModelFacts>,
    given: Option<u8>,
) -> Result<u8, FieldError> {
    if let Some(m) = model
        && m.protocol != id.protocol()
    {
        return Err(FieldError::new(
            "model",
            format!(
                "is a {} model, the device speaks {}",
                m.protocol.as_str(),
                id.protocol().as_str()
            ),
        ));
    }
    match id {
        DeviceId::Gateway(_) => Ok(0),
        DeviceId::Socket { .. } => Ok(GN_SOCKET_PORTS),
        DeviceId::Pile(_) => match (model, given) {
            (_, Some(n)) => Ok(n),
            (Some(m), None) if m.port_count > 0 => Ok(m.port_count),
            _ => Err(FieldError::new(
                "port_count",
                "required for a DNY pile without a model",
            )),
        },
    }
}

/// A model's own fields.
pub fn validate_model(
    name: &str,
    protocol: &str,
    port_count: i64,
    max_power_w: i64,
) -> Result<(String, Protocol, u8, i32), FieldError> {
    let name = super::text("name", name, 100)?;
    let protocol = Protocol::parse("protocol", protocol)?;
    let ports = u8::try_from(port_count)
        .ok()
        .filter(|n| i64::from(*n) <= MAX_PORTS)
        .ok_or_else(|| FieldError::new("port_count", format!("must be 0 to {MAX_PORTS}")))?;
    let power = i32::try_from(max_power_w)
        .ok()
        .filter(|p| (1..=1_000_000).contains(p))
        .ok_or_else(|| FieldError::new("max_power_w", "must be 1 to 1000000 W"))?;
    Ok((name, protocol, ports, power))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn socket() -> DeviceInput {
        DeviceInput {
            protocol: "gn".into(),
            device_id: "82231214002700-3".into(),
            mac: Some("85:41:00:00:07:01".into()),
            uid: Some("u123".into()),
            ..Default::default()
        }
    }

    #[test]
    fn a_socket_keeps_mac_and_uid() {
        let d = socket().validate().unwrap();
        assert_eq!(d.mac.as_deref(), Some("854100000701"));
        assert_eq!(d.uid.as_deref(), Some("U123"));
        assert_eq!(port_count(&d.id, None, None).unwrap(), 2);
    }

    #[test]
    fn a_pile_needs_a_port_count_and_has_no_mac() {
        let mut i = DeviceInput {
            protocol: "dny".into(),
            device_id: "04ab373b".into(),
            ..Default::default()
        };
        let d = i.validate().unwrap();
        assert_eq!(
            port_count(&d.id, None, None).unwrap_err().field,
            "port_count"
        );
        let m = ModelFacts {
            protocol: Protocol::Dny,
            port_count: 10,
        };
        assert_eq!(port_count(&d.id, Some(m), None).unwrap(), 10);
        let gn = ModelFacts {
            protocol: Protocol::Gn,
            port_count: 2,
        };
        assert_eq!(
            port_count(&d.id, Some(gn), None).unwrap_err().field,
            "model"
        );
        i.mac = Some("aabbccddeeff".into());
        assert_eq!(i.validate().unwrap_err().field, "mac");
    }

    #[test]
    fn bad_fields_are_named() {
        let mut i = socket();
        i.status = Some("broken".into());
        assert_eq!(i.validate().unwrap_err().field, "status");
        let mut i = socket();
        i.port_count = Some(17);
        assert_eq!(i.validate().unwrap_err().field, "port_count");
        assert_eq!(
            validate_model("m", "gn", 2, 0).unwrap_err().field,
            "max_power_w"
        );
    }
}
