//! `timebank simulate`: a seeded community time bank written through the store.
//!
//! Each simulated day journals a few group commits: the services of the day (some with points
//! for the same act, in one chain), requests for care paid with elders' banked hours (some held
//! as bookings, some paid at once), yesterday's bookings completed and rated, cancelled or left to
//! expire, children's gifts of hours to their registered parents, points awarded and spent, and
//! an expiry sweep. Every commit is durable before its line is printed.

use ledger_core::limits::BATCH_EVENTS_MAX;
use ledger_core::policy::{Purpose, SWEEP_TRANSFER_ID_BIT};
use ledger_core::timebank::{
    self, Booking, Completion, Gift, Plan, PointsAward, Redemption, ServiceRecord,
};
use ledger_core::{
    AccountId, AccountKind, Amount, Attribution, Command, Decimal, Eligibility, EventResult,
    Ledger, Link, NewAccount, Rating, Reply, ResultCode, TransferId, UnitId,
};
use ledger_store::checkpoint::hex;
use ledger_store::Store;

use crate::cli::SimulateArgs;
use crate::error::{CliError, CliResult};
use crate::output::print_json;
use crate::session::Session;
use crate::submit::first_transfer_id;
use crate::tally::{summary, CommitLine, Tally};
use crate::time::NANOS_PER_DAY;
use timebank_workload::city::{self, ELDERS, VOLUNTEERS};
use timebank_workload::Dice;

const NANOS_PER_HOUR: u64 = NANOS_PER_DAY / 24;
/// Accounts per creation batch (below the engine's batch limit).
const ACCOUNTS_PER_BATCH: usize = 8_000;
/// Bookings not done by then are released by `expire`.
const BOOKING_TIMEOUT_S: u32 = 2 * 86_400;

/// What one planned operation is, to count it when it applies.
#[derive(Debug, Clone, Copy)]
enum Act {
    Service(Decimal),
    Withdrawal(Decimal),
    Booking,
    Completion(Decimal),
    Cancellation,
    Gift(Decimal),
    TeamDonation,
    Award(Decimal),
    Redemption(Decimal),
    Setup,
}

/// The policy's codes the simulation uses.
#[derive(Debug)]
struct Codes {
    hours: UnitId,
    points: Option<UnitId>,
    service: Vec<u16>,
    care: Vec<u16>,
    award: Vec<u16>,
}

impl Codes {
    fn of(ledger: &Ledger) -> CliResult<Codes> {
        let policy = timebank::policy(ledger).ok_or_else(|| {
            CliError::usage("simulate needs a ledger whose policy defines service and care codes")
        })?;
        let of = |purpose: Purpose, unit: Option<UnitId>| -> Vec<u16> {
            policy
                .codes
                .iter()
                .filter(|c| c.purpose == purpose && unit.is_none_or(|u| c.unit == u))
                .map(|c| c.code)
                .collect()
        };
        let hours = policy
            .codes
            .iter()
            .find(|c| c.purpose == Purpose::Service)
            .map(|c| c.unit)
            .ok_or_else(|| CliError::usage("the ledger's policy has no service code"))?;
        let points = policy
            .codes
            .iter()
            .find(|c| c.purpose == Purpose::Award)
            .map(|c| c.unit);
        let codes = Codes {
            hours,
            points,
            service: of(Purpose::Service, Some(hours)),
            care: of(Purpose::Care, Some(hours)),
            award: points.map_or_else(Vec::new, |p| of(Purpose::Award, Some(p))),
        };
        if codes.care.is_empty() {
            return Err(CliError::usage("the ledger's policy has no care code"));
        }
        Ok(codes)
    }
}

/// The simulation's state while it runs.
struct Simulation<'a> {
    store: &'a Store,
    /// Who runs the simulation (every command it journals carries it).
    who: Attribution,
    dice: Dice,
    codes: Codes,
    next_id: u128,
    now: u64,
    communities: u32,
    /// Bookings not yet resolved: (id, hours held).
    open_bookings: Vec<(TransferId, Amount)>,
    tally: Tally,
    on_commit: &'a mut dyn FnMut(&CommitLine) -> CliResult,
}

