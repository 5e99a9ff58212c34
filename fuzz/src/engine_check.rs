//! Runs a [`Scenario`] against `ledger_core::Ledger` and the reference [`Model`] side by side,
//! and checks after every step that they agree and that the ledger's invariants hold.

use std::collections::BTreeSet;

use ledger_core::{
    AccountId, AccountKind, BatchError, Command, Eligibility, EventResult, Ledger, Link,
    NewAccount, Rating, Reply, ResultCode, Transfer, TransferFlags, TransferId, Unit,
};

use crate::model::{self, flag, Model};
use crate::scenario::{
    shape_flags, AccountRef, AccountSpec, Echo, LimitSpec, Op, Scenario, Step, TimeStep,
    TransferKind, TransferRef, TransferSpec, UnitRef, EVENTS_MAX, NOW_START, STEPS_MAX,
};
pub(crate) use timebank_model::engine_view::check_invariants;
use timebank_model::engine_view::check_same_state;

/// The ledger every scenario starts from: hours to the hundredth, whole points, and a unit at
/// the largest scale.
pub const UNITS: [(u16, u32); 3] = [(1, 2), (2, 0), (3, 6)];

pub fn run(scenario: &Scenario) {
    let (units, ledger, log) = run_checked(scenario);
    check_replay(&units, &ledger, &log);
    if std::env::var_os("TIMEBANK_FUZZ_STATS").is_some() {
        print_stats(&log);
    }
}

/// The commands a scenario ran, each with its `now` and reply.
pub type Log = Vec<(Command, u64, Result<Reply, BatchError>)>;

/// Runs a scenario with every per-step check; returns the units, the ledger and the log.
pub fn run_checked(scenario: &Scenario) -> (Vec<Unit>, Ledger, Log) {
    let units: Vec<Unit> = UNITS
        .iter()
        .map(|&(id, scale)| Unit::new(id, &format!("unit{id}"), scale))
        .collect();
    let mut ledger = Ledger::new(units.clone()).expect("valid units");
    let mut model = Model::new(&UNITS);
    let mut log: Log = Vec::new();
    let mut transfer_ids = BTreeSet::new();
    let mut now = NOW_START;
    let setup = Step {
        time: TimeStep::Same,
        op: Op::CreateAccounts(standard_accounts()),
    };
    for step in std::iter::once(&setup).chain(scenario.steps.iter().take(STEPS_MAX)) {
        now = step.time.apply(now);
        let before = ledger.clone();
        let (command, got, want) = apply(
            &mut ledger,
            &mut model,
            &step.op,
            now,
            &mut transfer_ids,
            &[],
        );
        assert_eq!(
            got, want,
            "engine and model disagree on {command:?} at {now}"
        );
        check_invariants(&ledger);
        check_same_state(&ledger, &model, &transfer_ids);
        check_failure_changed_nothing(&before, &ledger, &command, &got, now);
        log.push((command, now, got));
    }
    (units, ledger, log)
}

/// With `TIMEBANK_FUZZ_STATS` set, prints how often each result code has come up so far, to
/// see which paths a corpus reaches (`engine_model -runs=0 corpus/engine_model`).
pub(crate) fn print_stats(log: &[(Command, u64, Result<Reply, BatchError>)]) {
    use std::collections::BTreeMap;
    use std::sync::Mutex;
    static COUNTS: Mutex<BTreeMap<String, u64>> = Mutex::new(BTreeMap::new());
    let mut counts = COUNTS.lock().unwrap_or_else(|e| e.into_inner());
    for (command, _, reply) in log {
        let kinds: Vec<String> = match command {
            Command::CreateTransfers(batch) => batch
                .iter()
                .map(|t| format!("transfer flags {:#05x}", t.flags.0 & !1))
                .collect(),
            other => vec![format!("{other:?}")
                .chars()
                .take_while(|c| *c != '(')
                .collect()],
        };
        match reply {
            Ok(Reply::Events(results)) => {
                for (i, r) in results.iter().enumerate() {
                    let kind = kinds.get(i).or(kinds.first()).cloned().unwrap_or_default();
                    *counts.entry(format!("{kind}: {}", r.code)).or_default() += 1;
                }
            }
            Ok(Reply::Expired(ids)) => {
                *counts.entry("expired".into()).or_default() += ids.len() as u64
            }
            Err(e) => *counts.entry(format!("batch refused: {e}")).or_default() += 1,
        }
    }
    eprintln!("stats: {counts:?}");
}

