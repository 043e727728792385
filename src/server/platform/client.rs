//! Who is asking: the client's address (worked out once per request by
//! `http::client_addr`) and browser, as throttling, sessions and the audit
//! log see them.

use crate::i18n::Lang;
use http::header;
use std::net::IpAddr;

/// The address a request came from, as far as Gatehouse can tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientAddr(pub IpAddr);

/// The client's address and agent, for throttling and the audit log, and
/// the language the request is answered in (for the mail it causes).
#[derive(Debug, Clone, Default)]
pub struct RequestMeta {
    /// The client's address (behind a trusted proxy, the one it reports).
    pub addr: Option<IpAddr>,
    pub user_agent: Option<String>,
    pub lang: Lang,
}

impl RequestMeta {
    /// The full address, as the audit log and sessions keep it.
    pub fn ip(&self) -> Option<String> {
        self.addr.map(|a| a.to_string())
    }

    /// What per-address throttles count (IPv6 clients by their /64).
    pub fn throttle_subject(&self) -> String {
        self.addr
            .map(throttle_subject)
            .unwrap_or_else(|| "unknown".into())
    }

    /// The client's network, for the per-account login allowance: IPv4
    /// addresses by their /24, IPv6 by their /64.
    pub fn network(&self) -> String {
        match self.addr.map(canonical) {
            Some(IpAddr::V4(v4)) => ipnet::Ipv4Net::new(v4, 24)
                .expect("24 is a valid prefix")
                .trunc()
                .to_string(),
            Some(IpAddr::V6(v6)) => ipnet::Ipv6Net::new(v6, 64)
                .expect("64 is a valid prefix")
                .trunc()
                .to_string(),
            None => "unknown".into(),
        }
    }

    /// From a request's headers and extensions (where the client-address
    /// layer put the address).
    pub fn of(headers: &http::HeaderMap, extensions: &http::Extensions) -> Self {
        Self {
            addr: extensions.get::<ClientAddr>().map(|c| c.0),
            lang: extensions.get::<Lang>().copied().unwrap_or_default(),
            user_agent: headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .map(|s| s.chars().take(200).collect()),
        }
    }
}

/// IPv4 clients reached over IPv6 (`::ffff:a.b.c.d`) are IPv4 clients.
pub fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6
            .to_ipv4_mapped()
            .map(IpAddr::V4)
            .unwrap_or(IpAddr::V6(v6)),
        v4 => v4,
    }
}

/// What throttling counts an address as: IPv4 addresses one by one, IPv6
/// by their /64, since one host can hold a whole /64.
pub fn throttle_subject(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let net = ipnet::Ipv6Net::new(v6, 64).expect("64 is a valid prefix");
            net.trunc().to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn ipv6_clients_are_throttled_by_their_64() {
        assert_eq!(
            throttle_subject(ip("2001:db8:1:2:aaaa::1")),
            throttle_subject(ip("2001:db8:1:2:bbbb::2"))
        );
        assert_ne!(
            throttle_subject(ip("2001:db8:1:2::1")),
            throttle_subject(ip("2001:db8:1:3::1"))
        );
        assert_eq!(throttle_subject(ip("198.51.100.7")), "198.51.100.7");
        assert_eq!(throttle_subject(ip("::ffff:198.51.100.7")), "198.51.100.7");
        assert_eq!(throttle_subject(ip("2001:db8:1:2::1")), "2001:db8:1:2::/64");
    }
}
