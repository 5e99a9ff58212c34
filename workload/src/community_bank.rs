//! The workload every system runs: a seeded time bank of members and funds across communities,
//! and batches of service records, care withdrawals, gifts, bookings (holds) and their
//! completions or cancellations.
//!
//! The generator applies every batch to an in-memory engine as it makes it, so it knows which
//! holds are open and which events the rules accept; the SQL system must accept exactly as many.

use std::collections::HashMap;

use ledger_core::{
    AccountId, AccountKind, Amount, Command, Eligibility, Ledger, Link, NewAccount, Policy,
    ResultCode, Transfer, TransferFlags, TransferId,
};

use crate::{Dice, T0};

/// The unit of every event: the default policy's hours (unit 1, scale 2, so amounts are in
/// hundredths of an hour).
pub const HOURS: u16 = 1;
/// Service codes of the default policy: a fund pays a member (101-106).
const SERVICE_CODES: [u16; 6] = [101, 102, 103, 104, 105, 106];
/// Care codes: an eligible member pays a provider with its own hours (201-205).
const CARE_CODES: [u16; 5] = [201, 202, 203, 204, 205];
/// The default policy's gift code ("gift of hours"): a younger relative gives a linked elder
/// hours.
pub const GIFT_CODE: u16 = 301;
/// Every member starts with this many hours (in hundredths), earned from its fund.
const START_CENTS: u64 = 40 * 100;
/// Bookings hold hours for a week: the timeout of every hold, in seconds (604,800).
pub const HOLD_TIMEOUT_S: u32 = 7 * 24 * 3600;
/// Elders became eligible for care a day before the workload starts: [`T0`] less one day, in
/// nanoseconds since the Unix epoch.
pub const ELIGIBLE_FROM: u64 = T0 - 86_400 * 1_000_000_000;

/// Per mille of the events in a batch.
const SERVICE_PER_MILLE: usize = 400;
const WITHDRAWAL_PER_MILLE: usize = 200;
const GIFT_PER_MILLE: usize = 100;
const HOLD_PER_MILLE: usize = 150;

/// How big a run is. [`TimeBankWorkload::generate`] needs `communities` at least 1, `members`
/// at least twice `communities` (each community needs an elder and another member) and `batch`
/// from 1 to [`BATCH_EVENTS_MAX`](ledger_core::limits::BATCH_EVENTS_MAX); it panics, or never
/// returns, on less or more.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    /// Communities, each with one fund.
    pub communities: usize,
    /// Members across all communities (member `i` is in community `i % communities`).
    pub members: usize,
    /// Events in all the measured batches together.
    pub transfers: usize,
    /// Events per measured batch; the last batch holds what is left.
    pub batch: usize,
    /// The seed of the [`Dice`] every id and event is drawn from.
    pub seed: u64,
}

/// What an event does, as every system sees it. Amounts are whole quarter hours; the share of each
/// kind in a measured batch is drawn per event (per mille: 400, 200, 100, 150, and 150 for
/// posts and voids together).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    /// A community's fund pays one of its members 0.25 to 4 hours for a service (codes 101 to
    /// 106). The setup's starting hours are services too (40 hours, code 106).
    Service,
    /// An elder pays another member of its community 0.25 to 3 hours for care (codes 201 to
    /// 205).
    Withdrawal,
    /// An elder's linked younger relative gives it 0.25 to 2 hours ([`GIFT_CODE`]). An elder
    /// without a relative books a hold instead.
    Gift,
    /// An elder books care: a pending transfer of 0.25 to 3 hours to another member of its
    /// community (codes 201 to 205), timing out after [`HOLD_TIMEOUT_S`].
    Hold,
    /// Completes a hold the engine accepted in an earlier batch and nothing resolved yet:
    /// posts all of it (one resolution in three) or half of it rounded down to a quarter hour,
    /// at least 0.25 (one in three). When none is left to resolve, a post or void becomes a new
    /// hold.
    Post,
    /// Cancels a hold the engine accepted in an earlier batch and nothing resolved yet (one
    /// resolution in three).
    Void,
}

