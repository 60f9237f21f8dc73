//! The promises of `docs/reliability.md`, each proven here (or in the module named there):
//!
//! 1. a failed or interrupted build changes nothing ([`failed_build`], [`interrupt`]);
//! 2. nothing is written, read or deleted outside the site and the output folder ([`outside`]);
//! 3. hostile names never become paths out of the output folder ([`names`]);
//! 4. every value is escaped for where it lands ([`escaping`]);
//! 5. a catalogue of bad input, each with its exact message ([`catalogue`]);
//! 6. properties checked on random input ([`properties`]; the fuzzers are in `fuzz/`);
//! 7. pathological Markdown renders in linear time (`tests/pathological.rs`, a test program of
//!    its own so that it never runs beside the photo tests, whose work on both cores slows large
//!    inputs more than small ones);
//! 8. the preview server leaks nothing and keeps serving ([`serve`]).

mod catalogue;
mod escaping;
mod failed_build;
mod interrupt;
mod names;
mod outside;
mod properties;
mod serve;