/// Accounts 1 to 6, opened before every scenario so that most transfers find their accounts
/// (ids 7 and 8 and the wider ones are left to the scenario): an issuing fund and three kinds
/// of holder in hours (one with a ceiling of 10), and a fund and a member in points.
pub(crate) fn standard_accounts() -> Vec<AccountSpec> {
    const HOURS: UnitRef = UnitRef(6);
    const POINTS: UnitRef = UnitRef(2);
    // Indexes into `AccountKind::ALL`.
    const MEMBER: u8 = 0;
    const GROUP: u8 = 1;
    const ISSUER: u8 = 2;
    let spec = |id: u8, unit: UnitRef, kind: u8, ceiling: Option<LimitSpec>| AccountSpec {
        id: AccountRef(id),
        unit,
        kind,
        community: id % 2,
        user_data: 0,
        floor: None,
        ceiling,
        eligible_from: None,
    };
    vec![
        spec(0, HOURS, ISSUER, None),
        spec(1, HOURS, MEMBER, None),
        spec(2, HOURS, MEMBER, Some(LimitSpec::Value(10, 0))),
        spec(3, HOURS, GROUP, None),
        spec(4, POINTS, ISSUER, None),
        spec(5, POINTS, MEMBER, None),
    ]
}

type Outcomes = Result<Vec<(ResultCode, u64)>, BatchError>;

/// Applies one op to both; returns the command and both replies in the engine's terms.
pub(crate) fn apply(
    ledger: &mut Ledger,
    model: &mut Model,
    op: &Op,
    now: u64,
    transfer_ids: &mut BTreeSet<u128>,
    codes: &[u16],
) -> (
    Command,
    Result<Reply, BatchError>,
    Result<Reply, BatchError>,
) {
    let (command, want): (Command, Outcomes) = match op {
        Op::CreateAccounts(specs) => {
            let specs = &specs[..specs.len().min(EVENTS_MAX)];
            let (engine, modelled): (Vec<_>, Vec<_>) = specs.iter().map(account).unzip();
            let want = model.create_accounts(&modelled, now);
            (Command::CreateAccounts(engine), want)
        }
        Op::CreateTransfers(specs) => {
            let specs = &specs[..specs.len().min(EVENTS_MAX)];
            let (engine, modelled): (Vec<_>, Vec<_>) =
                specs.iter().map(|t| transfer(t, model, codes)).unzip();
            transfer_ids.extend(modelled.iter().map(|r| r.id));
            let want = model.create_transfers(&modelled, now);
            (Command::CreateTransfers(engine), want)
        }
        Op::Expire => {
            let want = model
                .expire(now)
                .map(|ids| Reply::Expired(ids.into_iter().map(transfer_id).collect()));
            let got = ledger.execute(&Command::Expire, now);
            return (Command::Expire, got, want);
        }
        Op::Link(pairs) | Op::Unlink(pairs) => {
            let pairs = &pairs[..pairs.len().min(EVENTS_MAX)];
            let links: Vec<Link> = pairs
                .iter()
                .map(|(a, b)| Link {
                    a: a.id(),
                    b: b.id(),
                })
                .collect();
            let modelled: Vec<_> = pairs.iter().map(|(a, b)| (a.value(), b.value())).collect();
            if matches!(op, Op::Link(_)) {
                (Command::LinkAccounts(links), model.link(&modelled, now))
            } else {
                (Command::UnlinkAccounts(links), model.unlink(&modelled, now))
            }
        }
        Op::SetEligibility(items) => {
            let items = &items[..items.len().min(EVENTS_MAX)];
            let modelled: Vec<_> = items
                .iter()
                .map(|(a, from)| (a.value(), from.map(eligibility_time)))
                .collect();
            let engine = items
                .iter()
                .map(|(a, from)| Eligibility {
                    account: a.id(),
                    from: from.map(eligibility_time),
                })
                .collect();
            (
                Command::SetEligibility(engine),
                model.set_eligibility(&modelled, now),
            )
        }
        Op::Rate(items) => {
            let items = &items[..items.len().min(EVENTS_MAX)];
            let modelled: Vec<_> = items.iter().map(|(t, r)| (t.value(), *r % 7)).collect();
            let engine = items
                .iter()
                .map(|(t, r)| Rating {
                    transfer: t.id(),
                    rating: *r % 7,
                })
                .collect();
            (Command::RecordRatings(engine), model.rate(&modelled, now))
        }
    };
    let got = ledger.execute(&command, now);
    let want = want.map(|outcomes| {
        Reply::Events(
            outcomes
                .into_iter()
                .map(|(code, timestamp)| EventResult { code, timestamp })
                .collect(),
        )
    });
    (command, got, want)
}

