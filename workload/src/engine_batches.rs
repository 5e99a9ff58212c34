//! The engine's apply workload: many accounts, full batches, a mix of plain transfers, holds
//! and posts or voids of earlier holds. Every batch is valid against the base ledger, so the
//! benchmark measures the engine's apply path and not its refusals.

use std::collections::HashMap;

use ledger_core::limits::BATCH_EVENTS_MAX;
use ledger_core::{
    AccountId, AccountKind, Amount, Decimal, Ledger, NewAccount, ResultCode, Transfer,
    TransferFlags, TransferId, Unit, UnitId,
};

use crate::{Dice, T0};

/// The unit of every transfer: hours, at scale 2.
pub const HOURS: UnitId = 1;

/// The shape of a workload. [`Workload::generate`] needs `accounts` at least 3 (one fund and
/// two members), `events_per_batch` from 1 to
/// [`BATCH_EVENTS_MAX`] and the two per mille shares
/// adding up to at most 1,000; it panics, or never returns, otherwise.
#[derive(Debug, Clone, Copy)]
pub struct Shape {
    /// Accounts in the base ledger: one issuing fund per thousand accounts (rounded up), the
    /// rest members.
    pub accounts: usize,
    /// Events in every batch.
    pub events_per_batch: usize,
    /// Distinct batches; each is applied to a fresh copy of the base ledger.
    pub batches: usize,
    /// Holds per mille of each batch (rounded down to whole events).
    pub holds_per_mille: usize,
    /// Posts or voids of holds placed in the base ledger, per mille of each batch (rounded
    /// down); the rest of a batch is plain transfers.
    pub resolutions_per_mille: usize,
}

impl Shape {
    /// 100,000 accounts, 4 batches of 8,190 events: 819 holds, 819 posts and voids of holds
    /// placed in the base ledger, the rest (6,552) plain transfers.
    pub const FULL_BATCHES: Shape = Shape {
        accounts: 100_000,
        events_per_batch: BATCH_EVENTS_MAX,
        batches: 4,
        holds_per_mille: 100,
        resolutions_per_mille: 100,
    };
}

/// One balance move as a naive ledger sees it, `(debit, credit, amount)` with account ids and
/// the amount in hours: no validation, no holds.
pub type NaiveMove = (u128, u128, Decimal);

/// A base ledger and batches valid against it, plus the same moves for a naive baseline.
#[derive(Debug)]
pub struct Workload {
    /// The shape it was made with.
    pub shape: Shape,
    /// The ledger every batch applies to: the accounts (unit [`HOURS`], no policy, members in
    /// community 7), 1,000,000 hours paid from a fund to each member, and the holds the
    /// batches post or void (each pending for a week).
    pub base: Ledger,
    /// The batches, each valid on its own against `base`. Amounts are 0.25 to 8 hours in
    /// quarter hours between two distinct members, with code 1; a hold is such a transfer,
    /// pending, with a one-week timeout; a resolution posts the whole hold or 0.25 hours of it
    /// (one in four each) or voids it (two in four). Every hold in `base` is resolved by
    /// exactly one batch.
    pub batches: Vec<Vec<Transfer>>,
    /// When each batch is applied, in nanoseconds since the Unix epoch. The setup batches of
    /// `base` run at [`T0`] plus 1, 2, 3 ... seconds; `now` is one second after the last.
    pub now: u64,
    /// Every account's posted balance in `base` (credits less debits), for the naive baseline.
    pub naive_base: HashMap<u128, Decimal>,
    /// The batches as balance moves, batch by batch. The naive ledger has no holds: a hold
    /// moves its amount at once, and a post or void moves between the hold's accounts the
    /// amount it posts (the hold's whole amount when it names none, and for every void).
    pub naive_batches: Vec<Vec<NaiveMove>>,
}

struct Builder {
    rng: Dice,
    members: Vec<AccountId>,
    next_transfer: u128,
}

impl Builder {
    fn transfer_id(&mut self) -> TransferId {
        // Transfer ids count up from a random start, as a host's sequence would.
        self.next_transfer += 1;
        TransferId::new(self.next_transfer).expect("ids start above zero")
    }

