//! Exchange handles that cannot dangle, like store handles (`handle.rs`): a
//! `timebank_exchange *` is a token naming a slot of a registry with the slot's generation, never
//! an address, so a freed or never-made handle is refused with `TIMEBANK_STATUS_INVALID_HANDLE`.
//!
//! An exchange works on the store it was opened on, which it names by that store's token (not by
//! holding it): every call enters the store as a store call does, so a closed store is `CLOSED`
//! and a freed one `INVALID_HANDLE`, and a store's close never waits for an exchange handle.
//! One live exchange handle per store: two would keep two lists of the offers made, and both
//! would append to the one offers file.
//!
//! Locks, in the order they are taken: `EXCHANGES` (never held during a call's work), then the
//! store's own (through `handle::enter`), then `Entry::exchange` (calls on one exchange run one
//! at a time, as `ledger_store::exchange::Exchange` requires).

use std::sync::{Arc, Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};

use ledger_exchange::PublicKey;
use ledger_store::exchange::Exchange;
use ledger_store::Store;

use crate::handle::{self, timebank_store};
use crate::pointer;
use crate::status::{Error, Status};

/// A ledger's side of its exchanges with other ledgers (opaque). Made by
/// `timebank_exchange_open` on a store handle, released by `timebank_exchange_free`. Like a
/// store handle, a `timebank_exchange *` is a token the library checks on every call, never an
/// address the host may read.
#[derive(Debug)]
pub struct timebank_exchange {
    // Never constructed: the pointer is a registry token.
    _opaque: [u8; 0],
}

/// Most exchange handles live at once in one process (slots in the registry).
pub const TIMEBANK_EXCHANGES_OPEN_MAX: usize = 4096;
const _: () = assert!(TIMEBANK_EXCHANGES_OPEN_MAX == 1 << SLOT_BITS);
/// A token is `generation << SLOT_BITS | (slot + 1)`, as for stores.
const SLOT_BITS: u32 = 12;
const SLOT_MASK: usize = (1 << SLOT_BITS) - 1;
const GENERATION_MAX: usize = usize::MAX >> SLOT_BITS;

/// What a live exchange handle holds.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The token of the store handle it was opened on.
    store: usize,
    /// This ledger's public key (the one its messages carry).
    public_key: PublicKey,
    exchange: Mutex<Exchange>,
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

    fn vacant(&self) -> bool {
        self.entry.is_none() && self.generation < GENERATION_MAX
    }
}

/// Every slot, in static memory (nothing left on the heap at exit, as for stores).
#[derive(Debug)]
struct Registry {
    slots: [Slot; TIMEBANK_EXCHANGES_OPEN_MAX],
    cursor: usize,
}

static EXCHANGES: RwLock<Registry> = RwLock::new(Registry {
    slots: [Slot::EMPTY; TIMEBANK_EXCHANGES_OPEN_MAX],
    cursor: 0,
});

// Every critical section is a move or clone of an `Arc` or an index: a poisoned lock is used as
// it is.
fn registry() -> RwLockReadGuard<'static, Registry> {
    EXCHANGES.read().unwrap_or_else(|e| e.into_inner())
}

fn registry_mut() -> RwLockWriteGuard<'static, Registry> {
    EXCHANGES.write().unwrap_or_else(|e| e.into_inner())
}

fn live_slot(registry: &Registry, token: usize) -> Option<usize> {
    let index = (token & SLOT_MASK).checked_sub(1)?;
    let slot = registry.slots.get(index)?;
    (slot.entry.is_some() && slot.generation == token >> SLOT_BITS).then_some(index)
}

fn busy(store: usize) -> Error {
    Error::new(
        Status::Busy,
        format!(
            "an exchange handle is already open on this store (store token {store:#x}): free it \
             first, or use it"
        ),
    )
}

/// Refuses a second exchange on `store` before the first is freed (checked again by
/// [`register`], which decides).
pub(crate) fn check_none_open(store: *const timebank_store) -> Result<(), Error> {
    let token = pointer::handle_token(store);
    let registry = registry();
    match registry
        .slots
        .iter()
        .any(|s| s.entry.as_ref().is_some_and(|e| e.store == token))
    {
        true => Err(busy(token)),
        false => Ok(()),
    }
}

