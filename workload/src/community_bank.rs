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

pub const HOURS: u16 = 1;
/// Service codes of the default policy: a fund pays a member (101-106).
const SERVICE_CODES: [u16; 6] = [101, 102, 103, 104, 105, 106];
/// Care codes: an eligible member pays a provider with its own hours (201-205).
const CARE_CODES: [u16; 5] = [201, 202, 203, 204, 205];
pub const GIFT_CODE: u16 = 301;
/// Every member starts with this many hours (in hundredths), earned from its fund.
const START_CENTS: u64 = 40 * 100;
/// Bookings hold hours for a week.
pub const HOLD_TIMEOUT_S: u32 = 7 * 24 * 3600;
/// Elders became eligible for care a day before the workload starts.
pub const ELIGIBLE_FROM: u64 = T0 - 86_400 * 1_000_000_000;

/// Per mille of the events in a batch.
const SERVICE_PER_MILLE: usize = 400;
const WITHDRAWAL_PER_MILLE: usize = 200;
const GIFT_PER_MILLE: usize = 100;
const HOLD_PER_MILLE: usize = 150;

/// How big a run is.
#[derive(Debug, Clone, Copy)]
pub struct Size {
    pub communities: usize,
    pub members: usize,
    pub transfers: usize,
    pub batch: usize,
    pub seed: u64,
}

/// What an event does, as every system sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpKind {
    Service,
    Withdrawal,
    Gift,
    Hold,
    Post,
    Void,
}

/// One event. For a post or void, `debit`, `credit` and `code` are the hold's (the engine looks
/// them up; the naive engine uses them directly) and `amount` is what is posted (the hold's
/// amount for a void).
#[derive(Debug, Clone, Copy)]
pub struct Op {
    pub kind: OpKind,
    pub id: u128,
    pub debit: u128,
    pub credit: u128,
    pub amount_cents: u64,
    pub code: u16,
    /// The hold a post or void resolves (0 otherwise).
    pub pending: u128,
}

impl Op {
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
    pub id: u128,
    pub fund: bool,
    pub community: u32,
    /// When it may pay for care (elders only).
    pub eligible_from: Option<u64>,
}

/// The whole workload: setup (not timed) and the measured batches.
#[derive(Debug)]
pub struct TimeBankWorkload {
    pub size: Size,
    pub accounts: Vec<AccountSpec>,
    /// Family links: an elder and a younger relative who gives it hours.
    pub links: Vec<(u128, u128)>,
    /// Setup batches: every member's starting hours.
    pub funding: Vec<Vec<Op>>,
    pub batches: Vec<Vec<Op>>,
    /// The `now` of each measured batch (funding runs at `T0`).
    pub times: Vec<u64>,
    /// Events of the measured batches the engine accepted.
    pub accepted: usize,
    /// Accepted events by kind, for the report.
    pub mix: Vec<(OpKind, usize)>,
}

impl TimeBankWorkload {
    pub fn transfers(&self) -> usize {
        self.batches.iter().map(Vec::len).sum()
    }

    /// The commands that set the ledger up: accounts, links, eligibility, starting hours.
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

    /// Makes the workload, checking it against the engine as it goes.
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
