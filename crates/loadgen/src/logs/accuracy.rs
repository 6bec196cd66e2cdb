//! `mlperf_log_accuracy.json`, streamed to disk by a dedicated writer thread.
//!
//! A 4395 × 32k-token run is over a gigabyte of hex, so nothing is kept in memory: responses
//! pass through a bounded queue (the SUT's completion thread waits when the disk falls
//! behind) and are hex-encoded and written by one thread. The footer is written when the
//! writer is finished or dropped, so the file is valid JSON even when a run stops early
//! (docs/LOADGEN.md §10.5 and §14).

use std::io::{self, Write};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// How many records may wait in the queue before the completing thread blocks.
pub const QUEUE_CAPACITY: usize = 256;

/// The token fields of a record in token-latency mode.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TokenFields {
    /// Offline: `, "token_count" : N`.
    Count(i64),
    /// Other scenarios: `, "token_data" : "HEX", "token_count" : N`.
    DataAndCount(Vec<u8>, i64),
}

/// One sample's response as it goes into the accuracy log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccuracyRecord {
    /// The global sample sequence number.
    pub seq_id: u64,
    /// The QSL index.
    pub qsl_idx: usize,
    /// The response bytes (written as uppercase hex).
    pub data: Vec<u8>,
    /// Token fields, in token-latency mode.
    pub tokens: Option<TokenFields>,
}

enum Message {
    Record(AccuracyRecord),
    Close,
}

/// A cloneable handle that queues records for the writer thread.
#[derive(Debug, Clone)]
pub struct AccuracySender(SyncSender<Message>);

impl std::fmt::Debug for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Message::Record(r) => write!(f, "Record({})", r.seq_id),
            Message::Close => f.write_str("Close"),
        }
    }
}

impl AccuracySender {
    /// Queues a record, waiting while the queue is full. Returns `false` when the writer has
    /// stopped (after an I/O error); the record is then dropped.
    pub fn send(&self, record: AccuracyRecord) -> bool {
        self.0.send(Message::Record(record)).is_ok()
    }
}

/// The writer thread and the sending half of its queue.
#[derive(Debug)]
pub struct AccuracyLog {
    sender: Option<SyncSender<Message>>,
    thread: Option<JoinHandle<io::Result<u64>>>,
}

impl AccuracyLog {
    /// Writes the opening `[` and starts the writer thread.
    pub fn start(out: Box<dyn Write + Send>) -> io::Result<Self> {
        let (sender, receiver) = sync_channel(QUEUE_CAPACITY);
        let thread = std::thread::Builder::new()
            .name("accuracy-log".into())
            .spawn(move || write_all(out, receiver))?;
        Ok(Self {
            sender: Some(sender),
            thread: Some(thread),
        })
    }

    /// A handle for the completing threads.
    pub fn sender(&self) -> Option<AccuracySender> {
        self.sender.clone().map(AccuracySender)
    }

    /// Writes every record queued so far and the footer, stops the thread and returns the
    /// number of records written. Records sent afterwards are dropped.
    pub fn finish(mut self) -> io::Result<u64> {
        self.close()
    }

    fn close(&mut self) -> io::Result<u64> {
        if let Some(sender) = self.sender.take() {
            let _ = sender.send(Message::Close);
        }
        match self.thread.take() {
            Some(thread) => thread
                .join()
                .map_err(|_| io::Error::other("the accuracy-log writer thread panicked"))?,
            None => Ok(0),
        }
    }
}

impl Drop for AccuracyLog {
    fn drop(&mut self) {
        let _ = self.close();
    }
}

fn write_all(mut out: Box<dyn Write + Send>, receiver: Receiver<Message>) -> io::Result<u64> {
    let mut out = io::BufWriter::with_capacity(1 << 20, &mut out);
    out.write_all(b"[")?;
    let mut written = 0u64;
    let mut line = Vec::with_capacity(1 << 16);
    for message in receiver {
        let Message::Record(record) = message else {
            break;
        };
        line.clear();
        line.extend_from_slice(if written == 0 { b"\n" } else { b",\n" });
        encode(&record, &mut line);
        out.write_all(&line)?;
        written += 1;
    }
    out.write_all(b"\n]\n")?;
    out.flush()?;
    Ok(written)
}

