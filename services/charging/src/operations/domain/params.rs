//! Device parameters per protocol (control.proto `GetParameters` / `SetParameters`):
//! which groups a device has, which keys a write takes and their ranges, checked here
//! so a bad write is refused naming the field before anything is sent.
//!
//! - DNY piles: groups `run11`, `run12`, `run2`, `card` are readable; `run11` (0x83) and
//!   `run2` (0x85) are writable and the frame replaces the whole group, so a write names
//!   every required key.
//! - GN sockets (`<gateway>-<n>`): one group, `socket` (BKV 0x1012 / 0x1011); a write
//!   carries only the keys to change (at least one).
//!
//! Names and units are those of the decoded answer (`_s` seconds, `_dw` 0.1 W, `_dv`
//! 0.1 V, `_c` °C, `_ma` mA, `_pct` %).

use std::collections::BTreeMap;

use super::FieldError;

/// One parameter: its name, inclusive range and step (GN durations are whole minutes).
#[derive(Debug)]
pub struct Key {
    pub name: &'static str,
    pub min: i64,
    pub max: i64,
    pub step: i64,
    /// A write of a "whole group" frame must name it.
    pub required: bool,
}

const fn key(name: &'static str, min: i64, max: i64, required: bool) -> Key {
    Key {
        name,
        min,
        max,
        step: 1,
        required,
    }
}

const U16: i64 = u16::MAX as i64;

/// A parameter group of a protocol.
#[derive(Debug)]
pub struct Group {
    pub name: &'static str,
    /// Empty: read-only.
    pub keys: &'static [Key],
    /// The write replaces the group (DNY) rather than patching keys (GN).
    pub whole: bool,
}

impl Group {
    pub fn writable(&self) -> bool {
        !self.keys.is_empty()
    }
}

static RUN11: Group = Group {
    name: "run11",
    keys: &[
        key("unplug_power_dw", 0, U16, true),
        key("unplug_detect_s", 0, U16, true),
        key("float_percent", 1, 100, true),
        key("float_detect_s", 0, U16, true),
        key("float_time_s", 0, U16, true),
        key("heartbeat_interval_s", 0, U16, true),
    ],
    whole: true,
};
static RUN12: Group = Group {
    name: "run12",
    keys: &[],
    whole: true,
};
static RUN2: Group = Group {
    name: "run2",
    keys: &[
        key("max_charge_time_s", 0, U16, true),
        key("overload_power_dw", 0, U16, true),
        key("over_voltage_dv", 0, U16, false),
        key("under_voltage_dv", 0, U16, false),
    ],
    whole: true,
};
static CARD: Group = Group {
    name: "card",
    keys: &[],
    whole: true,
};
static SOCKET: Group = Group {
    name: "socket",
    keys: &[
        key("full_charge_delay_s", 0, U16, false),
        key("no_load_delay_s", 0, U16, false),
        key("full_power_threshold_dw", 0, U16, false),
        key("no_load_power_threshold_dw", 0, U16, false),
        key("high_temperature_threshold_c", -128, 127, false),
        key("power_limit_dw", 0, U16, false),
        Key {
            name: "max_charge_duration_s",
            min: 0,
            max: U16 * 60,
            step: 60,
            required: false,
        },
        key("trickle_threshold_pct", 0, 100, false),
        key("overcurrent_limit_ma", 0, U16, false),
    ],
    whole: false,
};

/// The group `name` of a device (`protocol`, registry `kind`).
pub fn group(protocol: &str, kind: &str, name: &str) -> Result<&'static Group, FieldError> {
    let name = name.trim();
    match (protocol, kind) {
        ("dny", _) => [&RUN11, &RUN12, &RUN2, &CARD]
            .into_iter()
            .find(|g| g.name == name)
            .ok_or_else(|| {
                FieldError::new(
                    "group",
                    format!("{name:?}: DNY groups are run11, run12, run2, card"),
                )
            }),
        ("gn", "socket") if name == "socket" => Ok(&SOCKET),
        ("gn", "socket") => Err(FieldError::new(
            "group",
            format!("{name:?}: GN sockets have one group, socket"),
        )),
        ("gn", _) => Err(FieldError::new(
            "device_id",
            "GN parameters belong to a socket: <gateway>-<socket>",
        )),
        (other, _) => Err(FieldError::new(
            "device_id",
            format!("protocol {other:?} has no parameters"),
        )),
    }
}

