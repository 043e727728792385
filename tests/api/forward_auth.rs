//! Forward-auth through a real nginx (`auth_request`), configured as the
//! README shows: a protected location is refused without a Gatehouse
//! session (sent to the login page and back), served with the `Remote-*`
//! headers after logging in, and refused again after logging out.

use crate::{both_engines, helpers::*, nginx::Nginx, proxy::port_of};
use reqwest::StatusCode;

both_engines!(nginx_auth_request_protects_an_app_with_the_gatehouse_session);

async fn nginx_auth_request_protects_an_app_with_the_gatehouse_session(engine: Engine) {
    let app = spawn_app_with(engine, |c| {
        // The protected app is served by nginx on another port of this host.
        c.site.allowed_return_hosts = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    app.create_user(USER_EMAIL, "Jane Doe", USER_PASSWORD, "user")
        .await;
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
        app.stop().await;
        return;
    };
    let private = format!("{}/private/", nginx.base);
    let browser = app.new_client();

    let res = browser.get(&private).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::FOUND, "{}", nginx.error_log());
    let login = location(&res);
    let next: String = url::form_urlencoded::byte_serialize(private.as_bytes()).collect();
    assert_eq!(login, app.url(&format!("/login?next={next}")));

    let res = form_post_with(
        &browser,
        &app.base,
        "login",
        &login.replace(&app.base, ""),
        &[
            ("email", USER_EMAIL),
            ("password", USER_PASSWORD),
            ("next", &private),
        ],
    )
    .await;
    assert_eq!(
        through_continue(&browser, &app, &location(&res)).await,
        private,
        "back to the protected page after logging in"
    );

    let res = browser.get(&private).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let h = res.headers().clone();
    assert_eq!(h["x-remote-email"], USER_EMAIL);
    assert_eq!(h["x-remote-groups"], "user");
    assert!(h["x-remote-user"].len() >= 32);
    assert_eq!(res.text().await.unwrap(), "the protected app\n");

    let res = call_with(&browser, &app.base, "logout", &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = browser.get(&private).send().await.unwrap();
    assert_eq!(
        res.status(),
        StatusCode::FOUND,
        "refused again after logging out"
    );
    app.stop().await;
}
