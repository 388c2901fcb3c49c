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

/// A file written under a temporary name beside its final one and renamed into place only
/// once it is whole and synced: the final name never shows a partial file, an earlier file of
/// that name stays as it was until the new one is on disk, and a write that fails (or is
/// dropped before `commit`) leaves nothing behind. The file is readable by its owner only.
pub struct Replacement {
    file: tempfile::NamedTempFile,
    target: std::path::PathBuf,
}

impl Replacement {
    pub fn begin(target: &Path) -> io::Result<Replacement> {
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let file = tempfile::Builder::new()
            .prefix(&format!(".{name}."))
            .suffix(".partial")
            .tempfile_in(parent(target))?;
        Ok(Replacement {
            file,
            target: target.to_path_buf(),
        })
    }

    pub fn file(&mut self) -> &mut File {
        self.file.as_file_mut()
    }

    /// fsync of the file, the rename, and an fsync of the directory holding both names.
    pub fn commit(self) -> io::Result<()> {
        self.file.as_file().sync_all()?;
        self.file.persist(&self.target).map_err(|e| e.error)?;
        sync_dir(parent(&self.target))
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

    #[test]
    fn a_replacement_shows_under_its_name_only_once_committed() {
        use std::io::Write;
        let root = tempfile::tempdir().unwrap();
        let target = root.path().join("backup.gz");
        std::fs::write(&target, b"old").unwrap();
        let mut replacement = Replacement::begin(&target).unwrap();
        replacement.file().write_all(b"new").unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"old");
        replacement.commit().unwrap();
        assert_eq!(std::fs::read(&target).unwrap(), b"new");

        let mut dropped = Replacement::begin(&target).unwrap();
        dropped.file().write_all(b"half").unwrap();
        drop(dropped);
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        let names: Vec<_> = std::fs::read_dir(root.path()).unwrap().collect();
        assert_eq!(names.len(), 1, "no temporary file is left: {names:?}");
    }
}
