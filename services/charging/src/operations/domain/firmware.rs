//! Firmware of a campaign: a DNY image (the gateway sends it in packets) or a GN FTP
//! location (the gateway tells the GN gateway where to download). Validated here.

use super::FieldError;

/// Largest DNY image the gateway's `Upgrade` accepts (it travels as one NATS message).
pub const MAX_IMAGE_BYTES: usize = 960 * 1024;

/// A DNY image's size rule.
pub fn check_image(field: &str, image: &[u8]) -> Result<(), FieldError> {
    if image.is_empty() {
        return Err(FieldError::new(field, "the image is empty"));
    }
    if image.len() > MAX_IMAGE_BYTES {
        return Err(FieldError::new(
            field,
            format!(
                "{} bytes is more than {MAX_IMAGE_BYTES} (960 KiB)",
                image.len()
            ),
        ));
    }
    Ok(())
}

/// The byte sum a DNY check packet announces (fact sheet 1.7.11).
pub fn byte_sum(image: &[u8]) -> i64 {
    image.iter().map(|b| i64::from(*b)).sum()
}

/// Standard base64 (RFC 4648, `+/`, padding optional, whitespace ignored: JSON clients
/// wrap long strings).
pub fn decode_base64(field: &str, s: &str) -> Result<Vec<u8>, FieldError> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const STANDARD_ANY_PADDING: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let clean: Vec<u8> = s.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    STANDARD_ANY_PADDING
        .decode(clean)
        .map_err(|e| FieldError::new(field, format!("not base64: {e}")))
}

/// How the gateway sends a DNY image (control.proto `dny_kind`).
pub const DNY_KINDS: [&str; 5] = ["sub_device", "power_board", "host_wide", "host", "old"];

pub fn dny_kind(field: &str, s: Option<&str>) -> Result<String, FieldError> {
    let k = s
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .unwrap_or("sub_device");
    if DNY_KINDS.contains(&k) {
        Ok(k.to_owned())
    } else {
        Err(FieldError::new(
            field,
            format!("{k:?} is not one of {}", DNY_KINDS.join(", ")),
        ))
    }
}

/// The optional DNY check packet (0xE0–E2 only): device type (one byte), version (two).
pub fn check_packet(
    field: &str,
    kind: &str,
    device_type: i64,
    version: i64,
) -> Result<(i32, i32), FieldError> {
    if !matches!(kind, "sub_device" | "power_board" | "host_wide") {
        return Err(FieldError::new(
            field,
            "only sub_device, power_board and host_wide transfers carry a check packet",
        ));
    }
    let device_type = i32::try_from(device_type)
        .ok()
        .filter(|t| (0..=255).contains(t))
        .ok_or_else(|| FieldError::new(&format!("{field}.device_type"), "0..=255"))?;
    let version = i32::try_from(version)
        .ok()
        .filter(|v| (0..=65_535).contains(v))
        .ok_or_else(|| FieldError::new(&format!("{field}.firmware_version"), "0..=65535"))?;
    Ok((device_type, version))
}

/// A GN FTP location.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FtpLocation {
    pub host: String,
    pub port: u16,
    pub file: String,
}

pub fn ftp(
    field: &str,
    host: &str,
    port: Option<i64>,
    file: &str,
) -> Result<FtpLocation, FieldError> {
    let plain =
        |s: &str| !s.is_empty() && s.len() <= 255 && s.chars().all(|c| c.is_ascii_graphic());
    let host = host.trim();
    if !plain(host) {
        return Err(FieldError::new(
            &format!("{field}.ftp_host"),
            "a host name or address (printable ASCII, at most 255)",
        ));
    }
    let port = u16::try_from(port.unwrap_or(21))
        .ok()
        .filter(|p| *p > 0)
        .ok_or_else(|| FieldError::new(&format!("{field}.ftp_port"), "1..=65535"))?;
    let file = file.trim();
    if !plain(file) {
        return Err(FieldError::new(
            &format!("{field}.file_name"),
            "a file name (printable ASCII, at most 255)",
        ));
    }
    Ok(FtpLocation {
        host: host.to_owned(),
        port,
        file: file.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trips_with_or_without_padding() {
        assert_eq!(decode_base64("f", "").unwrap(), b"");
        assert_eq!(decode_base64("f", "Zg==").unwrap(), b"f");
        assert_eq!(decode_base64("f", "Zm8").unwrap(), b"fo");
        assert_eq!(decode_base64("f", "Zm9v\nYmFy").unwrap(), b"foobar");
        assert_eq!(decode_base64("f", "AAEC/w==").unwrap(), [0, 1, 2, 255]);
        assert_eq!(decode_base64("f", "Zm9v!").unwrap_err().field, "f");
        assert!(decode_base64("f", "Z").is_err());
    }

    #[test]
    fn images_are_bounded_and_summed() {
        assert!(check_image("i", &[]).is_err());
        assert!(check_image("i", &vec![0; MAX_IMAGE_BYTES]).is_ok());
        assert!(check_image("i", &vec![0; MAX_IMAGE_BYTES + 1]).is_err());
        assert_eq!(byte_sum(&[1, 2, 255]), 258);
    }

    #[test]
    fn kinds_check_packets_and_ftp_are_checked() {
        assert_eq!(dny_kind("k", None).unwrap(), "sub_device");
        assert_eq!(dny_kind("k", Some("old")).unwrap(), "old");
        assert_eq!(dny_kind("k", Some("new")).unwrap_err().field, "k");
        assert_eq!(
            check_packet("c", "sub_device", 0x21, 126).unwrap(),
            (0x21, 126)
        );
        assert_eq!(check_packet("c", "old", 1, 1).unwrap_err().field, "c");
        assert_eq!(
            check_packet("c", "host_wide", 256, 1).unwrap_err().field,
            "c.device_type"
        );
        let f = ftp("fw", " ftp.example.com ", None, "gn.bin").unwrap();
        assert_eq!((f.host.as_str(), f.port), ("ftp.example.com", 21));
        assert_eq!(ftp("fw", "", None, "x").unwrap_err().field, "fw.ftp_host");
        assert_eq!(
            ftp("fw", "h", Some(0), "x").unwrap_err().field,
            "fw.ftp_port"
        );
        assert_eq!(
            ftp("fw", "h", None, "a b").unwrap_err().field,
            "fw.file_name"
        );
    }
}