/// One event. For a post or void, `debit`, `credit` and `code` are the hold's (the engine looks
/// them up; the naive engine uses them directly) and `amount_cents` is what is posted (the
/// hold's amount for a void).
#[derive(Debug, Clone, Copy)]
pub struct Op {
    /// What the event does.
    pub kind: OpKind,
    /// The transfer id: ids count up by one from a start drawn from the seed, through the
    /// funding and then the measured batches, so no two events share one.
    pub id: u128,
    /// The account the hours leave.
    pub debit: u128,
    /// The account the hours reach.
    pub credit: u128,
    /// The amount in hundredths of an hour (minor units at scale 2), a multiple of 25.
    pub amount_cents: u64,
    /// The default policy's code of the event.
    pub code: u16,
    /// The hold a post or void resolves (0 otherwise).
    pub pending: u128,
}

impl Op {
    /// The event as a `ledger_core` transfer in [`HOURS`]: a plain transfer with its code for a
    /// service, withdrawal or gift; a pending one with a [`HOLD_TIMEOUT_S`] timeout for a hold;
    /// a post of `amount_cents` or a void (no amount) of `pending` for a post or void.
    ///
    /// # Panics
    /// If an id or account is 0 or the amount is 0, which no generated event has.
    pub fn transfer(&self) -> Transfer {
        let id = TransferId::new(self.id).expect("workload ids are non-zero");
        let amount = Amount::from_minor(self.amount_cents, 2).expect("a positive amount");
        let account = |id: u128| AccountId::new(id).expect("workload ids are non-zero");
        match self.kind {
            OpKind::Service | OpKind::Withdrawal | OpKind::Gift => {
                Transfer::new(id, account(self.debit), account(self.credit), amount, HOURS)
                    .code(self.code)
            }
            OpKind::Hold => {
                Transfer::new(id, account(self.debit), account(self.credit), amount, HOURS)
                    .code(self.code)
                    .flags(TransferFlags::PENDING)
                    .timeout_s(HOLD_TIMEOUT_S)
            }
            OpKind::Post => Transfer::post(id, self.pending_id(), Some(amount)),
            OpKind::Void => Transfer::void(id, self.pending_id()),
        }
    }

    fn pending_id(&self) -> TransferId {
        TransferId::new(self.pending).expect("a post or void names its hold")
    }
}

/// An account as every system creates it.
#[derive(Debug, Clone, Copy)]
pub struct AccountSpec {
    /// The account id, drawn from the seed (non-zero).
    pub id: u128,
    /// A community's fund (an issuer account); otherwise a member account.
    pub fund: bool,
    /// The community, numbered from 0.
    pub community: u32,
    /// When it may pay for care, in nanoseconds since the Unix epoch: [`ELIGIBLE_FROM`] for
    /// elders, `None` for everyone else.
    pub eligible_from: Option<u64>,
}

/// The whole workload: setup (not timed) and the measured batches.
#[derive(Debug)]
pub struct TimeBankWorkload {
    /// The size it was made for.
    pub size: Size,
    /// The funds (one per community, in community order), then the members. Members fill the
    /// communities row by row (member `i` in community `i % communities`, row
    /// `i / communities`); the members of rows 0, 3, 6 and so on are elders, eligible from
    /// [`ELIGIBLE_FROM`].
    pub accounts: Vec<AccountSpec>,
    /// Family links: an elder and a younger relative who gives it hours (the member one row
    /// below it, in the same community, where there is one).
    pub links: Vec<(u128, u128)>,
    /// Setup batches of at most `BATCH_EVENTS_MAX` events: every member's starting hours, 40
    /// hours from its community's fund (services of code 106), applied at [`T0`].
    pub funding: Vec<Vec<Op>>,
    /// The measured batches, in the order they are applied.
    pub batches: Vec<Vec<Op>>,
    /// The `now` of each measured batch in nanoseconds: batch `k` (from 0) at [`T0`] plus
    /// `k + 1` seconds (the setup runs at `T0`).
    pub times: Vec<u64>,
    /// Events of the measured batches the engine accepted; the rest were refused by the
    /// rules (an elder short of hours, for one), and every other system must refuse them too.
    pub accepted: usize,
    /// Accepted events by kind, for the report, in [`OpKind`] order; a kind with none is left
    /// out.
    pub mix: Vec<(OpKind, usize)>,
}

