//! The admin's output commands: `forget URL` (lift a tombstone and write the article again) and `rebuild`
//! (re-render every stored article after a preset or `filename` change, without refetching).

use tidings::config::Config;
use tidings::pipeline::Publisher;
use tidings::store;
use url::Url;

use crate::cli::{EXIT_FEED_FAILED, EXIT_OK};

/// `tidings forget URL`.
pub fn forget(config: &Config, url: &Url) -> anyhow::Result<u8> {
    let store = store::open(&config.settings.database, &config.settings.instance)?;
    let publisher = Publisher::new(&store, &config.settings)?;
    match publisher.forget(url) {
        Ok(Some(path)) => println!("{url}: written again to {}", path.display()),
        Ok(None) => println!("{url}: its file is already in place"),
        Err(error) => {
            eprintln!("{error}");
            return Ok(EXIT_FEED_FAILED);
        }
    }
    Ok(EXIT_OK)
}

/// `tidings rebuild`.
pub fn rebuild(config: &Config) -> anyhow::Result<u8> {
    let store = store::open(&config.settings.database, &config.settings.instance)?;
    let publisher = Publisher::new(&store, &config.settings)?;
    let done = publisher.rebuild()?;
    for (from, to) in &done.moved {
        println!("moved {} -> {}", from.display(), to.display());
    }
    println!(
        "{} rewritten, {} moved, {} written, {} tombstones left alone (preset {})",
        done.rewritten,
        done.moved.len(),
        done.written,
        done.tombstones,
        config.settings.preset
    );
    Ok(EXIT_OK)
}
