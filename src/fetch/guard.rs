//! The SSRF guard for URLs taken from content (item links, their redirects, images): which addresses such a
//! request may connect to. Admin-configured feed URLs never pass through here.
//!
//! The check is made on the address actually connected to: names are resolved by [`GuardedResolver`], which
//! the guarded HTTP client uses for every connection (every redirect hop included), so a name that resolves
//! to a public address for a check and to an internal one for the connection (DNS rebinding) cannot slip
//! through. Address literals never reach a resolver, so [`AddressPolicy::check_url`] runs before the first
//! request and on every redirect hop.

use std::collections::BTreeSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::Arc;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

/// The config key that lifts the guard, named in every refusal so the admin knows what to change.
pub const ALLOW_SETTING: &str = "allow_private_addresses = true";

/// A connection to `address` (for `host`) was refused: it is internal and not the feed's own host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRefused {
    pub host: String,
    pub address: IpAddr,
}

impl std::fmt::Display for AddressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.host.trim_matches(['[', ']']) == self.address.to_string() {
            write!(f, "{} is ", self.address)?;
        } else {
            write!(f, "{} resolves to {}, ", self.host, self.address)?;
        }
        write!(
            f,
            "an internal address; set {ALLOW_SETTING} on the feed (or in [settings]) to allow it"
        )
    }
}

impl std::error::Error for AddressRefused {}

/// Public addresses, plus the internal addresses of the feed's own host (an intranet feed may link to its own
/// server).
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AddressPolicy {
    pub also_allowed: BTreeSet<IpAddr>,
}

impl AddressPolicy {
    pub fn allows(&self, address: IpAddr) -> bool {
        is_public(address) || self.also_allowed.contains(&canonical_ip(address))
    }

    /// Refuses a URL whose host is an internal address literal (names are checked when resolved).
    pub fn check_url(&self, url: &Url) -> Result<(), AddressRefused> {
        let address = match url.host() {
            Some(Host::Ipv4(address)) => IpAddr::V4(address),
            Some(Host::Ipv6(address)) => IpAddr::V6(address),
            _ => return Ok(()),
        };
        if self.allows(address) {
            Ok(())
        } else {
            Err(AddressRefused {
                host: url.host_str().unwrap_or_default().to_string(),
                address,
            })
        }
    }
}

/// The system resolver, keeping only the addresses the policy allows; a name with none left is refused.
pub struct GuardedResolver {
    pub policy: Arc<AddressPolicy>,
}

impl Resolve for GuardedResolver {
    fn resolve(&self, name: Name) -> Resolving {
        let policy = Arc::clone(&self.policy);
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = found
                .iter()
                .copied()
                .filter(|address| policy.allows(address.ip()))
                .collect();
            match (allowed.is_empty(), found.first()) {
                (true, Some(first)) => Err(Box::new(AddressRefused {
                    host,
                    address: first.ip(),
                }) as Box<dyn std::error::Error + Send + Sync>),
                _ => Ok(Box::new(allowed.into_iter()) as Addrs),
            }
        })
    }
}

/// The addresses `url`'s host has now that are internal: what an intranet feed's links may reach.
pub async fn internal_addresses_of(url: &Url) -> BTreeSet<IpAddr> {
    let port = url.port_or_known_default().unwrap_or(80);
    let found: Vec<IpAddr> = match url.host() {
        Some(Host::Ipv4(address)) => vec![IpAddr::V4(address)],
        Some(Host::Ipv6(address)) => vec![IpAddr::V6(address)],
        Some(Host::Domain(name)) => tokio::net::lookup_host((name, port))
            .await
            .map(|addresses| addresses.map(|address| address.ip()).collect())
            .unwrap_or_default(),
        None => Vec::new(),
    };
    found
        .into_iter()
        .map(canonical_ip)
        .filter(|address| !is_public(*address))
        .collect()
}

/// An IPv4 address written as IPv6 (`::ffff:a.b.c.d`) is that IPv4 address.
fn canonical_ip(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// True for addresses on the public internet: not loopback, private (RFC 1918), link-local (cloud metadata
/// at 169.254.169.254), CGNAT (RFC 6598, Alibaba's metadata), unique-local (RFC 4193, AWS's IPv6
/// metadata), multicast, unspecified, broadcast or reserved; IPv6 forms that embed an IPv4 address are
/// judged by that address.
pub fn is_public(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => is_public_v6(v6),
    }
}

