//! The browser flow (filled in below).
