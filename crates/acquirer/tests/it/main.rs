//! cardwire-acquirer's own tests: only what needs nothing outside the crate (the fixtures'
//! flows are cardwire-testkit's tests).

mod errors;
