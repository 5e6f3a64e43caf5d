//! Alipay RSA2 sign content (开放平台 "自行实现签名"): the parameters sorted by name
//! (byte order), empty values dropped, `name=value` joined with `&`, values not
//! URL-encoded. Requests sign everything but `sign`; notifications are verified over
//! everything but `sign` and `sign_type`.

/// Which parameters a signature leaves out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// A request we send: `sign_type` is signed.
    Request,
    /// An asynchronous notification we receive: `sign_type` is not.
    Notification,
}

/// The string that is signed, from parameters in any order.
pub fn content<'a>(
    params: impl IntoIterator<Item = (&'a str, &'a str)>,
    purpose: Purpose,
) -> String {
    let mut pairs: Vec<(&str, &str)> = params
        .into_iter()
        .filter(|(k, v)| {
            !v.is_empty()
                && *k != "sign"
                && !(purpose == Purpose::Notification && *k == "sign_type")
        })
        .collect();
    pairs.sort_unstable();
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        out.push_str(k);
        out.push('=');
        out.push_str(v);
    }
    out
}

/// Alipay's timestamp format, China time: `2014-07-24 03:07:50`.
pub const TIME_FORMAT: &str = "%Y-%m-%d %H:%M:%S";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::providers::keys::{SigningKey, VerifyingKey};

    /// The documentation's example request (alipay.trade.app.pay), parameters given out
    /// of order as a form would carry them.
    const BIZ: &str = r#"{"timeout_express":"30m","product_code":"QUICK_MSECURITY_PAY","total_amount":"0.01","subject":"1","body":"我是测试数据","out_trade_no":"IQJZSRC1YMQB5HU"}"#;
    const DOC_CONTENT: &str = concat!(
        "app_id=2015052600090779&biz_content=",
        r#"{"timeout_express":"30m","product_code":"QUICK_MSECURITY_PAY","total_amount":"0.01","subject":"1","body":"我是测试数据","out_trade_no":"IQJZSRC1YMQB5HU"}"#,
        "&charset=utf-8&format=json&method=alipay.trade.app.pay&notify_url=http://domain.merchant.com/payment_notify&sign_type=RSA2&timestamp=2016-08-25 20:26:31&version=1.0"
    );

    fn doc_params() -> Vec<(&'static str, &'static str)> {
        vec![
            ("timestamp", "2016-08-25 20:26:31"),
            ("method", "alipay.trade.app.pay"),
            ("app_id", "2015052600090779"),
            ("sign_type", "RSA2"),
            ("version", "1.0"),
            ("notify_url", "http://domain.merchant.com/payment_notify"),
            ("charset", "utf-8"),
            ("format", "json"),
            ("biz_content", BIZ),
            ("app_auth_token", ""),
        ]
    }

    #[test]
    fn request_content_matches_the_documented_example() {
        assert_eq!(content(doc_params(), Purpose::Request), DOC_CONTENT);
        let mut with_sign = doc_params();
        with_sign.push(("sign", "xxx"));
        assert_eq!(content(with_sign, Purpose::Request), DOC_CONTENT);
    }

    #[test]
    fn notifications_leave_out_sign_type() {
        let params = [
            ("b", "2"),
            ("sign_type", "RSA2"),
            ("a", "1"),
            ("sign", "s"),
            ("c", ""),
        ];
        assert_eq!(content(params, Purpose::Notification), "a=1&b=2");
        assert_eq!(content(params, Purpose::Request), "a=1&b=2&sign_type=RSA2");
    }

    /// The example signed by OpenSSL with paysim's test app key
    /// (`openssl dgst -sha256 -sign alipay_app_key.pem`): what Alipay's gateway checks.
    #[test]
    fn signature_matches_openssl() {
        let key = SigningKey::from_text(paysim::keys::ALIPAY_APP_KEY).unwrap();
        let sig = key.sign_base64(DOC_CONTENT.as_bytes()).unwrap();
        assert_eq!(
            sig,
            "sQ+xNUlsuYU351+JNxs+uYPnysRbSFGa52QaYYKyfq/DPHrhRVyraI/pjLiY+48rgLQSO/ypCOmn/XnhuYJPrfazPsvxMdtaGz+paLVi9McQc8T/wKtgLOh8Yx5zWWTsqvVNO/xbaaBO7Gz8FJsVyMgVGFqYPG5UYwmaSqaFwi9C2D2ig7RqJya1otjbfKZ/g+yb0Zy1ODgZy6kI1ov70OpKyJ+oKmREVJuCwpQV/rKDIIVOrdtIhEQKYQJHB6goyv7iD51oYRxaD5Jutr+ltGO8QzJCnHU2Dlilr+0CXzUTveYppPjzyDj7xkrVP62lEdl47rG4eNSu88PiQ4JD+g=="
        );
        let (public, _) = VerifyingKey::from_text(paysim::keys::ALIPAY_APP_PUB).unwrap();
        assert!(public.verify_base64(DOC_CONTENT.as_bytes(), &sig));
    }
}
