//! Organization paths as billing uses them: tariff resolution walks from a site up to
//! the tenant root, and an invoice request lives on the deepest node holding its bills.

use runtime::auth::OrgPath;

/// `path` and every node above it, nearest first: `/t/r/s/` → `/t/r/s/`, `/t/r/`, `/t/`.
/// Resolution looks these up by equality (an index probe each) instead of scanning
/// assignments for prefixes, and the first one found is the nearest.
pub fn ancestors(path: &OrgPath) -> Vec<String> {
    let s = path.as_str();
    let mut out = vec![s.to_owned()];
    // Every '/' except the first and last ends an ancestor's path.
    let inner = &s[..s.len() - 1];
    for (i, c) in inner.char_indices().rev() {
        if c == '/' && i > 0 {
            out.push(s[..=i].to_owned());
        }
    }
    out
}

/// The deepest node that contains every path (segment-aware), or `None` for no paths or
/// paths of different tenants.
pub fn common_ancestor<'a>(paths: impl IntoIterator<Item = &'a OrgPath>) -> Option<OrgPath> {
    let mut iter = paths.into_iter();
    let first = iter.next()?;
    let mut common: Vec<&str> = segments(first).collect();
    for p in iter {
        let n = common
            .iter()
            .zip(segments(p))
            .take_while(|(a, b)| *a == b)
            .count();
        common.truncate(n);
    }
    if common.is_empty() {
        return None;
    }
    OrgPath::parse(&format!("/{}/", common.join("/"))).ok()
}

fn segments(p: &OrgPath) -> impl Iterator<Item = &str> {
    p.as_str().trim_matches('/').split('/')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> OrgPath {
        OrgPath::parse(s).unwrap()
    }

    #[test]
    fn ancestors_nearest_first() {
        assert_eq!(ancestors(&p("/t/r/s/")), vec!["/t/r/s/", "/t/r/", "/t/"]);
        assert_eq!(ancestors(&p("/t/")), vec!["/t/"]);
    }

    #[test]
    fn common_ancestor_is_segment_aware() {
        assert_eq!(
            common_ancestor([&p("/t/r1/s1/"), &p("/t/r1/s2/")]),
            Some(p("/t/r1/"))
        );
        // "/t/r1" and "/t/r10" share the text "/t/r1" but not the node.
        assert_eq!(
            common_ancestor([&p("/t/r1/s1/"), &p("/t/r10/s1/")]),
            Some(p("/t/"))
        );
        assert_eq!(common_ancestor([&p("/t/r1/s1/")]), Some(p("/t/r1/s1/")));
        assert_eq!(common_ancestor([&p("/t/r1/"), &p("/u/r1/")]), None);
        assert_eq!(common_ancestor(std::iter::empty()), None);
    }
}