/// Runs a simulation on `store` on behalf of `who`, calling `on_commit` after each durable
/// commit.
pub fn simulate(
    store: &Store,
    args: &SimulateArgs,
    who: Attribution,
    now: u64,
    on_commit: &mut dyn FnMut(&CommitLine) -> CliResult,
) -> CliResult<Tally> {
    if args.communities == 0 || args.communities > city::COMMUNITIES_MAX {
        return Err(CliError::usage(format!(
            "--communities must be 1 to {}",
            city::COMMUNITIES_MAX
        )));
    }
    if args.days > city::DAYS_MAX {
        return Err(CliError::usage(format!(
            "--days must be at most {}",
            city::DAYS_MAX
        )));
    }
    let next_id = first_transfer_id(store, None)?.get();
    let (codes, clock) =
        store.read(|ledger| Ok::<_, CliError>((Codes::of(ledger)?, ledger.clock())))?;
    // A second run continues after the first: its days follow the journal's last time.
    let start = now.max(clock.saturating_add(1));
    let mut sim = Simulation {
        store,
        who,
        dice: Dice::new(args.seed),
        codes,
        next_id,
        now: start,
        communities: args.communities,
        open_bookings: Vec::new(),
        tally: Tally {
            first_day: start,
            days: args.days,
            communities: args.communities,
            teams: city::teams(args.communities),
            ..Tally::default()
        },
        on_commit,
    };
    sim.setup(start)?;
    for day in 0..u64::from(args.days) {
        sim.day(start + day * NANOS_PER_DAY)?;
    }
    sim.teams_donate(start + u64::from(args.days) * NANOS_PER_DAY)?;
    Ok(sim.tally)
}

