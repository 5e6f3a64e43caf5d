//! The `ce-type` of every event payload in `proto/pylon/events/v1`. One place, because
//! the publisher and every consumer must agree on it and Rust lets the trait be
//! implemented only beside the trait or the type. A type name is a wire format: never
//! change one, add a `.v2` instead.

use proto::events as pb;

use crate::Event;

macro_rules! catalog {
    ($($ty:ident => $name:literal),* $(,)?) => {
        $(impl Event for pb::$ty { const TYPE: &'static str = $name; })*
    };
}

catalog! {
    DeadLettered => "pylon.bus.message.dead_lettered.v1",
    // Device events (gateway → PYLON_DEVICE).
    DeviceConnected => "pylon.device.connected.v1",
    DeviceDisconnected => "pylon.device.disconnected.v1",
    DeviceHeartbeat => "pylon.device.heartbeat.v1",
    PortStatusChanged => "pylon.device.port_status_changed.v1",
    MeterSample => "pylon.device.meter_sample.v1",
    ChargingStarted => "pylon.device.charging_started.v1",
    ChargingEnded => "pylon.device.charging_ended.v1",
    CardSwiped => "pylon.device.card_swiped.v1",
    DeviceAlarm => "pylon.device.alarm.v1",
    ParameterReport => "pylon.device.parameter_report.v1",
    FirmwareProgress => "pylon.device.firmware_progress.v1",
    // Identity events (identity → PYLON_IDENTITY).
    UserRegistered => "pylon.identity.user.registered.v1",
    UserDisabled => "pylon.identity.user.disabled.v1",
    OrgChanged => "pylon.identity.org.changed.v1",
    RoleGranted => "pylon.identity.role.granted.v1",
    OneTimeCodeRequested => "pylon.identity.otp.requested.v1",
    // Charging events (charging → PYLON_CHARGING).
    OrderStateChanged => "pylon.charging.order.state_changed.v1",
    OperationRecorded => "pylon.charging.operation.recorded.v1",
    // Payment events (payment → PYLON_PAYMENT).
    WalletChanged => "pylon.payment.wallet.changed.v1",
    PaymentSucceeded => "pylon.payment.payment.succeeded.v1",
    PaymentFailed => "pylon.payment.payment.failed.v1",
    RefundSucceeded => "pylon.payment.refund.succeeded.v1",
    // Billing events (billing → PYLON_BILLING).
    BillIssued => "pylon.billing.bill.issued.v1",
    TariffChanged => "pylon.billing.tariff.changed.v1",
}
