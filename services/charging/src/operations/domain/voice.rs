//! GN voice and beeper settings (0x0015/0x1B): a socket's port, or every socket of a
//! gateway; at most two quiet-hours windows in local "hh:mm". DNY documents none.

use super::FieldError;

/// A validated voice setting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Voice {
    /// 1 or 2 (A / B); a gateway-wide setting uses 1.
    pub port: u32,
    pub beeper: bool,
    pub voice: bool,
    pub windows: Vec<(String, String)>,
}

/// Most windows the frame carries.
pub const MAX_WINDOWS: usize = 2;

fn time_of_day(field: &str, s: &str) -> Result<String, FieldError> {
    let bad = || FieldError::new(field, format!("{s:?} is not hh:mm"));
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u8, u8) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(format!("{h:02}:{m:02}"))
}

pub fn validate(
    protocol: &str,
    port: Option<u32>,
    beeper: bool,
    voice: bool,
    windows: &[(String, String)],
) -> Result<Voice, FieldError> {
    if protocol != "gn" {
        return Err(FieldError::new(
            "device_id",
            "DNY piles have no documented voice settings (GN gateways and sockets only)",
        ));
    }
    let port = port.unwrap_or(1);
    if !(1..=2).contains(&port) {
        return Err(FieldError::new("port", "1 (A) or 2 (B)"));
    }
    if windows.len() > MAX_WINDOWS {
        return Err(FieldError::new("windows", "at most 2"));
    }
    let windows = windows
        .iter()
        .enumerate()
        .map(|(i, (s, e))| {
            Ok((
                time_of_day(&format!("windows[{i}].start"), s)?,
                time_of_day(&format!("windows[{i}].end"), e)?,
            ))
        })
        .collect::<Result<_, FieldError>>()?;
    Ok(Voice {
        port,
        beeper,
        voice,
        windows,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(s: &str, e: &str) -> (String, String) {
        (s.into(), e.into())
    }

    #[test]
    fn only_gn_with_at_most_two_valid_windows() {
        let v = validate("gn", None, true, false, &[w("22:00", "7:30")]).unwrap();
        assert_eq!(v.port, 1);
        assert_eq!(v.windows, [w("22:00", "07:30")]);
        assert_eq!(
            validate("dny", None, true, true, &[]).unwrap_err().field,
            "device_id"
        );
        assert_eq!(
            validate("gn", Some(3), true, true, &[]).unwrap_err().field,
            "port"
        );
        let three = [w("1:00", "2:00"), w("3:00", "4:00"), w("5:00", "6:00")];
        assert_eq!(
            validate("gn", None, true, true, &three).unwrap_err().field,
            "windows"
        );
        assert_eq!(
            validate("gn", None, true, true, &[w("1:00", "24:00")])
                .unwrap_err()
                .field,
            "windows[0].end"
        );
    }
}
