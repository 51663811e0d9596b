pub mod canonical_url;
pub mod charset;
pub mod config;
pub mod extract;
pub mod feed_parse;
pub mod fetch;
pub mod host_limits;
pub mod schedule;
