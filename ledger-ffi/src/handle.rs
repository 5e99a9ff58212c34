//! Store handles that cannot dangle: a `timebank_store *` is a token naming a slot in a registry
//! of live stores, with the slot's generation, never the address of anything. The library never
//! dereferences it, so a freed, closed-and-freed or never-made handle is recognised and refused
//! with `TIMEBANK_STATUS_INVALID_HANDLE` instead of being read.
//!
//! Locks and what they guard, in the order they are taken:
//! 1. `REGISTRY` (a read-write lock): the slots. Read to look a token up (calls on many threads
//!    at once), written to register or free a handle; never held during a call's work, so
//!    `_free` never waits for a call and a call never waits for `_free`.
//! 2. `Entry::store` (a read-write lock): the open store. Every call holds it for reading; only
//!    `_close` takes it for writing, after setting `Entry::closing`, which makes new calls
//!    return `TIMEBANK_STATUS_CLOSED` at once rather than queue behind the close.
//!
//! A call holds an `Arc` of its entry from start to end, so `_free` on another thread (or from a
//! callback) only unregisters the handle: the store itself is closed and released when the last
//! call on it returns. A thread inside a call on a store (in one of its callbacks) that calls
//! into the same store again is refused with `TIMEBANK_STATUS_REENTRANT`: it would otherwise wait
//! for itself.

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ledger_store::Store;

use crate::pointer;
use crate::status::{Error, Status};

/// An open ledger store (opaque). Made by `timebank_store_open`, released by
/// `timebank_store_free`. A `timebank_store *` is a token the library checks on every call; it
/// is never an address the host may read.
#[derive(Debug)]
pub struct timebank_store {
    // Never constructed: the pointer is a registry token.
    _opaque: [u8; 0],
}

/// Most store handles live at once in one process (slots in the registry).
pub const TIMEBANK_STORES_OPEN_MAX: usize = 65536;
const _: () = assert!(TIMEBANK_STORES_OPEN_MAX == 1 << SLOT_BITS);
/// A token is `generation << SLOT_BITS | (slot + 1)`: never zero, and a slot's reuse gets a new
/// generation, so an old token stays invalid.
const SLOT_BITS: u32 = 16;
const SLOT_MASK: usize = (1 << SLOT_BITS) - 1;
/// The largest generation a token can carry on this platform; a slot that reaches it is retired
/// rather than reused, so a generation never repeats.
const GENERATION_MAX: usize = usize::MAX >> SLOT_BITS;

/// What a live handle holds.
#[derive(Debug)]
pub(crate) struct Entry {
    store: RwLock<Option<Store>>,
    /// Set by `_close` before it waits for calls in flight.
    closing: AtomicBool,
}

#[derive(Debug)]
struct Slot {
    generation: usize,
    entry: Option<Arc<Entry>>,
}

impl Slot {
    const EMPTY: Slot = Slot {
        generation: 0,
        entry: None,
    };

    /// Whether a new handle may take this slot.
    fn vacant(&self) -> bool {
        self.entry.is_none() && self.generation < GENERATION_MAX
    }
}

/// Every slot, in static memory: the registry allocates nothing, so it leaves nothing on the
/// heap at exit for a host's leak checker, and the generations survive every free.
#[derive(Debug)]
struct Registry {
    slots: [Slot; TIMEBANK_STORES_OPEN_MAX],
    /// Where the search for a vacant slot starts (after the last one taken).
    cursor: usize,
}

static REGISTRY: RwLock<Registry> = RwLock::new(Registry {
    slots: [Slot::EMPTY; TIMEBANK_STORES_OPEN_MAX],
    cursor: 0,
});

// Every critical section is a plain move or clone of an `Arc` or an index; a panic inside one
// (there is none) would leave the registry consistent, so a poisoned lock is used as it is.
fn registry() -> RwLockReadGuard<'static, Registry> {
    REGISTRY.read().unwrap_or_else(|e| e.into_inner())
}

fn registry_mut() -> RwLockWriteGuard<'static, Registry> {
    REGISTRY.write().unwrap_or_else(|e| e.into_inner())
}

thread_local! {
    /// The tokens of the stores this thread is inside a call on (more than one only when a
    /// callback of one store calls another).
    static INSIDE: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
}

/// Registers an open store and returns its token for the host.
pub(crate) fn register(store: Store) -> Result<*mut timebank_store, Error> {
    let entry = Arc::new(Entry {
        store: RwLock::new(Some(store)),
        closing: AtomicBool::new(false),
    });
    let mut registry = registry_mut();
    // Opening is rare next to calls: a linear search from the cursor is cheap enough.
    let start = registry.cursor;
    let index = (0..TIMEBANK_STORES_OPEN_MAX)
        .map(|i| (start + i) % TIMEBANK_STORES_OPEN_MAX)
        .find(|&i| registry.slots[i].vacant())
        .ok_or_else(|| {
            Error::new(
                Status::Busy,
                format!("{TIMEBANK_STORES_OPEN_MAX} stores are open in this process already"),
            )
        })?;
    registry.cursor = (index + 1) % TIMEBANK_STORES_OPEN_MAX;
    let slot = &mut registry.slots[index];
    slot.generation += 1;
    slot.entry = Some(entry);
    let token = (slot.generation << SLOT_BITS) | (index + 1);
    Ok(pointer::token_handle(token))
}

