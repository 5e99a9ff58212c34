//! The engine as the model sees it: its requests and decimals in the model's terms, and the
//! checks that compare a `ledger_core::Ledger` with a [`Model`] or with the invariants every
//! ledger keeps. The property tests and the fuzz targets call the same checks.

use std::collections::BTreeSet;

use ledger_core::{AccountId, Decimal, Ledger, Transfer, TransferFlags, TransferId, TransferState};

use crate::exact::normalized;
use crate::model::{self, Micro, Model, MICRO_SCALE};

fn transfer_id(id: u128) -> TransferId {
    TransferId::new(id).expect("model ids are never zero")
}

/// A request of the engine as the model takes it (amounts in millionths).
pub fn request_of(q: &Transfer) -> model::Request {
    model::Request {
        id: q.id.get(),
        debit: q.debit_account_id.map(AccountId::get),
        credit: q.credit_account_id.map(AccountId::get),
        amount: q.amount.map(|a| micro(a.value())),
        related: q.related_id.map(TransferId::get),
        unit: q.unit,
        code: q.code,
        flags: q.flags.0,
        timeout_s: q.timeout_s,
        user_data: q.user_data,
        served_at: q.served_at,
    }
}

/// A limit of the engine as the model keeps it.
pub fn exact_of(d: Decimal) -> crate::exact::Exact {
    normalized(d.mantissa(), d.scale())
}

/// A decimal of the engine in millionths. Every engine total has at most six decimals.
pub fn micro(value: Decimal) -> Micro {
    assert!(
        value.scale() <= MICRO_SCALE || value.normalize().scale() <= MICRO_SCALE,
        "{value} has more decimals than any unit"
    );
    let mut v = value.normalize();
    v.rescale(MICRO_SCALE);
    v.mantissa()
}

/// A total of the engine (minor units of a unit of `scale`) in millionths.
pub fn minor_micro(minor: i128, scale: u8) -> Micro {
    minor * 10i128.pow(MICRO_SCALE - u32::from(scale))
}

/// What holds for any ledger, whatever the model says: per unit, posted balances sum to zero
/// and pending debits equal pending credits; every account's totals are those of its transfers;
/// no floor or ceiling is crossed; closed accounts are empty.
pub fn check_invariants(ledger: &Ledger) {
    use std::collections::BTreeMap;
    // Per unit: [posted credits - posted debits, pending debits, pending credits].
    let mut per_unit: BTreeMap<u16, [Micro; 3]> = BTreeMap::new();
    let mut derived: BTreeMap<AccountId, [Micro; 4]> = BTreeMap::new();
    for t in ledger.transfers() {
        let amount = micro(t.amount.value());
        let (debit_index, credit_index) = match t.state {
            TransferState::Pending => (0, 2),
            TransferState::Posted if !t.flags().contains(TransferFlags::VOID_PENDING) => (1, 3),
            _ => continue,
        };
        derived.entry(t.debit_account_id).or_default()[debit_index] += amount;
        derived.entry(t.credit_account_id).or_default()[credit_index] += amount;
    }
    for a in ledger.accounts() {
        let b = &a.balances;
        let totals = [
            minor_micro(b.debits_pending, a.scale),
            minor_micro(b.debits_posted, a.scale),
            minor_micro(b.credits_pending, a.scale),
            minor_micro(b.credits_posted, a.scale),
        ];
        assert!(totals.iter().all(|t| *t >= 0), "negative total on {a:?}");
        assert_eq!(
            totals,
            derived.get(&a.id).copied().unwrap_or_default(),
            "balances of {:?} differ from its transfers",
            a.id
        );
        let sums = per_unit.entry(a.unit).or_default();
        sums[0] += totals[3] - totals[1];
        sums[1] += totals[0];
        sums[2] += totals[2];
        if let Some(floor) = a.floor {
            assert!(b.available() >= floor, "floor broken on {a:?}");
        }
        if let Some(ceiling) = a.ceiling {
            assert!(b.potential() <= ceiling, "ceiling broken on {a:?}");
        }
        if a.closed {
            // Closed accounts are empty, or emptied by the closing hold once it posts.
            let settled = b.credits_posted + b.credits_pending - b.debits_posted - b.debits_pending;
            assert!(settled == 0, "closed account holds a balance: {a:?}");
        }
    }
    for (unit, [posted, debits_pending, credits_pending]) in per_unit {
        assert_eq!(
            posted, 0,
            "posted balances of unit {unit} do not sum to zero"
        );
        assert_eq!(
            debits_pending, credits_pending,
            "pending debits and credits of unit {unit} differ"
        );
    }
    let pending = ledger
        .transfers()
        .filter(|t| t.state == TransferState::Pending)
        .count();
    assert_eq!(ledger.pending_count(), pending);
}