impl TimeBankWorkload {
    /// Events in the measured batches ([`Size::transfers`]).
    pub fn transfers(&self) -> usize {
        self.batches.iter().map(Vec::len).sum()
    }

    /// The commands that set the ledger up, in order and chunked to `BATCH_EVENTS_MAX`:
    /// accounts (in [`HOURS`], funds as issuers and members as members, each in its community),
    /// links, eligibility, starting hours. Run them at [`T0`] on a ledger with the default
    /// policy.
    pub fn setup_commands(&self) -> Vec<Command> {
        let mut commands: Vec<Command> = self
            .accounts
            .chunks(ledger_core::limits::BATCH_EVENTS_MAX)
            .map(|chunk| Command::CreateAccounts(chunk.iter().map(new_account).collect()))
            .collect();
        let links: Vec<Link> = self
            .links
            .iter()
            .map(|&(a, b)| Link {
                a: account_id(a),
                b: account_id(b),
            })
            .collect();
        for chunk in links.chunks(ledger_core::limits::BATCH_EVENTS_MAX) {
            commands.push(Command::LinkAccounts(chunk.to_vec()));
        }
        let eligible: Vec<Eligibility> = self
            .accounts
            .iter()
            .filter_map(|a| {
                a.eligible_from.map(|from| Eligibility {
                    account: account_id(a.id),
                    from: Some(from),
                })
            })
            .collect();
        for chunk in eligible.chunks(ledger_core::limits::BATCH_EVENTS_MAX) {
            commands.push(Command::SetEligibility(chunk.to_vec()));
        }
        for batch in &self.funding {
            commands.push(Command::CreateTransfers(
                batch.iter().map(Op::transfer).collect(),
            ));
        }
        commands
    }

    /// Makes the workload, checking it against the engine as it goes: the setup and every
    /// batch are applied to a `ledger_core::Ledger` with the default policy, which decides
    /// [`TimeBankWorkload::accepted`] and which holds later events post or void. The same
    /// `size` (seed included) always gives the same workload.
    ///
    /// ```
    /// use timebank_workload::community_bank::{Size, TimeBankWorkload};
    /// use timebank_workload::T0;
    ///
    /// let size = Size { communities: 2, members: 4, transfers: 50, batch: 20, seed: 1 };
    /// let w = TimeBankWorkload::generate(size);
    /// assert_eq!(w.accounts.len(), 6); // 2 funds, then 4 members
    /// assert!(w.accounts[..2].iter().all(|a| a.fund));
    /// let batch_sizes: Vec<usize> = w.batches.iter().map(Vec::len).collect();
    /// assert_eq!(batch_sizes, [20, 20, 10]);
    /// assert_eq!(w.times, [T0 + 1_000_000_000, T0 + 2_000_000_000, T0 + 3_000_000_000]);
    /// assert_eq!(w.accepted, w.mix.iter().map(|(_, n)| n).sum::<usize>());
    /// ```
    ///
    /// # Panics
    /// If `size` is out of the range [`Size`] states, or the engine refuses a setup event.
    pub fn generate(size: Size) -> TimeBankWorkload {
        let mut g = Generator::new(size);
        let mut ledger =
            Ledger::with_policy(&Policy::default_policy()).expect("the default policy");
        let mut w = TimeBankWorkload {
            size,
            accounts: g.accounts.clone(),
            links: g.links.clone(),
            funding: g.funding(),
            batches: Vec::new(),
            times: Vec::new(),
            accepted: 0,
            mix: Vec::new(),
        };
        for command in w.setup_commands() {
            let reply = ledger.execute(&command, T0).expect("a valid setup batch");
            if let ledger_core::Reply::Events(results) = reply {
                assert!(
                    results.iter().all(|r| r.code == ResultCode::Ok),
                    "setup applies"
                );
            }
        }
        let mut counts: HashMap<&'static str, (OpKind, usize)> = HashMap::new();
        let mut left = size.transfers;
        let mut now = T0;
        while left > 0 {
            let n = left.min(size.batch);
            left -= n;
            now += 1_000_000_000;
            let batch = g.batch(n);
            let transfers: Vec<Transfer> = batch.iter().map(Op::transfer).collect();
            let results = ledger
                .create_transfers(&transfers, now)
                .expect("a valid batch");
            for (op, result) in batch.iter().zip(&results) {
                if result.code == ResultCode::Ok {
                    w.accepted += 1;
                    counts.entry(kind_name(op.kind)).or_insert((op.kind, 0)).1 += 1;
                    if op.kind == OpKind::Hold {
                        g.open_holds.push(*op);
                    }
                }
            }
            w.batches.push(batch);
            w.times.push(now);
        }
        let mut mix: Vec<(OpKind, usize)> = counts.into_values().collect();
        mix.sort_by_key(|(k, _)| *k as u8);
        w.mix = mix;
        w
    }
}

