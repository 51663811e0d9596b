//! The dedup key: one canonical form per article URL, so the same story reached through different links
//! (tracking parameters, fragments, host case, default ports) is stored and written once.

use url::Url;

/// Query parameters that identify a campaign or a click, never the resource itself.
const TRACKING_PARAMETERS: &[&str] = &[
    "fbclid",
    "gclid",
    "dclid",
    "gbraid",
    "wbraid",
    "msclkid",
    "yclid",
    "twclid",
    "ttclid",
    "igshid",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "mkt_tok",
    "oly_anon_id",
    "oly_enc_id",
    "vero_id",
    "wickedid",
    "rb_clickid",
    "s_cid",
    "ncid",
    "cmpid",
    "guccounter",
    "guce_referrer",
    "guce_referrer_sig",
    "sr_share",
    "ref_src",
    "__twitter_impression",
];

/// Prefixes of tracking parameter families (`utm_source`, `utm_medium`, `pk_campaign`, …).
const TRACKING_PREFIXES: &[&str] = &["utm_", "pk_", "mtm_", "matomo_", "piwik_", "hsa_", "itm_"];

/// The canonical form of `url`: lower-case scheme and host (the `url` crate already does both and drops
/// default ports, per the WHATWG URL standard), no fragment, no tracking parameters, other parameters kept
/// in their original order, and no empty `?`.
pub fn canonicalize(url: &Url) -> Url {
    let mut canonical = url.clone();
    canonical.set_fragment(None);
    if canonical.query().is_some() {
        let kept: Vec<(String, String)> = canonical
            .query_pairs()
            .filter(|(name, _)| !is_tracking_parameter(name))
            .map(|(name, value)| (name.into_owned(), value.into_owned()))
            .collect();
        if kept.is_empty() {
            canonical.set_query(None);
        } else {
            canonical.query_pairs_mut().clear().extend_pairs(kept);
        }
    }
    canonical
}

fn is_tracking_parameter(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    TRACKING_PARAMETERS.contains(&name.as_str())
        || TRACKING_PREFIXES.iter().any(|prefix| name.starts_with(prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn canonical(text: &str) -> String {
        canonicalize(&Url::parse(text).expect("test url")).to_string()
    }

    #[test]
    fn canonical_forms() {
        let rows = [
            (
                "HTTPS://TechCrunch.com:443/2025/a/#comments",
                "https://techcrunch.com/2025/a/",
            ),
            (
                "http://example.com:80/a?utm_source=rss&utm_medium=feed",
                "http://example.com/a",
            ),
            (
                "https://example.com/a?id=7&utm_campaign=x&fbclid=abc&page=2",
                "https://example.com/a?id=7&page=2",
            ),
            (
                "https://example.com/a?gclid=1&mc_cid=2&mc_eid=3#x",
                "https://example.com/a",
            ),
            (
                "https://example.com:8443/a?q=rust+lang",
                "https://example.com:8443/a?q=rust+lang",
            ),
            ("https://example.com/a?", "https://example.com/a"),
            (
                "https://example.com/%ED%95%9C?UTM_SOURCE=x",
                "https://example.com/%ED%95%9C",
            ),
        ];
        for (input, expected) in rows {
            assert_eq!(canonical(input), expected, "{input}");
        }
    }

    #[test]
    fn path_case_is_kept() {
        assert_eq!(
            canonical("https://example.com/Story/ABC"),
            "https://example.com/Story/ABC"
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::super::*;

        proptest! {
            /// Canonicalising is total and idempotent: a canonical URL is its own canonical form, so a stored
            /// key always matches itself on the next poll.
            #[test]
            fn canonical_form_is_idempotent(
                host in "[a-zA-Z0-9-]{1,12}(\\.[a-zA-Z]{2,6}){1,2}",
                path in "(/[a-zA-Z0-9%._~-]{0,8}){0,4}",
                query in proptest::option::of("[a-zA-Z0-9_=&%+.-]{0,30}"),
                fragment in proptest::option::of("[a-zA-Z0-9]{0,6}"),
            ) {
                let mut text = format!("https://{host}{path}");
                if let Some(query) = query {
                    text.push('?');
                    text.push_str(&query);
                }
                if let Some(fragment) = fragment {
                    text.push('#');
                    text.push_str(&fragment);
                }
                let Ok(url) = Url::parse(&text) else { return Ok(()) };
                let once = canonicalize(&url);
                prop_assert_eq!(canonicalize(&once), once.clone());
                prop_assert!(once.fragment().is_none());
                prop_assert!(once.query_pairs().all(|(name, _)| !is_tracking_parameter(&name)));
            }
        }
    }
}
