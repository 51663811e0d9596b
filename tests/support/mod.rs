//! Test support: a loopback fixture server, a temporary workspace running the real binary, fixture
//! builders, and the shingle metric used to score extraction.
#![allow(dead_code)]

pub mod external;
pub mod news_site;
pub mod pages;
pub mod postgres;
pub mod server;
pub mod shingles;
pub mod workspace;
