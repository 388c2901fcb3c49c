//! What one durable flush costs on this disk, against the page-cache write-out it replaced.

use std::path::Path;
use std::time::Instant;

/// What one durable flush costs on this disk: 1.4 KiB appended to a file (about one stored
/// response) and flushed, a thousand times, with `sync_file_range` (the page cache written
/// out: what sled's flush does, and what a 201 once waited for) as the baseline against
/// `fdatasync` (the data and the file's size on stable storage: what a 201 waits for now).
pub fn run(dir: &Path, rounds: i64) {
    use std::io::Write;
    use std::os::fd::AsRawFd;
    let record = [b'x'; 1400];
    let run = |name: &str, sync: &dyn Fn(&std::fs::File, i64)| {
        let mut file = std::fs::File::create(dir.join(name)).expect("scratch file");
        let started = Instant::now();
        for i in 0..rounds {
            file.write_all(&record).expect("append");
            sync(&file, i * record.len() as i64);
        }
        started.elapsed().as_secs_f64() * 1e6 / rounds as f64
    };
    let range = run("range", &|file, offset| {
        let flags = libc::SYNC_FILE_RANGE_WAIT_BEFORE
            | libc::SYNC_FILE_RANGE_WRITE
            | libc::SYNC_FILE_RANGE_WAIT_AFTER;
        // SAFETY: the descriptor is open for the call's duration; the range is in the file.
        #[allow(unsafe_code)]
        let rc = unsafe { libc::sync_file_range(file.as_raw_fd(), offset, 1400, flags) };
        assert_eq!(rc, 0, "sync_file_range");
    });
    let data = run("data", &|file, _| file.sync_data().expect("fdatasync"));
    println!("one flush of a 1.4 KiB append, {rounds} times:");
    println!("  sync_file_range (baseline): {range:>8.1} µs");
    println!(
        "  fdatasync:                  {data:>8.1} µs  ({:.1}x the baseline)",
        data / range
    );
}
