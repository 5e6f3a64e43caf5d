//! The services this binary can run, by name.

use std::sync::Arc;

use runtime::Service;

/// Every service, in start order.
pub fn all() -> Vec<Arc<dyn Service>> {
    vec![
        Arc::new(gateway::Gateway::default()),
        Arc::new(identity::Identity),
        Arc::new(charging::Charging::default()),
        Arc::new(billing::Billing),
        Arc::new(payment::Payment::default()),
        Arc::new(notification::Notification),
        Arc::new(analytics::Analytics),
    ]
}

/// The services named (`all` means every one), without repeats, in start order.
pub fn select(names: &[String]) -> Result<Vec<Arc<dyn Service>>, String> {
    let every = all();
    if names.iter().any(|n| n == "all") {
        return Ok(every);
    }
    if let Some(unknown) = names
        .iter()
        .find(|n| !every.iter().any(|s| s.name() == n.as_str()))
    {
        let valid: Vec<&str> = every.iter().map(|s| s.name()).collect();
        return Err(format!(
            "unknown service {unknown:?}; expected `all` or any of: {}",
            valid.join(", ")
        ));
    }
    Ok(every
        .into_iter()
        .filter(|s| names.iter().any(|n| n == s.name()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(v: &[Arc<dyn Service>]) -> Vec<&'static str> {
        v.iter().map(|s| s.name()).collect()
    }

    #[test]
    fn all_selects_seven() {
        assert_eq!(select(&["all".into()]).unwrap().len(), 7);
    }

    #[test]
    fn selection_keeps_start_order_and_drops_repeats() {
        let s = select(&["billing".into(), "gateway".into(), "billing".into()]).unwrap();
        assert_eq!(names(&s), ["gateway", "billing"]);
    }

    #[test]
    fn unknown_names_are_refused_with_the_valid_list() {
        let e = select(&["gatway".into()]).err().unwrap();
        assert!(
            e.contains("\"gatway\"") && e.contains("gateway, identity"),
            "{e}"
        );
    }
}
