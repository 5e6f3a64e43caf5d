//! QR codes on ports. The sticker holds `https://<host>/q/<code>`: the host is the
//! operator's driver-app domain (not the registry's business), `<code>` is 16 characters
//! of Crockford base32 (80 random bits: unguessable, so a code cannot be enumerated to
//! map an operator's fleet) and resolves to one device port.

use super::FieldError;

/// Characters of a code (Crockford base32: no I, L, O, U, easy to read aloud).
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Length of a generated code.
pub const CODE_LEN: usize = 16;

/// A code from 10 random bytes (the caller brings the randomness: this stays pure).
pub fn code_from(random: [u8; 10]) -> String {
    let mut bits: u128 = 0;
    for b in random {
        bits = (bits << 8) | u128::from(b);
    }
    (0..CODE_LEN)
        .rev()
        .map(|i| char::from(ALPHABET[((bits >> (i * 5)) & 31) as usize]))
        .collect()
}

/// What a scanner sends: the code itself or the sticker's whole URL; case-insensitive.
pub fn parse_code(s: &str) -> Result<String, FieldError> {
    let s = s.trim();
    let code = s
        .rsplit_once("/q/")
        .map_or(s, |(_, c)| c)
        .to_ascii_uppercase();
    if code.len() == CODE_LEN && code.bytes().all(|b| ALPHABET.contains(&b)) {
        Ok(code)
    } else {
        Err(FieldError::new(
            "code",
            format!("is not a charging QR code ({CODE_LEN} characters of 0-9 A-Z without I L O U)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_accept_the_url() {
        let c = code_from([0xff; 10]);
        assert_eq!(c, "ZZZZZZZZZZZZZZZZ");
        let c = code_from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
        assert_eq!(c.len(), CODE_LEN);
        assert_eq!(parse_code(&c.to_lowercase()).unwrap(), c);
        assert_eq!(
            parse_code(&format!("https://ev.example.cn/q/{c}")).unwrap(),
            c
        );
        assert_eq!(parse_code("ABC").unwrap_err().field, "code");
        assert!(parse_code("IIIIIIIIIIIIIIII").is_err());
    }
}
