//! The settings as a site's file and environment give them.

use super::*;

fn with(toml: &str) -> Result<Settings, String> {
    let config: Config = Figment::from(Toml::string(DEFAULTS))
        .merge(Toml::string(toml))
        .extract()
        .map_err(|e| explain(&e))?;
    Settings::from_config(config)
}

#[test]
fn defaults_give_sqlite_under_data_and_the_file_transport() {
    let s = Settings::from_config(Config::default()).unwrap();
    assert_eq!(
        s.database_url.as_str(),
        "sqlite://data/gatehouse.db?mode=rwc"
    );
    assert_eq!(s.public_url.as_str(), "http://127.0.0.1:3000/");
    assert!(matches!(s.mail, MailTransport::File { .. }));
    assert_eq!(
        s.link("/reset-password/x"),
        "http://127.0.0.1:3000/reset-password/x"
    );
}

/// A site's file names only what it changes; every other key keeps the
/// default from the shipped Leptos.toml.
#[test]
fn a_site_file_needs_only_the_keys_it_changes() {
    let s = with("[auth]\nreset_hours = 2\n").unwrap();
    assert_eq!(s.auth.reset_hours, 2);
    let shipped = Figment::from(Toml::string(DEFAULTS));
    let invite: u32 = shipped.extract_inner("auth.invite_hours").unwrap();
    assert_eq!(s.auth.invite_hours, invite);
}

#[test]
fn a_bad_value_names_its_key() {
    let err = with("[site]\ntime_zone = \"Mars/Olympus\"\n").unwrap_err();
    assert_eq!(
        err,
        "configuration key `site.time_zone`: `Mars/Olympus` is not an IANA time zone such as Europe/London"
    );
    for (toml, key) in [
        (
            "[site]\npublic_url = \"ftp://example.com\"",
            "site.public_url",
        ),
        ("[site]\naddr = \"localhost\"", "site.addr"),
        ("[mail]\nconcurrency = 0", "mail.concurrency"),
        ("[mail]\ntimeout_secs = 600", "mail.timeout_secs"),
        ("[mail]\ntransport = \"pigeon\"", "mail.transport"),
        ("[mail]\ntransport = \"smtp\"", "mail.smtp_url"),
        ("[log]\nformat = \"xml\"", "log.format"),
        ("[database]\nurl = \"mysql://x\"", "database.url"),
        ("[metrics]\nallowed = [\"everyone\"]", "metrics.allowed"),
    ] {
        let err = with(toml).unwrap_err();
        assert!(
            err.starts_with(&format!("configuration key `{key}`")),
            "{toml}: {err}"
        );
    }
}

#[test]
fn an_unknown_key_is_an_error_that_names_it() {
    let err = with("[auth]\nreset_hour = 2\n").unwrap_err();
    assert!(
        err.starts_with("configuration key `auth.reset_hour`: no such setting"),
        "{err}"
    );
    assert!(err.contains("reset_hours"), "{err}");
}

#[test]
fn secrets_in_urls_stay_out_of_debug_output() {
    let s = with(
        "[database]\nurl = \"postgres://gh:hunter2@db/gh\"\n[mail]\ntransport = \"smtp\"\nsmtp_url = \"smtp://mailer:s3cret@smtp.example.com:587?tls=required\"\n",
    )
    .unwrap();
    let shown = format!("{s:?}");
    assert!(
        !shown.contains("hunter2") && !shown.contains("s3cret"),
        "{shown}"
    );
    assert!(shown.contains("postgres://gh:***@db/gh"), "{shown}");
}

#[test]
fn lists_come_as_a_list_or_comma_separated() {
    let from_list = with("[site]\ntrusted_proxies = [\"127.0.0.1/32\", \"10.0.0.0/8\"]").unwrap();
    let from_text = with("[site]\ntrusted_proxies = \"127.0.0.1/32, 10.0.0.0/8\"").unwrap();
    assert_eq!(from_list.trusted_proxies, from_text.trusted_proxies);
    assert_eq!(from_list.trusted_proxies.len(), 2);
    let err = with("[site]\ntrusted_proxies = [\"10.0.0.0/33\"]").unwrap_err();
    assert!(
        err.starts_with("configuration key `site.trusted_proxies`"),
        "{err}"
    );
    let err = with("[site]\nproxy_headers = \"x-real-ip\"").unwrap_err();
    assert!(
        err.starts_with("configuration key `site.proxy_headers`"),
        "{err}"
    );
    let single: Network = "192.0.2.1".parse().unwrap();
    assert!(single
        .0
        .contains(&"192.0.2.1".parse::<std::net::IpAddr>().unwrap()));
    assert!(!single
        .0
        .contains(&"192.0.2.2".parse::<std::net::IpAddr>().unwrap()));
    let forwarded = with("[site]\nproxy_headers = \"Forwarded\"").unwrap();
    assert_eq!(forwarded.proxy_header, ProxyHeader::Forwarded);
}

#[test]
fn return_hosts_are_plain_host_names_in_lower_case() {
    let s =
        with("[site]\nallowed_return_hosts = [\"Wiki.Example.com\", \"files.example.com:8443\"]")
            .unwrap();
    assert_eq!(
        s.allowed_return_hosts,
        ["wiki.example.com", "files.example.com:8443"]
    );
    let err = with("[site]\nallowed_return_hosts = [\"https://wiki.example.com/\"]").unwrap_err();
    assert!(
        err.starts_with("configuration key `site.allowed_return_hosts`"),
        "{err}"
    );
}

#[test]
fn https_public_urls_make_cookies_secure() {
    let s = with("[site]\npublic_url = \"https://accounts.example.com/\"").unwrap();
    assert!(s.cookie_secure());
    assert_eq!(s.public_origin(), "https://accounts.example.com");
}
