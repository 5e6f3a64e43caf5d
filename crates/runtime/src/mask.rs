//! Masking of personal data in responses and logs (docs/security.md): phone numbers,
//! e-mail addresses, card and ID numbers are shown masked unless the caller holds
//! `pii:read` on the record's node (or it is their own), and are always masked in logs.

/// `13812345678` → `138****5678`; short numbers keep only their last two digits.
pub fn phone(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    if n >= 7 {
        let head: String = chars[..3].iter().collect();
        let tail: String = chars[n - 4..].iter().collect();
        format!("{head}****{tail}")
    } else {
        keep_last(&chars, 2)
    }
}

/// `alice@example.com` → `a***@example.com`.
pub fn email(s: &str) -> String {
    match s.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => keep_last(&s.chars().collect::<Vec<_>>(), 0),
    }
}

/// Card and ID numbers: all but the last four characters become `*`.
pub fn id_number(s: &str) -> String {
    keep_last(&s.chars().collect::<Vec<_>>(), 4)
}

fn keep_last(chars: &[char], keep: usize) -> String {
    let n = chars.len();
    let keep = if n > keep * 2 { keep } else { 0 };
    let mut out: String = "*".repeat(n - keep);
    out.extend(&chars[n - keep..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(phone("13812345678"), "138****5678");
        assert_eq!(phone("+8613812345678"), "+86****5678");
        assert_eq!(phone("12345"), "***45");
        assert_eq!(email("alice@example.com"), "a***@example.com");
        assert_eq!(email("nonsense"), "********");
        assert_eq!(id_number("110101199003074512"), "**************4512");
        assert_eq!(id_number("1234"), "****");
    }
}
