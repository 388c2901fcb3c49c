//! Directories that survive a power cut. A directory's name is an entry in its parent, so a
//! directory made on first start is on disk only once its parent has been fsynced: without
//! that, a power cut can take the new directory and everything in it, however often the
//! files inside were synced.

use std::fs::File;
use std::io;
use std::path::Path;

/// `create_dir_all`, then an fsync of the parent of each directory it made, nearest the root
/// first, so every new directory's name is on disk before anything written in it is
/// acknowledged.
pub fn create_dir_all(dir: &Path) -> io::Result<()> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(path) = at {
        if path.as_os_str().is_empty() || path.exists() {
            break;
        }
        missing.push(path);
        at = path.parent();
    }
    std::fs::create_dir_all(dir)?;
    for made in missing.iter().rev() {
        sync_dir(parent(made))?;
    }
    Ok(())
}

/// fsync of a directory: the names created, renamed or removed in it are on disk.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The directory holding `path`'s entry (`.` for a bare name).
pub fn parent(path: &Path) -> &Path {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn makes_every_missing_level_and_accepts_one_that_exists() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("a/b/c");
        create_dir_all(&deep).unwrap();
        assert!(deep.is_dir());
        create_dir_all(&deep).unwrap();
        assert_eq!(parent(Path::new("db")), Path::new("."));
        assert_eq!(parent(&deep), root.path().join("a/b"));
    }
}
