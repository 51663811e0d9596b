pub mod charset;
pub mod config;
pub mod extract;
pub mod schedule;
