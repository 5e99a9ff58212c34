//! Properties of domain operations run as commands (`Command::Operate`), for random sequences
//! with retries interleaved: per unit the books sum to zero; the liability per community equals
//! its holders' balances; a retried operation (same id, same arguments) answers its first
//! outcome and changes no balance, transfer, hold or rating; the same id with other arguments
//! changes nothing either; and the journal of commands replays to the same ledger.
//!
//! Submitters racing for the committer are a serial order of their commands: the ledger plans
//! each operation when it applies it, so any interleaving is one of these sequences (the store's
//! `operations` test runs real threads).

mod timebank_support;

use ledger_core::operation::{Operation, OperationKind};
use ledger_core::timebank::{Booking, Closing, Completion, Gift, ServiceRecord};
use ledger_core::{
    AccountKind, Command, Decimal, Excess, Ledger, Period, Reply, ResultCode, TransferId,
};
use proptest::prelude::*;
use timebank_support::*;

const MEMBERS: [u128; 4] = [2, 3, 4, 5];
const FUND: u128 = 1;
const POOL: u128 = 9;

#[derive(Debug, Clone)]
enum Step {
    Service {
        member: usize,
        quarters: u8,
        days_ago: u8,
        code: u16,
    },
    Book {
        member: usize,
        quarters: u8,
    },
    Complete {
        booking: usize,
        rating: Option<u8>,
        quarters: Option<u8>,
    },
    Cancel {
        booking: usize,
    },
    Gift {
        from: usize,
        to: usize,
        quarters: u8,
    },
    Close {
        member: usize,
        to: usize,
    },
    Reverse {
        operation: usize,
    },
    Retry {
        operation: usize,
        change: bool,
    },
    Link {
        a: usize,
        b: usize,
    },
    Wait {
        hours: u8,
    },
}

fn step() -> impl Strategy<Value = Step> {
    let m = 0..MEMBERS.len();
    prop_oneof![
        4 => (m.clone(), 1u8..16, 0u8..3, prop::sample::select(vec![101u16, 104])).prop_map(
            |(member, quarters, days_ago, code)| Step::Service { member, quarters, days_ago, code }
        ),
        2 => (m.clone(), 1u8..16).prop_map(|(member, quarters)| Step::Book { member, quarters }),
        2 => (any::<usize>(), prop::option::of(1u8..=5), prop::option::of(1u8..16)).prop_map(
            |(booking, rating, quarters)| Step::Complete { booking, rating, quarters }
        ),
        1 => any::<usize>().prop_map(|booking| Step::Cancel { booking }),
        1 => (m.clone(), m.clone(), 1u8..8).prop_map(|(from, to, quarters)| Step::Gift { from, to, quarters }),
        1 => (m.clone(), 0..MEMBERS.len() + 1).prop_map(|(member, to)| Step::Close { member, to }),
        1 => any::<usize>().prop_map(|operation| Step::Reverse { operation }),
        3 => (any::<usize>(), prop::bool::weighted(0.3)).prop_map(|(operation, change)| Step::Retry { operation, change }),
        1 => (m.clone(), m).prop_map(|(a, b)| Step::Link { a, b }),
        1 => (1u8..30).prop_map(|hours| Step::Wait { hours }),
    ]
}

struct World {
    ledger: Ledger,
    now: u64,
    next_id: u128,
    operations: Vec<Operation>,
    bookings: Vec<TransferId>,
    journal: Vec<(Command, u64)>,
}

fn quarters(q: u8) -> ledger_core::Amount {
    ledger_core::Amount::parse_in(&format!("{}", Decimal::from(q) / Decimal::from(4)), 2).unwrap()
}

impl World {
    fn new() -> World {
        let mut policy = policy_with_caps(vec![
            cap(HOURS, Period::Day, "3", Excess::Donate),
            cap(HOURS, Period::Lifetime, "20", Excess::Reject),
        ]);
        for rule in &mut policy.codes {
            if rule.code == 104 {
                rule.weight = Some(Decimal::from(2));
            }
        }
        let mut world = World {
            ledger: Ledger::with_policy(&policy).unwrap(),
            now: START,
            next_id: 1_000,
            operations: Vec::new(),
            bookings: Vec::new(),
            journal: Vec::new(),
        };
        let mut accounts = vec![
            ledger_core::NewAccount::new(id(FUND), HOURS, AccountKind::Issuer).community(1),
            ledger_core::NewAccount::new(id(POOL), HOURS, AccountKind::Donation).community(1),
        ];
        for (i, m) in MEMBERS.iter().enumerate() {
            accounts.push(
                ledger_core::NewAccount::new(id(*m), HOURS, AccountKind::Member)
                    .community(1 + i as u32 % 2),
            );
        }
        world.execute(Command::CreateAccounts(accounts));
        world
    }

