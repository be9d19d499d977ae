//! Preparing work ahead on a background thread: a bounded queue of items produced in order, so decoding
//! and augmenting the next batches overlaps the current training step.

use std::sync::mpsc::{Receiver, sync_channel};
use std::thread::JoinHandle;

/// Produces `produce(i)` for `i` in a range, in order, up to `depth` items ahead of the consumer.
pub struct Prefetcher<T> {
    receiver: Receiver<T>,
    worker: Option<JoinHandle<()>>,
}

impl<T: Send + 'static> Prefetcher<T> {
    pub fn new(range: std::ops::Range<u64>, depth: usize, produce: impl Fn(u64) -> T + Send + 'static) -> Self {
        let (sender, receiver) = sync_channel(depth.max(1));
        let worker = std::thread::spawn(move || {
            for i in range {
                if sender.send(produce(i)).is_err() {
                    break; // the consumer is gone
                }
            }
        });
        Self {
            receiver,
            worker: Some(worker),
        }
    }

    /// The next item, or None once the range is exhausted.
    pub fn next_item(&self) -> Option<T> {
        self.receiver.recv().ok()
    }
}

impl<T> Drop for Prefetcher<T> {
    fn drop(&mut self) {
        // Dropping the receiver first unblocks a worker waiting to send; then it ends on its own.
        let (_, dead) = sync_channel::<T>(0);
        drop(std::mem::replace(&mut self.receiver, dead));
        if let Some(worker) = self.worker.take() {
            let _ = worker.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yields_items_in_order_then_none() {
        let prefetcher = Prefetcher::new(3..7, 2, |i| i * 10);
        let items: Vec<u64> = std::iter::from_fn(|| prefetcher.next_item()).collect();
        assert_eq!(items, [30, 40, 50, 60]);
    }

    #[test]
    fn dropping_early_does_not_hang() {
        let prefetcher = Prefetcher::new(0..1_000_000, 1, |i| i);
        assert_eq!(prefetcher.next_item(), Some(0));
    }
}
