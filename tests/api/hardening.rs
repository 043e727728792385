use crate::{both_engines, helpers::*};
use gatehouse::{domain::Role, server::db::user_search::Page};
use reqwest::StatusCode;
use std::time::Duration;

async fn the_health_check_answers(engine: Engine) {
    let app = spawn_app(engine).await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.text().await.unwrap(), "ok");
}

async fn posts_from_another_origin_are_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let res = app
        .as_if_from("https://evil.test")
        .log_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await;
    assert_status(&res, StatusCode::FORBIDDEN);
    let res = app
        .without_origin()
        .with_header("Sec-Fetch-Site", "cross-site")
        .log_in(ADMIN_EMAIL, ADMIN_PASSWORD)
        .await;
    assert_status(&res, StatusCode::FORBIDDEN);
    assert_eq!(
        app.log_in(ADMIN_EMAIL, ADMIN_PASSWORD).await.status(),
        StatusCode::OK,
        "same origin works"
    );
}

async fn huge_bodies_are_refused_before_they_are_read(engine: Engine) {
    let app = spawn_app(engine).await;
    let huge = "a".repeat(1024 * 1024);
    let res = app.log_in("a@b.test", &huge).await;
    assert_status(&res, StatusCode::PAYLOAD_TOO_LARGE);
}

async fn malformed_input_gets_a_4xx_never_a_5xx(engine: Engine) {
    let app = spawn_app(engine).await;
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (endpoint::LOG_IN, b"".to_vec()),
        (endpoint::LOG_IN, b"email=only".to_vec()),
        (
            endpoint::LOG_IN,
            vec![
                b'e', b'm', b'a', b'i', b'l', b'=', 0xff, 0xfe, b'&', b'p', b'=', 0xc3,
            ],
        ),
        (endpoint::REQUEST_PASSWORD_RESET, b"email=%ZZ".to_vec()),
        (
            endpoint::RESET_PASSWORD,
            b"token=&new_password=&confirm_password=".to_vec(),
        ),
        (endpoint::SET_UP, b"email[]=x&name[a]=b".to_vec()),
    ];
    for (endpoint, body) in cases {
        let res = app.without_origin().post_raw(endpoint, body.clone()).await;
        assert!(
            res.status().is_client_error(),
            "{endpoint} {:?} gave {}",
            String::from_utf8_lossy(&body),
            res.status()
        );
    }
    let res = app.log_in(&"x".repeat(300), "password").await;
    assert_status(&res, StatusCode::UNPROCESSABLE_ENTITY);
    let res = app.log_in("a@b.test", &"p".repeat(300)).await;
    assert_eq!(
        res.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "over-long passwords are never hashed"
    );
}

async fn markup_typed_by_users_is_escaped(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_user(
        "mallory@acme.test",
        "<script>alert(1)</script>",
        USER_PASSWORD,
        Role::User,
    )
    .await;
    app.log_in("mallory@acme.test", USER_PASSWORD).await;
    let html = app.page("/account").await;
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
}

