//! Client addresses and CIDR ranges (`LOCKOUT_WHITELIST`, `RATE_LIMIT_WHITELIST`):
//! `10.0.0.0/8`, `192.168.1.0/24`, `2001:db8::/32`, or a single address.

use std::net::IpAddr;

/// One address range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    network: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// `a.b.c.d/n`, `v6/n`, or a bare address (a /32 or /128).
    pub fn parse(text: &str) -> Result<Cidr, String> {
        let text = text.trim();
        let (address, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = address.parse().map_err(|_| format!("`{text}` is not an IP address or CIDR range"))?;
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => match p.parse::<u8>() {
                Ok(n) if n <= max => n,
                _ => return Err(format!("`{text}`: the prefix must be 0 to {max}")),
            },
        };
        Ok(Cidr { network, prefix })
    }

    /// Whether `address` lies in this range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = match address {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
            v4 => v4,
        };
        match (self.network, address) {
            (IpAddr::V4(net), IpAddr::V4(a)) => {
                same_prefix(u128::from(u32::from(net)), u128::from(u32::from(a)), 32, self.prefix)
            }
            (IpAddr::V6(net), IpAddr::V6(a)) => same_prefix(u128::from(net), u128::from(a), 128, self.prefix),
            _ => false,
        }
    }
}

fn same_prefix(a: u128, b: u128, bits: u8, prefix: u8) -> bool {
    let shift = u32::from(bits.saturating_sub(prefix));
    a.checked_shr(shift).unwrap_or(0) == b.checked_shr(shift).unwrap_or(0)
}

/// Whether the request's address (`CF-Connecting-IP`) is in any of `ranges`. An unknown
/// or unparsable address is in none.
pub fn listed(ranges: &[Cidr], address: Option<&str>) -> bool {
    let Some(address) = address.and_then(|a| a.trim().parse::<IpAddr>().ok()) else { return false };
    ranges.iter().any(|range| range.contains(address))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_of_the_product_docs_match_their_addresses_only() {
        let ranges: Vec<Cidr> = ["192.168.1.0/24", "10.0.0.0/8"].iter().map(|r| Cidr::parse(r).unwrap()).collect();
        assert!(listed(&ranges, Some("192.168.1.77")));
        assert!(listed(&ranges, Some("10.200.3.4")));
        assert!(!listed(&ranges, Some("192.168.2.1")));
        assert!(!listed(&ranges, Some("11.0.0.1")));
        assert!(listed(&ranges, Some("::ffff:10.1.2.3")), "IPv4-mapped");
        assert!(!listed(&ranges, None));
        assert!(!listed(&ranges, Some("not an address")));
    }

    #[test]
    fn ipv6_single_addresses_and_bad_ranges() {
        let v6 = Cidr::parse("2001:db8::/32").unwrap();
        assert!(v6.contains("2001:db8:1::5".parse().unwrap()));
        assert!(!v6.contains("2001:db9::1".parse().unwrap()));
        let one = Cidr::parse("203.0.113.9").unwrap();
        assert!(one.contains("203.0.113.9".parse().unwrap()) && !one.contains("203.0.113.8".parse().unwrap()));
        assert!(Cidr::parse("0.0.0.0/0").unwrap().contains("8.8.8.8".parse().unwrap()));
        for bad in ["10.0.0.0/33", "10.0.0/8", "example.com", "::/129", "10.0.0.0/x"] {
            assert!(Cidr::parse(bad).is_err(), "{bad}");
        }
    }
}