fn is_public_v4(address: Ipv4Addr) -> bool {
    let [a, b, c, _] = address.octets();
    !(address.is_loopback()
        || address.is_private()
        || address.is_link_local()
        || address.is_multicast()
        || address.is_broadcast()
        || address.is_unspecified()
        || a == 0 // "this network"
        || a >= 240 // reserved
        || (a == 100 && (64..128).contains(&b)) // CGNAT 100.64.0.0/10
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b))) // benchmarking 198.18.0.0/15
}

fn is_public_v6(address: Ipv6Addr) -> bool {
    let segments = address.segments();
    let embedded_v4 =
        |high: u16, low: u16| Ipv4Addr::new((high >> 8) as u8, high as u8, (low >> 8) as u8, low as u8);
    if let Some(v4) = address.to_ipv4_mapped() {
        return is_public_v4(v4);
    }
    match segments {
        // IPv4-compatible (deprecated) ::a.b.c.d
        [0, 0, 0, 0, 0, 0, high, low] => high != 0 && is_public_v4(embedded_v4(high, low)),
        // NAT64 well-known prefix 64:ff9b::/96
        [0x64, 0xff9b, 0, 0, 0, 0, high, low] => is_public_v4(embedded_v4(high, low)),
        // 6to4 2002:AABB:CCDD::/48
        [0x2002, high, low, ..] => is_public_v4(embedded_v4(high, low)),
        [first, ..] => {
            !(address.is_loopback()
                || address.is_unspecified()
                || address.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique-local fc00::/7
                || (first & 0xffc0) == 0xfe80 // link-local fe80::/10
                || (first & 0xffc0) == 0xfec0 // site-local (deprecated) fec0::/10
                || segments[..3] == [0x64, 0xff9b, 1]) // NAT64 local-use 64:ff9b:1::/48
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("test address")
    }

    #[test]
    fn internal_addresses_are_refused_and_public_ones_allowed() {
        for internal in [
            "127.0.0.1",
            "127.0.0.2",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.100.100.200",
            "0.0.0.0",
            "224.0.0.1",
            "255.255.255.255",
            "::1",
            "::",
            "fd00:ec2::254",
            "fe80::1",
            "ff02::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
        ] {
            assert!(!is_public(ip(internal)), "{internal} must be refused");
        }
        for public in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700::6810:85e5",
            "::ffff:8.8.8.8",
            "172.32.0.1",
        ] {
            assert!(is_public(ip(public)), "{public} must be allowed");
        }
    }

    #[test]
    fn the_feed_hosts_own_internal_address_is_allowed_and_nothing_else() {
        let policy = AddressPolicy {
            also_allowed: [ip("127.0.0.1")].into(),
        };
        assert!(policy.allows(ip("127.0.0.1")));
        assert!(policy.allows(ip("::ffff:127.0.0.1")));
        assert!(!policy.allows(ip("127.0.0.2")));
        let url = |text: &str| Url::parse(text).expect("url");
        assert!(policy.check_url(&url("http://127.0.0.1:8080/a")).is_ok());
        assert!(
            policy.check_url(&url("http://news.example/a")).is_ok(),
            "names are checked when resolved"
        );
        let refused = policy
            .check_url(&url("http://[::1]/admin"))
            .expect_err("loopback literal");
        assert_eq!(refused.address, ip("::1"));
        assert!(refused.to_string().contains(ALLOW_SETTING));
    }

    #[tokio::test]
    async fn a_name_resolving_to_an_internal_address_is_refused_at_connection_time() {
        let resolver = GuardedResolver {
            policy: Arc::new(AddressPolicy::default()),
        };
        let name: Name = "localhost".parse().expect("name");
        let refused = match resolver.resolve(name).await {
            Ok(addresses) => panic!("resolved to {:?}", addresses.collect::<Vec<_>>()),
            Err(error) => error.to_string(),
        };
        assert!(refused.starts_with("localhost resolves to "), "{refused}");
        let trusting = GuardedResolver {
            policy: Arc::new(AddressPolicy {
                also_allowed: [ip("127.0.0.1"), ip("::1")].into(),
            }),
        };
        let name: Name = "localhost".parse().expect("name");
        assert!(trusting.resolve(name).await.is_ok());
    }
}
