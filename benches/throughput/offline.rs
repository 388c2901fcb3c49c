//! What the offline command costs on a filled store: `fieldnotes export` in every format
//! (the real binary: rows per second and peak memory) against the csv crate writing the same
//! rows from memory, whether the export changed any file of the store or synced anything,
//! and the store's bytes on disk.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime};

/// The formats `fieldnotes export --format` writes.
pub const FORMATS: [&str; 4] = ["csv", "jsonl", "xlsx", "sav"];

pub struct Export {
    pub elapsed: Duration,
    pub peak_kib: u64,
    pub bytes: u64,
    pub out: PathBuf,
}

fn export_command(data: &Path, form: &str, format: &str, out: &Path) -> Command {
    let forms = Path::new(env!("CARGO_MANIFEST_DIR")).join("forms");
    let mut command = Command::new(env!("CARGO_BIN_EXE_fieldnotes"));
    command
        .args(["export", form, "--format", format, "--out"])
        .arg(out)
        .arg("--data")
        .arg(data)
        .arg("--forms")
        .arg(forms);
    command
}

/// Runs `fieldnotes export` and samples its peak resident memory (VmHWM) until it exits.
pub fn export(data: &Path, form: &str, format: &str) -> Export {
    let out = data.join(format!("export.{format}"));
    let started = Instant::now();
    let mut child = export_command(data, form, format, &out)
        .spawn()
        .expect("export runs");
    let mut peak_kib = 0;
    loop {
        peak_kib = peak_kib.max(crate::server::status_kib(child.id(), "VmHWM:"));
        if let Some(status) = child.try_wait().expect("wait") {
            assert!(status.success(), "export failed");
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let elapsed = started.elapsed();
    let bytes = std::fs::metadata(&out).map(|m| m.len()).unwrap_or(0);
    Export {
        elapsed,
        peak_kib,
        bytes,
        out,
    }
}

/// The baseline of the export: the rows of the CSV it wrote, read into memory first, then
/// written again by the csv crate alone into a file beside it. What no export can beat.
pub fn csv_alone(exported: &Path) -> (Duration, usize) {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_path(exported)
        .expect("the exported CSV");
    let records: Vec<csv::ByteRecord> = reader
        .byte_records()
        .collect::<Result<_, _>>()
        .expect("its rows");
    let out = exported.with_extension("baseline.csv");
    let started = Instant::now();
    let file = std::fs::File::create(&out).expect("the baseline's file");
    let mut writer = csv::Writer::from_writer(file);
    for record in &records {
        writer.write_byte_record(record).expect("a row");
    }
    writer.flush().expect("flushed");
    drop(writer);
    let elapsed = started.elapsed();
    let _ = std::fs::remove_file(&out);
    (elapsed, records.len().saturating_sub(1))
}

/// Every file under `dir` with its length and modification time.
pub fn snapshot(dir: &Path) -> Vec<(PathBuf, u64, SystemTime)> {
    let mut files = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("readable").flatten() {
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                files.push((entry.path(), meta.len(), meta.modified().expect("mtime")));
            }
        }
    }
    files.sort();
    files
}

/// How many files differ between two snapshots (changed, added or gone).
pub fn changed(
    before: &[(PathBuf, u64, SystemTime)],
    after: &[(PathBuf, u64, SystemTime)],
) -> usize {
    let differs = before.iter().filter(|f| !after.contains(f)).count();
    let added = after
        .iter()
        .filter(|f| !before.iter().any(|b| b.0 == f.0))
        .count();
    differs + added
}

/// Bytes the files under `dir` take on disk (allocated blocks, not lengths).
pub fn disk_bytes(dir: &Path) -> u64 {
    use std::os::unix::fs::MetadataExt;
    let mut total = 0;
    let mut pending = vec![dir.to_path_buf()];
    while let Some(next) = pending.pop() {
        for entry in std::fs::read_dir(&next).expect("readable").flatten() {
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                pending.push(entry.path());
            } else {
                total += meta.blocks() * 512;
            }
        }
    }
    total
}

/// The sync calls (fsync, fdatasync, sync_file_range, msync) an offline CSV export makes,
/// counted with strace; `None` where strace is not installed.
pub fn syncs_of_export(data: &Path, form: &str) -> Option<usize> {
    let present = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !present {
        return None;
    }
    let log = data.join("export.strace");
    let out = data.join("export.strace.csv");
    let export = export_command(data, form, "csv", &out);
    let status = Command::new("strace")
        .args([
            "-f",
            "-qq",
            "-e",
            "trace=fsync,fdatasync,sync_file_range,msync",
            "-o",
        ])
        .arg(&log)
        .arg(export.get_program())
        .args(export.get_args())
        .status()
        .expect("strace runs");
    assert!(status.success(), "export under strace failed");
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_file(&out);
    Some(
        text.lines()
            .filter(|l| {
                ["fsync(", "fdatasync(", "sync_file_range(", "msync("]
                    .iter()
                    .any(|c| l.contains(c))
            })
            .count(),
    )
}
