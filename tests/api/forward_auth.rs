//! Forward-auth (`/auth/verify`): who is logged in, for a proxy in front
//! of another app; and through a real nginx (`auth_request`), configured
//! as the README shows: a protected location is refused without a
//! Gatehouse session (sent to the login page and back), served with the
//! `Remote-*` headers after logging in, and refused again after logging
//! out.

use crate::{both_engines, helpers::*, nginx::Nginx, proxy::port_of};
use reqwest::{header, StatusCode};

both_engines!(
    forward_auth_answers_with_who_is_logged_in_and_refuses_unlisted_hosts,
    nginx_auth_request_protects_an_app_with_the_gatehouse_session,
);

async fn nginx_auth_request_protects_an_app_with_the_gatehouse_session(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        // The protected app is served by nginx on another port of this host.
        c.site.allowed_return_hosts = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    app.create_jane().await;
    let upstream = port_of(&app.base);
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("private")).unwrap();
    std::fs::write(
        site.path().join("private/index.html"),
        "the protected app\n",
    )
    .unwrap();
    let root = site.path().display();
    // The README's snippet, with a static "app" that echoes what nginx
    // would pass on to it.
    let locations = format!(
        r#"location = /gatehouse-verify {{
            internal;
            proxy_pass http://127.0.0.1:{upstream}/auth/verify;
            proxy_pass_request_body off;
            proxy_set_header Content-Length "";
            proxy_set_header X-Original-URL $scheme://$http_host$request_uri;
        }}
        location /private/ {{
            auth_request /gatehouse-verify;
            auth_request_set $gatehouse_login $upstream_http_location;
            auth_request_set $gatehouse_user $upstream_http_remote_user;
            auth_request_set $gatehouse_email $upstream_http_remote_email;
            auth_request_set $gatehouse_groups $upstream_http_remote_groups;
            error_page 401 =302 $gatehouse_login;
            add_header X-Remote-User $gatehouse_user always;
            add_header X-Remote-Email $gatehouse_email always;
            add_header X-Remote-Groups $gatehouse_groups always;
            root {root};
        }}"#
    );
    let Some(nginx) = Nginx::start(&locations).await else {
        return;
    };
    let private = format!("{}/private/", nginx.base);
    let browser = app.browser();

    let res = browser.get(&private).await;
    assert_eq!(res.status(), StatusCode::FOUND, "{}", nginx.error_log());
    let login = location(&res);
    let next: String = url::form_urlencoded::byte_serialize(private.as_bytes()).collect();
    assert_eq!(login, app.url(&format!("/login?next={next}")));

    let res = browser
        .without_js()
        .on(&login)
        .log_in_then(USER_EMAIL, USER_PASSWORD, &private)
        .await;
    assert_eq!(
        browser.through_continue(&location(&res)).await,
        private,
        "back to the protected page after logging in"
    );

    let res = browser.get(&private).await;
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["x-remote-email"], USER_EMAIL);
    assert_eq!(h["x-remote-groups"], "user");
    assert!(h["x-remote-user"].len() >= 32);
    assert_eq!(res.text().await.unwrap(), "the protected app\n");

    assert_status(&browser.log_out().await, StatusCode::OK);
    let res = browser.get(&private).await;
    assert_eq!(
        res.status(),
        StatusCode::FOUND,
        "refused again after logging out"
    );
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
    assert_eq!(h["remote-groups"], "user");
    let res = verify(&visitor, &[], "?role=site_admin").await.unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
