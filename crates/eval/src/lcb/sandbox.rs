//! The sandbox that runs generated Python (docs/EVAL.md, "The LiveCodeBench sandbox").
//!
//! Threat model: the code is untrusted but not targeted at ossperf. It may loop forever, fork
//! without end, allocate without end, print without end, open sockets, or write anywhere it can.
//! It must not harm the host, other sandboxes or the scorer, and the scorer must always finish
//! with a verdict for it. Forging its own verdict (the runner shares its process) is out of
//! scope, as in the reference, which runs the code inside its own checker.
//!
//! As root, each run is a separate process that, between `fork` and `exec`:
//! - becomes the leader of its own process group and dies with the scorer (`PR_SET_PDEATHSIG`);
//! - enters new network and mount namespaces: no network (only a down loopback), and fresh
//!   size-limited tmpfs mounts over `/tmp`, `/var/tmp`, `/dev/shm` and `/run/lock` (the only
//!   world-writable places), its working directory an empty `/tmp/w` on that tmpfs;
//! - sets `RLIMIT_AS`, `RLIMIT_CPU`, `RLIMIT_FSIZE`, `RLIMIT_NOFILE`, `RLIMIT_NPROC` and
//!   `RLIMIT_CORE 0`;
//! - drops to an unprivileged uid of its own worker slot (`uid_base + slot`), so the process
//!   limit is enforced (root ignores it) and no file of another user is writable;
//! - sets `PR_SET_NO_NEW_PRIVS`, then runs `python3 -I` with an empty environment.
//!
//! On a wall-clock timeout the whole process group is killed; after every run all processes of
//! the slot's uid are killed too (a fork bomb can leave its group with `setsid`), so nothing
//! outlives the run. Without root, the run gets a new user and network namespace if the kernel
//! allows it and the same rlimits, but no uid change or private `/tmp`: [`Sandbox::strength`]
//! says which.
#![allow(unsafe_code)]

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// Limits and identity of sandboxed runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxConfig {
    /// The interpreter (an absolute path readable by the sandbox user).
    pub python: PathBuf,
    /// Address-space limit in bytes.
    pub memory_bytes: u64,
    /// Processes and threads per worker slot.
    pub max_processes: u64,
    /// Largest file the code may write, in bytes.
    pub max_file_bytes: u64,
    /// Open file descriptors.
    pub max_open_files: u64,
    /// Size of each private tmpfs, in bytes.
    pub tmpfs_bytes: u64,
    /// The first sandbox uid; worker slot `s` runs as `uid_base + s`.
    pub uid_base: u32,
    /// Most bytes kept from the runner's stdout; the rest is read and dropped.
    pub max_output_bytes: usize,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            python: default_python(),
            memory_bytes: 4 << 30,
            max_processes: 64,
            max_file_bytes: 64 << 20,
            max_open_files: 256,
            tmpfs_bytes: 128 << 20,
            uid_base: default_uid_base(),
            max_output_bytes: 1 << 20,
        }
    }
}

/// Sandbox uids per process: worker slots are numbered below this.
pub(crate) const SLOTS_PER_PROCESS: u32 = 4096;

/// The first sandbox uid of this process: `1_900_000_000 + (pid mod 100000) · 4096`, so two
/// scorers running at once never share (or sweep) each other's sandbox users.
pub(crate) fn default_uid_base() -> u32 {
    1_900_000_000 + (std::process::id() % 100_000) * SLOTS_PER_PROCESS
}

/// Reserves `n` consecutive worker slots no other pool of this process uses (until the
/// process has used [`SLOTS_PER_PROCESS`] of them), and returns the first.
pub(crate) fn reserve_slots(n: u32) -> u32 {
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let first = NEXT.fetch_add(n, std::sync::atomic::Ordering::Relaxed) % SLOTS_PER_PROCESS;
    if first + n > SLOTS_PER_PROCESS {
        0
    } else {
        first
    }
}

/// The system interpreter: [`resolve_python`] of `python3`.
pub fn default_python() -> PathBuf {
    resolve_python("python3")
}

/// The interpreter `--python` names: a value with a `/` is a path, used as given; a bare name
/// is looked for in `/usr/bin` and `/usr/local/bin` first, then on `PATH` (a version-manager
/// shim in root's home is neither fast nor readable by the sandbox user), and is returned
/// unchanged when found nowhere (the probe then says so).
pub fn resolve_python(name: &str) -> PathBuf {
    if name.contains('/') {
        return PathBuf::from(name);
    }
    let system = ["/usr/bin", "/usr/local/bin"].map(PathBuf::from);
    let path = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default();
    system
        .iter()
        .chain(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| PathBuf::from(name))
}

