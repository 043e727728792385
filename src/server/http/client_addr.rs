//! The client's address: the TCP peer, or behind a trusted reverse proxy,
//! the address that proxy reports.
//!
//! Forwarding headers are believed only when the peer is a trusted proxy,
//! and only the one header the operator names: a proxy that appends to
//! `X-Forwarded-For` passes a client's forged `Forwarded` header through
//! untouched, so reading both would let anybody pick their own address.
//! The hops are walked from the right (the nearest proxy's report first),
//! stopping at the first address that is not a trusted proxy: everything to
//! its left was written by the client and proves nothing.

pub use crate::server::platform::client::ClientAddr;
use crate::server::platform::{
    client::canonical,
    config::{ProxyHeader, Settings},
};
use axum::{
    extract::{ConnectInfo, Request, State},
    middleware::Next,
    response::Response,
};
use http::HeaderMap;
use ipnet::IpNet;
use std::net::{IpAddr, Ipv6Addr, SocketAddr};

/// The trusted proxies and the header they set (`site.trusted_proxies`,
/// `site.proxy_headers`). Empty: every request's address is its TCP peer.
#[derive(Debug, Clone)]
pub struct Proxies {
    trusted: Vec<IpNet>,
    header: ProxyHeader,
}

impl Default for Proxies {
    fn default() -> Self {
        Self {
            trusted: Vec::new(),
            header: ProxyHeader::XForwardedFor,
        }
    }
}

impl Proxies {
    /// As the settings say (`site.trusted_proxies`, `site.proxy_headers`).
    pub fn new(settings: &Settings) -> Self {
        Self {
            trusted: settings.trusted_proxies.clone(),
            header: settings.proxy_header,
        }
    }

    fn is_trusted(&self, ip: IpAddr) -> bool {
        let ip = canonical(ip);
        self.trusted.iter().any(|net| net.contains(&ip))
    }

    /// The client's address for a request from `peer` with `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.is_trusted(client) {
            return client;
        }
        let hops = match self.header {
            ProxyHeader::XForwardedFor => x_forwarded_for(headers),
            // A value that does not parse (an unclosed quote, say) could hide
            // the hops our proxies appended: then nothing in it is believed.
            ProxyHeader::Forwarded => match forwarded_for(headers) {
                Some(hops) => hops,
                None => return client,
            },
        };
        for hop in hops.iter().rev() {
            // An address we cannot read ("unknown", an obfuscated name)
            // ends the walk: the last one we could read is the best we know.
            let Some(ip) = hop.map(canonical) else { break };
            client = ip;
            if !self.is_trusted(ip) {
                break;
            }
        }
        client
    }
}

/// Every `X-Forwarded-For` hop, in order, across repeated headers. Each
/// hop is read on its own: a client's unreadable bytes must not hide the
/// hops our proxies appended after them.
fn x_forwarded_for(headers: &HeaderMap) -> Vec<Option<IpAddr>> {
    headers
        .get_all("x-forwarded-for")
        .iter()
        .flat_map(|v| v.as_bytes().split(|b| *b == b','))
        .map(|hop| {
            std::str::from_utf8(hop)
                .ok()
                .and_then(|hop| parse_node(hop.trim()))
        })
        .collect()
}

/// Every `for=` of `Forwarded` (RFC 7239), in order, across repeated
/// headers; `None` when any value does not parse.
fn forwarded_for(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let mut hops = Vec::new();
    for value in headers.get_all(http::header::FORWARDED) {
        for element in split_unquoted(value.to_str().ok()?, ',')? {
            let mut node = None;
            for pair in split_unquoted(element, ';')? {
                let Some((key, value)) = pair.split_once('=') else {
                    continue;
                };
                if key.trim().eq_ignore_ascii_case("for") {
                    let value = value.trim();
                    let value = match value.strip_prefix('"') {
                        Some(quoted) => quoted.strip_suffix('"')?,
                        None => value,
                    };
                    node = parse_node(value);
                }
            }
            hops.push(node);
        }
    }
    Some(hops)
}

/// Splits on `sep` outside RFC 7230 quoted strings (with `\` escapes);
/// `None` when a quoted string is left open.
fn split_unquoted(s: &str, sep: char) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            c if c == sep && !quoted => {
                parts.push(&s[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if quoted {
        return None;
    }
    parts.push(&s[start..]);
    Some(parts)
}

/// An address with an optional port: `192.0.2.1`, `192.0.2.1:8080`,
/// `[2001:db8::1]`, `[2001:db8::1]:8080` or a bare IPv6 address.
fn parse_node(node: &str) -> Option<IpAddr> {
    if let Ok(ip) = node.parse::<IpAddr>() {
        return Some(ip);
    }
    if let Some(rest) = node.strip_prefix('[') {
        let (v6, _) = rest.split_once(']')?;
        return v6.parse::<Ipv6Addr>().ok().map(IpAddr::V6);
    }
    node.parse::<SocketAddr>().ok().map(|s| s.ip())
}

/// Middleware: works out each request's [`ClientAddr`] once, for every
/// handler, server function and log line after it.
/// A proxy on this machine forwards requests while no proxy is trusted:
/// every client then looks like 127.0.0.1 and shares one allowance of
/// logins. Said once per process, at the first such request.
fn forgotten_proxy(headers: &HeaderMap) {
    static SAID: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    let forwarded = ["forwarded", "x-forwarded-for", "x-real-ip"]
        .iter()
        .any(|h| headers.contains_key(*h));
    if forwarded && !SAID.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            "requests from 127.0.0.1 carry forwarding headers, but site.trusted_proxies is empty: every visitor counts as the proxy's address (one login allowance for all); list the proxy in site.trusted_proxies"
        );
    }
}

