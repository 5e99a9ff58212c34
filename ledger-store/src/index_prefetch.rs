//! Reading sled's segment headers ahead of its open. sled's file is a run of segments (512 KiB,
//! its default, which the index keeps), each starting with a header, and sled reads every
//! header when it opens, a few at a time on its small thread pool: on a cold page cache a large
//! index waits on those reads a few at a time (59,000 of them at 100 M transfers). Many
//! threads reading the same pages at once keep the disk busy with them together, and sled then
//! finds most of them in the page cache. Nothing here is needed for correctness: every error is
//! ignored, and a file laid out otherwise only costs the reads.

use std::path::Path;

/// The size of sled's segments: its default, which the index keeps.
const SLED_SEGMENT_BYTES: u64 = 512 * 1024;
/// Threads that read headers together; the disk serves their reads at once.
const PREFETCH_THREADS: u64 = 16;
/// What each read asks for: a page, which holds the header.
const PAGE_BYTES: usize = 4096;
/// Below this many segments sled's own reads are few enough.
const PREFETCH_SEGMENTS_MIN: u64 = 1024;

/// Reads the first page of each segment of sled's file `db` into the page cache, from
/// [`PREFETCH_THREADS`] threads, while the caller opens sled. Returns how many pages were read.
#[cfg(unix)]
pub(crate) fn prefetch_segment_headers(db: &Path) -> u64 {
    use std::os::unix::fs::FileExt;
    let Ok(file) = std::fs::File::open(db) else {
        return 0;
    };
    let Ok(len) = file.metadata().map(|m| m.len()) else {
        return 0;
    };
    let segments = len.div_ceil(SLED_SEGMENT_BYTES);
    if segments < PREFETCH_SEGMENTS_MIN {
        return 0;
    }
    let file = &file;
    std::thread::scope(|s| {
        // As many readers as the system gives threads.
        let readers: Vec<_> = (0..PREFETCH_THREADS)
            .filter_map(|first| {
                let reader = std::thread::Builder::new().spawn_scoped(s, move || {
                    let mut page = [0u8; PAGE_BYTES];
                    let mut read = 0;
                    let mut segment = first;
                    while segment < segments {
                        if file
                            .read_at(&mut page, segment * SLED_SEGMENT_BYTES)
                            .is_ok()
                        {
                            read += 1;
                        }
                        segment += PREFETCH_THREADS;
                    }
                    read
                });
                reader.ok()
            })
            .collect();
        readers.into_iter().map(|r| r.join().unwrap_or(0)).sum()
    })
}

#[cfg(not(unix))]
pub(crate) fn prefetch_segment_headers(_db: &Path) -> u64 {
    0
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn every_segments_first_page_is_read_once_and_a_missing_or_small_file_costs_nothing() {
        let dir = std::env::temp_dir().join(format!("timebank-prefetch-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("db");
        assert_eq!(prefetch_segment_headers(&db), 0, "no file");
        // A sparse file of PREFETCH_SEGMENTS_MIN segments and a part of one more.
        let file = std::fs::File::create(&db).unwrap();
        file.set_len(PREFETCH_SEGMENTS_MIN * SLED_SEGMENT_BYTES + 100)
            .unwrap();
        assert_eq!(prefetch_segment_headers(&db), PREFETCH_SEGMENTS_MIN + 1);
        file.set_len((PREFETCH_SEGMENTS_MIN - 1) * SLED_SEGMENT_BYTES)
            .unwrap();
        assert_eq!(prefetch_segment_headers(&db), 0, "sled's own reads suffice");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