fn eligibility_time(seconds: u16) -> u64 {
    NOW_START + u64::from(seconds) * 3_600 * 1_000_000_000
}

fn transfer_id(id: u128) -> TransferId {
    TransferId::new(id).expect("model ids are never zero")
}

fn account(spec: &AccountSpec) -> (NewAccount, model::AccountSpec) {
    let kind = AccountKind::ALL[usize::from(spec.kind) % AccountKind::ALL.len()];
    let defaults = NewAccount::new(spec.id.id(), spec.unit.value(), kind);
    let keep = crate::scenario::LimitSpec::Default;
    let (floor, model_floor) = spec.floor.unwrap_or(keep).resolve(defaults.floor);
    let (ceiling, model_ceiling) = spec.ceiling.unwrap_or(keep).resolve(defaults.ceiling);
    let eligible_from = spec.eligible_from.map(eligibility_time);
    let community = u32::from(spec.community % 4);
    let user_data = u128::from(spec.user_data % 3);
    let engine = defaults
        .community(community)
        .user_data(user_data)
        .floor(floor)
        .ceiling(ceiling)
        .eligible_from(eligible_from);
    let modelled = model::AccountSpec {
        id: spec.id.value(),
        unit: spec.unit.value(),
        kind: kind as u8,
        community,
        user_data,
        floor: model_floor,
        ceiling: model_ceiling,
        eligible_from,
    };
    (engine, modelled)
}

/// `codes`: the policy's transfer codes to draw from (empty: codes 0 to 3).
fn transfer(spec: &TransferSpec, model: &Model, codes: &[u16]) -> (Transfer, model::Request) {
    let mut r = model::Request {
        id: spec.id.value(),
        debit: None,
        credit: None,
        amount: None,
        related: None,
        unit: 0,
        code: match codes {
            [] => u16::from(spec.code % 4),
            // Now and then a code the policy does not define.
            _ if spec.code >= 0xF8 => u16::from(spec.code),
            _ => codes[usize::from(spec.code) % codes.len()],
        },
        // A quarter of transfers are linked to the next: longer chains rarely all apply.
        flags: if spec.linked.is_multiple_of(4) {
            flag::LINKED
        } else {
            0
        },
        timeout_s: 0,
        user_data: u128::from(spec.user_data % 3),
        // The rest of the byte says, now and then, that the service was done at the start (in
        // the past) or at the end of time (ahead of any event).
        served_at: match spec.user_data / 3 % 8 {
            0 => Some(NOW_START),
            1 => Some(u64::MAX),
            _ => None,
        },
    };
    let amount;
    match &spec.kind {
        TransferKind::Plain {
            debit,
            credit,
            amount: a,
            unit,
            shape,
        } => {
            (amount, r.amount) = a.resolve();
            (r.debit, r.credit) = (Some(debit.value()), Some(credit.value()));
            r.unit = unit_or_debits(*unit, r.debit, model);
            r.flags |= shape_flags(*shape);
        }
        TransferKind::Pending {
            debit,
            credit,
            amount: a,
            unit,
            shape,
            timeout,
        } => {
            (amount, r.amount) = a.resolve();
            (r.debit, r.credit) = (Some(debit.value()), Some(credit.value()));
            r.unit = unit_or_debits(*unit, r.debit, model);
            r.flags |= flag::PENDING | shape_flags(*shape);
            r.timeout_s = timeout.seconds();
        }
        TransferKind::Post {
            pending: related,
            amount: a,
            echo,
        }
        | TransferKind::Void {
            pending: related,
            amount: a,
            echo,
        }
        | TransferKind::Reversal {
            original: related,
            amount: a,
            echo,
        } => {
            (amount, r.amount) = a.map_or((None, None), |a| a.resolve());
            r.related = Some(related_id(*related, model));
            r.flags |= match spec.kind {
                TransferKind::Post { .. } => flag::POST,
                TransferKind::Void { .. } => flag::VOID,
                _ => flag::REVERSAL,
            };
            // Resolving transfers mostly leave the code to the related transfer.
            if spec.code % 8 >= 2 {
                r.code = 0;
            }
            if let Some(Echo {
                debit,
                credit,
                unit,
            }) = echo
            {
                (r.debit, r.credit) = (debit.map(|a| a.value()), credit.map(|a| a.value()));
                r.unit = unit.map_or(0, |u| u.value());
            }
        }
        TransferKind::Raw {
            debit,
            credit,
            amount: a,
            related,
            unit,
            flags,
            timeout,
        } => {
            (amount, r.amount) = a.map_or((None, None), |a| a.resolve());
            r.debit = debit.map(|a| a.value());
            r.credit = credit.map(|a| a.value());
            r.related = related.map(|t| t.value());
            r.unit = unit_or_debits(*unit, r.debit, model);
            // Reserved bits only now and then, so that the other checks get exercised.
            r.flags = if flags >> 12 == 0xF {
                *flags
            } else {
                flags & flag::ALL
            };
            r.timeout_s = timeout.seconds();
        }
    }
    let account = |id: Option<u128>| id.map(|v| AccountId::new(v).expect("non-zero"));
    let engine = Transfer {
        id: spec.id.id(),
        debit_account_id: account(r.debit),
        credit_account_id: account(r.credit),
        amount,
        related_id: r.related.map(transfer_id),
        unit: r.unit,
        code: r.code,
        flags: TransferFlags(r.flags),
        timeout_s: r.timeout_s,
        user_data: r.user_data,
        served_at: r.served_at,
    };
    (engine, r)
}