pub async fn layer(
    State(proxies): State<std::sync::Arc<Proxies>>,
    mut req: Request,
    next: Next,
) -> Response {
    if let Some(peer) = req
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|c| c.0.ip())
    {
        if proxies.trusted.is_empty() && peer.is_loopback() {
            forgotten_proxy(req.headers());
        }
        let client = proxies.client(peer, req.headers());
        req.extensions_mut().insert(ClientAddr(client));
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn proxies(trusted: &[&str], header: &str) -> Proxies {
        let header = match header {
            "forwarded" => ProxyHeader::Forwarded,
            _ => ProxyHeader::XForwardedFor,
        };
        let trusted = trusted
            .iter()
            .map(|s| {
                s.parse::<crate::server::platform::config::Network>()
                    .unwrap()
                    .0
            })
            .collect();
        Proxies { trusted, header }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn without_trusted_proxies_the_peer_is_the_client() {
        let p = Proxies::default();
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(p.client(ip("203.0.113.9"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn an_untrusted_peer_cannot_name_its_address() {
        let p = proxies(&["10.0.0.0/8"], "x-forwarded-for");
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(p.client(ip("203.0.113.9"), &h), ip("203.0.113.9"));
    }

    #[test]
    fn the_walk_stops_at_the_first_untrusted_hop_from_the_right() {
        let p = proxies(&["10.0.0.0/8", "127.0.0.1"], "x-forwarded-for");
        // The client forged the first entry; 198.51.100.7 is what our
        // proxies saw.
        let h = headers(&[("x-forwarded-for", "1.2.3.4, 198.51.100.7, 10.1.2.3")]);
        assert_eq!(p.client(ip("127.0.0.1"), &h), ip("198.51.100.7"));
        // Repeated headers count as one list.
        let h = headers(&[
            ("x-forwarded-for", "1.2.3.4"),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        // Only trusted hops: the leftmost one is as far as we can see.
        let h = headers(&[("x-forwarded-for", "10.9.9.9, 10.1.2.3")]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.9.9.9"));
        // No header: the proxy itself.
        assert_eq!(p.client(ip("10.0.0.1"), &HeaderMap::new()), ip("10.0.0.1"));
    }

    #[test]
    fn an_unreadable_hop_ends_the_walk() {
        let p = proxies(&["10.0.0.0/8"], "x-forwarded-for");
        let h = headers(&[("x-forwarded-for", "1.2.3.4, unknown, 10.1.2.3")]);
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("10.1.2.3"));
    }

    #[test]
    fn forwarded_is_read_only_when_chosen() {
        let h = headers(&[
            (
                "forwarded",
                r#"for=1.2.3.4;proto=https, for="[2001:db8:cafe::17]:4711";by=10.0.0.2, for=10.0.0.3"#,
            ),
            ("x-forwarded-for", "198.51.100.7"),
        ]);
        let p = proxies(&["10.0.0.0/8"], "forwarded");
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("2001:db8:cafe::17"));
        let p = proxies(&["10.0.0.0/8"], "x-forwarded-for");
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.7"));
        // Ports and quoted IPv4 addresses are fine too.
        let h = headers(&[("forwarded", r#"For="198.51.100.8:443""#)]);
        let p = proxies(&["10.0.0.0/8"], "forwarded");
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.8"));
    }

    /// A client's own `Forwarded` value, with an escaped or unclosed quote,
    /// must not swallow the entry the proxy appended after it.
    #[test]
    fn malformed_forwarded_values_are_not_believed() {
        let p = proxies(&["10.0.0.0/8"], "forwarded");
        let escaped = headers(&[("forwarded", r#"for=1.1.1.1;x="\"", for=198.51.100.9"#)]);
        assert_eq!(p.client(ip("10.0.0.1"), &escaped), ip("198.51.100.9"));
        let unclosed = headers(&[("forwarded", r#"for=1.1.1.1;x=", for=198.51.100.9"#)]);
        assert_eq!(p.client(ip("10.0.0.1"), &unclosed), ip("10.0.0.1"));
    }

    /// Bytes that are not UTF-8 in one hop do not hide the others.
    #[test]
    fn an_unreadable_x_forwarded_for_hop_hides_nothing_after_it() {
        let p = proxies(&["10.0.0.0/8"], "x-forwarded-for");
        let mut h = HeaderMap::new();
        h.append(
            "x-forwarded-for",
            HeaderValue::from_bytes(b"\xff, 198.51.100.9").unwrap(),
        );
        assert_eq!(p.client(ip("10.0.0.1"), &h), ip("198.51.100.9"));
    }

    #[test]
    fn ipv4_mapped_peers_match_ipv4_ranges() {
        let p = proxies(&["127.0.0.1/32"], "x-forwarded-for");
        let h = headers(&[("x-forwarded-for", "198.51.100.7")]);
        assert_eq!(p.client(ip("::ffff:127.0.0.1"), &h), ip("198.51.100.7"));
    }
}
