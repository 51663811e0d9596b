//! Files on disk: atomic writes and removals under `output_dir`, never outside it.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::OutputError;
use super::file_name::is_safe_relative;

/// Prefix of temporary files; a leading dot keeps site builders from picking them up.
const TEMP_PREFIX: &str = ".tidings-";
const TEMP_SUFFIX: &str = ".tmp";
/// How deep the stale-temp-file sweep looks (`{feed}/{year}/{month}/{slug}/index.md` is five).
const MAX_SWEEP_DEPTH: usize = 8;

/// `output_dir` joined with the relative `name`, after checking that the result stays inside `output_dir`:
/// the name is made of safe segments, and no folder on the way is a link leading elsewhere.
pub fn resolve(output_dir: &Path, name: &str) -> Result<PathBuf, OutputError> {
    let outside = || OutputError::Outside {
        path: output_dir.join(name),
    };
    if !is_safe_relative(name) {
        return Err(outside());
    }
    let target = output_dir.join(name);
    // The deepest folder on the way that exists already decides where the rest would be created.
    let existing = target
        .ancestors()
        .skip(1)
        .find_map(|folder| folder.canonicalize().ok());
    if let (Some(existing), Ok(root)) = (existing, output_dir.canonicalize())
        && !existing.starts_with(&root)
    {
        return Err(outside());
    }
    Ok(target)
}

/// Writes `contents` to `output_dir/name` so that readers see the old file or the new one, never a part: a
/// temporary file in the same folder, flushed to disk, renamed over the target, and the folder synced.
/// Folders on the way are created.
pub fn write_atomically(output_dir: &Path, name: &str, contents: &[u8]) -> Result<PathBuf, OutputError> {
    let io_error = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OutputError::Io { path, source }
    };
    std::fs::create_dir_all(output_dir).map_err(io_error(output_dir))?;
    let target = resolve(output_dir, name)?;
    let dir = target.parent().unwrap_or(output_dir).to_path_buf();
    std::fs::create_dir_all(&dir).map_err(io_error(&dir))?;
    let temp = dir.join(format!(
        "{TEMP_PREFIX}{}-{}{TEMP_SUFFIX}",
        std::process::id(),
        rand::random::<u64>()
    ));
    let written = (|| {
        let mut file = std::fs::File::create(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::rename(&temp, &target)?;
        // Make the rename itself durable (POSIX: a directory entry is data of the directory).
        std::fs::File::open(&dir)?.sync_all()
    })();
    if let Err(source) = written {
        let _ = std::fs::remove_file(&temp);
        return Err(io_error(&target)(source));
    }
    Ok(target)
}

/// Removes `output_dir/name` and then the folders it leaves empty (a page bundle's), up to `output_dir`.
/// A file already gone is not an error.
pub fn remove_written(output_dir: &Path, name: &str) -> Result<(), OutputError> {
    let target = resolve(output_dir, name)?;
    match std::fs::remove_file(&target) {
        Ok(()) => {}
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
        Err(source) => return Err(OutputError::Io { path: target, source }),
    }
    let mut folder = target.parent();
    while let Some(dir) = folder.filter(|dir| *dir != output_dir && dir.starts_with(output_dir)) {
        // `remove_dir` only succeeds on an empty folder, which is exactly the condition wanted.
        if std::fs::remove_dir(dir).is_err() {
            break;
        }
        folder = dir.parent();
    }
    Ok(())
}

/// Removes temporary files left by a process that was killed mid-write, in `dir` and its sub-folders (links
/// not followed); returns how many.
pub fn remove_stale_temp_files(dir: &Path) -> usize {
    sweep(dir, MAX_SWEEP_DEPTH)
}

fn sweep(dir: &Path, depth: usize) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for entry in entries.filter_map(Result::ok) {
        let Ok(kind) = entry.file_type() else { continue };
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if kind.is_dir() && depth > 0 {
            removed += sweep(&entry.path(), depth - 1);
        } else if kind.is_file()
            && name.starts_with(TEMP_PREFIX)
            && name.ends_with(TEMP_SUFFIX)
            && std::fs::remove_file(entry.path()).is_ok()
        {
            removed += 1;
        }
    }
    removed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn atomic_write_leaves_no_temp_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = write_atomically(dir.path(), "a.md", b"one").expect("write");
        write_atomically(dir.path(), "a.md", b"two").expect("overwrite");
        assert_eq!(std::fs::read_to_string(path).expect("read"), "two");
        assert_eq!(std::fs::read_dir(dir.path()).expect("list").count(), 1);
        std::fs::create_dir(dir.path().join("sub")).expect("sub");
        std::fs::write(dir.path().join(".tidings-1-2.tmp"), "partial").expect("stale");
        std::fs::write(dir.path().join("sub/.tidings-1-3.tmp"), "partial").expect("stale");
        assert_eq!(remove_stale_temp_files(dir.path()), 2);
    }

    #[test]
    fn sub_folders_are_made_and_emptied_folders_removed() {
        let dir = tempfile::tempdir().expect("tempdir");
        write_atomically(dir.path(), "feed/slug/index.md", b"x").expect("write");
        write_atomically(dir.path(), "feed/other.md", b"y").expect("write");
        remove_written(dir.path(), "feed/slug/index.md").expect("remove");
        assert!(!dir.path().join("feed/slug").exists());
        assert!(dir.path().join("feed/other.md").exists());
        remove_written(dir.path(), "feed/slug/index.md").expect("already gone");
    }

    #[test]
    fn names_and_links_leading_outside_are_refused() {
        let root = tempfile::tempdir().expect("tempdir");
        let outside = tempfile::tempdir().expect("outside");
        for name in ["../x.md", "/etc/x.md", "a/../../x.md", "a//b.md", ""] {
            assert!(
                matches!(
                    write_atomically(root.path(), name, b"x"),
                    Err(OutputError::Outside { .. })
                ),
                "{name:?}"
            );
        }
        std::os::unix::fs::symlink(outside.path(), root.path().join("link")).expect("symlink");
        for name in ["link/x.md", "link/deeper/x.md"] {
            assert!(
                matches!(
                    write_atomically(root.path(), name, b"x"),
                    Err(OutputError::Outside { .. })
                ),
                "{name}"
            );
        }
        assert_eq!(std::fs::read_dir(outside.path()).expect("list").count(), 0);
    }
}
