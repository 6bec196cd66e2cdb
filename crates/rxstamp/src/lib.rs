//! When did these bytes arrive? Kernel receive timestamps for reads on a tokio [`TcpStream`].
//!
//! A process stamps a read when it gets to it; on a busy machine that is milliseconds after
//! the bytes reached the socket. With `SO_TIMESTAMPNS` the kernel notes each packet's arrival
//! and `recvmsg` hands the arrival of the last packet the read consumed back with the data.
//! That instant is independent of how late the reader runs, which is what the client's
//! first-token times and the simulator's arrival times need (docs/PERFORMANCE.md, measurement
//! error). The kernel gives wall-clock time; it is turned into an [`Instant`] by the distance
//! to the wall clock now, so a step of the wall clock between arrival and read can misplace
//! one stamp (those in the future or over a minute old are dropped; the caller then stamps
//! the read itself). Where the option does not exist, reads carry no stamp.

#![allow(unsafe_code)]

use std::io;
use std::mem::MaybeUninit;
use std::task::{ready, Context, Poll};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use tokio::io::Interest;
use tokio::net::TcpStream;

/// Stamps older than this are taken for a wall-clock step and dropped.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
const MAX_AGE: Duration = Duration::from_secs(60);

/// Asks the kernel to timestamp the packets `stream` receives.
#[cfg(target_os = "linux")]
pub fn enable(stream: &TcpStream) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let on: libc::c_int = 1;
    // SAFETY: a valid socket descriptor, a pointer to a live c_int and its exact size.
    let rc = unsafe {
        libc::setsockopt(
            stream.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_TIMESTAMPNS,
            (&raw const on).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    if rc == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Does nothing: reads carry no stamp here.
#[cfg(not(target_os = "linux"))]
pub fn enable(_stream: &TcpStream) -> io::Result<()> {
    Ok(())
}

/// Reads into `buf` once the socket is readable. Ready with the bytes read (0 at the end of
/// the stream) and, when the kernel stamped them, when the last of them arrived.
pub fn poll_read(
    stream: &TcpStream,
    cx: &mut Context<'_>,
    buf: &mut [MaybeUninit<u8>],
) -> Poll<io::Result<(usize, Option<Instant>)>> {
    loop {
        ready!(stream.poll_read_ready(cx))?;
        match stream.try_io(Interest::READABLE, || recv(stream, buf)) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => continue,
            done => return Poll::Ready(done),
        }
    }
}

#[cfg(target_os = "linux")]
fn recv(stream: &TcpStream, buf: &mut [MaybeUninit<u8>]) -> io::Result<(usize, Option<Instant>)> {
    use std::os::fd::AsRawFd;
    let mut iov = libc::iovec {
        iov_base: buf.as_mut_ptr().cast(),
        iov_len: buf.len(),
    };
    // Room for one `SCM_TIMESTAMPNS` (a 16-byte header and a 16-byte timespec), aligned.
    let mut control = [0u64; 8];
    // SAFETY: all-zero is a valid msghdr (null pointers, zero lengths).
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &raw mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = control.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&control) as _;
    // SAFETY: `msg` points at `iov` (the caller's buffer, writable for its length: the kernel
    // only writes bytes there) and at `control`, all alive for the call.
    let n = unsafe { libc::recvmsg(stream.as_raw_fd(), &raw mut msg, 0) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    let mut stamp = None;
    // SAFETY: the CMSG_* macros walk the control buffer the kernel just filled, within
    // `msg_controllen`; the timespec is read unaligned from inside that buffer.
    unsafe {
        let mut c = libc::CMSG_FIRSTHDR(&raw const msg);
        while !c.is_null() {
            if (*c).cmsg_level == libc::SOL_SOCKET && (*c).cmsg_type == libc::SCM_TIMESTAMPNS {
                let ts: libc::timespec = std::ptr::read_unaligned(libc::CMSG_DATA(c).cast());
                stamp = to_instant(ts.tv_sec, ts.tv_nsec);
            }
            c = libc::CMSG_NXTHDR(&raw const msg, c);
        }
    }
    Ok((n as usize, stamp))
}

#[cfg(not(target_os = "linux"))]
fn recv(stream: &TcpStream, buf: &mut [MaybeUninit<u8>]) -> io::Result<(usize, Option<Instant>)> {
    buf.fill(MaybeUninit::new(0));
    // SAFETY: every byte was just initialised.
    let init = unsafe { &mut *(std::ptr::from_mut(buf) as *mut [u8]) };
    Ok((stream.try_read(init)?, None))
}

/// The [`Instant`] of a wall-clock time, by its distance to the wall clock now.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn to_instant(sec: i64, nsec: i64) -> Option<Instant> {
    let (now, wall) = clocks();
    let at = UNIX_EPOCH + Duration::new(u64::try_from(sec).ok()?, u32::try_from(nsec).ok()?);
    let age = wall.duration_since(at).ok().filter(|&a| a <= MAX_AGE)?;
    now.checked_sub(age)
}

