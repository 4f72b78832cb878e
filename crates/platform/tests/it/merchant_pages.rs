//! The merchant's pages: what a merchant sees is its own terminals' transactions since it
//! bound them, never another's; the statement is the acquirer's byte for byte; alerts and
//! reconciliation read the audit and the reconciler.

use axum::http::StatusCode;
use cardwire_iso8583::cups::Transaction;
use cardwire_platform::clock;

use crate::harness::{NOODLE_NO, World, both, bound_merchant};

const HOTEL_NO: &str = "898440170119999";
const SHOP_NO: &str = "898310056519999";
const CLEAR_PAN: &str = "6214830012345673";

/// Two merchants: a hotel with the honest terminal 10589999, a clothing shop with 10580001.
async fn two_merchants(w: &World) -> (crate::harness::Client, crate::harness::Client) {
    let hotel = bound_merchant(
        w,
        "hotel@example.com",
        "hotel",
        "4401",
        HOTEL_NO,
        "10589999",
        "CWPOS-9999",
    )
    .await;
    let shop = bound_merchant(
        w,
        "shop@example.com",
        "clothing",
        "3100",
        SHOP_NO,
        "10580001",
        "CWPOS-0001",
    )
    .await;
    (hotel, shop)
}

both!(
    a_merchant_sees_only_its_own_transactions,
    a_merchant_sees_only_its_own_transactions_on_postgres,
    a_merchant_sees_only_its_own_transactions_in,
    "crossing"
);