/// One record as LoadGen writes it: `{ "seq_id" : S, "qsl_idx" : I, "data" : "HEX" }`.
pub fn encode(record: &AccuracyRecord, line: &mut Vec<u8>) {
    line.extend_from_slice(
        format!(
            "{{ \"seq_id\" : {}, \"qsl_idx\" : {}, \"data\" : \"",
            record.seq_id, record.qsl_idx
        )
        .as_bytes(),
    );
    push_hex(line, &record.data);
    line.push(b'"');
    match &record.tokens {
        None => {}
        Some(TokenFields::Count(n)) => {
            line.extend_from_slice(format!(", \"token_count\" : {n}").as_bytes());
        }
        Some(TokenFields::DataAndCount(data, n)) => {
            line.extend_from_slice(b", \"token_data\" : \"");
            push_hex(line, data);
            line.extend_from_slice(format!("\", \"token_count\" : {n}").as_bytes());
        }
    }
    line.extend_from_slice(b" }");
}

/// Appends `data` as uppercase hex. The output is sized once and filled two bytes per input
/// byte from a table, with no per-byte capacity check: this loop is the accuracy log's
/// whole cost (a profile put 77 % of the writer's time in it when it pushed byte by byte).
fn push_hex(line: &mut Vec<u8>, data: &[u8]) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    const PAIRS: [[u8; 2]; 256] = {
        let mut t = [[0u8; 2]; 256];
        let mut i = 0;
        while i < 256 {
            t[i] = [HEX[i >> 4], HEX[i & 0x0f]];
            i += 1;
        }
        t
    };
    let start = line.len();
    line.resize(start + data.len() * 2, 0);
    for (out, &b) in line[start..].chunks_exact_mut(2).zip(data) {
        out.copy_from_slice(&PAIRS[usize::from(b)]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::logs::test_sink::Sink;

    fn record(seq_id: u64, tokens: Option<TokenFields>) -> AccuracyRecord {
        AccuracyRecord {
            seq_id,
            qsl_idx: 348,
            data: vec![0x98, 0x0D, 0, 0],
            tokens,
        }
    }

    #[test]
    fn an_empty_log_is_four_bytes() {
        let sink = Sink::default();
        let log = AccuracyLog::start(Box::new(sink.clone())).unwrap();
        assert_eq!(log.finish().unwrap(), 0);
        assert_eq!(&*sink.0.lock().unwrap(), b"[\n]\n");
    }

    #[test]
    fn records_use_loadgens_padding_uppercase_hex_and_token_fields() {
        let sink = Sink::default();
        let log = AccuracyLog::start(Box::new(sink.clone())).unwrap();
        let tx = log.sender().unwrap();
        assert!(tx.send(record(0, Some(TokenFields::Count(7)))));
        assert!(tx.send(record(11, Some(TokenFields::DataAndCount(vec![0x7E], 3)))));
        assert!(tx.send(record(12, None)));
        drop(tx);
        assert_eq!(log.finish().unwrap(), 3);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert_eq!(
            text,
            "[\n{ \"seq_id\" : 0, \"qsl_idx\" : 348, \"data\" : \"980D0000\", \"token_count\" : 7 \
             },\n{ \"seq_id\" : 11, \"qsl_idx\" : 348, \"data\" : \"980D0000\", \"token_data\" : \
             \"7E\", \"token_count\" : 3 },\n{ \"seq_id\" : 12, \"qsl_idx\" : 348, \"data\" : \
             \"980D0000\" }\n]\n"
        );
        let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed[1]["token_data"], "7E");
    }

    #[test]
    fn every_byte_value_appends_its_two_uppercase_hex_digits_after_what_was_there() {
        let data: Vec<u8> = (0..=255).collect();
        let mut line = b"x".to_vec();
        push_hex(&mut line, &data);
        let expected: String = data.iter().map(|b| format!("{b:02X}")).collect();
        assert_eq!(String::from_utf8(line).unwrap(), format!("x{expected}"));
    }

    #[test]
    fn dropping_the_writer_mid_run_still_leaves_valid_json() {
        let sink = Sink::default();
        {
            let log = AccuracyLog::start(Box::new(sink.clone())).unwrap();
            let tx = log.sender().unwrap();
            for i in 0..1000 {
                tx.send(record(i, None));
            }
            // A sender still held elsewhere (by a SUT) does not keep the writer alive.
            std::mem::forget(tx);
        }
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let parsed: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
        assert_eq!(parsed.len(), 1000);
    }
}
