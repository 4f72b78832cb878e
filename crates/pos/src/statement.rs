//! Statement.