/// The report's name of a kind: "service", "withdrawal", "gift", "booking hold", "completion"
/// or "cancellation".
pub fn kind_name(kind: OpKind) -> &'static str {
    match kind {
        OpKind::Service => "service",
        OpKind::Withdrawal => "withdrawal",
        OpKind::Gift => "gift",
        OpKind::Hold => "booking hold",
        OpKind::Post => "completion",
        OpKind::Void => "cancellation",
    }
}

fn account_id(id: u128) -> AccountId {
    AccountId::new(id).expect("workload ids are non-zero")
}

fn new_account(spec: &AccountSpec) -> NewAccount {
    let kind = if spec.fund {
        AccountKind::Issuer
    } else {
        AccountKind::Member
    };
    NewAccount::new(account_id(spec.id), HOURS, kind).community(spec.community)
}

struct Generator {
    rng: Dice,
    accounts: Vec<AccountSpec>,
    links: Vec<(u128, u128)>,
    funds: Vec<u128>,
    /// Members of each community; in each, every third member is an elder.
    communities: Vec<Vec<u128>>,
    /// An elder's younger relative.
    relative_of: HashMap<u128, u128>,
    elders: Vec<u128>,
    elder_community: Vec<usize>,
    /// Holds the engine accepted in earlier batches and nothing resolved yet.
    open_holds: Vec<Op>,
    /// Holds resolvable in the batch being made (opened before it).
    resolvable: usize,
    next_id: u128,
}

impl Generator {
    fn new(size: Size) -> Generator {
        let mut rng = Dice::new(size.seed);
        let funds: Vec<u128> = (0..size.communities).map(|_| rng.id()).collect();
        let mut accounts: Vec<AccountSpec> = funds
            .iter()
            .enumerate()
            .map(|(c, &id)| AccountSpec {
                id,
                fund: true,
                community: c as u32,
                eligible_from: None,
            })
            .collect();
        let mut communities = vec![Vec::new(); size.communities];
        let ids: Vec<u128> = (0..size.members).map(|_| rng.id()).collect();
        let (mut elders, mut elder_community, mut links) = (Vec::new(), Vec::new(), Vec::new());
        let mut relative_of = HashMap::new();
        for (i, &id) in ids.iter().enumerate() {
            // Members fill communities row by row; every third row is elders, and the member
            // one row below an elder (same community) is its younger relative.
            let c = i % size.communities;
            let elder = (i / size.communities).is_multiple_of(3);
            accounts.push(AccountSpec {
                id,
                fund: false,
                community: c as u32,
                eligible_from: elder.then_some(ELIGIBLE_FROM),
            });
            communities[c].push(id);
            if elder {
                elders.push(id);
                elder_community.push(c);
                if let Some(&relative) = ids.get(i + size.communities) {
                    links.push((id, relative));
                    relative_of.insert(id, relative);
                }
            }
        }
        let next_id = u128::from(rng.next_u64()) << 16;
        Generator {
            rng,
            accounts,
            links,
            funds,
            communities,
            relative_of,
            elders,
            elder_community,
            open_holds: Vec::new(),
            resolvable: 0,
            next_id,
        }
    }