/// Half the refs name an existing transfer (the n-th in id order), so that posts, voids and
/// reversals mostly find what they resolve; the rest name an id directly.
fn related_id(related: TransferRef, model: &Model) -> u128 {
    let known = model.transfers.len();
    if related.0 < 0x80 && known > 0 {
        let n = usize::from(related.0) % known;
        *model.transfers.keys().nth(n).expect("n < len")
    } else {
        related.value()
    }
}

/// The given unit, or else the debit account's (unit 1 when there is none yet).
fn unit_or_debits(unit: Option<UnitRef>, debit: Option<u128>, model: &Model) -> u16 {
    unit.map_or_else(
        || {
            debit
                .and_then(|id| model.accounts.get(&id))
                .map_or(1, |a| a.spec.unit)
        },
        |u| u.value(),
    )
}

/// A command whose every event failed (or that expired nothing) changes nothing but the clock:
/// the digest equals that of the ledger before it with only the clock moved on.
pub(crate) fn check_failure_changed_nothing(
    before: &Ledger,
    after: &Ledger,
    command: &Command,
    reply: &Result<Reply, BatchError>,
    now: u64,
) {
    let events = match reply {
        Err(_) => {
            assert_eq!(
                before.state_digest(),
                after.state_digest(),
                "refused batch changed state"
            );
            return;
        }
        Ok(Reply::Expired(ids)) if ids.is_empty() => 1,
        Ok(Reply::Events(results)) if results.iter().all(|r| !r.is_ok()) => results.len(),
        Ok(_) => return,
    };
    // Standalone transfers that fail with a transient code legitimately record their ids.
    if let Command::CreateTransfers(batch) = command {
        if batch
            .iter()
            .any(|t| after.failed_code(t.id) != before.failed_code(t.id))
        {
            return;
        }
    }
    let mut expected = before.clone();
    // Accounts in unit 0 never exist, so this batch only moves the clock, by `events` ticks.
    let no_op = NewAccount::new(AccountId::new(1).expect("non-zero"), 0, AccountKind::Member);
    expected
        .create_accounts(&vec![no_op; events], now)
        .expect("the same batch size was accepted at this time");
    assert_eq!(
        expected.state_digest(),
        after.state_digest(),
        "{command:?} failed but changed the ledger"
    );
}

/// Replaying the journaled commands (through their serialized form) gives the same replies and
/// the same state digest.
fn check_replay(
    units: &[Unit],
    ledger: &Ledger,
    log: &[(Command, u64, Result<Reply, BatchError>)],
) {
    check_replay_from(
        Ledger::new(units.to_vec()).expect("valid units"),
        ledger,
        log,
    );
}

/// Replays `log` on `replayed` (a fresh ledger) and compares with `ledger`.
pub(crate) fn check_replay_from(
    mut replayed: Ledger,
    ledger: &Ledger,
    log: &[(Command, u64, Result<Reply, BatchError>)],
) {
    for (command, now, reply) in log {
        let text = serde_json::to_string(command).expect("commands serialize");
        let decoded: Command = serde_json::from_str(&text).expect("commands deserialize");
        assert_eq!(&decoded, command, "command changed through JSON");
        assert_eq!(
            &replayed.execute(&decoded, *now),
            reply,
            "replay of {command:?}"
        );
    }
    assert_eq!(
        replayed.state_digest(),
        ledger.state_digest(),
        "replay digest differs"
    );
}