    /// A quarter-hour multiple from 0.25 to 8 hours.
    fn amount(&mut self) -> Amount {
        let quarters = 1 + self.rng.index(32) as u64;
        Amount::from_minor(quarters * 25, 2).expect("a positive amount in scale")
    }

    fn two_members(&mut self) -> (AccountId, AccountId) {
        let debit = self.members[self.rng.index(self.members.len())];
        loop {
            let credit = self.members[self.rng.index(self.members.len())];
            if credit != debit {
                return (debit, credit);
            }
        }
    }

    fn plain(&mut self) -> Transfer {
        let (debit, credit) = self.two_members();
        let amount = self.amount();
        Transfer::new(self.transfer_id(), debit, credit, amount, HOURS).code(1)
    }

    fn hold(&mut self) -> Transfer {
        self.plain()
            .flags(TransferFlags::PENDING)
            .timeout_s(7 * 24 * 3600)
    }
}

fn naive_move(ledger: &Ledger, t: &Transfer) -> NaiveMove {
    match t.related_id {
        None => (
            t.debit_account_id
                .expect("plain transfers name accounts")
                .get(),
            t.credit_account_id
                .expect("plain transfers name accounts")
                .get(),
            t.amount.expect("plain transfers carry an amount").value(),
        ),
        Some(hold) => {
            let hold = ledger
                .transfer(hold)
                .expect("the hold is in the base ledger");
            let amount = t.amount.unwrap_or(hold.amount).value();
            (
                hold.debit_account_id.get(),
                hold.credit_account_id.get(),
                amount,
            )
        }
    }
}

