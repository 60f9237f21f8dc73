//! knead's integration tests: one binary, a module per feature.
//!
//! Most tests build a small site in a temporary folder with [`support::Site`] and run the real
//! `knead` binary on it; tests that must fix the clock call the library with
//! `BuildOptions::now`. Content tests give the site its own tiny `templates/page.html`, or look
//! only at `<main>`, so that changes to the built-in theme do not break them.

mod support;

mod check;
mod cli;
mod config;
mod content;
mod drafts;
mod errors;
mod example_site;
mod images;
mod markdown;
mod new_init;
mod outputs;
mod reliability;
mod serve;
mod session;
mod urls;
mod writer;