/// Unregisters a handle. The store closes when the last call on it returns (at once when none
/// is in flight). Returns false for a token that names no live handle.
pub(crate) fn unregister(handle: *const timebank_store) -> bool {
    let entry = {
        let mut registry = registry_mut();
        let Some(index) = live_slot(&registry, pointer::handle_token(handle)) else {
            return false;
        };
        // The slot keeps its generation; the next handle in it gets the one after (a slot at
        // the largest generation stays vacant for good, see `Slot::vacant`).
        registry.slots[index].entry.take()
    };
    // Dropped outside the registry's lock: closing a store waits for its threads.
    drop(entry);
    true
}

/// The slot a token names, when it names a live handle.
fn live_slot(registry: &Registry, token: usize) -> Option<usize> {
    let index = (token & SLOT_MASK).checked_sub(1)?;
    let slot = registry.slots.get(index)?;
    (slot.entry.is_some() && slot.generation == token >> SLOT_BITS).then_some(index)
}

/// A call in progress on a live handle: keeps the store alive and marks this thread as inside
/// it until dropped.
#[derive(Debug)]
pub(crate) struct Call {
    entry: Arc<Entry>,
    token: usize,
}

/// Starts a call on `handle`: `NULL_POINTER` for NULL, `INVALID_HANDLE` for a token that names
/// no live handle, `REENTRANT` when this thread is already inside a call on it.
pub(crate) fn enter(handle: *const timebank_store) -> Result<Call, Error> {
    if handle.is_null() {
        return Err(Error::null("store"));
    }
    let token = pointer::handle_token(handle);
    let entry = {
        let registry = registry();
        let index = live_slot(&registry, token).ok_or_else(invalid_handle)?;
        Arc::clone(
            registry.slots[index]
                .entry
                .as_ref()
                .expect("a live slot has an entry"),
        )
    };
    INSIDE.with(|inside| {
        let mut inside = inside.borrow_mut();
        if inside.contains(&token) {
            return Err(Error::new(
                Status::Reentrant,
                "a call on this store from inside one of its own callbacks is refused (it \
                 would wait for itself); return from the callback first",
            ));
        }
        inside.push(token);
        Ok(())
    })?;
    Ok(Call { entry, token })
}

fn invalid_handle() -> Error {
    Error::new(
        Status::InvalidHandle,
        "not a live store handle (freed, or never returned by timebank_store_open)",
    )
}

impl Drop for Call {
    fn drop(&mut self) {
        INSIDE.with(|inside| {
            let mut inside = inside.borrow_mut();
            if let Some(at) = inside.iter().rposition(|t| *t == self.token) {
                inside.remove(at);
            }
        });
    }
}

impl Call {
    /// The open store, or `TIMEBANK_STATUS_CLOSED`.
    pub(crate) fn open(&self) -> Result<OpenStore<'_>, Error> {
        if self.closing() {
            return Err(closed());
        }
        // A poisoned lock means a panic inside a call; the store behind it is still consistent
        // (its own locks say so), so later calls go on.
        let guard = self.entry.store.read().unwrap_or_else(|e| e.into_inner());
        if guard.is_none() {
            return Err(closed());
        }
        Ok(OpenStore(guard))
    }

    /// Whether `_close` has started on this handle.
    pub(crate) fn closing(&self) -> bool {
        self.entry.closing.load(Ordering::Acquire)
    }

    /// Closes the store: new calls are refused at once, calls in flight are waited for.
    /// Closing a closed store does nothing.
    pub(crate) fn close(&self) -> Result<(), Error> {
        self.entry.closing.store(true, Ordering::Release);
        let taken = self
            .entry
            .store
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        match taken {
            Some(store) => Ok(store.close()?),
            None => Ok(()),
        }
    }
}

fn closed() -> Error {
    Error::new(Status::Closed, "the store is closed")
}

/// A read-locked, open store.
pub(crate) struct OpenStore<'a>(RwLockReadGuard<'a, Option<Store>>);

impl std::ops::Deref for OpenStore<'_> {
    type Target = Store;
    fn deref(&self) -> &Store {
        self.0.as_ref().expect("checked open when locked")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_made_or_freed_are_invalid() {
        for token in [1usize, 2, 0x1234_5678, usize::MAX, 1 << SLOT_BITS] {
            let error = enter(pointer::token_handle(token)).unwrap_err();
            assert_eq!(error.status, Status::InvalidHandle, "{token:#x}");
        }
        assert_eq!(
            enter(std::ptr::null()).unwrap_err().status,
            Status::NullPointer
        );
        assert!(!unregister(pointer::token_handle(0x99)));
    }
}