async fn responses_carry_protective_headers(engine: Engine) {
    let app = spawn_app(engine).await;
    let res = app.get("/login").await;
    assert_eq!(res.headers().get("x-frame-options").unwrap(), "DENY");
    assert_eq!(res.headers().get("referrer-policy").unwrap(), "same-origin");
    assert!(res
        .headers()
        .get("content-security-policy")
        .unwrap()
        .to_str()
        .unwrap()
        .contains("frame-ancestors 'none'"));
    let header = |res: &reqwest::Response, name: &str| {
        res.headers()
            .get(name)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        header(&res, "cross-origin-opener-policy").as_deref(),
        Some("same-origin")
    );
    let permissions = header(&res, "permissions-policy").expect("a Permissions-Policy");
    assert!(
        permissions.contains("camera=()") && !permissions.contains("publickey"),
        "{permissions}"
    );
    // Styles come from the stylesheet alone.
    let policy = csp(&res);
    let style_src = policy
        .split(';')
        .find(|d| d.trim().starts_with("style-src"))
        .unwrap();
    assert!(!style_src.contains("unsafe-inline"), "{policy}");
    // Over plain http (trying Gatehouse out) no HSTS: it would stick.
    assert_eq!(header(&res, "strict-transport-security"), None);
    let missing = app.get("/no-such-page").await;
    assert_status(&missing, StatusCode::NOT_FOUND);

    // With an https public URL the app itself asks for https from now on,
    // and for the subdomains too when its cookie is shared with them.
    for (domain, expected) in [
        (None, "max-age=31536000"),
        (Some("acme.test"), "max-age=31536000; includeSubDomains"),
    ] {
        let app = spawn_app_with(engine, |config| {
            config.site.public_url = Some("https://id.acme.test".parse().unwrap());
            config.site.cookie_domain = domain.map(|d| d.parse().unwrap());
        })
        .await;
        let res = app.get("/login").await;
        assert_eq!(
            header(&res, "strict-transport-security").as_deref(),
            Some(expected)
        );
    }
}