/// Checks a write of `values` to `group`.
pub fn validate_write(g: &Group, values: &BTreeMap<String, i64>) -> Result<(), FieldError> {
    if !g.writable() {
        return Err(FieldError::new(
            "group",
            format!("{} is read-only (writable: run11, run2, socket)", g.name),
        ));
    }
    if let Some(unknown) = values
        .keys()
        .find(|k| !g.keys.iter().any(|key| key.name == k.as_str()))
    {
        let known: Vec<&str> = g.keys.iter().map(|k| k.name).collect();
        return Err(FieldError::new(
            &format!("values.{unknown}"),
            format!("not a {} parameter (known: {})", g.name, known.join(", ")),
        ));
    }
    if values.is_empty() {
        return Err(FieldError::new("values", "name at least one parameter"));
    }
    for k in g.keys {
        let field = format!("values.{}", k.name);
        match values.get(k.name) {
            None if g.whole && k.required => {
                return Err(FieldError::new(
                    &field,
                    format!("required: a {} write replaces the whole group", g.name),
                ));
            }
            None => {}
            Some(v) if !(k.min..=k.max).contains(v) => {
                return Err(FieldError::new(
                    &field,
                    format!("{v} is outside {}..={}", k.min, k.max),
                ));
            }
            Some(v) if v % k.step != 0 => {
                return Err(FieldError::new(
                    &field,
                    format!("{v} is not a multiple of {}", k.step),
                ));
            }
            Some(_) => {}
        }
    }
    // 0x85 carries the voltages in order: an under-voltage needs the over-voltage.
    if g.name == "run2"
        && values.contains_key("under_voltage_dv")
        && !values.contains_key("over_voltage_dv")
    {
        return Err(FieldError::new(
            "values.over_voltage_dv",
            "required when under_voltage_dv is given",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(kv: &[(&str, i64)]) -> BTreeMap<String, i64> {
        kv.iter().map(|(k, v)| ((*k).to_owned(), *v)).collect()
    }

    #[test]
    fn groups_follow_the_protocol_and_the_device_kind() {
        assert_eq!(group("dny", "pile", "run2").unwrap().name, "run2");
        assert_eq!(group("dny", "pile", " card ").unwrap().name, "card");
        assert_eq!(group("dny", "pile", "socket").unwrap_err().field, "group");
        assert_eq!(group("gn", "socket", "socket").unwrap().name, "socket");
        assert_eq!(group("gn", "socket", "run2").unwrap_err().field, "group");
        assert_eq!(
            group("gn", "gateway", "socket").unwrap_err().field,
            "device_id"
        );
    }

    #[test]
    fn a_dny_write_names_every_required_key_within_range() {
        let run2 = group("dny", "pile", "run2").unwrap();
        let ok = vals(&[("max_charge_time_s", 36_000), ("overload_power_dw", 20_000)]);
        assert!(validate_write(run2, &ok).is_ok());
        let e = validate_write(run2, &vals(&[("max_charge_time_s", 36_000)])).unwrap_err();
        assert_eq!(e.field, "values.overload_power_dw");
        let e = validate_write(
            run2,
            &vals(&[("max_charge_time_s", 70_000), ("overload_power_dw", 1)]),
        )
        .unwrap_err();
        assert_eq!(e.field, "values.max_charge_time_s");
        let mut under = ok.clone();
        under.insert("under_voltage_dv".into(), 1000);
        assert_eq!(
            validate_write(run2, &under).unwrap_err().field,
            "values.over_voltage_dv"
        );
        let e = validate_write(run2, &vals(&[("bogus", 1)])).unwrap_err();
        assert_eq!(e.field, "values.bogus");
        let card = group("dny", "pile", "card").unwrap();
        assert_eq!(validate_write(card, &ok).unwrap_err().field, "group");
    }

    #[test]
    fn a_gn_write_patches_keys_in_whole_minutes() {
        let s = group("gn", "socket", "socket").unwrap();
        assert!(validate_write(s, &vals(&[("power_limit_dw", 5000)])).is_ok());
        assert!(validate_write(s, &vals(&[("max_charge_duration_s", 3600)])).is_ok());
        assert_eq!(
            validate_write(s, &vals(&[("max_charge_duration_s", 3601)]))
                .unwrap_err()
                .field,
            "values.max_charge_duration_s"
        );
        assert_eq!(
            validate_write(s, &vals(&[("high_temperature_threshold_c", 200)]))
                .unwrap_err()
                .field,
            "values.high_temperature_threshold_c"
        );
        assert_eq!(
            validate_write(s, &BTreeMap::new()).unwrap_err().field,
            "values"
        );
    }
}
