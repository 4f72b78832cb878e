//! The cryptography commands of `cardwire`, one test binary: outputs on published vectors
//! and oracle-checked ones (spec-vectors/), verdicts and exit status 1, exit status 2 and a
//! one-line error on bad input.

mod basics;
mod emv;
mod sm;
mod toolbox;
mod vectors;
