//! Hostile programs, each contained. These need python3 and root (for the uid drop and the
//! namespaces); without them each test prints why and returns early.

use std::time::Duration;

use super::*;

/// A full-strength sandbox whose uids no other test uses (tests run in parallel, and each run
/// sweeps its uid), or `None` with the reason printed.
pub(crate) fn sandbox_or_skip(test: &str) -> Option<Sandbox> {
    let config = SandboxConfig {
        memory_bytes: 512 << 20,
        max_output_bytes: 4096,
        uid_base: default_uid_base() + reserve_slots(16),
        ..SandboxConfig::default()
    };
    if !config.python.is_file() {
        println!(
            "{test}: skipped, python3 not found at `{}`",
            config.python.display()
        );
        return None;
    }
    let sandbox = Sandbox::new(config);
    if sandbox.strength() != Strength::Full {
        println!("{test}: skipped, the full sandbox needs root");
        return None;
    }
    Some(sandbox)
}

fn run(sandbox: &Sandbox, slot: u32, code: &str, wall_secs: u64) -> RunOutput {
    sandbox
        .run(
            slot,
            &["-c", code],
            b"",
            Duration::from_secs(wall_secs),
            wall_secs,
        )
        .unwrap()
}

/// Live (not zombie) processes of `uid`, after giving SIGKILL a moment to land.
fn processes_of(uid: u32) -> usize {
    for _ in 0..20 {
        if live_processes_of(uid) == 0 {
            return 0;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    live_processes_of(uid)
}

fn live_processes_of(uid: u32) -> usize {
    let mut n = 0;
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let status = entry.path().join("status");
        if let Ok(text) = std::fs::read_to_string(status) {
            let line = text.lines().find(|l| l.starts_with("Uid:")).unwrap_or("");
            let zombie = text
                .lines()
                .any(|l| l.starts_with("State:") && l.contains('Z'));
            if !zombie && line.split_whitespace().nth(1) == Some(&uid.to_string()) {
                n += 1;
            }
        }
    }
    n
}

#[test]
fn a_well_behaved_program_runs_as_an_unprivileged_user_in_an_empty_directory() {
    let Some(sb) = sandbox_or_skip("well_behaved") else {
        return;
    };
    let out = run(
        &sb,
        0,
        "import os; print(os.getuid(), os.getcwd(), os.listdir('.'))",
        10,
    );
    assert_eq!(out.exit, Exit::Code(0));
    let expected = format!("{} /tmp/w []\n", sb.config().uid_base);
    assert_eq!(String::from_utf8_lossy(&out.stdout), expected);
}

#[test]
fn an_infinite_loop_is_stopped_by_the_cpu_limit() {
    let Some(sb) = sandbox_or_skip("infinite_loop") else {
        return;
    };
    let out = sb
        .run(
            1,
            &["-c", "while True: pass"],
            b"",
            // The wall limit is only a backstop: on a loaded machine one CPU second can take
            // longer than ten wall seconds, and the CPU limit must still be what stops it.
            Duration::from_secs(300),
            1,
        )
        .unwrap();
    assert_eq!(out.exit, Exit::Signal(libc::SIGXCPU));
}

#[test]
fn a_sleeping_program_is_killed_at_the_wall_clock_limit() {
    let Some(sb) = sandbox_or_skip("sleep") else {
        return;
    };
    let out = run(&sb, 2, "import time; time.sleep(100)", 1);
    assert_eq!(out.exit, Exit::TimedOut);
}

#[test]
fn a_fork_bomb_hits_the_process_limit_and_leaves_no_process_behind() {
    let Some(sb) = sandbox_or_skip("fork_bomb") else {
        return;
    };
    let code = "import os\nn = 0\nwhile True:\n    try:\n        os.fork(); os.setsid()\n    except OSError:\n        n += 1\n";
    let out = run(&sb, 3, code, 2);
    assert_eq!(out.exit, Exit::TimedOut);
    assert_eq!(processes_of(sb.config().uid_base + 3), 0);
}

#[test]
fn a_memory_bomb_gets_a_memory_error() {
    let Some(sb) = sandbox_or_skip("memory_bomb") else {
        return;
    };
    let code = "a = []\ntry:\n    while True: a.append(bytearray(10**7))\nexcept MemoryError:\n    a.clear(); print('MemoryError')\n";
    let out = run(&sb, 4, code, 120);
    assert_eq!(out.exit, Exit::Code(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "MemoryError\n");
}

#[test]
fn a_network_connection_is_refused_even_to_the_hosts_loopback() {
    let Some(sb) = sandbox_or_skip("network") else {
        return;
    };
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let code = format!(
        "import socket\nfor host in ['127.0.0.1', '127.0.0.2']:\n    try:\n        socket.create_connection((host, {port}), timeout=2); print('connected')\n    except OSError as e:\n        print(e.errno)\n"
    );
    let out = run(&sb, 5, &code, 120);
    assert_eq!(out.exit, Exit::Code(0));
    // 101 is ENETUNREACH: the private network namespace has no usable interface, so even the
    // host's loopback (where a listener waits) is out of reach. Tests never aim off loopback.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "101\n101\n");
}

#[test]
fn writes_outside_the_working_directory_never_reach_the_host() {
    let Some(sb) = sandbox_or_skip("escape") else {
        return;
    };
    let marker = format!("/tmp/ossperf-escape-{}", std::process::id());
    let code = format!(
        "import os\nfor p in ['{marker}', '../../ossperf-escape-up', '/var/tmp/ossperf-escape', '/root/ossperf-escape', '/etc/ossperf-escape']:\n    try:\n        open(p, 'w').write('x'); print('wrote', p)\n    except OSError as e:\n        print('denied', e.errno)\n"
    );
    let out = run(&sb, 6, &code, 120);
    assert_eq!(out.exit, Exit::Code(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        text,
        format!("wrote {marker}\ndenied 13\nwrote /var/tmp/ossperf-escape\ndenied 13\ndenied 13\n")
    );
    for p in [
        marker.as_str(),
        "/ossperf-escape-up",
        "/var/tmp/ossperf-escape",
        "/root/ossperf-escape",
        "/etc/ossperf-escape",
    ] {
        assert!(!Path::new(p).exists(), "{p} reached the host");
    }
}

#[test]
fn a_huge_output_is_cut_at_the_cap_and_the_program_killed() {
    let Some(sb) = sandbox_or_skip("huge_output") else {
        return;
    };
    let code = "import sys\nwhile True: sys.stdout.write('x' * 65536)\n";
    let out = run(&sb, 7, code, 1);
    assert!(
        matches!(out.exit, Exit::TimedOut | Exit::Signal(_)),
        "{:?}",
        out.exit
    );
    assert_eq!(out.stdout.len(), 4096);
    assert!(out.truncated);
}

#[test]
fn a_large_file_is_stopped_by_the_file_size_limit() {
    let Some(sb) = sandbox_or_skip("big_file") else {
        return;
    };
    let code = "try:\n    open('big', 'wb').write(b'x' * (100 << 20)); print('wrote')\nexcept OSError as e:\n    print(e.errno)\n";
    let out = run(&sb, 8, code, 120);
    // 27 is EFBIG (the file limit is 64 MiB); SIGXFSZ is ignored by Python.
    assert_eq!(String::from_utf8_lossy(&out.stdout), "27\n");
}

#[test]
fn python_names_resolve_to_system_interpreters_before_path() {
    assert_eq!(
        resolve_python("./venv/bin/python"),
        PathBuf::from("./venv/bin/python")
    );
    assert_eq!(
        resolve_python("ossperf-no-such-python"),
        PathBuf::from("ossperf-no-such-python")
    );
    if Path::new("/usr/bin/python3").is_file() {
        // Found in /usr/bin even when PATH lists a version manager's shims first.
        assert_eq!(resolve_python("python3"), PathBuf::from("/usr/bin/python3"));
        assert_eq!(default_python(), PathBuf::from("/usr/bin/python3"));
    }
}
