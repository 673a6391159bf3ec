//! An output folder's lock: while one soo process writes a run folder, a second one on the same
//! folder stops at once instead of interleaving its files with the first's.
//!
//! The lock is a file (`DIR/.soo.lock`) created with `create_new` and holding the owner's pid.
//! It goes away when the [`DirLock`] is dropped (normal exit and errors alike); a lock left by a
//! process that no longer runs (killed, crashed) is taken over with a note.

use std::io::Write;
use std::path::{Path, PathBuf};

use super::error::{Error, Result};
use super::files::io_error;

/// The lock file's name inside a locked folder.
pub const LOCK_FILE: &str = ".soo.lock";

/// A held lock on an output folder; dropping it releases the folder.
#[derive(Debug)]
pub struct DirLock {
    file: PathBuf,
    /// Folders this lock created (deepest first), removed again on release if still empty: a
    /// run that fails on its inputs leaves no trace.
    created: Vec<PathBuf>,
}

impl DirLock {
    /// Locks `dir` (created if missing) for this process, or says which process holds it.
    pub fn acquire(dir: &Path) -> Result<DirLock> {
        let created: Vec<PathBuf> = dir
            .ancestors()
            .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
            .map(Path::to_path_buf)
            .collect();
        std::fs::create_dir_all(dir).map_err(|e| io_error(dir, e))?;
        let lock = DirLock {
            file: dir.join(LOCK_FILE),
            created,
        };
        // Twice at most: once more after clearing a stale lock.
        for _ in 0..2 {
            match std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&lock.file)
            {
                Ok(mut file) => {
                    return file
                        .write_all(std::process::id().to_string().as_bytes())
                        .map(|_| lock)
                        .map_err(|e| io_error(dir, e));
                }
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    let holder = holder(&lock.file);
                    match holder {
                        Some(pid) if running(pid) => {
                            return Err(Error::Format {
                                file: dir.display().to_string(),
                                problem: format!(
                                    "in use by another soo run (pid {pid}); wait for it to \
                                     end, or give another output folder (if no soo runs, \
                                     delete {})",
                                    lock.file.display()
                                ),
                            });
                        }
                        _ => {
                            let who = holder.map_or("an unreadable pid".into(), |p| {
                                format!("pid {p}, no longer running")
                            });
                            eprintln!(
                                "note: {}: taking over the lock of an interrupted run ({who})",
                                dir.display()
                            );
                            match std::fs::remove_file(&lock.file) {
                                Ok(()) => {}
                                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                                Err(e) => return Err(io_error(&lock.file, e)),
                            }
                        }
                    }
                }
                Err(e) => return Err(io_error(&lock.file, e)),
            }
        }
        Err(Error::Format {
            file: dir.display().to_string(),
            problem: "another soo run took the folder's lock at the same moment".into(),
        })
    }
}

impl Drop for DirLock {
    fn drop(&mut self) {
        // Only our own lock: a folder taken over meanwhile is not ours to release.
        if holder(&self.file) == Some(std::process::id()) {
            let _ = std::fs::remove_file(&self.file);
        }
        for dir in &self.created {
            // Fails, as it should, on a folder that holds anything.
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// The pid a lock file holds. A lock file another process created but has not yet written is
/// read again after a moment, so that it is not mistaken for a stale one.
fn holder(file: &Path) -> Option<u32> {
    for wait in [0, 50, 200] {
        std::thread::sleep(std::time::Duration::from_millis(wait));
        if let Some(pid) = std::fs::read_to_string(file)
            .ok()
            .and_then(|text| text.trim().parse().ok())
        {
            return Some(pid);
        }
    }
    None
}

/// Whether process `pid` still runs. Linux answers through `/proc` (a zombie, killed and not
/// yet reaped, counts as ended); elsewhere the lock is assumed live.
fn running(pid: u32) -> bool {
    if !Path::new("/proc/self").exists() {
        return true;
    }
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // `pid (name) S ...`: the state follows the last parenthesis.
        Ok(stat) => stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.trim_start().chars().next())
            .is_none_or(|state| !matches!(state, 'Z' | 'X')),
        Err(_) => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("soo-lock-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn a_held_folder_is_refused_and_released_on_drop() {
        let dir = temp("held");
        let lock = DirLock::acquire(&dir).unwrap();
        let err = DirLock::acquire(&dir).unwrap_err().to_string();
        let pid = std::process::id();
        assert!(
            err.contains(&format!("in use by another soo run (pid {pid})")),
            "{err}"
        );
        std::fs::write(dir.join("kept"), b"x").unwrap();
        drop(lock);
        assert!(!dir.join(LOCK_FILE).exists());
        assert!(dir.join("kept").exists(), "a folder with files stays");
        DirLock::acquire(&dir).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_stale_lock_is_taken_over_and_an_unused_new_folder_removed() {
        let dir = temp("stale").join("deeper");
        std::fs::create_dir_all(&dir).unwrap();
        // No process has pid u32::MAX (Linux caps pids at 2^22).
        std::fs::write(dir.join(LOCK_FILE), u32::MAX.to_string()).unwrap();
        drop(DirLock::acquire(&dir).unwrap());
        assert!(dir.exists() && !dir.join(LOCK_FILE).exists());

        let fresh = temp("fresh").join("a").join("b");
        drop(DirLock::acquire(&fresh).unwrap());
        assert!(
            !fresh.parent().unwrap().parent().unwrap().exists(),
            "the folders a failed run created are gone"
        );
        let _ = std::fs::remove_dir_all(temp("stale"));
    }
}