/// The monotonic and the wall clock at one instant: the wall clock read between two monotonic
/// reads, of which the later is kept, so a time mapped through the pair is never before the
/// one it stands for (bytes are never stamped before they were sent). A preemption between
/// the reads can only make it late, by at most their distance: the tightest of a few tries is
/// kept, which is good to microseconds.
#[cfg_attr(not(target_os = "linux"), allow(dead_code))]
fn clocks() -> (Instant, SystemTime) {
    let read = || {
        let before = Instant::now();
        let wall = SystemTime::now();
        let after = Instant::now();
        (after - before, after, wall)
    };
    let mut best = read();
    for _ in 0..3 {
        if best.0 < Duration::from_micros(50) {
            break;
        }
        let next = read();
        if next.0 < best.0 {
            best = next;
        }
    }
    (best.1, best.2)
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt;

    #[test]
    fn wall_clock_times_map_to_instants_and_implausible_ones_are_dropped() {
        let wall = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        let before = Instant::now();
        let at = to_instant(wall.as_secs() as i64, i64::from(wall.subsec_nanos())).unwrap();
        assert!(at <= Instant::now());
        assert!(at + Duration::from_secs(1) >= before);
        let future = wall + Duration::from_secs(5);
        assert_eq!(to_instant(future.as_secs() as i64, 0), None);
        assert_eq!(to_instant(wall.as_secs() as i64 - 3600, 0), None);
        assert_eq!(to_instant(-1, 0), None);
    }

    #[cfg(target_os = "linux")]
    #[tokio::test]
    async fn a_late_read_carries_the_arrival_not_the_read() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut tx = TcpStream::connect(listener.local_addr().unwrap())
            .await
            .unwrap();
        let (rx, _) = listener.accept().await.unwrap();
        let mut stamped = false;
        enable(&rx).unwrap();
        // The first socket to ask switches stamping on for the whole kernel from a work queue,
        // a moment later: packets before that carry no stamp. So try a few writes.
        let mut buf = [MaybeUninit::uninit(); 64];
        for _ in 0..20 {
            let sent = Instant::now();
            tx.write_all(b"hello").await.unwrap();
            let written = Instant::now();
            tokio::time::sleep(Duration::from_millis(20)).await;
            let read_from = Instant::now();
            let (n, at) = std::future::poll_fn(|cx| poll_read(&rx, cx, &mut buf))
                .await
                .unwrap();
            assert_eq!(n, 5);
            let Some(at) = at else { continue };
            // The stamp is the write, not the read 20 ms later (the wall-to-monotonic mapping
            // is good to microseconds; the margins only absorb that).
            assert!(at + Duration::from_millis(5) >= sent, "{at:?} {sent:?}");
            assert!(
                at <= written + Duration::from_millis(5),
                "{at:?} {written:?}"
            );
            assert!(at < read_from);
            stamped = true;
            break;
        }
        assert!(stamped, "no read carried a kernel stamp");
        drop(tx);
        let (n, _) = std::future::poll_fn(|cx| poll_read(&rx, cx, &mut buf))
            .await
            .unwrap();
        assert_eq!(n, 0);
    }
}
