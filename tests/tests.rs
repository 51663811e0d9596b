//! The integration test binary: one module per area, sharing the loopback server and workspace support.

mod cli;
mod daemon;
mod extraction;
mod hostile;
mod pipeline;
mod support;
