//! Distances on the earth, pure: coordinates in micro-degrees (as the registry stores
//! them), distances in metres.

/// Mean earth radius (IUGG), metres.
const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// Great-circle (haversine) distance in metres between two points in micro-degrees.
pub fn distance_m(a: (i32, i32), b: (i32, i32)) -> f64 {
    let rad = |e6: i32| (f64::from(e6) / 1e6).to_radians();
    let (lat1, lng1, lat2, lng2) = (rad(a.0), rad(a.1), rad(b.0), rad(b.1));
    let h = ((lat2 - lat1) / 2.0).sin().powi(2)
        + lat1.cos() * lat2.cos() * ((lng2 - lng1) / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * h.sqrt().asin()
}

/// A latitude / longitude box (micro-degrees) holding every point within `radius_m` of
/// `center`: the SQL prefilter before exact distances.
pub fn bounding_box(center: (i32, i32), radius_m: f64) -> ((i32, i32), (i32, i32)) {
    let dlat = (radius_m / EARTH_RADIUS_M).to_degrees();
    let cos = (f64::from(center.0) / 1e6).to_radians().cos().max(0.01);
    let dlng = (radius_m / (EARTH_RADIUS_M * cos)).to_degrees().min(180.0);
    let e6 = |d: f64| (d * 1e6) as i32;
    (
        (center.0 - e6(dlat), center.1 - e6(dlng)),
        (center.0 + e6(dlat), center.1 + e6(dlng)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    // Tiananmen and Shanghai People's Square: about 1,067 km apart.
    const BEIJING: (i32, i32) = (39_908_823, 116_397_470);
    const SHANGHAI: (i32, i32) = (31_230_416, 121_473_701);

    #[test]
    fn known_distances() {
        let d = distance_m(BEIJING, SHANGHAI);
        assert!((1_060_000.0..1_075_000.0).contains(&d), "{d}");
        assert_eq!(distance_m(BEIJING, BEIJING), 0.0);
        // 0.001° of latitude is about 111 m.
        let d = distance_m((30_000_000, 120_000_000), (30_001_000, 120_000_000));
        assert!((110.0..112.5).contains(&d), "{d}");
    }

    #[test]
    fn the_box_holds_the_circle() {
        let (lo, hi) = bounding_box(SHANGHAI, 5_000.0);
        for p in [
            (lo.0, SHANGHAI.1),
            (hi.0, SHANGHAI.1),
            (SHANGHAI.0, lo.1),
            (SHANGHAI.0, hi.1),
        ] {
            let d = distance_m(SHANGHAI, p);
            assert!((4_990.0..5_010.0).contains(&d), "{d}");
        }
    }
}