    fn execute(&mut self, command: Command) -> Vec<ResultCode> {
        self.now += 1_000_000;
        self.journal.push((command.clone(), self.now));
        match self.ledger.execute(&command, self.now).unwrap() {
            Reply::Events(results) => results.iter().map(|r| r.code).collect(),
            Reply::Expired(_) => Vec::new(),
        }
    }

    fn operate(&mut self, kind: OperationKind) {
        let id = TransferId::new(self.next_id).unwrap();
        self.next_id += 10;
        let operation = Operation { id, kind };
        if let OperationKind::Booking(_) = operation.kind {
            self.bookings.push(id);
        }
        self.operations.push(operation.clone());
        self.execute(Command::Operate(operation));
    }

    fn run(&mut self, step: &Step) {
        let member = |i: usize| id(MEMBERS[i % MEMBERS.len()]);
        let booking = |w: &World, i: usize| w.bookings.get(i % w.bookings.len().max(1)).copied();
        match step {
            Step::Service {
                member: m,
                quarters: q,
                days_ago,
                code,
            } => {
                let served_at =
                    (*days_ago > 0).then(|| self.now - u64::from(*days_ago) * NANOS_PER_DAY);
                self.operate(OperationKind::Service(ServiceRecord {
                    code: *code,
                    payer: id(FUND),
                    provider: member(*m),
                    hours: quarters(*q),
                    served_at,
                    donation: Some(id(POOL)),
                    points: None,
                    user_data: 0,
                }));
            }
            Step::Book {
                member: m,
                quarters: q,
            } => self.operate(OperationKind::Booking(Booking {
                code: 101,
                payer: id(FUND),
                provider: member(*m),
                hours: quarters(*q),
                timeout_s: 0,
                user_data: 0,
            })),
            Step::Complete {
                booking: b,
                rating,
                quarters: q,
            } => {
                if let Some(booking) = booking(self, *b) {
                    self.operate(OperationKind::Completion(Completion {
                        booking,
                        hours: q.map(quarters),
                        rating: *rating,
                        donation: Some(id(POOL)),
                        served_at: None,
                    }));
                }
            }
            Step::Cancel { booking: b } => {
                if let Some(booking) = booking(self, *b) {
                    self.operate(OperationKind::Cancellation { booking });
                }
            }
            Step::Gift {
                from,
                to,
                quarters: q,
            } => self.operate(OperationKind::Gift(Gift {
                from: member(*from),
                to: member(*to),
                amount: quarters(*q),
                code: None,
            })),
            Step::Close { member: m, to } => {
                let to = if *to == MEMBERS.len() {
                    id(POOL)
                } else {
                    member(*to)
                };
                self.operate(OperationKind::Closing(Closing {
                    accounts: vec![(member(*m), to)],
                }));
            }
            Step::Reverse { operation } => {
                if let Some(op) = self
                    .operations
                    .get(operation % self.operations.len().max(1))
                {
                    let original = op.id;
                    self.operate(OperationKind::Reversal { original });
                }
            }
            Step::Retry { operation, change } => {
                let Some(op) = self
                    .operations
                    .get(operation % self.operations.len().max(1))
                    .cloned()
                else {
                    return;
                };
                let mut retried = op.clone();
                if *change {
                    retried.kind = OperationKind::Cancellation {
                        booking: TransferId::new(1).unwrap(),
                    };
                }
                let before = books(&self.ledger);
                let first = self.ledger.operation(op.id).unwrap().results.clone();
                let codes = self.execute(Command::Operate(retried.clone()));
                assert_eq!(books(&self.ledger), before, "a retry changed the books");
                if retried == op {
                    let expected: Vec<_> = first
                        .iter()
                        .map(|r| {
                            if r.code == ResultCode::Ok {
                                ResultCode::Exists
                            } else {
                                r.code
                            }
                        })
                        .collect();
                    assert_eq!(codes, expected, "a retry answers its first outcome");
                } else if op.kind != retried.kind {
                    assert_eq!(codes.len(), 1);
                    assert!(codes[0]
                        .name()
                        .starts_with("operation_exists_with_different_"));
                }
            }
            Step::Link { a, b } => {
                if a != b {
                    self.execute(Command::LinkAccounts(vec![ledger_core::Link {
                        a: member(*a),
                        b: member(*b),
                    }]));
                }
            }
            Step::Wait { hours } => self.now += u64::from(*hours) * NANOS_PER_HOUR,
        }
    }
}

