//! Ctrl-C and SIGTERM during a build. An interrupt that comes while a writer works must not leave
//! half an output: the writers stop and undo, and the build ends with an error. One that comes
//! while none works ends the process at once. This is the state the signal handler and the
//! writers share, and the handler itself.

use std::sync::atomic::{AtomicUsize, Ordering};

use crate::error::{Error, Result};

/// What interrupts and writers agree on: how many writers are at work, and whether an
/// interrupt came. One atomic word, updated in one step by each side, so there is no moment at
/// which an interrupt can slip between a check and a writer's start.
pub(super) struct Interrupts(AtomicUsize);

/// Set by an interrupt while a writer works: writers stop, undo and report it.
const INTERRUPTED: usize = 1 << (usize::BITS - 1);
/// Set by an interrupt while no writer works: the process is exiting, no writer may start.
const EXITING: usize = 1 << (usize::BITS - 2);
const WRITERS: usize = EXITING - 1;

impl Interrupts {
    const fn new() -> Self {
        Interrupts(AtomicUsize::new(0))
    }

    /// A writer starts; refused once an interrupt came.
    pub(super) fn enter(&self) -> Result<()> {
        self.0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |state| {
                (state & (EXITING | INTERRUPTED) == 0).then_some(state + 1)
            })
            .map(|_| ())
            .map_err(|_| Error::Interrupted)
    }

    /// A writer is done.
    pub(super) fn leave(&self) {
        let _ = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |state| {
                Some((state & !WRITERS) | (state & WRITERS).saturating_sub(1))
            });
    }

    /// An interrupt: returns true when no writer works, and then none can start any more (the
    /// caller exits); otherwise the writers at work are told to stop.
    fn signal(&self) -> bool {
        let before = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |state| {
                Some(if state & WRITERS == 0 {
                    state | EXITING
                } else {
                    state | INTERRUPTED
                })
            });
        before.is_ok_and(|state| state & WRITERS == 0)
    }

    fn interrupted(&self) -> bool {
        self.0.load(Ordering::SeqCst) & INTERRUPTED != 0
    }
}

/// Signals are process wide, hence a static: this is the one piece of global state.
pub(super) static INTERRUPTS: Interrupts = Interrupts::new();

/// Undoes [`Interrupts::enter`] when dropped (for the early returns of
/// [`Writer::open`](super::Writer::open)).
pub(super) struct Leave;

impl Drop for Leave {
    fn drop(&mut self) {
        INTERRUPTS.leave();
    }
}

pub(super) fn interrupted() -> bool {
    INTERRUPTS.interrupted()
}

/// Makes Ctrl-C and SIGTERM safe for a build: while no writer works they stop the process at
/// once (nothing has been written, and no writer can start after); while one works, it stops
/// staging, puts back anything it already replaced, removes its temporary files, and the build
/// stops with an error.
pub fn install_interrupt_handler() {
    let _ = ctrlc::set_handler(|| {
        if INTERRUPTS.signal() {
            std::process::exit(130);
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_interrupt_either_exits_at_once_or_stops_the_writers_never_both() {
        // No writer: exit, and no writer may start after.
        let idle = Interrupts::new();
        assert!(idle.signal());
        assert!(idle.enter().is_err());
        // A writer at work: it is told to stop, and no new one starts.
        let busy = Interrupts::new();
        busy.enter().unwrap();
        assert!(!busy.signal());
        assert!(busy.interrupted());
        assert!(busy.enter().is_err());
        busy.leave();
        assert!(busy.interrupted(), "the interrupt stays");
        // Racing: whatever the interleaving, a writer that started is told to stop, or the
        // signal saw no writer and every later start is refused.
        for _ in 0..200 {
            let state = Interrupts::new();
            let started = std::thread::scope(|scope| {
                let writer = scope.spawn(|| {
                    let started = state.enter().is_ok();
                    let told = state.interrupted();
                    if started {
                        state.leave();
                    }
                    (started, told)
                });
                let exits = state.signal();
                let (started, _) = writer.join().unwrap();
                (started, exits)
            });
            match started {
                (true, true) => assert!(state.enter().is_err()),
                (true, false) => assert!(state.interrupted()),
                (false, exits) => assert!(exits || state.interrupted()),
            }
        }
    }
}
