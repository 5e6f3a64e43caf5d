//! The committed test keys (`testdata/`, TEST ONLY) and the test merchant's ids.

pub const WECHAT_MERCHANT_KEY: &str = include_str!("../testdata/wechat_merchant_key.pem");
pub const WECHAT_MERCHANT_PUB: &str = include_str!("../testdata/wechat_merchant_pub.pem");
pub const WECHAT_PLATFORM_KEY: &str = include_str!("../testdata/wechat_platform_key.pem");
pub const WECHAT_PLATFORM_PUB: &str = include_str!("../testdata/wechat_platform_pub.pem");
pub const WECHAT_PLATFORM_CERT: &str = include_str!("../testdata/wechat_platform_cert.pem");
pub const ALIPAY_APP_KEY: &str = include_str!("../testdata/alipay_app_key.pem");
pub const ALIPAY_APP_PUB: &str = include_str!("../testdata/alipay_app_pub.pem");
pub const ALIPAY_PLATFORM_KEY: &str = include_str!("../testdata/alipay_platform_key.pem");
pub const ALIPAY_PLATFORM_PUB: &str = include_str!("../testdata/alipay_platform_pub.pem");
pub const INTRUDER_KEY: &str = include_str!("../testdata/intruder_key.pem");
pub const INTRUDER_PUB: &str = include_str!("../testdata/intruder_pub.pem");

/// The serial number of `wechat_platform_cert.pem`.
pub const WECHAT_PLATFORM_CERT_SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";
/// The id of `wechat_platform_pub.pem` as WeChat would name it.
pub const WECHAT_PUBLIC_KEY_ID: &str = "PUB_KEY_ID_0114232134912410000000000000000001";

pub const WECHAT_MCH_ID: &str = "1900009191";
pub const WECHAT_APP_ID: &str = "wxd678efh567hg6787";
pub const WECHAT_MERCHANT_SERIAL: &str = "1DDE55AD98ED71D6EDD4A4A16996DE7B47773A8C";
/// 32 characters, like the one set on the merchant platform.
pub const WECHAT_API_V3_KEY: &str = "paysimTESTapiV3key0123456789abcd";
pub const ALIPAY_APP_ID: &str = "2021000000000001";
