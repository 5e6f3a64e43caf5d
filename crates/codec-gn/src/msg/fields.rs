//! Typed reads and writes of the fields shared by the fixed GN payload layouts.

use crate::codes::{PortStatus, SocketFirmware};
use crate::error::Error;
use crate::ids::{BusinessNo, CardNo, Mac, PortNo, SocketNo};
use crate::units::{Celsius, DeciVolts, DeciWatts, Fen, MilliAmps, Seconds, Wh};
use crate::wire::{Reader, Writer, to_u16, to_u32};

impl Reader<'_> {
    pub fn socket(&mut self) -> Result<SocketNo, Error> {
        self.u8("socket").map(SocketNo)
    }

    pub fn port(&mut self) -> Result<PortNo, Error> {
        self.u8("port").map(PortNo)
    }

    pub fn status(&mut self) -> Result<PortStatus, Error> {
        self.u8("status").map(PortStatus)
    }

    pub fn business_no(&mut self) -> Result<BusinessNo, Error> {
        self.u16("business no").map(BusinessNo)
    }

    pub fn firmware(&mut self) -> Result<SocketFirmware, Error> {
        self.u16("socket firmware").map(SocketFirmware)
    }

    pub fn card(&mut self) -> Result<CardNo, Error> {
        self.array("card no").map(CardNo::from_bytes)
    }

    pub fn mac(&mut self) -> Result<Mac, Error> {
        self.array("mac").map(Mac::from_bytes)
    }

    pub fn celsius(&mut self, field: &str) -> Result<Celsius, Error> {
        self.u8(field).map(|v| Celsius::new(i16::from(v)))
    }

    pub fn minutes(&mut self, field: &str) -> Result<Seconds, Error> {
        self.u16(field).map(|m| Seconds::from_minutes(u32::from(m)))
    }

    pub fn deciwatts(&mut self, field: &str) -> Result<DeciWatts, Error> {
        self.u16(field).map(|v| DeciWatts::new(u32::from(v)))
    }

    pub fn decivolts(&mut self, field: &str) -> Result<DeciVolts, Error> {
        self.u16(field).map(|v| DeciVolts::new(u32::from(v)))
    }

    pub fn milliamps(&mut self, field: &str) -> Result<MilliAmps, Error> {
        self.u16(field).map(|v| MilliAmps::new(u32::from(v)))
    }

    pub fn wh(&mut self, field: &str) -> Result<Wh, Error> {
        self.u16(field).map(|v| Wh::new(i64::from(v)))
    }

    pub fn fen16(&mut self, field: &str) -> Result<Fen, Error> {
        self.u16(field).map(|v| Fen::new(i64::from(v)))
    }

    pub fn fen32(&mut self, field: &str) -> Result<Fen, Error> {
        self.u32(field).map(|v| Fen::new(i64::from(v)))
    }
}

impl Writer<'_> {
    pub fn celsius(&mut self, v: Celsius, field: &'static str) -> Result<(), Error> {
        let b = u8::try_from(v.get()).map_err(|_| Error::encode(field, "outside 0–255 °C"))?;
        self.u8(b);
        Ok(())
    }

    pub fn minutes(&mut self, v: Seconds, field: &'static str) -> Result<(), Error> {
        let m = v
            .whole_minutes()
            .ok_or_else(|| Error::encode(field, "not a whole number of minutes"))?;
        self.u16(to_u16(m, field)?);
        Ok(())
    }

    pub fn deciwatts(&mut self, v: DeciWatts, field: &'static str) -> Result<(), Error> {
        self.u16(to_u16(v.get(), field)?);
        Ok(())
    }

    pub fn decivolts(&mut self, v: DeciVolts, field: &'static str) -> Result<(), Error> {
        self.u16(to_u16(v.get(), field)?);
        Ok(())
    }

    pub fn milliamps(&mut self, v: MilliAmps, field: &'static str) -> Result<(), Error> {
        self.u16(to_u16(v.get(), field)?);
        Ok(())
    }

    pub fn wh(&mut self, v: Wh, field: &'static str) -> Result<(), Error> {
        self.u16(to_u16(v.get(), field)?);
        Ok(())
    }

    pub fn fen16(&mut self, v: Fen, field: &'static str) -> Result<(), Error> {
        self.u16(to_u16(v.get(), field)?);
        Ok(())
    }

    pub fn fen32(&mut self, v: Fen, field: &'static str) -> Result<(), Error> {
        self.u32(to_u32(v.get(), field)?);
        Ok(())
    }
}
