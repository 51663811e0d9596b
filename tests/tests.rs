//! The integration test binary: one module per area, sharing the loopback server and workspace support.

mod builders;
mod cli;
mod daemon;
mod extraction;
mod feeds;
mod gray_matter;
mod hostile;
mod hostile_pages;
mod instances;
mod ops_add;
mod ops_articles;
mod ops_cli;
mod ops_dead;
mod ops_filters;
mod ops_logs;
mod ops_opml;
mod ops_serve;
mod ops_status;
mod output;
mod output_files;
mod output_hooks;
mod output_updates;
mod pipeline;
mod site_rules;
mod store;
mod support;