/// Per account: id, posted balance, pending debits, closed.
type AccountBooks = Vec<(u128, Decimal, i128, bool)>;

/// What a retry must not change: every balance and hold, the transfers, the ratings.
fn books(ledger: &Ledger) -> (AccountBooks, usize, Vec<Option<u8>>) {
    let mut accounts: Vec<_> = ledger
        .accounts()
        .map(|a| (a.id.get(), a.posted(), a.balances.debits_pending, a.closed))
        .collect();
    accounts.sort();
    let ratings = ledger
        .transfers()
        .map(|t| ledger_core::timebank::rating(ledger, t.id()))
        .collect();
    (accounts, ledger.transfer_count(), ratings)
}

fn assert_invariants(ledger: &Ledger) {
    for unit in ledger.units() {
        let sum: Decimal = ledger
            .accounts()
            .filter(|a| a.unit == unit.id)
            .map(|a| a.posted())
            .sum();
        assert_eq!(sum, Decimal::ZERO, "unit {} does not balance", unit.name);
    }
    for unit in ledger_core::report::liability(ledger).units {
        for community in unit.by_community {
            let held: Decimal = ledger
                .accounts()
                .filter(|a| a.unit == unit.unit && a.kind.is_holder())
                .filter(|a| a.community == community.community)
                .map(|a| a.posted())
                .sum();
            assert_eq!(community.total, held, "community {}", community.community);
        }
    }
}

fn cases() -> u32 {
    if std::env::var_os("TIMEBANK_LONG").is_some() {
        1_000
    } else {
        48
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn operations_keep_the_books_and_retries_change_nothing(steps in proptest::collection::vec(step(), 1..60)) {
        let mut world = World::new();
        for step in &steps {
            world.run(step);
            assert_invariants(&world.ledger);
        }
        // The commands, replayed in order (a serial run), give the same ledger.
        let journal = world.journal.clone();
        let mut replayed = Ledger::with_policy(ledger_core::timebank::policy(&world.ledger).unwrap()).unwrap();
        for (command, now) in &journal {
            replayed.execute(command, *now).unwrap();
        }
        prop_assert_eq!(replayed.state_digest(), world.ledger.state_digest());
    }

    /// Replaying the commands up to a point, rebuilding the ledger from its snapshot there and
    /// running the rest gives the same replies and the same ledger as running them all: rules
    /// state (caps, lots, links, ratings, history) and operation records survive the snapshot,
    /// so reversals, ratings and retries of operations from before it still work.
    #[test]
    fn a_snapshot_mid_journal_continues_as_the_full_replay(
        steps in proptest::collection::vec(step(), 1..60),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut world = World::new();
        for step in &steps {
            world.run(step);
        }
        let policy = ledger_core::timebank::policy(&world.ledger).unwrap().clone();
        let cut = cut.index(world.journal.len() + 1);
        let mut full = Ledger::with_policy(&policy).unwrap();
        for (command, now) in &world.journal[..cut] {
            full.execute(command, *now).unwrap();
        }
        let bytes = ledger_core::snapshot::encode(&full);
        let mut restored = ledger_core::snapshot::decode(&bytes).unwrap();
        prop_assert_eq!(restored.state_digest(), full.state_digest());
        prop_assert_eq!(ledger_core::snapshot::encode(&restored), bytes);
        for (command, now) in &world.journal[cut..] {
            prop_assert_eq!(restored.execute(command, *now), full.execute(command, *now));
        }
        prop_assert_eq!(restored.state_digest(), world.ledger.state_digest());
        prop_assert_eq!(
            ledger_core::snapshot::encode(&restored),
            ledger_core::snapshot::encode(&world.ledger)
        );
        // Every operation retried after the snapshot answers as on the original.
        let now = world.now + 1_000_000;
        for op in &world.operations {
            let command = Command::Operate(op.clone());
            prop_assert_eq!(restored.execute(&command, now), world.ledger.execute(&command, now));
        }
    }
}
