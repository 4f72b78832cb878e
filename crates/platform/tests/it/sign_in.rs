//! Sign up, log in and out, CSRF, the login rate limit, the application form.

use axum::http::StatusCode;

use crate::harness::{PASSWORD, World};

#[tokio::test]
async fn sign_up_log_out_log_in() {
    let w = World::new("signup");
    let mut c = w.client();
    let r = c.get("/").await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/login"))
    );
    let r = c.get("/signup").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("name=\"csrf\""));
    let r = c
        .post(
            "/signup",
            &[("login", "Shop@Example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(
        (r.status, r.location.as_deref()),
        (StatusCode::SEE_OTHER, Some("/application"))
    );
    let r = c.get("/application").await;
    assert!(
        r.body.contains("shop@example.com"),
        "logins are stored in lower case"
    );
    let r = c.post("/logout", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert!(c.cookie.is_none(), "the cookie is cleared");
    let r = c.get("/application").await;
    assert_eq!(
        r.location.as_deref(),
        Some("/login"),
        "the old session is gone"
    );
    let r = c.login("shop@example.com", PASSWORD).await;
    assert_eq!(r.location.as_deref(), Some("/application"));
    // The stored password is an argon2 hash, never the password.
    let (_, hash) = w
        .store()
        .user_by_login("shop@example.com")
        .unwrap()
        .unwrap();
    assert!(hash.starts_with("$argon2id$") && !hash.contains(PASSWORD));
}

#[tokio::test]
async fn the_session_id_changes_at_login() {
    let w = World::new("fixation");
    let mut c = w.client();
    c.get("/login").await;
    let visitor = c.cookie.clone().unwrap();
    c.post(
        "/signup",
        &[("login", "a@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_ne!(c.cookie.clone().unwrap(), visitor);
    // The visitor's cookie is not signed in.
    let mut other = w.client();
    other.cookie = Some(visitor);
    assert_eq!(
        other.get("/application").await.location.as_deref(),
        Some("/login")
    );
}

#[tokio::test]
async fn a_forged_cookie_is_a_new_visitor() {
    let w = World::new("forged");
    let mut c = w.client();
    c.post(
        "/signup",
        &[("login", "a@example.com"), ("password", PASSWORD)],
    )
    .await;
    let good = c.cookie.clone().unwrap();
    let (name_id, mac) = good.split_once('.').unwrap();
    let mut forged = mac.to_string();
    let flip = if forged.starts_with('0') { "1" } else { "0" };
    forged.replace_range(0..1, flip);
    c.cookie = Some(format!("{name_id}.{forged}"));
    assert_eq!(
        c.get("/application").await.location.as_deref(),
        Some("/login")
    );
}

#[tokio::test]
async fn bad_sign_up_input_is_refused_and_nothing_stored() {
    let w = World::new("badsignup");
    let mut c = w.client();
    for (login, password, message) in [
        (
            "not an address",
            PASSWORD,
            "e-mail address or an 11-digit mobile number",
        ),
        ("a@example.com", "short", "at least 10 characters"),
        ("", PASSWORD, "e-mail address"),
        ("1380013800", PASSWORD, "11-digit mobile number"),
    ] {
        let r = c
            .post("/signup", &[("login", login), ("password", password)])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{login}");
        assert!(r.body.contains(message), "{login}: {}", r.body);
    }
    assert!(w.store().user_by_login("a@example.com").unwrap().is_none());
    // A mobile number is a login too; the same login twice is refused.
    let r = c
        .post(
            "/signup",
            &[("login", "13800138000"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let mut d = w.client();
    let r = d
        .post(
            "/signup",
            &[("login", "13800138000"), ("password", "another password")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("exists already"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused() {
    let w = World::new("csrf");
    let mut c = w.client();
    c.get("/signup").await;
    let r = c
        .post_raw(
            "/signup",
            &[("login", "a@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = c
        .post_raw(
            "/signup",
            &[
                ("login", "a@example.com"),
                ("password", PASSWORD),
                ("csrf", "0123"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(w.store().user_by_login("a@example.com").unwrap().is_none());
    // Another session's token does not pass either.
    let mut other = w.client();
    other.get("/signup").await;
    let token = other.csrf.clone();
    let r = c
        .post_raw(
            "/signup",
            &[
                ("login", "a@example.com"),
                ("password", PASSWORD),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // Signed in: logout and apply need it too.
    c.post(
        "/signup",
        &[("login", "a@example.com"), ("password", PASSWORD)],
    )
    .await;
    let r = c
        .post_raw(
            "/apply",
            &[
                ("business_name", "X"),
                ("business_type", "hotel"),
                ("region", "4401"),
                ("account", "622202020011223344"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(
        c.post_raw("/logout", &[]).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn logins_are_rate_limited() {
    let w = World::new("ratelimit");
    let mut c = w.client();
    c.post(
        "/signup",
        &[("login", "a@example.com"), ("password", PASSWORD)],
    )
    .await;
    let mut attacker = w.client();
    for _ in 0..5 {
        let r = attacker.login("a@example.com", "wrong password!").await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert!(r.body.contains("The login or the password is wrong."));
    }
    // The sixth try is refused even with the right password.
    let r = attacker.login("a@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.body.contains("Too many failed logins"));
    // An unknown login answers like a wrong password.
    let r = w.client().login("nobody@example.com", PASSWORD).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn applying_checks_every_field_and_masks_the_account() {
    let w = World::new("apply");
    let mut c = w.client();
    c.post(
        "/signup",
        &[("login", "a@example.com"), ("password", PASSWORD)],
    )
    .await;
    c.get("/application").await;
    let good = [
        ("business_name", "A Harbour Hotel"),
        ("business_type", "hotel"),
        ("region", "4401"),
        ("account", "6222 0202 0011 2233 445"),
    ];
    for (field, value, message) in [
        ("business_name", "  ", "Enter the business name."),
        ("business_type", "casino", "Choose a business type"),
        ("region", "44x1", "The region code is 4 digits"),
        ("account", "12345", "12 to 30 digits"),
        ("account", "6222abcd00112233", "12 to 30 digits"),
    ] {
        let fields: Vec<(&str, &str)> = good
            .iter()
            .map(|(k, v)| if *k == field { (*k, value) } else { (*k, *v) })
            .collect();
        let r = c.post("/apply", &fields).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{field}");
        assert!(r.body.contains(message), "{field}: {}", r.body);
        // The other fields are kept; the account is never echoed.
        assert!(
            !r.body.contains("0011") && !r.body.contains("6222abcd"),
            "{field}"
        );
    }
    let user = w.store().user_by_login("a@example.com").unwrap().unwrap().0;
    assert!(
        w.store().application_of(user.id).unwrap().is_none(),
        "nothing stored"
    );
    let r = c.post("/apply", &good).await;
    assert_eq!(r.location.as_deref(), Some("/application"));
    let r = c.get("/application").await;
    assert!(r.body.contains("pending"), "{}", r.body);
    assert!(r.body.contains("6222***********3445"), "{}", r.body);
    assert!(!r.body.contains("62220202001122"));
    // A second application is not filed.
    c.post("/apply", &good).await;
    assert_eq!(w.store().applications().unwrap().len(), 1);
}

#[tokio::test]
async fn unknown_pages_are_404() {
    let w = World::new("404");
    let mut c = w.client();
    assert_eq!(c.get("/nothing/here").await.status, StatusCode::NOT_FOUND);
}