/// How strongly runs are isolated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Strength {
    /// Root: namespaces, private tmpfs, rlimits, an unprivileged uid per slot.
    Full,
    /// Not root: user and network namespaces and rlimits only.
    Reduced,
}

/// How a sandboxed run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exit {
    /// Exited with this code.
    Code(i32),
    /// Killed by this signal (`SIGXCPU` is the CPU limit).
    Signal(i32),
    /// Killed at the wall-clock limit.
    TimedOut,
}

/// The end of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunOutput {
    /// How it ended.
    pub exit: Exit,
    /// Stdout, at most `max_output_bytes`.
    pub stdout: Vec<u8>,
    /// Whether stdout was longer than kept.
    pub truncated: bool,
}

/// Runs untrusted Python with the limits of a [`SandboxConfig`].
#[derive(Debug, Clone)]
pub struct Sandbox {
    config: SandboxConfig,
    root: bool,
}

struct Prepared {
    tmpfs_dirs: Vec<CString>,
    tmpfs: CString,
    options: CString,
    workdir: CString,
}

impl Sandbox {
    /// A sandbox; whether it runs at full strength depends on running as root.
    pub fn new(config: SandboxConfig) -> Self {
        // SAFETY: geteuid has no preconditions.
        let root = unsafe { libc::geteuid() } == 0;
        Self { config, root }
    }

    /// The configuration.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// How strongly runs are isolated.
    pub fn strength(&self) -> Strength {
        if self.root {
            Strength::Full
        } else {
            Strength::Reduced
        }
    }

    /// Runs `python3 -I args…` in worker slot `slot`, feeding `stdin`, for at most `wall` of
    /// wall-clock time and `cpu_seconds` of CPU time.
    pub fn run(
        &self,
        slot: u32,
        args: &[&str],
        stdin: &[u8],
        wall: Duration,
        cpu_seconds: u64,
    ) -> std::io::Result<RunOutput> {
        let uid = self
            .config
            .uid_base
            .saturating_add(slot % SLOTS_PER_PROCESS);
        let mut cmd = Command::new(&self.config.python);
        cmd.arg("-I")
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", "/tmp/w")
            .env("OMP_NUM_THREADS", "1")
            .env("PYTHONDONTWRITEBYTECODE", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0);
        let host_dir = if self.root {
            None
        } else {
            let dir = tempfile::tempdir()?;
            cmd.current_dir(dir.path());
            Some(dir)
        };
        self.install_pre_exec(&mut cmd, uid, cpu_seconds)?;
        let mut child = cmd.spawn()?;
        let pid = child.id() as libc::pid_t;
        let input = stdin.to_vec();
        let mut child_stdin = child.stdin.take();
        let writer = std::thread::spawn(move || {
            if let Some(pipe) = child_stdin.as_mut() {
                // The code may exit without reading; a broken pipe is no error here.
                let _ = pipe.write_all(&input);
            }
        });
        let stdout = child.stdout.take();
        let cap = self.config.max_output_bytes;
        let reader = std::thread::spawn(move || read_capped(stdout, cap));
        let (tx, rx) = mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _ = tx.send(child.wait());
        });
        let status = match rx.recv_timeout(wall) {
            Ok(status) => Some(status?),
            Err(_) => None,
        };
        kill_group(pid);
        if self.root {
            sweep_uid(&self.config.python, uid);
        }
        let _ = waiter.join();
        let _ = writer.join();
        let (stdout, truncated) = reader.join().unwrap_or_default();
        drop(host_dir);
        let exit = match status {
            None => Exit::TimedOut,
            Some(s) => match (s.code(), s.signal()) {
                (Some(code), _) => Exit::Code(code),
                (None, Some(sig)) => Exit::Signal(sig),
                (None, None) => Exit::Code(-1),
            },
        };
        Ok(RunOutput {
            exit,
            stdout,
            truncated,
        })
    }

    fn install_pre_exec(&self, cmd: &mut Command, uid: u32, cpu: u64) -> std::io::Result<()> {
        let cstr = |s: &str| CString::new(s).map_err(std::io::Error::other);
        let prepared = Prepared {
            tmpfs_dirs: ["/tmp", "/var/tmp", "/dev/shm", "/run/lock"]
                .into_iter()
                .map(cstr)
                .collect::<Result<_, _>>()?,
            tmpfs: cstr("tmpfs")?,
            options: cstr(&format!("size={},mode=1777", self.config.tmpfs_bytes))?,
            workdir: cstr("/tmp/w")?,
        };
        let limits = [
            (
                libc::RLIMIT_AS,
                self.config.memory_bytes,
                self.config.memory_bytes,
            ),
            (libc::RLIMIT_CPU, cpu, cpu + 1),
            (
                libc::RLIMIT_FSIZE,
                self.config.max_file_bytes,
                self.config.max_file_bytes,
            ),
            (
                libc::RLIMIT_NOFILE,
                self.config.max_open_files,
                self.config.max_open_files,
            ),
            (
                libc::RLIMIT_NPROC,
                self.config.max_processes,
                self.config.max_processes,
            ),
            (libc::RLIMIT_CORE, 0, 0),
        ];
        let root = self.root;
        // SAFETY: the closure runs between fork and exec and only makes async-signal-safe
        // system calls on memory prepared before the fork; it allocates nothing.
        unsafe {
            cmd.pre_exec(move || {
                check(libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0))?;
                if root {
                    enter_namespaces(&prepared, uid)?;
                } else {
                    check(libc::unshare(libc::CLONE_NEWUSER | libc::CLONE_NEWNET))?;
                }
                for (resource, soft, hard) in limits {
                    let lim = libc::rlimit {
                        rlim_cur: soft,
                        rlim_max: hard,
                    };
                    check(libc::setrlimit(resource, &lim))?;
                }
                if root {
                    check(libc::setgroups(0, std::ptr::null()))?;
                    check(libc::setgid(uid))?;
                    check(libc::setuid(uid))?;
                }
                check(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))?;
                Ok(())
            });
        }
        Ok(())
    }
}

