//! WeChat Pay API v3 signatures (pay.weixin.qq.com, 签名生成 / 签名验证): the strings
//! that are signed and the `Authorization` header. Pure functions, so the strings can be
//! checked against the documentation's worked examples.

/// The `Authorization` scheme of API v3.
pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";

/// What a request signature covers: method, the URL path with its query string (no
/// host), the timestamp, the nonce and the exact body bytes (empty for GET), each line
/// ending in `\n`.
pub fn request_message(
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &str,
) -> String {
    format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n{body}\n")
}

/// The `Authorization` header value for a signed request.
pub fn authorization(
    mch_id: &str,
    serial_no: &str,
    timestamp: i64,
    nonce: &str,
    signature: &str,
) -> String {
    format!(
        "{SCHEME} mchid=\"{mch_id}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{serial_no}\""
    )
}

/// What WeChat's response and notification signatures cover: `Wechatpay-Timestamp`,
/// `Wechatpay-Nonce` and the body exactly as received.
pub fn response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut m = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    m.extend_from_slice(timestamp.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(nonce.as_bytes());
    m.push(b'\n');
    m.extend_from_slice(body);
    m.push(b'\n');
    m
}

/// What the JSAPI `paySign` covers (JSAPI调起支付): appId, timeStamp, nonceStr, package.
pub fn jsapi_message(app_id: &str, timestamp: &str, nonce: &str, package: &str) -> String {
    format!("{app_id}\n{timestamp}\n{nonce}\n{package}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::keys::{SigningKey, VerifyingKey};

    /// The worked example of the documentation (签名生成): `GET /v3/certificates` at
    /// timestamp 1554208460 with nonce 593BEC0C930BF1AFEB40B4A08C8FB242.
    const DOC_MESSAGE: &str =
        "GET\n/v3/certificates\n1554208460\n593BEC0C930BF1AFEB40B4A08C8FB242\n\n";

    #[test]
    fn request_message_matches_the_documented_example() {
        assert_eq!(
            request_message(
                "GET",
                "/v3/certificates",
                1554208460,
                "593BEC0C930BF1AFEB40B4A08C8FB242",
                ""
            ),
            DOC_MESSAGE
        );
    }

    /// Signed with paysim's test merchant key by OpenSSL
    /// (`openssl dgst -sha256 -sign wechat_merchant_key.pem`, crates/paysim/testdata):
    /// our signature must be byte-identical to what Java's SHA256withRSA makes.
    #[test]
    fn signature_matches_openssl() {
        let key = SigningKey::from_text(paysim::keys::WECHAT_MERCHANT_KEY).unwrap();
        let ours = key.sign_base64(DOC_MESSAGE.as_bytes()).unwrap();
        assert_eq!(
            ours,
            "jTYEb+qb1DfRvhHxenvGYIrtg+AfrH3MPFnz/HCQNslDZXVCH/7MZqs7iCiOMsp9xqUCMba/qoFWaKDf/Lo5b8Zyx1qDcQWXVDSz6H4ZakfLyZv/7ol7hwfmM8vqiHfURXKhhuLvHZ0sN3OGvsp1W267NA0tmzB1Q/61Vpz8F95nFnXSSHBvUNR5AwdC4t1jKwNNudBPA3SWuJVm9IrS8vJIjp0wjIqC+6iKbBNXHqALjb2FU1rJgehFUyUiTylcgY3xV6+RVn/CIuLpm6f+2aBG1tF2XdUfElgS3NXnNE5jyEYur3QxGrThL6zmRvUd7I6kdWMFcjW7MWVuIiOOeA=="
        );
        let (public, _) = VerifyingKey::from_text(paysim::keys::WECHAT_MERCHANT_PUB).unwrap();
        assert!(public.verify_base64(DOC_MESSAGE.as_bytes(), &ours));
    }

    #[test]
    fn authorization_has_the_documented_shape() {
        assert_eq!(
            authorization(
                "1900009191",
                "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C",
                1554208460,
                "593BEC0C930BF1AFEB40B4A08C8FB242",
                "c2ln"
            ),
            "WECHATPAY2-SHA256-RSA2048 mchid=\"1900009191\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\",signature=\"c2ln\",timestamp=\"1554208460\",serial_no=\"1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C\""
        );
    }

    #[test]
    fn response_and_jsapi_messages() {
        assert_eq!(
            response_message(
                "1554209980",
                "c5ac7061fccab6bf3e254dcf98995b8c",
                b"{\"a\":1}"
            ),
            b"1554209980\nc5ac7061fccab6bf3e254dcf98995b8c\n{\"a\":1}\n".to_vec()
        );
        // A 204 has no body: the last line is just the newline.
        assert_eq!(response_message("1", "n", b""), b"1\nn\n\n".to_vec());
        assert_eq!(
            jsapi_message(
                "wx8888888888888888",
                "1414561699",
                "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
                "prepay_id=wx201410272009395522657a690389285100"
            ),
            "wx8888888888888888\n1414561699\n5K8264ILTKCH16CQ2502SI8ZNMTM67VS\nprepay_id=wx201410272009395522657a690389285100\n"
        );
    }
}
