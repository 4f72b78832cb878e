//! The operator's pages: the role is needed, approvals write the acquirer's registry,
//! activation codes bind terminals.

use axum::http::StatusCode;

use crate::harness::{NOODLE_NO, PASSWORD, World, approve, both, issue_code, operator};

both!(
    operator_pages_need_the_operator_role,
    operator_pages_need_the_operator_role_on_postgres,
    operator_pages_need_the_operator_role_in,
    "oprole"
);

async fn operator_pages_need_the_operator_role_in(w: World) {
    let mut anon = w.client();
    let mut merchant = w.client();
    merchant
        .post(
            "/signup",
            &[("login", "m@example.com"), ("password", PASSWORD)],
        )
        .await;
    for path in [
        "/operator/applications",
        "/operator/terminals",
        "/operator/findings",
    ] {
        assert_eq!(
            anon.get(path).await.location.as_deref(),
            Some("/login"),
            "{path}"
        );
        assert_eq!(
            merchant.get(path).await.status,
            StatusCode::FORBIDDEN,
            "{path}"
        );
    }
    merchant.get("/application").await;
    merchant
        .post(
            "/apply",
            &[
                ("business_name", "M"),
                ("business_type", "hotel"),
                ("region", "4401"),
                ("account", "622202020011223344"),
            ],
        )
        .await;
    let id = w.store().applications().unwrap()[0].id;
    let r = merchant
        .post(
            &format!("/operator/applications/{id}/approve"),
            &[("merchant_no", "898440170119999")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = merchant
        .post("/operator/terminals/10589999/code", &[])
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(w.store().coded_terminals().unwrap().is_empty());
    assert!(w.registry().merchant("898440170119999").is_none());
    let mut op = operator(&w).await;
    for path in [
        "/operator/applications",
        "/operator/terminals",
        "/operator/findings",
    ] {
        assert_eq!(op.get(path).await.status, StatusCode::OK, "{path}");
    }
}

both!(
    approving_adds_the_merchant_to_the_registry,
    approving_adds_the_merchant_to_the_registry_on_postgres,
    approving_adds_the_merchant_to_the_registry_in,
    "approve"
);

async fn approving_adds_the_merchant_to_the_registry_in(w: World) {
    let mut m = w.client();
    m.merchant("m@example.com", "A Harbour Hotel", "hotel", "4401")
        .await;
    let id = w.store().applications().unwrap()[0].id;
    let mut op = operator(&w).await;
    let r = op.get("/operator/applications").await;
    assert!(
        r.body.contains("A Harbour Hotel") && r.body.contains("6222"),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("6222020200112233445"),
        "the account stays masked"
    );
    // Wrong numbers are refused with the reason, nothing is stored.
    for (no, message) in [
        ("12345", "15 digits"),
        ("898440058129999", "MCC"),
        ("898310070119999", "region"),
        ("898440170115678", "belongs to another merchant"),
    ] {
        let r = op
            .post(
                &format!("/operator/applications/{id}/approve"),
                &[("merchant_no", no)],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{no}");
        assert!(r.body.contains(message), "{no}: {}", r.body);
    }
    let r = op
        .post(
            &format!("/operator/applications/{id}/approve"),
            &[("merchant_no", "898440170119999"), ("fee_bps", "9999")],
        )
        .await;
    assert!(r.body.contains("1 to 500 basis points"));
    assert_eq!(
        w.registry().merchants.len(),
        2 + 4,
        "the fixtures' merchants and pool only"
    );
    let r = op
        .post(
            &format!("/operator/applications/{id}/approve"),
            &[("merchant_no", "898440170119999"), ("fee_bps", "38")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let registry = w.registry();
    let added = registry.merchant("898440170119999").unwrap();
    assert_eq!(
        (added.name.as_str(), added.mcc.as_str()),
        ("A Harbour Hotel", "7011")
    );
    assert_eq!(added.fee_rate.millionths(), 3800);
    let r = m.get("/application").await;
    assert!(r.body.contains("approved") && r.body.contains("898440170119999"));
    // Reviewed once only.
    let r = op
        .post(
            &format!("/operator/applications/{id}/reject"),
            &[("reason", "late")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("reviewed already"));
    // An application that does not exist.
    let r = op
        .post(
            "/operator/applications/999/approve",
            &[("merchant_no", "898440170119998")],
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

both!(
    rejecting_needs_a_reason_the_merchant_reads,
    rejecting_needs_a_reason_the_merchant_reads_on_postgres,
    rejecting_needs_a_reason_the_merchant_reads_in,
    "reject"
);

async fn rejecting_needs_a_reason_the_merchant_reads_in(w: World) {
    let mut m = w.client();
    m.merchant("m@example.com", "A Shop", "clothing", "3100")
        .await;
    let id = w.store().applications().unwrap()[0].id;
    let mut op = operator(&w).await;
    op.get("/operator/applications").await;
    let r = op
        .post(
            &format!("/operator/applications/{id}/reject"),
            &[("reason", "  ")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = op
        .post(
            &format!("/operator/applications/{id}/reject"),
            &[("reason", "The business licence is unreadable")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = m.get("/application").await;
    assert!(r.body.contains("rejected") && r.body.contains("The business licence is unreadable"));
    // A rejected merchant has no merchant pages.
    assert_eq!(
        m.get("/dashboard").await.location.as_deref(),
        Some("/application")
    );
}

both!(
    binding_needs_the_terminal_s_activation_code,
    binding_needs_the_terminal_s_activation_code_on_postgres,
    binding_needs_the_terminal_s_activation_code_in,
    "bind"
);

async fn binding_needs_the_terminal_s_activation_code_in(w: World) {
    let mut m = w.client();
    m.merchant("m@example.com", "A Harbour Hotel", "hotel", "4401")
        .await;
    // Before approval there is nothing to bind to.
    assert_eq!(
        m.get("/terminals").await.location.as_deref(),
        Some("/application")
    );
    approve(&w, "m@example.com", "898440170119999").await;
    let code = issue_code(&w, "10589999").await;
    let other_code = issue_code(&w, "10580001").await;
    m.get("/terminals").await;
    for (serial, code, message) in [
        ("CWPOS-9999", "0000-0000-0000", "do not match"),
        ("CWPOS-0001", code.as_str(), "do not match"),
        ("CWPOS-9999", other_code.as_str(), "do not match"),
        ("NO-SUCH", code.as_str(), "do not match"),
        ("", code.as_str(), "Enter the serial number"),
    ] {
        let r = m
            .post("/terminals", &[("serial", serial), ("code", code)])
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{serial}");
        assert!(r.body.contains(message), "{serial}: {}", r.body);
    }
    let t = w
        .registry()
        .terminals
        .into_iter()
        .find(|t| t.terminal_id == "10589999")
        .unwrap();
    assert!(!t.activated && t.merchant_no.is_none(), "nothing changed");
    let r = m
        .post("/terminals", &[("serial", "CWPOS-9999"), ("code", &code)])
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let t = w
        .registry()
        .terminals
        .into_iter()
        .find(|t| t.terminal_id == "10589999")
        .unwrap();
    assert!(t.activated);
    assert_eq!(t.merchant_no.as_deref(), Some("898440170119999"));
    // The code is used up.
    let r = m
        .post("/terminals", &[("serial", "CWPOS-9999"), ("code", &code)])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // The operator sees the binding.
    let mut op = operator(&w).await;
    let r = op.get("/operator/terminals").await;
    assert!(r.body.contains("m@example.com"), "{}", r.body);
    assert!(
        r.body.contains("rotates through"),
        "the rotating terminal is shown"
    );
    let _ = NOODLE_NO;
}

both!(
    wrong_activation_codes_are_rate_limited,
    wrong_activation_codes_are_rate_limited_on_postgres,
    wrong_activation_codes_are_rate_limited_in,
    "bindlimit"
);

async fn wrong_activation_codes_are_rate_limited_in(w: World) {
    let mut m = w.client();
    m.merchant("m@example.com", "A Harbour Hotel", "hotel", "4401")
        .await;
    approve(&w, "m@example.com", "898440170119999").await;
    let code = issue_code(&w, "10589999").await;
    m.get("/terminals").await;
    for _ in 0..5 {
        let r = m
            .post(
                "/terminals",
                &[("serial", "CWPOS-9999"), ("code", "1111-2222-3333")],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
    let r = m
        .post("/terminals", &[("serial", "CWPOS-9999"), ("code", &code)])
        .await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(w.store().bindings(None).unwrap().is_empty());
}