fn csp(res: &reqwest::Response) -> String {
    res.headers()
        .get("content-security-policy")
        .expect("a Content-Security-Policy")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Inline scripts run only with the page's nonce; `'unsafe-inline'` is
/// gone from `script-src`, and pages talk to this site alone.
async fn inline_scripts_need_the_pages_nonce(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_admin().await;
    for path in ["/login", "/forgot-password", "/no-such-page"] {
        let res = app.get(path).await;
        let policy = csp(&res);
        let script_src = policy
            .split(';')
            .map(str::trim)
            .find(|d| d.starts_with("script-src"))
            .unwrap()
            .to_owned();
        assert!(!script_src.contains("unsafe-inline"), "{path}: {policy}");
        assert!(policy.contains("connect-src 'self';"), "{path}: {policy}");
        let nonce = script_src
            .split_whitespace()
            .find_map(|s| s.strip_prefix("'nonce-"))
            .and_then(|s| s.strip_suffix('\''))
            .unwrap_or_else(|| panic!("{path}: no nonce in {policy}"))
            .to_owned();
        assert!(nonce.len() >= 16, "{nonce}");
        let html = res.text().await.unwrap();
        let scripts: Vec<&str> = html.split("<script").skip(1).collect();
        assert!(!scripts.is_empty(), "{path} has its hydration script");
        for script in scripts {
            let tag = &script[..script.find('>').unwrap()];
            assert!(
                tag.contains(&format!("nonce=\"{nonce}\"")),
                "{path}: a script without the nonce: <script{tag}>"
            );
        }
        // A new nonce for every page.
        let again = csp(&app.get(path).await);
        assert!(!again.contains(&nonce), "{path}: the nonce was reused");
    }
    let api = app.current_user().await;
    assert!(!csp(&api).contains("nonce-"));
}

/// Personal answers are never stored; static files are revalidated (or,
/// under content-hashed names, kept a year), and say their encoding varies.
async fn answers_say_how_long_they_may_be_cached(engine: Engine) {
    use tower::ServiceExt;
    let app = spawn_app(engine).await;
    app.create_admin().await;
    let admin = app.as_admin().await;
    for path in ["/login", "/account", "/admin/users", "/no-such-page"] {
        let res = admin.get(path).await;
        assert_eq!(res.headers()["cache-control"], "no-store", "{path}");
    }
    let res = admin.current_user().await;
    assert!(res.text().await.unwrap().contains(ADMIN_EMAIL));
    for (action, res) in [
        ("current_user", admin.current_user().await),
        ("list_users", admin.list_users(None, Page::First).await),
        ("login", admin.post_raw(endpoint::LOG_IN, Vec::new()).await),
    ] {
        assert_eq!(res.headers()["cache-control"], "no-store", "{action}");
    }

    // Static files, from a site folder of their own.
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();
    let hashed = "gatehouse.Zm9vYmFyYmF6cXV4cXV1eA.css";
    for file in ["pkg/gatehouse.css", &format!("pkg/{hashed}"), "favicon.ico"] {
        std::fs::write(site.path().join(file), "body { color: black }").unwrap();
    }
    std::fs::write(site.path().join(format!("pkg/{hashed}.br")), "brotli bytes").unwrap();
    let mut state = app.state.clone();
    state.leptos_options = leptos::config::LeptosOptions::builder()
        .output_name("gatehouse")
        .site_root(site.path().to_str().unwrap())
        .site_pkg_dir("pkg")
        .build();
    let router = gatehouse::server::http::router(state);
    let get = |path: String| {
        let router = router.clone();
        async move {
            let req = http::Request::get(path)
                .header("accept-encoding", "gzip, br")
                .body(axum::body::Body::empty())
                .unwrap();
            router.oneshot(req).await.unwrap()
        }
    };
    let res = get(format!("/pkg/{hashed}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(
        res.headers()["cache-control"],
        "public, max-age=31536000, immutable"
    );
    assert_eq!(res.headers()["content-encoding"], "br");
    assert!(res.headers()["vary"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase()
        .contains("accept-encoding"));
    for path in ["/pkg/gatehouse.css", "/favicon.ico"] {
        let res = get(path.to_owned()).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_eq!(res.headers()["cache-control"], "no-cache", "{path}");
        assert!(res.headers().contains_key("vary"), "{path}");
    }
}

/// The login and forgotten-password pages are rendered once per address
/// for visitors without a cookie, then sent from memory: each answer has
/// its own nonce, in its policy and on every script, and is otherwise the
/// page as rendered. A visitor with a session, or a site still waiting for
/// its first account, gets a page rendered for them.
async fn pages_for_visitors_without_a_cookie_are_rendered_once(engine: Engine) {
    let app = spawn_app(engine).await;
    let nonce_of = |policy: &str| {
        let start = policy.find("'nonce-").expect("a nonce") + "'nonce-".len();
        policy[start..start + policy[start..].find('\'').unwrap()].to_owned()
    };
    let visit = |path: &'static str| {
        let browser = app.browser();
        async move {
            let res = browser.get(path).await;
            assert_eq!(res.status(), StatusCode::OK);
            let policy = csp(&res);
            (nonce_of(&policy), res.text().await.unwrap())
        }
    };

    // No account yet: the setup notice, and nothing kept.
    let (_, html) = visit("/login").await;
    assert!(html.contains("No accounts exist yet"), "{html}");
    assert!(app.state.pages.is_empty());

    app.create_admin().await;
    let (_, html) = visit("/login").await;
    assert!(!html.contains("No accounts exist yet"), "{html}");
    let mut seen = std::collections::HashSet::new();
    for path in ["/login", "/forgot-password", "/login?next=%2Faccount"] {
        let (first_nonce, first) = visit(path).await;
        for _ in 0..3 {
            let (nonce, html) = visit(path).await;
            assert!(
                seen.insert(nonce.clone()),
                "{path}: the nonce {nonce} was reused"
            );
            // Light pages: their own inline script, no module.
            assert!(
                html.contains(&format!("<script nonce=\"{nonce}\">")),
                "{path}: the scripts carry the answer's nonce"
            );
            assert_eq!(
                html.replace(&nonce, "NONCE"),
                first.replace(&first_nonce, "NONCE"),
                "{path}: the kept page is the page as rendered"
            );
        }
    }
    assert_eq!(app.state.pages.len(), 3, "one page per address");
    let (_, html) = visit("/login?next=%2Faccount").await;
    assert!(html.contains("name=\"next\" value=\"/account\""), "{html}");

    // Someone logged in gets their own page, which is not kept.
    let admin = app.as_admin().await;
    let mine = admin.open("/forgot-password").await;
    assert!(mine.contains("href=\"/account\""), "{mine}");
    let (_, anyone) = visit("/forgot-password").await;
    assert!(!anyone.contains("href=\"/account\""), "{anyone}");
    assert_eq!(app.state.pages.len(), 3);
}

/// A client that does not finish a request's headers within
/// `limits.header_read_timeout_secs`, or whose body stalls for
/// `limits.body_read_timeout_secs`, is cut off (not answered with a 5xx);
/// prompt clients are not.
async fn slow_senders_are_cut_off(engine: Engine) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app_with(engine, |c| {
        c.limits.header_read_timeout_secs = 1;
        c.limits.body_read_timeout_secs = 1;
    })
    .await;
    let addr = app.base.trim_start_matches("http://").to_owned();
    let requests: [&[u8]; 2] = [
        b"GET /login HTTP/1.1\r\nHost: localhost\r\nAccept: text/html\r\n",
        b"POST /api/request_password_reset HTTP/1.1\r\nHost: localhost\r\n\
          Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nemail=a",
    ];
    for request in requests {
        let mut tcp = tokio::net::TcpStream::connect(&addr).await.unwrap();
        tcp.write_all(request).await.unwrap();
        let mut answer = Vec::new();
        let read = tokio::time::timeout(Duration::from_secs(8), tcp.read_to_end(&mut answer)).await;
        let answer = String::from_utf8_lossy(&answer);
        assert!(read.is_ok(), "still waiting after 8 s: {request:?}");
        assert!(!answer.starts_with("HTTP/1.1 5"), "{answer}");
    }
    assert_eq!(app.get("/login").await.status(), StatusCode::OK);
}

/// The reset page's address holds its token, so it sends no `Referer` at
/// all (`Referrer-Policy: no-referrer`). Its forms still work as a browser
/// posts them from there (`Origin: null`, `Sec-Fetch-Site: same-origin`,
/// no `Referer`), and a plain form post that fails comes back to the page.
async fn the_reset_page_sends_no_referrer(engine: Engine) {
    let app = spawn_app(engine).await;
    app.create_jane().await;
    app.request_password_reset(USER_EMAIL).await;
    let link = app.last_email_link(USER_EMAIL, 1).await;
    let token = TestApp::token_of(&link);
    let policy = |res: &reqwest::Response| {
        res.headers()
            .get("referrer-policy")
            .map(|v| v.to_str().unwrap().to_owned())
    };
    assert_eq!(
        policy(&app.get(&link).await).as_deref(),
        Some("no-referrer")
    );
    assert_eq!(
        policy(&app.get("/login").await).as_deref(),
        Some("same-origin")
    );

    let post = |fields: Vec<(&'static str, String)>, site: &'static str| {
        new_client()
            .post(app.url("/api/reset_password"))
            .header("Origin", "null")
            .header("Sec-Fetch-Site", site)
            .header("Accept", "text/html")
            .form(&fields)
            .send()
    };
    let fields = |confirm: &str| {
        vec![
            ("token", token.clone()),
            ("new_password", "a fine new passphrase".to_owned()),
            ("confirm_password", confirm.to_owned()),
        ]
    };
    let res = post(fields("a fine new passphrase"), "cross-site")
        .await
        .unwrap();
    assert_status(&res, StatusCode::FORBIDDEN);
    let res = post(fields("not the same"), "same-origin").await.unwrap();
    let back = location(&res);
    assert!(
        back.starts_with(&format!("{link}?")) && back.contains("__err="),
        "back to the page with the error: {back}"
    );
    let res = post(fields("a fine new passphrase"), "same-origin")
        .await
        .unwrap();
    assert_redirects_to(&res, "/login?reset=done");
}

both_engines!(
    slow_senders_are_cut_off,
    the_reset_page_sends_no_referrer,
    pages_for_visitors_without_a_cookie_are_rendered_once,
    answers_say_how_long_they_may_be_cached,
    inline_scripts_need_the_pages_nonce,
    the_health_check_answers,
    posts_from_another_origin_are_refused,
    huge_bodies_are_refused_before_they_are_read,
    malformed_input_gets_a_4xx_never_a_5xx,
    markup_typed_by_users_is_escaped,
    responses_carry_protective_headers,
);
