//! What a valid site is.

use super::{FieldError, optional_text, text};

/// Longest name, address and opening-hours text (a console line, not a document).
const MAX_NAME: usize = 100;
const MAX_ADDRESS: usize = 300;
const MAX_HOURS: usize = 200;
const MAX_URL: usize = 1000;

/// A site's descriptive fields as the API takes them (coordinates in degrees).
#[derive(Clone, Debug, Default)]
pub struct SiteInput {
    pub name: String,
    pub address: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub opening_hours: String,
    pub photo_url: String,
}

/// The validated fields, coordinates in micro-degrees (stored as integers: exact, and
/// equal values compare equal in SQL).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SiteFields {
    pub name: String,
    pub address: String,
    pub lat_e6: Option<i32>,
    pub lng_e6: Option<i32>,
    pub opening_hours: String,
    pub photo_url: String,
}

impl SiteInput {
    pub fn validate(&self) -> Result<SiteFields, FieldError> {
        let (lat_e6, lng_e6) = match (self.lat, self.lng) {
            (None, None) => (None, None),
            (Some(lat), Some(lng)) => (
                Some(micro_degrees("lat", lat, 90.0)?),
                Some(micro_degrees("lng", lng, 180.0)?),
            ),
            (Some(_), None) => return Err(FieldError::new("lng", "required with lat")),
            (None, Some(_)) => return Err(FieldError::new("lat", "required with lng")),
        };
        let photo_url = optional_text("photo_url", &self.photo_url, MAX_URL)?;
        let is_url = photo_url.starts_with("https://") || photo_url.starts_with("http://");
        if !photo_url.is_empty() && !is_url {
            return Err(FieldError::new("photo_url", "must be an http(s) URL"));
        }
        Ok(SiteFields {
            name: text("name", &self.name, MAX_NAME)?,
            address: optional_text("address", &self.address, MAX_ADDRESS)?,
            lat_e6,
            lng_e6,
            opening_hours: optional_text("opening_hours", &self.opening_hours, MAX_HOURS)?,
            photo_url,
        })
    }
}

fn micro_degrees(field: &str, deg: f64, limit: f64) -> Result<i32, FieldError> {
    if !deg.is_finite() || deg.abs() > limit {
        return Err(FieldError::new(
            field,
            format!("must be between -{limit} and {limit} degrees"),
        ));
    }
    // |deg| ≤ 180, so the product fits an i32 (±180,000,000).
    Ok((deg * 1e6).round() as i32)
}

/// Micro-degrees back to degrees for the API.
pub fn degrees(e6: Option<i32>) -> Option<f64> {
    e6.map(|v| f64::from(v) / 1e6)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input() -> SiteInput {
        SiteInput {
            name: " Gate 3 ".into(),
            lat: Some(31.230416),
            lng: Some(121.473701),
            ..Default::default()
        }
    }

    #[test]
    fn coordinates_become_micro_degrees() {
        let f = input().validate().unwrap();
        assert_eq!(f.name, "Gate 3");
        assert_eq!((f.lat_e6, f.lng_e6), (Some(31_230_416), Some(121_473_701)));
        assert_eq!(degrees(f.lat_e6), Some(31.230416));
    }

    #[test]
    fn errors_name_the_field() {
        let mut i = input();
        i.name = "  ".into();
        assert_eq!(i.validate().unwrap_err().field, "name");
        let mut i = input();
        i.lat = Some(91.0);
        assert_eq!(i.validate().unwrap_err().field, "lat");
        let mut i = input();
        i.lng = None;
        assert_eq!(i.validate().unwrap_err().field, "lng");
        let mut i = input();
        i.photo_url = "ftp://x".into();
        assert_eq!(i.validate().unwrap_err().field, "photo_url");
    }
}
