//! The provider adapters against paysim: real HTTP on 127.0.0.1, real signatures, real
//! AES-GCM; nothing of ours is mocked and nothing leaves the machine.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod alipay;
mod helpers;
mod sandbox;
mod setup;
mod wechat;