impl Simulation<'_> {
    /// Journals `command`, reports the commit, and counts refused events.
    fn commit(&mut self, command: Command) -> CliResult<Vec<EventResult>> {
        let transfers = match &command {
            Command::CreateTransfers(batch) => batch.len(),
            _ => 0,
        };
        let done = self.store.submit_by(command, self.who, self.now)?;
        self.now = done.now.saturating_add(1);
        let (results, transfers) = match done.reply {
            Reply::Events(results) => (results, transfers),
            Reply::Expired(ids) => {
                self.tally.released += ids
                    .iter()
                    .filter(|id| id.get() & SWEEP_TRANSFER_ID_BIT == 0)
                    .count() as u64;
                (Vec::new(), ids.len())
            }
        };
        for r in &results {
            if !matches!(r.code, ResultCode::Ok | ResultCode::Exists) {
                *self.tally.refused.entry(r.code).or_default() += 1;
            }
        }
        let line = CommitLine {
            seq: done.sequence,
            head: hex(&done.hash),
            transfers,
        };
        self.tally.commits += 1;
        self.tally.seq = line.seq;
        self.tally.head.clone_from(&line.head);
        (self.on_commit)(&line)?;
        Ok(results)
    }

    fn ids(&mut self) -> CliResult<TransferId> {
        let id = TransferId::new(self.next_id)
            .filter(|id| id.get() & SWEEP_TRANSFER_ID_BIT == 0)
            .ok_or_else(|| CliError::refused("refused: the ledger's transfer ids are used up"))?;
        Ok(id)
    }

    /// Plans with the current state and the next free ids; a plan that cannot be made is
    /// counted as refused and left out.
    fn plan(
        &mut self,
        planner: impl FnOnce(&Ledger, TransferId) -> Result<Plan, timebank::PlanError>,
    ) -> CliResult<Option<Plan>> {
        let first = self.ids()?;
        match self.store.read(|ledger| planner(ledger, first)) {
            Ok(plan) => {
                self.next_id += plan.transfers.len().max(1) as u128;
                Ok(Some(plan))
            }
            Err(e) => {
                self.tally.not_planned += 1;
                self.tally.first_not_planned.get_or_insert(e.to_string());
                Ok(None)
            }
        }
    }

    /// Submits plans as one batch (chunked at the batch limit), their ratings after, and
    /// counts each plan that applied. Returns whether each plan applied.
    fn submit(&mut self, plans: Vec<(Plan, Act)>) -> CliResult<Vec<bool>> {
        let mut applied = Vec::with_capacity(plans.len());
        let mut start = 0;
        while start < plans.len() {
            let mut end = start;
            let mut events = 0;
            while end < plans.len() && events + plans[end].0.transfers.len() <= BATCH_EVENTS_MAX {
                events += plans[end].0.transfers.len();
                end += 1;
            }
            let chunk = &plans[start..end.max(start + 1)];
            let transfers = chunk
                .iter()
                .flat_map(|(p, _)| p.transfers.clone())
                .collect();
            let results = self.commit(Command::CreateTransfers(transfers))?;
            let mut at = 0;
            let mut ratings: Vec<Rating> = Vec::new();
            for (plan, act) in chunk {
                let ok = results.get(at).is_some_and(|r| r.code == ResultCode::Ok);
                at += plan.transfers.len();
                if ok {
                    self.count(*act);
                    ratings.extend(plan.ratings.iter().copied());
                }
                applied.push(ok);
            }
            if !ratings.is_empty() {
                self.commit(Command::RecordRatings(ratings))?;
            }
            start = end.max(start + 1);
        }
        Ok(applied)
    }

    fn count(&mut self, act: Act) {
        let t = &mut self.tally;
        match act {
            Act::Service(h) => {
                (t.services, t.service_hours) = (t.services + 1, t.service_hours + h)
            }
            Act::Withdrawal(h) | Act::Completion(h) => {
                t.withdrawals += 1;
                t.withdrawn_hours += h;
                t.completed += u64::from(matches!(act, Act::Completion(_)));
            }
            Act::Booking => t.bookings += 1,
            Act::Cancellation => t.cancelled += 1,
            Act::Gift(h) => (t.gifts, t.gift_hours) = (t.gifts + 1, t.gift_hours + h),
            Act::TeamDonation => t.team_donations += 1,
            Act::Award(p) => (t.awards, t.points_awarded) = (t.awards + 1, t.points_awarded + p),
            Act::Redemption(p) => {
                (t.redemptions, t.points_redeemed) = (t.redemptions + 1, t.points_redeemed + p)
            }
            Act::Setup => {}
        }
    }

    fn available(&self, account: AccountId) -> Decimal {
        self.store
            .account(account)
            .map_or(Decimal::ZERO, |a| a.available())
    }

    // -----------------------------------------------------------------------------------------
    // The city

    fn accounts(&self) -> Vec<NewAccount> {
        let (hours, points) = (self.codes.hours, self.codes.points);
        let mut specs = Vec::new();
        for c in 1..=self.communities {
            specs.push(NewAccount::new(city::fund(c), hours, AccountKind::Issuer).community(c));
            specs.push(NewAccount::new(city::pool(c), hours, AccountKind::Donation).community(c));
            if let Some(points) = points {
                let issuer = NewAccount::new(city::points_issuer(c), points, AccountKind::Issuer);
                specs.push(issuer.community(c));
                let shop = NewAccount::new(city::shop(c), points, AccountKind::Redemption);
                specs.push(shop.community(c));
            }
            for i in 0..VOLUNTEERS {
                let v = NewAccount::new(city::volunteer(c, i), hours, AccountKind::Member);
                specs.push(v.community(c));
                if let Some(points) = points {
                    let p =
                        NewAccount::new(city::volunteer_points(c, i), points, AccountKind::Member);
                    specs.push(p.community(c));
                }
            }
            for i in 0..ELDERS {
                let e = NewAccount::new(city::elder(c, i), hours, AccountKind::Member);
                specs.push(e.community(c));
            }
        }
        for t in 0..city::teams(self.communities) {
            let team = NewAccount::new(city::team(t), hours, AccountKind::Group);
            specs.push(team.community(t % self.communities + 1));
        }
        specs
    }

    /// Opens the city's accounts (those not open yet). Elders new to the ledger bring hours
    /// banked in earlier years, a registered child, and may pay for care from the start.
    fn setup(&mut self, start: u64) -> CliResult {
        // Accounts from an earlier run stay as they are (their eligibility date was set since,
        // so asking to create them again would differ).
        let specs: Vec<NewAccount> = self.store.read(|ledger| {
            self.accounts()
                .into_iter()
                .filter(|spec| ledger.account(spec.id).is_none())
                .collect()
        });
        let elders: std::collections::BTreeSet<AccountId> = (1..=self.communities)
            .flat_map(|c| (0..ELDERS).map(move |i| city::elder(c, i)))
            .collect();
        let mut new_elders = std::collections::BTreeSet::new();
        for batch in specs.chunks(ACCOUNTS_PER_BATCH) {
            let results = self.commit(Command::CreateAccounts(batch.to_vec()))?;
            for (spec, result) in batch.iter().zip(&results) {
                match result.code {
                    ResultCode::Ok => {
                        self.tally.accounts_opened += 1;
                        if elders.contains(&spec.id) {
                            new_elders.insert(spec.id);
                        }
                    }
                    ResultCode::Exists => {}
                    code => {
                        return Err(CliError::result_code(
                            code,
                            &format!("opening simulation account {}", spec.id),
                        ))
                    }
                }
            }
        }
        if new_elders.is_empty() {
            return Ok(());
        }
        let mut plans = Vec::new();
        let mut links = Vec::new();
        let mut eligible = Vec::new();
        let code = self.codes.service[0];
        for c in 1..=self.communities {
            for i in 0..ELDERS {
                let elder = city::elder(c, i);
                if !new_elders.contains(&elder) {
                    continue;
                }
                // Invariant: 20 to 59 whole hours is a positive amount at scale 2.
                let banked = Amount::from_minor(2_000 + u64::from(self.dice.below(40)) * 100, 2)
                    .expect("positive hours");
                let record = ServiceRecord {
                    served_at: None,
                    code,
                    payer: city::fund(c),
                    provider: elder,
                    hours: banked,
                    donation: Some(city::pool(c)),
                    points: None,
                    user_data: 0,
                };
                if let Some(plan) =
                    self.plan(|l, id| timebank::plan_service(l, id, &record, start))?
                {
                    plans.push((plan, Act::Setup));
                }
                links.push(Link {
                    a: city::volunteer(c, i),
                    b: elder,
                });
                eligible.push(Eligibility {
                    account: elder,
                    from: Some(start),
                });
            }
        }
        self.submit(plans)?;
        for batch in links.chunks(ACCOUNTS_PER_BATCH) {
            self.commit(Command::LinkAccounts(batch.to_vec()))?;
        }
        for batch in eligible.chunks(ACCOUNTS_PER_BATCH) {
            self.commit(Command::SetEligibility(batch.to_vec()))?;
        }
        Ok(())
    }

    fn community(&mut self) -> u32 {
        1 + self.dice.below(self.communities)
    }

    fn day(&mut self, day_start: u64) -> CliResult {
        self.now = self.now.max(day_start + 8 * NANOS_PER_HOUR);
        self.services(day_start)?;
        self.resolve_bookings()?;
        self.requests(day_start)?;
        self.gifts()?;
        self.points()?;
        self.now = self.now.max(day_start + 20 * NANOS_PER_HOUR);
        self.commit(Command::Expire)?;
        Ok(())
    }

    /// Services paid by the community fund; a third of volunteers' also earn points.
    fn services(&mut self, now: u64) -> CliResult {
        let count = self
            .dice
            .per_day(city::CITY_SERVICES_PER_MONTH, self.communities);
        let mut plans = Vec::new();
        for _ in 0..count {
            let c = self.community();
            let by_team = self.dice.below(10) == 0;
            let i = self.dice.below(VOLUNTEERS);
            let provider = if by_team {
                city::team(self.dice.below(city::teams(self.communities)))
            } else {
                city::volunteer(c, i)
            };
            let points = match (self.codes.award.first(), by_team || self.dice.below(3) != 0) {
                (Some(&code), false) => Some(PointsAward {
                    code,
                    issuer: city::points_issuer(c),
                    member: city::volunteer_points(c, i),
                    acts: 1,
                }),
                _ => None,
            };
            let code =
                self.codes.service[self.dice.below(self.codes.service.len() as u32) as usize];
            let record = ServiceRecord {
                served_at: None,
                code,
                payer: city::fund(c),
                provider,
                hours: self.dice.hours(),
                donation: Some(city::pool(c)),
                points,
                user_data: 0,
            };
            if let Some(plan) = self.plan(|l, id| timebank::plan_service(l, id, &record, now))? {
                let earned = plan.transfers[0]
                    .amount
                    .map_or(Decimal::ZERO, |a| a.value());
                plans.push((plan, Act::Service(earned)));
            }
        }
        self.submit(plans).map(drop)
    }

    /// Requests for care paid with an elder's own hours: most are booked (held until done),
    /// the rest paid at once.
    fn requests(&mut self, now: u64) -> CliResult {
        let count = self
            .dice
            .per_day(city::CITY_REQUESTS_PER_MONTH, self.communities);
        let mut plans = Vec::new();
        let mut held = Decimal::ZERO;
        for _ in 0..count {
            let c = self.community();
            let elder = city::elder(c, self.dice.below(ELDERS));
            let provider = city::volunteer(c, self.dice.below(VOLUNTEERS));
            let code = self.codes.care[self.dice.below(self.codes.care.len() as u32) as usize];
            let hours = self.dice.hours();
            if self.available(elder) < hours.value() + held {
                self.tally.short_of_hours += 1;
                continue;
            }
            held += hours.value();
            let plan = if self.dice.below(10) < 6 {
                let booking = Booking {
                    code,
                    payer: elder,
                    provider,
                    hours,
                    timeout_s: BOOKING_TIMEOUT_S,
                    user_data: 0,
                };
                self.plan(|l, id| timebank::plan_booking(l, id, &booking))?
                    .map(|p| (p, Act::Booking))
            } else {
                self.plan(|l, id| {
                    timebank::plan_withdrawal(l, id, code, elder, provider, hours, now)
                })?
                .map(|p| (p, Act::Withdrawal(hours.value())))
            };
            plans.extend(plan);
        }
        let booked: Vec<(TransferId, Amount)> = plans
            .iter()
            .filter(|(_, act)| matches!(act, Act::Booking))
            .filter_map(|(p, _)| Some((p.transfers[0].id, p.transfers[0].amount?)))
            .collect();
        let applied = self.submit(plans.clone())?;
        let mut booked = booked.into_iter();
        for ((_, act), ok) in plans.iter().zip(applied) {
            if let Act::Booking = act {
                match booked.next() {
                    Some(b) if ok => self.open_bookings.push(b),
                    _ => {}
                }
            }
        }
        Ok(())
    }

    /// Earlier bookings: most are done (some took less time) and rated, some cancelled, and a
    /// few forgotten until `expire` releases them.
    fn resolve_bookings(&mut self) -> CliResult {
        let mut plans = Vec::new();
        for (booking, booked) in std::mem::take(&mut self.open_bookings) {
            let roll = self.dice.below(100);
            let now = self.now;
            if roll < 80 {
                let half = Amount::from_minor(50, 2).ok().filter(|h| *h < booked);
                let served = if roll < 20 { half } else { None };
                let rating = Some(3 + self.dice.below(3) as u8);
                let completion = Completion {
                    served_at: None,
                    booking,
                    hours: served,
                    rating,
                    donation: None,
                };
                let hours = served.unwrap_or(booked).value();
                plans.extend(
                    self.plan(|l, id| timebank::plan_completion(l, id, &completion, now))?
                        .map(|p| (p, Act::Completion(hours))),
                );
            } else if roll < 90 {
                plans.extend(
                    self.plan(|l, id| timebank::plan_cancellation(l, id, booking))?
                        .map(|p| (p, Act::Cancellation)),
                );
            }
        }
        self.submit(plans).map(drop)
    }

    /// Children give an hour to their registered parent.
    fn gifts(&mut self) -> CliResult {
        let count = self
            .dice
            .per_day(city::CITY_GIFTS_PER_MONTH, self.communities);
        let one_hour = Amount::from_minor(100, 2).map_err(|e| CliError::usage(e.to_string()))?;
        let mut plans = Vec::new();
        for _ in 0..count {
            let c = self.community();
            let i = self.dice.below(ELDERS);
            let child = city::volunteer(c, i);
            if self.available(child) < one_hour.value() {
                continue;
            }
            let gift = Gift {
                from: child,
                to: city::elder(c, i),
                amount: one_hour,
                code: None,
            };
            plans.extend(
                self.plan(|l, id| timebank::plan_gift(l, id, &gift))?
                    .map(|p| (p, Act::Gift(one_hour.value()))),
            );
        }
        self.submit(plans).map(drop)
    }

    /// Activities earn points; members spend 20 at the points supermarket.
    fn points(&mut self) -> CliResult {
        if self.codes.award.is_empty() {
            return Ok(());
        }
        let mut plans = Vec::new();
        for _ in 0..self
            .dice
            .per_day(city::CITY_ACTIVITIES_PER_MONTH, self.communities)
        {
            let c = self.community();
            let award = PointsAward {
                code: self.codes.award[self.dice.below(self.codes.award.len() as u32) as usize],
                issuer: city::points_issuer(c),
                member: city::volunteer_points(c, self.dice.below(VOLUNTEERS)),
                acts: 1 + self.dice.below(3),
            };
            if let Some(plan) = self.plan(|l, id| timebank::plan_award(l, id, &award))? {
                let points = plan.transfers[0]
                    .amount
                    .map_or(Decimal::ZERO, |a| a.value());
                plans.push((plan, Act::Award(points)));
            }
        }
        let spend = Amount::from_minor(20, 0).map_err(|e| CliError::usage(e.to_string()))?;
        for _ in 0..self
            .dice
            .per_day(city::CITY_REDEMPTIONS_PER_MONTH, self.communities)
        {
            let c = self.community();
            let member = city::volunteer_points(c, self.dice.below(VOLUNTEERS));
            if self.available(member) < spend.value() {
                continue;
            }
            let request = Redemption {
                member,
                redemption: city::shop(c),
                amount: spend,
                code: None,
            };
            plans.extend(
                self.plan(|l, id| timebank::plan_redemption(l, id, &request))?
                    .map(|p| (p, Act::Redemption(spend.value()))),
            );
        }
        self.submit(plans).map(drop)
    }

    /// Volunteer teams' hours may only be donated: at the end each team gives what it earned
    /// to its community's pool.
    fn teams_donate(&mut self, now: u64) -> CliResult {
        self.now = self.now.max(now);
        let mut plans = Vec::new();
        for t in 0..city::teams(self.communities) {
            let team = city::team(t);
            let Ok(amount) = Amount::from_decimal_in(self.available(team), 6) else {
                continue;
            };
            let gift = Gift {
                from: team,
                to: city::pool(t % self.communities + 1),
                amount,
                code: None,
            };
            plans.extend(
                self.plan(|l, id| timebank::plan_gift(l, id, &gift))?
                    .map(|p| (p, Act::TeamDonation)),
            );
        }
        self.submit(plans).map(drop)
    }
}

/// Opens the ledger in the data directory, creating it under the policy when there is none. A
/// simulation runs months ahead of the clock, so the store's time guard is off.
pub fn open_or_create(session: &Session) -> CliResult<(Store, bool)> {
    let options = session.simulation_options();
    if session.has_journal() {
        return Ok((session.open_with(options)?, false));
    }
    let policy = session.policy()?;
    session.lock(true)?;
    let store = Store::create(session.data(), &policy, session.now()?, options)?;
    Ok((store, true))
}

pub fn run(session: &Session, args: &SimulateArgs) -> CliResult {
    let (store, _) = open_or_create(session)?;
    let json = &mut |line: &CommitLine| print_json(line);
    let tally = simulate(&store, args, session.attribution()?, session.now()?, json)?;
    store.close()?;
    crate::output::note!("{}", summary(&tally).trim_end());
    Ok(())
}