async fn a_merchant_sees_only_its_own_transactions_in(w: World) {
    let (mut hotel, mut shop) = two_merchants(&w).await;
    let mine = w.post(
        "10589999",
        HOTEL_NO,
        "7011",
        Transaction::Purchase,
        12_345,
        5,
    );
    let theirs = w.post(
        "10580001",
        SHOP_NO,
        "5651",
        Transaction::Purchase,
        67_800,
        6,
    );
    let r = hotel.get("/records").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("123.45") && !r.body.contains("678.00"),
        "{}",
        r.body
    );
    assert!(r.body.contains("1 transactions"));
    // Another merchant's transaction id, terminal filter and receipt: nothing.
    assert_eq!(
        hotel.get(&format!("/records/{theirs}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        hotel.get("/records/999999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        hotel.get("/records/not-a-number").await.status,
        StatusCode::NOT_FOUND
    );
    let r = hotel.get("/records?terminal=10580001").await;
    assert!(r.body.contains("0 transactions") && !r.body.contains("678.00"));
    let r = hotel.get(&format!("/records/{mine}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("621483******5673") && r.body.contains("123.45"),
        "{}",
        r.body
    );
    assert_eq!(
        shop.get(&format!("/records/{mine}")).await.status,
        StatusCode::NOT_FOUND
    );
    let r = shop.get("/records").await;
    assert!(r.body.contains("678.00") && !r.body.contains("123.45"));
    // The statements split the same way.
    let month = clock::month(&clock::at(clock::unix_now() + 5).unwrap());
    let r = hotel.get(&format!("/statement?month={month}")).await;
    assert!(r.content_type.starts_with("text/csv"));
    assert!(
        r.body.contains("123.45") && !r.body.contains("678.00"),
        "{}",
        r.body
    );
    // No page and no export shows a clear card number.
    for path in [
        "/records",
        &format!("/records/{mine}"),
        "/dashboard",
        "/alerts",
        &format!("/statement?month={month}"),
    ] {
        assert!(!hotel.get(path).await.body.contains(CLEAR_PAN), "{path}");
    }
    let mut op = crate::harness::operator(&w).await;
    for path in [
        "/operator/terminals",
        "/operator/findings",
        "/operator/applications",
    ] {
        assert!(!op.get(path).await.body.contains(CLEAR_PAN), "{path}");
    }
}

both!(
    a_terminal_s_earlier_transactions_stay_with_its_earlier_merchant,
    a_terminal_s_earlier_transactions_stay_with_its_earlier_merchant_on_postgres,
    a_terminal_s_earlier_transactions_stay_with_its_earlier_merchant_in,
    "rebind"
);

async fn a_terminal_s_earlier_transactions_stay_with_its_earlier_merchant_in(w: World) {
    // The noodle shop's terminal took a payment before a platform merchant bound it.
    let before = w.post(
        "10580001",
        NOODLE_NO,
        "5812",
        Transaction::Purchase,
        4_200,
        -60,
    );
    let (_, mut shop) = two_merchants(&w).await;
    let after = w.post("10580001", SHOP_NO, "5651", Transaction::Purchase, 900, 5);
    let r = shop.get("/records").await;
    assert!(
        r.body.contains("9.00") && !r.body.contains("42.00"),
        "{}",
        r.body
    );
    assert_eq!(
        shop.get(&format!("/records/{before}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        shop.get(&format!("/records/{after}")).await.status,
        StatusCode::OK
    );
}

both!(
    the_statement_is_the_acquirer_s_export_byte_for_byte,
    the_statement_is_the_acquirer_s_export_byte_for_byte_on_postgres,
    the_statement_is_the_acquirer_s_export_byte_for_byte_in,
    "statement"
);

async fn the_statement_is_the_acquirer_s_export_byte_for_byte_in(w: World) {
    let (mut hotel, _) = two_merchants(&w).await;
    let s1 = w.post(
        "10589999",
        HOTEL_NO,
        "7011",
        Transaction::Purchase,
        10_000,
        5,
    );
    w.post("10589999", HOTEL_NO, "7011", Transaction::Refund, 2_500, 6);
    w.post(
        "10589999",
        HOTEL_NO,
        "7011",
        Transaction::PreAuth,
        50_000,
        7,
    );
    let month = clock::month(&clock::at(clock::unix_now() + 5).unwrap());
    let whole = w.export(&month);
    let r = hotel.get(&format!("/statement?month={month}")).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(
        r.body.as_bytes(),
        whole.as_slice(),
        "only the hotel transacted: the same bytes"
    );
    assert!(
        r.body.contains("-25.00,0.00,621483******5673,refund"),
        "{}",
        r.body
    );
    assert!(
        !r.body.contains("500.00"),
        "a pre-authorisation is not on the statement"
    );
    // With another merchant's rows in the ledger, the hotel's statement is the export's lines
    // of its terminal, in the export's bytes.
    w.post("10580001", SHOP_NO, "5651", Transaction::Purchase, 700, 8);
    let whole = String::from_utf8(w.export(&month)).unwrap();
    let expected: String = whole
        .split_inclusive('\n')
        .enumerate()
        .filter(|(i, l)| *i == 0 || l.contains(",10589999,"))
        .map(|(_, l)| l)
        .collect();
    let r = hotel.get(&format!("/statement?month={month}")).await;
    assert_eq!(r.body, expected);
    let _ = s1;
    // A month that is not one.
    for bad in ["2026-13", "2026-1", "last month"] {
        let r = hotel
            .get(&format!("/statement?month={}", crate::harness::enc(bad)))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.body.contains("YYYY-MM"));
    }
    assert_eq!(hotel.get("/statement").await.status, StatusCode::OK);
}

both!(
    the_dashboard_sums_today_and_the_month,
    the_dashboard_sums_today_and_the_month_on_postgres,
    the_dashboard_sums_today_and_the_month_in,
    "dashboard"
);

async fn the_dashboard_sums_today_and_the_month_in(w: World) {
    let (mut hotel, _) = two_merchants(&w).await;
    w.post(
        "10589999",
        HOTEL_NO,
        "7011",
        Transaction::Purchase,
        10_000,
        1,
    );
    w.post(
        "10589999",
        HOTEL_NO,
        "7011",
        Transaction::Purchase,
        5_000,
        2,
    );
    w.post(
        "10589999",
        HOTEL_NO,
        "7011",
        Transaction::PurchaseVoid,
        5_000,
        3,
    );
    w.post(
        "10580001",
        SHOP_NO,
        "5651",
        Transaction::Purchase,
        99_900,
        4,
    );
    let r = hotel.get("/dashboard").await;
    assert_eq!(r.status, StatusCode::OK);
    // 100.00 + 50.00 - 50.00; fees 0.60 + 0.30 (a void returns none here).
    assert!(r.body.contains("¥100.00"), "{}", r.body);
    assert!(r.body.contains("3 transactions · fees ¥0.90"), "{}", r.body);
    assert!(
        r.body.contains("<svg") && r.body.contains("<rect"),
        "a server-drawn chart"
    );
    assert!(!r.body.contains("999.00"));
}

both!(
    records_filter_and_page,
    records_filter_and_page_on_postgres,
    records_filter_and_page_in,
    "records"
);

async fn records_filter_and_page_in(w: World) {
    let (mut hotel, _) = two_merchants(&w).await;
    for i in 0..55 {
        w.post(
            "10589999",
            HOTEL_NO,
            "7011",
            Transaction::Purchase,
            100 + i,
            1 + i64::try_from(i).unwrap(),
        );
    }
    w.post("10589999", HOTEL_NO, "7011", Transaction::Refund, 77, 70);
    let r = hotel.get("/records").await;
    assert!(
        r.body.contains("56 transactions") && r.body.contains("page 1 of 2"),
        "{}",
        r.body
    );
    assert_eq!(r.body.matches("<tr><td><a href=\"/records/").count(), 50);
    assert!(
        !r.body.contains("id=\"prev\""),
        "the newest page has no newer one"
    );
    // The next page's link carries the last row's key (time and sequence number), no offset.
    let next = link(&r.body, "next");
    assert!(next.contains("after=") && next.contains("page=2"), "{next}");
    let r = hotel.get(&next).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("page 2 of 2"), "{}", r.body);
    assert_eq!(r.body.matches("<tr><td><a href=\"/records/").count(), 6);
    // Newest first: 1.05 down to 1.00.
    let at = |x: &str| {
        r.body
            .find(&format!(">{x}</td>"))
            .unwrap_or_else(|| panic!("{x}: {}", r.body))
    };
    assert!(at("1.05") < at("1.04") && at("1.01") < at("1.00"));
    assert!(!r.body.contains(">1.06</td>"));
    assert!(
        !r.body.contains("id=\"next\""),
        "the oldest page has no older one"
    );
    // Back by the key of the first row seen, and straight to the oldest page.
    let page_2 = r.body.clone();
    let back = hotel.get(&link(&page_2, "prev")).await;
    assert!(back.body.contains("page 1 of 2"), "{}", back.body);
    assert_eq!(back.body.matches("<tr><td><a href=\"/records/").count(), 50);
    assert!(back.body.contains(">1.06</td>") && !back.body.contains(">1.05</td>"));
    let oldest = hotel.get(&link(&back.body, "last")).await;
    assert_eq!(
        oldest.body.matches("<tr><td><a href=\"/records/").count(),
        6,
        "{}",
        oldest.body
    );
    assert!(oldest.body.contains(">1.00</td>") && oldest.body.contains("page 2 of 2"));
    let r = hotel.get("/records?type=refund").await;
    assert!(
        r.body.contains("1 transactions") && r.body.contains("-0.77"),
        "{}",
        r.body
    );
    let r = hotel.get("/records?status=declined").await;
    assert!(r.body.contains("0 transactions"));
    let today = clock::date(&clock::at(clock::unix_now() + 1).unwrap());
    let r = hotel
        .get(&format!(
            "/records?from={today}&to={today}&terminal=10589999&status=approved"
        ))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    for (query, message) in [
        ("from=2026-02-30", "start date"),
        ("to=yesterday", "end date"),
        ("from=2026-11-02&to=2026-11-01", "after the end date"),
        ("type=casino", "type from the list"),
        ("status=lost", "status from the list"),
        ("page=0", "page number"),
        ("after=20261101-5", "page link is damaged"),
        ("after=20261101000000-x", "page link is damaged"),
        (
            "after=20261101000000-1&before=20261101000000-1",
            "page link is damaged",
        ),
        ("at=newest", "page link is damaged"),
    ] {
        let r = hotel.get(&format!("/records?{query}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{query}");
        assert!(r.body.contains(message), "{query}: {}", r.body);
    }
}

both!(
    alerts_explain_a_terminal_rotated_through_other_merchant_numbers,
    alerts_explain_a_terminal_rotated_through_other_merchant_numbers_on_postgres,
    alerts_explain_a_terminal_rotated_through_other_merchant_numbers_in,
    "alerts"
);

async fn alerts_explain_a_terminal_rotated_through_other_merchant_numbers_in(w: World) {
    let (mut hotel, mut shop) = two_merchants(&w).await;
    w.post(
        "10589999",
        HOTEL_NO,
        "7011",
        Transaction::Purchase,
        30_000,
        1,
    );
    w.post(
        "10589999",
        "898310054110001",
        "5411",
        Transaction::Purchase,
        45_000,
        2,
    );
    w.post("10580001", SHOP_NO, "5651", Transaction::Purchase, 700, 3);
    let r = hotel.get("/alerts").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(
        r.body.contains("Terminal 10589999: 1 transaction settled under merchant number 898310054110001, which is not yours"),
        "{}",
        r.body
    );
    assert!(r.body.contains("跳码"));
    assert!(
        r.body.contains("terminal-merchant-changed"),
        "the audit's finding: {}",
        r.body
    );
    assert!(r.body.contains("mcc-not-expected"), "{}", r.body);
    let r = shop.get("/alerts").await;
    assert!(r.body.contains("id=\"no-alerts\""), "{}", r.body);
    // Alerts are those of one month's statement: another month has none; a bad month is said.
    let r = hotel.get("/alerts?month=2020-01").await;
    assert!(r.body.contains("id=\"no-alerts\""), "{}", r.body);
    for bad in ["2020-13", "20-01", "soon"] {
        let r = hotel.get(&format!("/alerts?month={bad}")).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(r.body.contains("YYYY-MM"));
    }
    let mut op = crate::harness::operator(&w).await;
    let r = op.get("/operator/findings").await;
    assert!(
        r.body.contains("898310054110001") && r.body.contains("Shop of hotel@example.com"),
        "{}",
        r.body
    );
    assert_eq!(
        op.get("/operator/findings?month=13").await.status,
        StatusCode::BAD_REQUEST
    );
}

both!(
    reconciliation_reads_the_journal_against_the_statement,
    reconciliation_reads_the_journal_against_the_statement_on_postgres,
    reconciliation_reads_the_journal_against_the_statement_in,
    "reconcile"
);

async fn reconciliation_reads_the_journal_against_the_statement_in(w: World) {
    let (mut hotel, _) = two_merchants(&w).await;
    let seq = w.post(
        "10589999",
        HOTEL_NO,
        "7011",
        Transaction::Purchase,
        12_600,
        1,
    );
    let time = clock::at(clock::unix_now() + 1).unwrap();
    assert_eq!(hotel.get("/reconcile").await.status, StatusCode::OK);
    let journal = format!(
        "time,terminal_id,merchant_no,batch,stan,rrn,type,amount,fee\n\
         {time},10589999,{HOTEL_NO},1,{seq},{seq:012},purchase,126.01,0.76\n"
    );
    let r = hotel.post_file("/reconcile", "journal", &journal).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body.contains("1 transactions match"), "{}", r.body);
    assert!(r.body.contains("amount-mismatch"), "{}", r.body);
    let r = hotel
        .post_file("/reconcile", "journal", "not,a,journal\n1,2,3\n")
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("could not be read"), "{}", r.body);
    let r = hotel.post_file("/reconcile", "journal", "").await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    hotel.csrf = "stale".into();
    let r = hotel.post_file("/reconcile", "journal", &journal).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
}

both!(
    merchant_pages_need_a_signed_in_approved_merchant,
    merchant_pages_need_a_signed_in_approved_merchant_on_postgres,
    merchant_pages_need_a_signed_in_approved_merchant_in,
    "merchantauth"
);

async fn merchant_pages_need_a_signed_in_approved_merchant_in(w: World) {
    let mut anon = w.client();
    for path in [
        "/dashboard",
        "/records",
        "/records/1",
        "/statement",
        "/reconcile",
        "/alerts",
        "/terminals",
        "/application",
    ] {
        assert_eq!(
            anon.get(path).await.location.as_deref(),
            Some("/login"),
            "{path}"
        );
    }
    let mut op = crate::harness::operator(&w).await;
    assert_eq!(
        op.get("/dashboard").await.location.as_deref(),
        Some("/operator/applications")
    );
}

/// The `href` of the link with this `id` in a page, unescaped.
fn link(body: &str, id: &str) -> String {
    let at = body
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no link {id}: {body}"));
    let href = body[..at].rfind("href=\"").unwrap() + 6;
    let end = body[href..].find('"').unwrap();
    body[href..href + end]
        .replace("&amp;", "&")
        .replace("&#x2f;", "/")
}
