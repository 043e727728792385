//! Forward-auth (`/auth/verify`): who is logged in, for a proxy in front
//! of another app; and through a real nginx (`auth_request`), configured
//! as the README shows: a protected location is refused without a
//! Gatehouse session (sent to the login page and back), served with the
//! `Remote-*` headers after logging in, and refused again after logging
//! out.

use crate::{both_engines, helpers::*, nginx::Nginx, probe, proxy::port_of};
use reqwest::{header, StatusCode};

both_engines!(
    forward_auth_answers_with_who_is_logged_in_and_refuses_unlisted_hosts,
    nginx_auth_request_protects_an_app_with_the_gatehouse_session,
    forward_auth_has_a_credential_of_its_own,
);

/// The README's nginx configuration for a protected app, as it is there,
/// with this test's ports.
fn readme_nginx(port: u16, gatehouse: u16, app: u16) -> String {
    let readme = include_str!("../../README.md");
    let from = readme
        .find("nginx (`auth_request`")
        .expect("the README's nginx section");
    let block = &readme[from..];
    let start = block.find("```nginx\n").expect("its configuration") + "```nginx\n".len();
    let end = start + block[start..].find("```").unwrap();
    let conf = block[start..end]
        .replace("listen 443 ssl;", &format!("listen 127.0.0.1:{port};"))
        .replace("127.0.0.1:3000", &format!("127.0.0.1:{gatehouse}"))
        .replace("127.0.0.1:8080", &format!("127.0.0.1:{app}"));
    assert!(
        conf.contains(&format!("127.0.0.1:{app}"))
            && conf.contains(&format!("127.0.0.1:{gatehouse}"))
    );
    conf
}

/// An app behind the proxy that answers every request with its head as it
/// arrived, and sets a cookie of its own.
async fn echo_app() -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") {
                    match stream.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let body = String::from_utf8_lossy(&head).into_owned();
                let reply = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nSet-Cookie: app_pref=1; Path=/\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(reply.as_bytes()).await;
            });
        }
    });
    port
}

/// Through Debian's nginx with the README's configuration: a visitor is
/// sent to the login page and back; then the app gets who it is in
/// `Remote-*` headers (whatever the client sent in its own), its own
/// cookies and none of Gatehouse's; after logging out, refused again.
async fn nginx_auth_request_protects_an_app_with_the_gatehouse_session(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        // The protected app is served by nginx on another port of this host.
        c.site.allowed_return_hosts = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    app.create_jane().await;
    app.put_in_group(USER_EMAIL, "wiki-editors").await;
    let gatehouse = port_of(&app.base);
    let echo = echo_app().await;
    let Some(nginx) = Nginx::start_servers(&|port| readme_nginx(port, gatehouse, echo)).await
    else {
        return;
    };
    let protected = format!("{}/page?x=1", nginx.base);
    let browser = app.browser();

    let res = browser.get(&protected).await;
    assert_eq!(res.status(), StatusCode::FOUND, "{}", nginx.error_log());
    let login = location(&res);
    let next: String = url::form_urlencoded::byte_serialize(protected.as_bytes()).collect();
    assert_eq!(login, app.url(&format!("/login?next={next}")));

    let res = browser
        .without_js()
        .on(&login)
        .log_in_then(USER_EMAIL, USER_PASSWORD, &protected)
        .await;
    assert_eq!(
        browser.through_continue(&location(&res)).await,
        protected,
        "back to the protected page after logging in"
    );

    // The browser sends Gatehouse's cookies to this host too (cookies do
    // not mind ports), and headers of its own making.
    let mallory = browser
        .with_header("Remote-User", "mallory")
        .with_header("Remote-Email", "mallory@evil.test");
    let res = mallory.get(&protected).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", nginx.error_log());
    let res = mallory.get(&protected).await;
    let seen = res.text().await.unwrap().to_lowercase();
    assert!(
        seen.contains(&format!("remote-email: {}", USER_EMAIL.to_lowercase())),
        "{seen}"
    );
    assert!(seen.contains("remote-groups: wiki-editors"), "{seen}");
    assert!(!seen.contains("mallory"), "{seen}");
    assert!(
        seen.contains("cookie: app_pref=1"),
        "the app's own cookie: {seen}"
    );
    assert!(
        !seen.contains("gatehouse_"),
        "a Gatehouse cookie reached the app: {seen}"
    );

    assert_status(&browser.log_out().await, StatusCode::OK);
    let res = browser.get(&protected).await;
    assert_eq!(
        res.status(),
        StatusCode::FOUND,
        "refused again after logging out"
    );
}