fn check(rc: libc::c_int) -> std::io::Result<()> {
    if rc == -1 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}

/// New network and mount namespaces with private tmpfs mounts; called between fork and exec.
unsafe fn enter_namespaces(p: &Prepared, uid: u32) -> std::io::Result<()> {
    check(libc::unshare(libc::CLONE_NEWNS | libc::CLONE_NEWNET))?;
    let root = c"/";
    check(libc::mount(
        std::ptr::null(),
        root.as_ptr(),
        std::ptr::null(),
        libc::MS_REC | libc::MS_PRIVATE,
        std::ptr::null(),
    ))?;
    for (i, dir) in p.tmpfs_dirs.iter().enumerate() {
        let rc = libc::mount(
            p.tmpfs.as_ptr(),
            dir.as_ptr(),
            p.tmpfs.as_ptr(),
            libc::MS_NOSUID | libc::MS_NODEV,
            p.options.as_ptr().cast(),
        );
        // `/tmp` must be covered; the others only where they exist.
        if rc == -1 && i == 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    check(libc::mkdir(p.workdir.as_ptr(), 0o700))?;
    check(libc::chown(p.workdir.as_ptr(), uid, uid))?;
    check(libc::chdir(p.workdir.as_ptr()))?;
    Ok(())
}

fn read_capped(pipe: Option<std::process::ChildStdout>, cap: usize) -> (Vec<u8>, bool) {
    let Some(mut pipe) = pipe else {
        return (Vec::new(), false);
    };
    let mut kept = Vec::new();
    let mut truncated = false;
    let mut buf = [0u8; 64 * 1024];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                let room = cap.saturating_sub(kept.len());
                kept.extend_from_slice(&buf[..n.min(room)]);
                truncated |= n > room;
            }
        }
    }
    (kept, truncated)
}

fn kill_group(pgid: libc::pid_t) {
    // SAFETY: killpg with a process group id we created; a group that is gone gives ESRCH.
    unsafe {
        libc::killpg(pgid, libc::SIGKILL);
    }
}

/// Kills every process of `uid`: a child becomes `uid` and sends SIGKILL to all it may signal.
fn sweep_uid(program: &Path, uid: u32) {
    let mut cmd = Command::new(program);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: only async-signal-safe calls between fork and exec; the child ends in `_exit`
    // and never runs `program`.
    unsafe {
        cmd.pre_exec(move || {
            if libc::setgid(uid) == 0 && libc::setuid(uid) == 0 {
                libc::kill(-1, libc::SIGKILL);
            }
            libc::_exit(0)
        });
    }
    if let Ok(mut child) = cmd.spawn() {
        let _ = child.wait();
    }
}

#[cfg(test)]
#[path = "sandbox_tests.rs"]
pub(crate) mod tests;
