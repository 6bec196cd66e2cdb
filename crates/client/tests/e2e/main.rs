//! End-to-end tests of the client against canned servers on real loopback sockets.

// Test helpers outside `#[test]` functions: a panic is the right failure here.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod balancing;
mod canned;
mod failures;
mod health;
mod personas;
mod servers;
mod streaming;
mod tlsfront;
mod transport;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ossperf_client::{
    Backend, Client, ClientConfig, Completion, Endpoint, Failure, FinishReason, Prompt, Request,
    ResponseHandler, SamplingParams,
};
use tokio::sync::Notify;

/// What a handler saw.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    First {
        at: Instant,
        ids: Vec<u32>,
        count: u64,
    },
    Complete(Done),
    Failed(Failure),
}

/// An owned copy of a [`Completion`].
#[derive(Debug, Clone, PartialEq)]
pub struct Done {
    pub at: Instant,
    pub ids: Vec<u32>,
    pub count: u64,
    pub finish: FinishReason,
    pub text: String,
    pub endpoint: usize,
    pub counted_by_server: bool,
    pub retractions: u32,
    pub consistent: bool,
}

/// Records events and signals `on_first` when the first token arrives.
#[derive(Clone, Default)]
pub struct Recorder {
    pub events: Arc<Mutex<Vec<Event>>>,
    pub on_first: Option<Arc<Notify>>,
}

impl ResponseHandler for Recorder {
    fn on_first_token(&mut self, at: Instant, ids: &[u32], count: u64) {
        self.events.lock().unwrap().push(Event::First {
            at,
            ids: ids.to_vec(),
            count,
        });
        if let Some(n) = &self.on_first {
            n.notify_one();
        }
    }
    fn on_complete(&mut self, c: &Completion<'_>) {
        self.events.lock().unwrap().push(Event::Complete(Done {
            at: c.at,
            ids: c.output_ids.to_vec(),
            count: c.completion_tokens,
            finish: c.finish_reason,
            text: c.text.to_owned(),
            endpoint: c.endpoint,
            counted_by_server: c.counted_by_server,
            retractions: c.retractions,
            consistent: c.consistent,
        }));
    }
    fn on_failure(&mut self, failure: Failure) {
        self.events.lock().unwrap().push(Event::Failed(failure));
    }
}

impl Recorder {
    pub fn events(&self) -> Vec<Event> {
        self.events.lock().unwrap().clone()
    }

    /// The single completion, after exactly one first token.
    pub fn done(&self) -> (Instant, Vec<u32>, Done) {
        match self.events().as_slice() {
            [Event::First { at, ids, .. }, Event::Complete(done)] => {
                (*at, ids.clone(), done.clone())
            }
            other => panic!("expected a first token then a completion, got {other:?}"),
        }
    }

    /// The single failure.
    pub fn failure(&self) -> Failure {
        match self.events().last() {
            Some(Event::Failed(f)) => f.clone(),
            other => panic!("expected a failure, got {other:?}"),
        }
    }
}

pub fn client(backend: Backend, urls: &[String], tune: impl FnOnce(&mut ClientConfig)) -> Client {
    let endpoints = urls.iter().map(|u| Endpoint::parse(u).unwrap()).collect();
    let mut config = ClientConfig::new(backend, endpoints);
    config.timeout = Duration::from_secs(20);
    tune(&mut config);
    Client::new(config).unwrap()
}

pub fn request(stream: bool) -> Request {
    Request {
        prompt: Prompt::from(vec![1u32, 2, 3]),
        params: SamplingParams {
            max_new_tokens: 8,
            ..SamplingParams::default()
        },
        stream,
    }
}