/// The ledger and the model hold the same clock, accounts and transfers, and the same
/// failed codes for `transfer_ids`.
pub fn check_same_state(ledger: &Ledger, model: &Model, transfer_ids: &BTreeSet<u128>) {
    assert_eq!(ledger.clock(), model.clock, "clocks differ");
    assert_eq!(
        ledger.account_count(),
        model.accounts.len(),
        "account counts"
    );
    for (id, m) in &model.accounts {
        let a = ledger
            .account(AccountId::new(*id).expect("non-zero"))
            .unwrap_or_else(|| panic!("account {id} missing"));
        let b = &a.balances;
        let engine = (
            a.unit,
            a.kind as u8,
            a.community,
            a.user_data,
            a.eligible_from,
            a.timestamp,
            a.closed,
            [
                minor_micro(b.debits_pending, a.scale),
                minor_micro(b.debits_posted, a.scale),
                minor_micro(b.credits_pending, a.scale),
                minor_micro(b.credits_posted, a.scale),
            ],
        );
        let mb = &m.balances;
        let s = &m.spec;
        let modelled = (
            s.unit,
            s.kind,
            s.community,
            s.user_data,
            s.eligible_from,
            m.timestamp,
            m.closed,
            [
                mb.debits_pending,
                mb.debits_posted,
                mb.credits_pending,
                mb.credits_posted,
            ],
        );
        assert_eq!(engine, modelled, "account {id} differs");
        let limit = |m: Option<i128>| m.map(|m| normalized(m, u32::from(a.scale)));
        assert_eq!((limit(a.floor), limit(a.ceiling)), (s.floor, s.ceiling));
    }
    assert_eq!(
        ledger.transfer_count(),
        model.transfers.len(),
        "transfer counts"
    );
    for (id, m) in &model.transfers {
        let t = ledger
            .transfer(transfer_id(*id))
            .unwrap_or_else(|| panic!("transfer {id} missing"));
        assert_eq!(
            request_of(&t.request()),
            m.request,
            "request of transfer {id}"
        );
        let state = match t.state {
            TransferState::Posted => model::State::Posted,
            TransferState::Pending => model::State::Pending,
            TransferState::PendingPosted => model::State::PendingPosted,
            TransferState::PendingVoided => model::State::PendingVoided,
            TransferState::PendingExpired => model::State::PendingExpired,
        };
        let engine = (
            t.debit_account_id.get(),
            t.credit_account_id.get(),
            t.unit,
            t.code,
            micro(t.amount.value()),
            t.timestamp,
            state,
            t.reversed_by.map(TransferId::get),
        );
        let modelled = (
            m.debit,
            m.credit,
            m.unit,
            m.code,
            m.amount,
            m.timestamp,
            m.state,
            m.reversed_by,
        );
        assert_eq!(engine, modelled, "transfer {id} differs");
    }
    for id in transfer_ids {
        assert_eq!(
            ledger.failed_code(transfer_id(*id)),
            model.failed.get(id).copied(),
            "failed code of id {id}"
        );
    }
}