/// With `site.cookie_domain`, apps on the sibling hosts get a forward-auth
/// credential of their own: `/auth/verify` takes it, Gatehouse's pages do
/// not, and the session cookie stays host-only. Two of either cookie are
/// no session.
async fn forward_auth_has_a_credential_of_its_own(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.site.public_url = Some("http://id.acme.test".parse().unwrap());
        c.site.cookie_domain = Some("acme.test".parse().unwrap());
    })
    .await;
    app.create_jane().await;
    let res = app
        .as_if_from("http://id.acme.test")
        .log_in(USER_EMAIL, USER_PASSWORD)
        .await;
    assert_status(&res, StatusCode::OK);
    let set: Vec<String> = res
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let value_of = |name: &str| {
        let cookie = set
            .iter()
            .find(|c| c.starts_with(&format!("{name}=")))
            .unwrap_or_else(|| panic!("{name} in {set:?}"));
        (
            cookie.clone(),
            cookie[name.len() + 1..cookie.find(';').unwrap()].to_owned(),
        )
    };
    let (session_cookie, session) = value_of("gatehouse_session");
    let (forward_cookie, forward) = value_of("gatehouse_forward_auth");
    crate::log_audit::note(&forward);
    assert!(!session_cookie.contains("Domain="), "{session_cookie}");
    assert!(
        forward_cookie.contains("Domain=acme.test"),
        "{forward_cookie}"
    );

    let client = reqwest::Client::new();
    let with_cookie = |path: &str, cookie: String| {
        client
            .get(app.url(path))
            .header(header::COOKIE, cookie)
            .send()
    };
    let res = with_cookie("/auth/verify", format!("gatehouse_forward_auth={forward}"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["remote-email"], USER_EMAIL);
    // As a session cookie it is nothing, on the pages or at /auth/verify.
    let res = with_cookie("/api/current_user", format!("gatehouse_session={forward}"))
        .await
        .unwrap();
    assert!(!res.text().await.unwrap().contains(USER_EMAIL));
    let res = with_cookie("/auth/verify", format!("gatehouse_session={forward}"))
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // A forged or doubled one is refused.
    let (hash, _) = forward.split_once('.').unwrap();
    let forged = format!("gatehouse_forward_auth={hash}.{}", "0".repeat(32));
    assert_eq!(
        with_cookie("/auth/verify", forged.clone())
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let doubled = format!("{forged}; gatehouse_forward_auth={forward}");
    assert_eq!(
        with_cookie("/auth/verify", doubled).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let doubled = format!(
        "gatehouse_session={}; gatehouse_session={session}",
        gatehouse::server::platform::tokens::generate()
    );
    let res = with_cookie("/api/current_user", doubled).await.unwrap();
    assert!(!res.text().await.unwrap().contains(USER_EMAIL));
}

async fn forward_auth_answers_with_who_is_logged_in_and_refuses_unlisted_hosts(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        c.site.allowed_return_hosts = vec!["wiki.example.test".parse().unwrap()];
    })
    .await;
    app.create_jane().await;
    let visitor = app.browser();
    let verify = |browser: &Browser, headers: &[(&str, &str)], query: &str| {
        let mut req = browser.client.get(app.url(&format!("/auth/verify{query}")));
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        req.send()
    };
    let res = verify(&visitor, &[], "").await.unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // Caddy and Traefik forward the parts of the wanted URL: a redirect to
    // the login page and back.
    let forwarded = [
        ("x-forwarded-proto", "https"),
        ("x-forwarded-host", "wiki.example.test"),
        ("x-forwarded-uri", "/page?a=1"),
    ];
    let res = verify(&visitor, &forwarded, "").await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND);
    assert_eq!(
        location(&res),
        app.url("/login?next=https%3A%2F%2Fwiki.example.test%2Fpage%3Fa%3D1")
    );
    // An unlisted host: refused, never a redirect there.
    let res = verify(
        &visitor,
        &[("x-original-url", "https://evil.test/steal")],
        "",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert!(res.headers().get(header::LOCATION).is_none());
    let res = verify(
        &visitor,
        &[
            ("x-forwarded-proto", "https"),
            ("x-forwarded-host", "wiki.example.test.evil.test"),
        ],
        "",
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    // And the login page will not send anyone there either.
    let res = visitor
        .without_js()
        .log_in_then(USER_EMAIL, USER_PASSWORD, "https://evil.test/steal")
        .await;
    assert_eq!(location(&res), "/account");
    let res = visitor
        .without_js()
        .log_in_then(
            USER_EMAIL,
            USER_PASSWORD,
            "https://wiki.example.test/page?a=1",
        )
        .await;
    assert_eq!(
        visitor.through_continue(&location(&res)).await,
        "https://wiki.example.test/page?a=1",
        "a listed host is followed"
    );
    // The stop on the way out goes nowhere else either.
    let to = visitor
        .through_continue("/continue?to=https%3A%2F%2Fevil.test%2F")
        .await;
    assert_eq!(to, "/account");

    let res = verify(&visitor, &[], "").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers();
    let sub = h["remote-user"].to_str().unwrap().to_owned();
    assert!(!sub.contains('@') && sub.len() >= 32);
    assert_eq!(h["remote-email"], USER_EMAIL);
    assert_eq!(h["remote-name"], "Jane Doe");
    assert_eq!(h["remote-groups"], "", "in no group, and no site admin");
    let res = verify(&visitor, &[], "?role=site_admin").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);

    // Groups: `Remote-Groups` lists them (and `site_admin` for admins);
    // `?group=` admits only members.
    let res = verify(&visitor, &[], "?group=editors").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN, "in no group yet");
    app.put_in_group(USER_EMAIL, "editors").await;
    app.put_in_group(USER_EMAIL, "accounts").await;
    let res = verify(&visitor, &[], "?group=editors").await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["remote-groups"], "accounts,editors");
    let res = verify(&visitor, &[], "?group=Not%20a%20group")
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    app.create_admin().await;
    app.put_in_group(ADMIN_EMAIL, "editors").await;
    let admin = app.as_admin().await;
    let res = verify(&admin, &[], "").await.unwrap();
    assert_eq!(res.headers()["remote-groups"], "editors,site_admin");
    let entries = probe::audit(&app, Some("group_member_added")).await;
    assert_eq!(entries.len(), 3, "every membership is audited");
}
