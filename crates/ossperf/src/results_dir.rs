//! Result directories that never overwrite a result.
//!
//! A command that runs tests of its own (`compliance`'s audit run today; a submission run or a
//! sweep later) takes each test's directory from [`claim`]: a new directory, never one that
//! holds an earlier result. The directory is made with `create_dir`, which fails when the name
//! exists, so two processes claiming at once never share one. [`check_writable`] finds an output
//! that cannot be written before the first query is sent, not after the run.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};

/// How many numbered names [`claim`] tries before giving up (a runaway script, not a user).
const MAX_SUFFIX: u32 = 10_000;

/// Creates and returns a new, empty directory `parent/name`, or `parent/name-2`, `name-3`, …
/// when that name is taken (by a directory, a file or anything else).
pub(crate) fn claim(parent: &Path, name: &str) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(parent)
        .with_context(|| format!("cannot create the directory `{}`", parent.display()))?;
    for n in 1..=MAX_SUFFIX {
        let dir = match n {
            1 => parent.join(name),
            n => parent.join(format!("{name}-{n}")),
        };
        match std::fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(err) if err.kind() == ErrorKind::AlreadyExists => continue,
            Err(err) => {
                return Err(err)
                    .with_context(|| format!("cannot create the directory `{}`", dir.display()))
            }
        }
    }
    bail!(
        "`{}` already holds `{name}` to `{name}-{MAX_SUFFIX}`; choose another output directory",
        parent.display()
    )
}

/// Checks, creating nothing, that each of `files` can be written in `dir`: the name is free or
/// a regular file, and a file can be created in `dir`, or, when `dir` does not exist yet, in
/// the nearest directory above it (where it will be created).
pub(crate) fn check_writable(dir: &Path, files: &[&str]) -> anyhow::Result<()> {
    for name in files {
        let path = dir.join(name);
        if let Ok(meta) = std::fs::symlink_metadata(&path) {
            if !meta.is_file() {
                bail!(
                    "cannot write `{}`: it exists and is not a file; move it away or choose another --output-dir",
                    path.display()
                );
            }
        }
    }
    let existing = dir
        .ancestors()
        .find(|d| d.as_os_str().is_empty() || d.exists())
        .unwrap_or(dir);
    let existing = if existing.as_os_str().is_empty() {
        Path::new(".")
    } else {
        existing
    };
    if !existing.is_dir() {
        bail!(
            "cannot create the output directory `{}`: `{}` is not a directory",
            dir.display(),
            existing.display()
        );
    }
    let probe = existing.join(format!(".ossperf-write-check-{}", std::process::id()));
    std::fs::File::create(&probe).with_context(|| {
        format!(
            "cannot write in the output directory `{}`; choose another --output-dir",
            existing.display()
        )
    })?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claimed_name_is_never_handed_out_twice() {
        let dir = tempfile::tempdir().unwrap();
        let first = claim(dir.path(), "TEST09").unwrap();
        std::fs::write(dir.path().join("TEST09-2"), "a file").unwrap();
        let second = claim(dir.path(), "TEST09").unwrap();
        assert_eq!(first, dir.path().join("TEST09"));
        assert_eq!(second, dir.path().join("TEST09-3"));
    }

    #[test]
    fn a_directory_where_an_output_file_goes_is_found_before_the_run() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("results.json")).unwrap();
        let err = check_writable(dir.path(), &["report.html", "results.json"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            format!(
                "cannot write `{}`: it exists and is not a file; move it away or choose another --output-dir",
                dir.path().join("results.json").display()
            )
        );
        check_writable(dir.path(), &["report.html"]).unwrap();
        let fresh = dir.path().join("out/offline/performance");
        check_writable(&fresh, &["report.html"]).unwrap();
        let left: Vec<_> = std::fs::read_dir(dir.path()).unwrap().collect();
        assert_eq!(left.len(), 1, "nothing created, no probe left: {left:?}");
    }
}