/// Registers an opened exchange on `store` and returns its token for the host.
pub(crate) fn register(
    store: *const timebank_store,
    exchange: Exchange,
    public_key: PublicKey,
) -> Result<*mut timebank_exchange, Error> {
    let store = pointer::handle_token(store);
    let entry = Arc::new(Entry {
        store,
        public_key,
        exchange: Mutex::new(exchange),
    });
    let mut registry = registry_mut();
    if registry
        .slots
        .iter()
        .any(|s| s.entry.as_ref().is_some_and(|e| e.store == store))
    {
        return Err(busy(store));
    }
    let start = registry.cursor;
    let index = (0..TIMEBANK_EXCHANGES_OPEN_MAX)
        .map(|i| (start + i) % TIMEBANK_EXCHANGES_OPEN_MAX)
        .find(|&i| registry.slots[i].vacant())
        .ok_or_else(|| {
            Error::new(
                Status::Busy,
                format!("{TIMEBANK_EXCHANGES_OPEN_MAX} exchanges are open in this process already"),
            )
        })?;
    registry.cursor = (index + 1) % TIMEBANK_EXCHANGES_OPEN_MAX;
    let slot = &mut registry.slots[index];
    slot.generation += 1;
    slot.entry = Some(entry);
    Ok(pointer::token_handle(
        (slot.generation << SLOT_BITS) | (index + 1),
    ))
}

/// Unregisters a handle; false for a token that names no live handle. A call in flight keeps
/// its entry until it returns.
pub(crate) fn unregister(handle: *const timebank_exchange) -> bool {
    let entry = {
        let mut registry = registry_mut();
        let Some(index) = live_slot(&registry, pointer::handle_token(handle)) else {
            return false;
        };
        registry.slots[index].entry.take()
    };
    drop(entry);
    true
}

/// The exchange on `handle` and its open store, locked for one call: `NULL_POINTER` for NULL,
/// `INVALID_HANDLE` for a token that names no live exchange or whose store was freed, `CLOSED`
/// when the store was closed, `REENTRANT` from inside one of the store's callbacks.
pub(crate) fn with_exchange<T>(
    handle: *const timebank_exchange,
    work: impl FnOnce(&Store, &mut Exchange, &PublicKey) -> Result<T, Error>,
) -> Result<T, Error> {
    if handle.is_null() {
        return Err(Error::null("exchange"));
    }
    let entry = {
        let registry = registry();
        let index = live_slot(&registry, pointer::handle_token(handle)).ok_or_else(|| {
            Error::new(
                Status::InvalidHandle,
                "not a live exchange handle (freed, or never returned by timebank_exchange_open)",
            )
        })?;
        Arc::clone(
            registry.slots[index]
                .entry
                .as_ref()
                .expect("a live slot has an entry"),
        )
    };
    let call =
        handle::enter(pointer::token_handle::<timebank_store>(entry.store)).map_err(|e| match e
            .status
        {
            Status::InvalidHandle => Error::new(
                Status::InvalidHandle,
                "the store this exchange was opened on was freed: free the exchange too",
            ),
            _ => e,
        })?;
    let store = call.open()?;
    // A panic inside a call leaves the exchange as consistent as its files (each step is
    // durable before the next), so a poisoned lock is used as it is.
    let mut exchange = entry.exchange.lock().unwrap_or_else(|e| e.into_inner());
    work(&store, &mut exchange, &entry.public_key)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_never_made_are_invalid() {
        for token in [1usize, 0x1234_5678, usize::MAX] {
            let error = with_exchange(pointer::token_handle(token), |_, _, _| Ok(())).unwrap_err();
            assert_eq!(error.status, Status::InvalidHandle, "{token:#x}");
        }
        let error = with_exchange(std::ptr::null(), |_, _, _| Ok(())).unwrap_err();
        assert_eq!(error.status, Status::NullPointer);
        assert!(!unregister(pointer::token_handle(0x99)));
    }
}