impl Workload {
    /// Builds the base ledger and the batches; everything (ids, accounts, amounts, order)
    /// follows from `shape` and `seed`. Transfer ids count up by one from a start drawn from
    /// `seed`; account ids are drawn from it.
    ///
    /// ```
    /// use timebank_workload::engine_batches::{Shape, Workload};
    ///
    /// let shape = Shape {
    ///     accounts: 3,
    ///     events_per_batch: 20,
    ///     batches: 2,
    ///     holds_per_mille: 100,
    ///     resolutions_per_mille: 100,
    /// };
    /// let w = Workload::generate(shape, 7);
    /// for batch in &w.batches {
    ///     assert_eq!(batch.len(), 20);
    ///     let results = w.apply(&mut w.base.clone(), batch);
    ///     assert!(results.iter().all(|r| r.code == ledger_core::ResultCode::Ok));
    /// }
    /// ```
    ///
    /// # Panics
    /// If `shape` is out of the range [`Shape`] states, or any event of a batch would be
    /// refused against `base` (the workload measures applied events only).
    pub fn generate(shape: Shape, seed: u64) -> Workload {
        let events = shape.events_per_batch;
        let holds = events * shape.holds_per_mille / 1000;
        let resolutions = events * shape.resolutions_per_mille / 1000;
        let plain = events - holds - resolutions;
        let mut rng = Dice::new(seed);
        let next_transfer = u128::from(rng.next_u64());
        let mut b = Builder {
            rng,
            members: Vec::with_capacity(shape.accounts),
            next_transfer,
        };
        let mut ledger = Ledger::new(vec![Unit::new(HOURS, "hours", 2)]).expect("a valid unit");
        let mut now = T0;
        let apply_all = |ledger: &mut Ledger, batch: &[Transfer], now: &mut u64| {
            *now += 1_000_000_000;
            let results = ledger.create_transfers(batch, *now).expect("a valid batch");
            assert!(results.iter().all(|r| r.code == ResultCode::Ok));
        };

        // One issuing fund per thousand members; members start with plenty of hours so that
        // no transfer of the workload meets a floor.
        let funds: Vec<AccountId> = (0..shape.accounts.div_ceil(1000))
            .map(|_| AccountId::new(b.rng.id()).expect("non-zero"))
            .collect();
        let mut specs: Vec<NewAccount> = funds
            .iter()
            .map(|id| NewAccount::new(*id, HOURS, AccountKind::Issuer))
            .collect();
        for _ in funds.len()..shape.accounts {
            let id = AccountId::new(b.rng.id()).expect("non-zero");
            b.members.push(id);
            specs.push(NewAccount::new(id, HOURS, AccountKind::Member).community(7));
        }
        for chunk in specs.chunks(BATCH_EVENTS_MAX) {
            now += 1_000_000_000;
            let results = ledger.create_accounts(chunk, now).expect("a valid batch");
            assert!(results.iter().all(|r| r.code == ResultCode::Ok));
        }
        let start = Amount::from_minor(1_000_000 * 100, 2).expect("in range");
        let funding: Vec<Transfer> = b
            .members
            .clone()
            .iter()
            .enumerate()
            .map(|(i, member)| {
                Transfer::new(
                    b.transfer_id(),
                    funds[i % funds.len()],
                    *member,
                    start,
                    HOURS,
                )
            })
            .collect();
        for chunk in funding.chunks(BATCH_EVENTS_MAX) {
            apply_all(&mut ledger, chunk, &mut now);
        }

        // Open holds for every batch to post or void.
        let open: Vec<Transfer> = (0..resolutions * shape.batches).map(|_| b.hold()).collect();
        for chunk in open.chunks(BATCH_EVENTS_MAX) {
            apply_all(&mut ledger, chunk, &mut now);
        }

        let mut batches = Vec::with_capacity(shape.batches);
        for k in 0..shape.batches {
            let mut to_resolve = open[k * resolutions..(k + 1) * resolutions].iter();
            let (mut left_plain, mut left_holds) = (plain, holds);
            let mut batch = Vec::with_capacity(events);
            while batch.len() < events {
                let left = events - batch.len();
                let pick = b.rng.index(left);
                let t = if pick < left_plain {
                    left_plain -= 1;
                    b.plain()
                } else if pick < left_plain + left_holds {
                    left_holds -= 1;
                    b.hold()
                } else {
                    let hold = to_resolve.next().expect("one hold per resolution").id;
                    match b.rng.index(4) {
                        0 => Transfer::post(b.transfer_id(), hold, None),
                        1 => Transfer::post(
                            b.transfer_id(),
                            hold,
                            Some(Amount::from_minor(25, 2).expect("in range")),
                        ),
                        _ => Transfer::void(b.transfer_id(), hold),
                    }
                };
                batch.push(t);
            }
            batches.push(batch);
        }
        now += 1_000_000_000;

        let mut naive_base: HashMap<u128, Decimal> = HashMap::with_capacity(shape.accounts);
        for account in ledger.accounts() {
            naive_base.insert(account.id.get(), account.posted());
        }
        let naive_batches = batches
            .iter()
            .map(|batch| batch.iter().map(|t| naive_move(&ledger, t)).collect())
            .collect();
        let workload = Workload {
            shape,
            base: ledger,
            batches,
            now,
            naive_base,
            naive_batches,
        };
        workload.check();
        workload
    }

    /// Every event of every batch applies against the base ledger.
    fn check(&self) {
        for batch in &self.batches {
            let mut ledger = self.base.clone();
            let results = self.apply(&mut ledger, batch);
            let refused = results.iter().filter(|r| r.code != ResultCode::Ok).count();
            assert_eq!(refused, 0, "the workload must measure applied events only");
        }
    }

    /// Applies `batch` to `ledger` at [`Workload::now`] (pass a clone of `base`) and returns
    /// each event's result.
    ///
    /// # Panics
    /// If the engine refuses the batch as a whole (empty, or more than `BATCH_EVENTS_MAX`
    /// events).
    pub fn apply(&self, ledger: &mut Ledger, batch: &[Transfer]) -> Vec<ledger_core::EventResult> {
        ledger
            .create_transfers(batch, self.now)
            .expect("a valid batch")
    }
}

/// The naive baseline: a balance per account in a std `HashMap`, no validation of any kind.
pub fn naive_apply(balances: &mut HashMap<u128, Decimal>, moves: &[NaiveMove]) {
    for (debit, credit, amount) in moves {
        *balances.entry(*debit).or_default() -= *amount;
        *balances.entry(*credit).or_default() += *amount;
    }
}
