//! One writer per database: `once` and `run` hold an OS lock on `<database>.lock` for as long as they have the
//! database open, so a second writer refuses at once, naming the process that holds it, instead of both
//! failing polls with "database is locked" (issue 7). Readers (`check`, `status`) never take it.
//!
//! The lock is `flock`-style (`File::try_lock`): the kernel releases it when the holder exits, however it
//! exits, so a crash never leaves a stale lock behind; the file's text (pid and command line) is only there
//! to name the holder.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use super::StoreError;

/// Held while this process writes the database; dropping it releases the lock.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

/// The lock file beside the database at `database`.
pub fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_os_string();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the writer lock of `database`, or fails at once with [`StoreError::InUse`] naming the holder.
pub fn acquire(database: &Path) -> Result<WriterLock, StoreError> {
    let path = lock_path(database);
    let io_error = |source| StoreError::Lock {
        path: path.clone(),
        source,
    };
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(io_error)?;
    match file.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            let mut holder = String::new();
            // The holder's text is informative only; an unreadable one still means "in use".
            let _ = file.read_to_string(&mut holder);
            let holder = holder.split_whitespace().collect::<Vec<_>>().join(" ");
            return Err(StoreError::InUse {
                path: database.to_path_buf(),
                holder: if holder.is_empty() {
                    "another process".into()
                } else {
                    holder
                },
            });
        }
        Err(TryLockError::Error(source)) => return Err(io_error(source)),
    }
    let command: Vec<String> = std::env::args().collect();
    let written = file
        .set_len(0)
        .and_then(|()| file.rewind())
        .and_then(|()| writeln!(file, "pid {} ({})", std::process::id(), command.join(" ")));
    written.map_err(io_error)?;
    Ok(WriterLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_refused_with_the_holder_named_until_the_first_lets_go() {
        let dir = tempfile::tempdir().expect("tempdir");
        let database = dir.path().join("t.db");
        let first = acquire(&database).expect("first writer");
        let refused = acquire(&database).expect_err("second writer");
        let message = refused.to_string();
        assert!(
            message.contains(&format!("pid {}", std::process::id())),
            "{message}"
        );
        drop(first);
        assert!(acquire(&database).is_ok(), "released on drop");
    }
}