    fn id(&mut self) -> u128 {
        self.next_id += 1;
        self.next_id
    }

    fn cents(&mut self, quarters_max: usize) -> u64 {
        25 * (1 + self.rng.index(quarters_max) as u64)
    }

    fn funding(&mut self) -> Vec<Vec<Op>> {
        let members: Vec<(u128, usize)> = self
            .accounts
            .iter()
            .filter(|a| !a.fund)
            .map(|a| (a.id, a.community as usize))
            .collect();
        let ops: Vec<Op> = members
            .into_iter()
            .map(|(member, c)| Op {
                kind: OpKind::Service,
                id: self.id(),
                debit: self.funds[c],
                credit: member,
                amount_cents: START_CENTS,
                code: SERVICE_CODES[5],
                pending: 0,
            })
            .collect();
        ops.chunks(ledger_core::limits::BATCH_EVENTS_MAX)
            .map(<[Op]>::to_vec)
            .collect()
    }

    /// A member of `community` other than `not`.
    fn provider(&mut self, community: usize, not: u128) -> u128 {
        let members = &self.communities[community];
        loop {
            let m = members[self.rng.index(members.len())];
            if m != not {
                return m;
            }
        }
    }

    fn op(&mut self, pick: usize) -> Op {
        let id = self.id();
        if pick < SERVICE_PER_MILLE {
            let c = self.rng.index(self.communities.len());
            let member = self.provider(c, 0);
            let code = SERVICE_CODES[self.rng.index(SERVICE_CODES.len())];
            let amount_cents = self.cents(16);
            return Op {
                kind: OpKind::Service,
                id,
                debit: self.funds[c],
                credit: member,
                amount_cents,
                code,
                pending: 0,
            };
        }
        let i = self.rng.index(self.elders.len());
        let elder = self.elders[i];
        let c = self.elder_community[i];
        if pick < SERVICE_PER_MILLE + WITHDRAWAL_PER_MILLE {
            let provider = self.provider(c, elder);
            let code = CARE_CODES[self.rng.index(CARE_CODES.len())];
            let amount_cents = self.cents(12);
            return Op {
                kind: OpKind::Withdrawal,
                id,
                debit: elder,
                credit: provider,
                amount_cents,
                code,
                pending: 0,
            };
        }
        if pick < SERVICE_PER_MILLE + WITHDRAWAL_PER_MILLE + GIFT_PER_MILLE {
            if let Some(&relative) = self.relative_of.get(&elder) {
                let amount_cents = self.cents(8);
                return Op {
                    kind: OpKind::Gift,
                    id,
                    debit: relative,
                    credit: elder,
                    amount_cents,
                    code: GIFT_CODE,
                    pending: 0,
                };
            }
        }
        if pick < SERVICE_PER_MILLE + WITHDRAWAL_PER_MILLE + GIFT_PER_MILLE + HOLD_PER_MILLE
            || self.resolvable == 0
        {
            let provider = self.provider(c, elder);
            let code = CARE_CODES[self.rng.index(CARE_CODES.len())];
            let amount_cents = self.cents(12);
            return Op {
                kind: OpKind::Hold,
                id,
                debit: elder,
                credit: provider,
                amount_cents,
                code,
                pending: 0,
            };
        }
        // Resolve a random hold opened in an earlier batch: post all, post part, or cancel.
        let k = self.rng.index(self.resolvable);
        let hold = self.open_holds.swap_remove(k);
        self.resolvable -= 1;
        let (kind, amount_cents) = match self.rng.index(3) {
            0 => (OpKind::Post, hold.amount_cents),
            1 => (OpKind::Post, 25.max(hold.amount_cents / 2 / 25 * 25)),
            _ => (OpKind::Void, hold.amount_cents),
        };
        Op {
            kind,
            id,
            debit: hold.debit,
            credit: hold.credit,
            amount_cents,
            code: hold.code,
            pending: hold.id,
        }
    }

    fn batch(&mut self, n: usize) -> Vec<Op> {
        self.resolvable = self.open_holds.len();
        (0..n)
            .map(|_| {
                let pick = self.rng.index(1000);
                self.op(pick)
            })
            .collect()
    }
}
