//! Scenarios from DOMAIN.md, each asserting balances and refusals: caps (Changning, Nanjing),
//! eligibility, family gifts, group hours, points, bookings, reversals and closing.

mod timebank_support;

use ledger_core::timebank::{
    self, Booking, Closing, Completion, Gift, PlanError, PointsAward, Redemption, ServiceRecord,
};
use ledger_core::{
    AccountKind, Amount, Excess, Expiry, Period, Policy, ResultCode, Transfer, TransferId,
    SWEEP_TRANSFER_ID_BIT,
};
use timebank_support::*;

fn service(code: u16, payer: u128, provider: u128, h: &str) -> ServiceRecord {
    ServiceRecord {
        served_at: None,
        code,
        payer: id(payer),
        provider: id(provider),
        hours: hours(h),
        donation: None,
        points: None,
        user_data: 0,
    }
}

/// A fund (1) and a volunteer (2) in community 7.
fn bank_with_volunteer(policy: &Policy) -> Bank {
    let mut bank = Bank::new(policy);
    bank.open(1, HOURS, AccountKind::Issuer, 7);
    bank.open(2, HOURS, AccountKind::Member, 7);
    bank
}

fn serve(bank: &mut Bank, h: &str) -> Vec<ResultCode> {
    let first = bank.ids();
    let plan = timebank::plan_service(
        &bank.ledger,
        first,
        &service(COMPANIONSHIP, 1, 2, h),
        bank.now,
    )
    .expect("a plan");
    bank.submit(&plan)
}

#[test]
fn changning_volunteer_earns_at_most_two_a_day_and_six_hundred_in_all() {
    let policy = policy_with_caps(vec![
        cap(HOURS, Period::Day, "2", Excess::Reject),
        cap(HOURS, Period::Lifetime, "600", Excess::Reject),
    ]);
    let mut bank = bank_with_volunteer(&policy);
    assert_eq!(serve(&mut bank, "1.5"), [ResultCode::Ok]);
    assert_eq!(serve(&mut bank, "1"), [ResultCode::CapExceededDaily]);
    assert_eq!(bank.balance(id(2)), dec("1.5"));
    assert_eq!(serve(&mut bank, "0.5"), [ResultCode::Ok]);
    assert_eq!(serve(&mut bank, "0.01"), [ResultCode::CapExceededDaily]);

    // A raw transfer from a host cannot go around the cap either.
    let raw = Transfer::new(bank.ids(), id(1), id(2), hours("1"), HOURS).code(PERSONAL_CARE);
    let r = bank.ledger.create_transfers(&[raw], bank.now).unwrap();
    assert_eq!(r[0].code, ResultCode::CapExceededDaily);

    // The next local day starts at midnight in UTC+8 (START is 01:00 local).
    bank.tick(23 * NANOS_PER_HOUR);
    assert_eq!(serve(&mut bank, "2"), [ResultCode::Ok]);
    for _ in 0..298 {
        bank.tick(NANOS_PER_DAY);
        assert_eq!(serve(&mut bank, "2"), [ResultCode::Ok]);
    }
    assert_eq!(bank.balance(id(2)), dec("600"));
    bank.tick(NANOS_PER_DAY);
    assert_eq!(serve(&mut bank, "0.25"), [ResultCode::CapExceededLifetime]);
    assert_eq!(bank.balance(id(2)), dec("600"));
    let earned = timebank::earnings(&bank.ledger, id(2), bank.now);
    assert_eq!(earned.lifetime, dec("600"));
    assert_eq!(earned.day, dec("0"));
    bank.assert_books_balance();
}

#[test]
fn the_daily_cap_counts_days_in_the_policys_time_zone() {
    let policy = policy_with_caps(vec![cap(HOURS, Period::Day, "2", Excess::Reject)]);
    let mut bank = bank_with_volunteer(&policy);
    assert_eq!(serve(&mut bank, "2"), [ResultCode::Ok]);
    // 01:00 to 09:00 in UTC+8 crosses midnight UTC but not midnight in Shanghai.
    bank.tick(8 * NANOS_PER_HOUR);
    assert_eq!(serve(&mut bank, "1"), [ResultCode::CapExceededDaily]);
    bank.tick(15 * NANOS_PER_HOUR);
    assert_eq!(serve(&mut bank, "1"), [ResultCode::Ok]);
}

#[test]
fn a_reversal_gives_back_the_room_under_the_cap() {
    let policy = policy_with_caps(vec![cap(HOURS, Period::Day, "2", Excess::Reject)]);
    let mut bank = bank_with_volunteer(&policy);
    let first = bank.ids();
    let plan = timebank::plan_service(
        &bank.ledger,
        first,
        &service(COMPANIONSHIP, 1, 2, "2"),
        bank.now,
    )
    .unwrap();
    bank.apply(&plan);
    assert_eq!(serve(&mut bank, "1"), [ResultCode::CapExceededDaily]);
    let reversal = timebank::plan_reversal(&bank.ledger, bank.ids(), first).unwrap();
    bank.apply(&reversal);
    assert_eq!(bank.balance(id(2)), dec("0"));
    assert_eq!(serve(&mut bank, "1"), [ResultCode::Ok]);
}

#[test]
fn nanjing_volunteer_past_fifteen_hundred_donates_the_excess() {
    let policy = policy_with_caps(vec![cap(HOURS, Period::Lifetime, "1500", Excess::Donate)]);
    let mut bank = bank_with_volunteer(&policy);
    let pool = bank.open(3, HOURS, AccountKind::Donation, 7);
    assert_eq!(serve(&mut bank, "1499"), [ResultCode::Ok]);

    let mut record = service(COMPANIONSHIP, 1, 2, "3");
    let first = bank.ids();
    assert_eq!(
        timebank::plan_service(&bank.ledger, first, &record, bank.now),
        Err(PlanError::DonationAccountRequired)
    );
    record.donation = Some(pool);
    let plan = timebank::plan_service(&bank.ledger, first, &record, bank.now).unwrap();
    assert_eq!(plan.transfers.len(), 2, "capped part and donation, linked");
    bank.apply(&plan);
    assert_eq!(bank.balance(id(2)), dec("1500"));
    assert_eq!(bank.balance(pool), dec("2"));
    assert_eq!(bank.balance(id(1)), dec("-1502"));

    // At the cap, everything goes to donation; a raw credit is refused.
    let plan = timebank::plan_service(&bank.ledger, bank.ids(), &record, bank.now).unwrap();
    assert_eq!(plan.transfers.len(), 1);
    bank.apply(&plan);
    assert_eq!(bank.balance(pool), dec("5"));
    let raw = Transfer::new(bank.ids(), id(1), id(2), hours("1"), HOURS).code(COMPANIONSHIP);
    let r = bank.ledger.create_transfers(&[raw], bank.now + 1).unwrap();
    assert_eq!(r[0].code, ResultCode::CapExceededLifetime);
    let flows = ledger_core::report::flows(&bank.ledger).unwrap();
    let hours_flows = flows.units.iter().find(|(u, _)| *u == HOURS).unwrap().1;
    assert_eq!(hours_flows.issued, dec("1500"));
    assert_eq!(hours_flows.donated, dec("5"));
    bank.assert_books_balance();
}

#[test]
fn care_is_paid_with_own_hours_only_from_the_eligibility_date() {
    let mut bank = bank_with_volunteer(&Policy::default_policy());
    let elder = bank.open(3, HOURS, AccountKind::Member, 7);
    let mut record = service(COMPANIONSHIP, 1, 3, "10");
    let plan = timebank::plan_service(&bank.ledger, bank.ids(), &record, bank.now).unwrap();
    bank.apply(&plan);

    let withdraw = |bank: &mut Bank| {
        timebank::plan_withdrawal(
            &bank.ledger,
            bank.ids(),
            CARE_COMPANIONSHIP,
            elder,
            id(2),
            hours("2"),
            bank.now,
        )
        .unwrap()
    };
    let plan = withdraw(&mut bank);
    assert_eq!(bank.refused(&plan), ResultCode::NotYetEligible);
    bank.eligible_from(elder, Some(bank.now + NANOS_PER_DAY));
    let plan = withdraw(&mut bank);
    assert_eq!(bank.refused(&plan), ResultCode::NotYetEligible);
    assert_eq!(bank.balance(elder), dec("10"));
    bank.tick(NANOS_PER_DAY);
    let plan = withdraw(&mut bank);
    bank.apply(&plan);
    assert_eq!(bank.balance(elder), dec("8"));
    assert_eq!(bank.balance(id(2)), dec("2"));

    // A service code cannot be paid from a member's hours, nor a care code by... a fund to itself.
    record.payer = elder;
    record.provider = id(2);
    let plan = timebank::plan_service(&bank.ledger, bank.ids(), &record, bank.now).unwrap();
    assert_eq!(bank.refused(&plan), ResultCode::CodeNotAllowed);
    let unknown = Transfer::new(bank.ids(), id(1), id(2), hours("1"), HOURS).code(999);
    let r = bank
        .ledger
        .create_transfers(&[unknown], bank.now + 1)
        .unwrap();
    assert_eq!(r[0].code, ResultCode::CodeNotAllowed);
}

#[test]
fn gift_to_a_registered_relative_is_accepted_and_to_a_stranger_refused() {
    let mut bank = bank_with_volunteer(&Policy::default_policy());
    let parent = bank.open(3, HOURS, AccountKind::Member, 7);
    let stranger = bank.open(4, HOURS, AccountKind::Member, 8);
    let pool = bank.open(5, HOURS, AccountKind::Donation, 7);
    let plan = timebank::plan_service(
        &bank.ledger,
        bank.ids(),
        &service(COMPANIONSHIP, 1, 2, "20"),
        bank.now,
    )
    .unwrap();
    bank.apply(&plan);
    bank.link(id(2), parent);

    let gift = |bank: &mut Bank, to, amount| {
        let request = Gift {
            from: id(2),
            to,
            amount: hours(amount),
            code: None,
        };
        timebank::plan_gift(&bank.ledger, bank.ids(), &request).unwrap()
    };
    let plan = gift(&mut bank, parent, "5");
    bank.apply(&plan);
    let plan = gift(&mut bank, stranger, "5");
    assert_eq!(bank.refused(&plan), ResultCode::GiftNotAllowed);
    let plan = gift(&mut bank, pool, "3");
    assert_eq!(plan.transfers[0].code, DONATION);
    bank.apply(&plan);
    assert_eq!(bank.balance(id(2)), dec("12"));
    assert_eq!(bank.balance(parent), dec("5"));
    assert_eq!(bank.balance(stranger), dec("0"));
    assert_eq!(bank.balance(pool), dec("3"));

    // A program that allows friends (Shanghai) accepts the same gift.
    let mut open = Policy::default_policy();
    open.gifts.any_member = true;
    let mut bank = bank_with_volunteer(&open);
    bank.open(4, HOURS, AccountKind::Member, 8);
    let plan = timebank::plan_service(
        &bank.ledger,
        bank.ids(),
        &service(COMPANIONSHIP, 1, 2, "20"),
        bank.now,
    )
    .unwrap();
    bank.apply(&plan);
    let plan = gift(&mut bank, id(4), "5");
    bank.apply(&plan);
    assert_eq!(bank.balance(id(4)), dec("5"));
}

#[test]
fn group_hours_may_only_be_donated() {
    let mut bank = bank_with_volunteer(&Policy::default_policy());
    let team = bank.open(3, HOURS, AccountKind::Group, 7);
    let pool = bank.open(4, HOURS, AccountKind::Donation, 7);
    let plan = timebank::plan_service(
        &bank.ledger,
        bank.ids(),
        &service(COMPANIONSHIP, 1, 3, "30"),
        bank.now,
    )
    .unwrap();
    bank.apply(&plan);
    assert_eq!(bank.balance(team), dec("30"));

    let gift = Gift {
        from: team,
        to: id(2),
        amount: hours("5"),
        code: None,
    };
    let plan = timebank::plan_gift(&bank.ledger, bank.ids(), &gift).unwrap();
    assert_eq!(bank.refused(&plan), ResultCode::GroupMayOnlyDonate);
    let care = Transfer::new(bank.ids(), team, id(2), hours("1"), HOURS).code(CARE_COMPANIONSHIP);
    let r = bank.ledger.create_transfers(&[care], bank.now + 1).unwrap();
    assert_eq!(r[0].code, ResultCode::GroupMayOnlyDonate);

    let donation = Gift { to: pool, ..gift };
    let plan = timebank::plan_gift(&bank.ledger, bank.ids(), &donation).unwrap();
    bank.apply(&plan);
    assert_eq!(bank.balance(team), dec("25"));
    assert_eq!(bank.balance(pool), dec("5"));
    assert_eq!(bank.balance(id(2)), dec("0"));
}

#[test]
fn points_are_awarded_redeemed_and_expire_oldest_first() {
    let mut policy = Policy::default_policy();
    policy.expiry.push(Expiry {
        unit: POINTS,
        lifetime_days: 30,
        account: id(9),
        code: POINTS_EXPIRY,
    });
    let mut bank = Bank::new(&policy);
    let issuer = bank.open(1, POINTS, AccountKind::Issuer, 7);
    let member = bank.open(2, POINTS, AccountKind::Member, 7);
    let shop = bank.open(3, POINTS, AccountKind::Redemption, 7);
    let expiry = bank.open(9, POINTS, AccountKind::Expiry, 0);
    let award = |bank: &mut Bank, acts| {
        let request = PointsAward {
            code: VOLUNTEERING_POINTS,
            issuer,
            member,
            acts,
        };
        timebank::plan_award(&bank.ledger, bank.ids(), &request).unwrap()
    };

    let plan = award(&mut bank, 3);
    bank.apply(&plan);
    assert_eq!(bank.balance(member), dec("30"), "10 points per act");
    let redeem = Redemption {
        member,
        redemption: shop,
        amount: Amount::parse_in("12", 0).unwrap(),
        code: None,
    };
    let plan = timebank::plan_redemption(&bank.ledger, bank.ids(), &redeem).unwrap();
    bank.apply(&plan);
    bank.tick(20 * NANOS_PER_DAY);
    let plan = award(&mut bank, 1);
    bank.apply(&plan);
    assert_eq!(bank.balance(member), dec("28"));

    bank.tick(8 * NANOS_PER_DAY);
    assert!(bank.expire().is_empty(), "nothing is 30 days old yet");
    bank.tick(3 * NANOS_PER_DAY);
    let swept = bank.expire();
    assert_eq!(swept.len(), 1);
    assert_eq!(swept[0], tid(SWEEP_TRANSFER_ID_BIT | 1));
    assert_eq!(
        bank.balance(member),
        dec("10"),
        "the 18 left of the first award expired"
    );
    assert_eq!(bank.balance(expiry), dec("18"));
    assert!(bank.expire().is_empty(), "a sweep happens once");
    bank.tick(20 * NANOS_PER_DAY);
    assert_eq!(bank.expire(), [tid(SWEEP_TRANSFER_ID_BIT | 2)]);
    assert_eq!(bank.balance(member), dec("0"));
    assert_eq!(bank.balance(shop), dec("12"));

    // Hosts cannot use the ids the ledger keeps for sweeps.
    let t = Transfer::new(
        tid(SWEEP_TRANSFER_ID_BIT | 3),
        issuer,
        member,
        Amount::parse_in("1", 0).unwrap(),
        POINTS,
    )
    .code(VOLUNTEERING_POINTS);
    let void = Transfer::void(tid(SWEEP_TRANSFER_ID_BIT | 4), tid(1));
    let r = bank
        .ledger
        .create_transfers(&[t, void], bank.now + 1)
        .unwrap();
    assert_eq!(r[0].code, ResultCode::TransferIdReserved);
    assert_eq!(r[1].code, ResultCode::TransferIdReserved);
    let flows = ledger_core::report::flows(&bank.ledger).unwrap();
    let points = flows.units.iter().find(|(u, _)| *u == POINTS).unwrap().1;
    assert_eq!(
        (points.issued, points.redeemed, points.expired),
        (dec("40"), dec("12"), dec("28"))
    );
    bank.assert_books_balance();
}

/// An elder (3) with 10 hours from the fund, eligible now, and a volunteer (2).
fn bank_with_elder() -> Bank {
    let mut bank = bank_with_volunteer(&Policy::default_policy());
    bank.open(3, HOURS, AccountKind::Member, 7);
    let plan = timebank::plan_service(
        &bank.ledger,
        bank.ids(),
        &service(COMPANIONSHIP, 1, 3, "10"),
        bank.now,
    )
    .unwrap();
    bank.apply(&plan);
    bank.eligible_from(id(3), Some(START));
    bank
}

fn book(bank: &mut Bank, h: &str, timeout_s: u32) -> TransferId {
    let booking = Booking {
        code: CARE_COMPANIONSHIP,
        payer: id(3),
        provider: id(2),
        hours: hours(h),
        timeout_s,
        user_data: 0,
    };
    let hold = bank.ids();
    let plan = timebank::plan_booking(&bank.ledger, hold, &booking).unwrap();
    bank.apply(&plan);
    hold
}

#[test]
fn a_booking_held_partly_completed_releases_the_remainder() {
    let mut bank = bank_with_elder();
    let hold = book(&mut bank, "3", 0);
    assert_eq!(bank.available(id(3)), dec("7"));
    assert_eq!(bank.balance(id(3)), dec("10"));

    let completion = Completion {
        served_at: None,
        booking: hold,
        hours: Some(hours("2")),
        rating: Some(5),
        donation: None,
    };
    let post = bank.ids();
    let plan = timebank::plan_completion(&bank.ledger, post, &completion, bank.now).unwrap();
    assert_eq!(
        bank.submit(&plan),
        [ResultCode::Ok, ResultCode::Ok],
        "post, then rating"
    );
    assert_eq!(bank.balance(id(3)), dec("8"));
    assert_eq!(
        bank.available(id(3)),
        dec("8"),
        "the third hour was released"
    );
    assert_eq!(bank.balance(id(2)), dec("2"));
    assert_eq!(timebank::rating(&bank.ledger, post), Some(5));
    // A rating is recorded once; a second completion finds no pending booking.
    assert_eq!(
        bank.submit(&ledger_core::timebank::Plan {
            closes: Vec::new(),
            transfers: vec![],
            ratings: plan.ratings.clone()
        })
        .last(),
        Some(&ResultCode::AlreadyRated)
    );
    assert_eq!(
        timebank::plan_completion(&bank.ledger, bank.ids(), &completion, bank.now),
        Err(PlanError::NotABooking(hold))
    );
    let bad = Completion {
        served_at: None,
        rating: Some(6),
        ..completion
    };
    let hold = book(&mut bank, "1", 0);
    assert_eq!(
        timebank::plan_completion(
            &bank.ledger,
            bank.ids(),
            &Completion {
                served_at: None,
                booking: hold,
                ..bad
            },
            bank.now
        ),
        Err(PlanError::RatingInvalid(6))
    );
    let plan = timebank::plan_cancellation(&bank.ledger, bank.ids(), hold).unwrap();
    bank.apply(&plan);
    assert_eq!(bank.available(id(3)), dec("8"));
}

#[test]
fn a_booking_past_its_deadline_is_released_by_expire() {
    let mut bank = bank_with_elder();
    let hold = book(&mut bank, "4", 3_600);
    assert_eq!(bank.available(id(3)), dec("6"));
    bank.tick(NANOS_PER_HOUR / 2);
    assert!(bank.expire().is_empty());
    bank.tick(NANOS_PER_HOUR);
    assert_eq!(bank.expire(), [hold]);
    assert_eq!(bank.available(id(3)), dec("10"));
    assert_eq!(bank.balance(id(2)), dec("0"));
    let post = Transfer::post(bank.ids(), hold, None);
    let r = bank.ledger.create_transfers(&[post], bank.now + 1).unwrap();
    assert_eq!(r[0].code, ResultCode::PendingTransferExpired);
}

#[test]
fn a_reversal_moves_the_hours_back_and_a_second_is_refused() {
    let mut bank = bank_with_volunteer(&Policy::default_policy());
    let original = bank.ids();
    let plan = timebank::plan_service(
        &bank.ledger,
        original,
        &service(COMPANIONSHIP, 1, 2, "2.5"),
        bank.now,
    )
    .unwrap();
    bank.apply(&plan);
    let plan = timebank::plan_reversal(&bank.ledger, bank.ids(), original).unwrap();
    bank.apply(&plan);
    assert_eq!(bank.balance(id(2)), dec("0"));
    assert_eq!(bank.balance(id(1)), dec("0"));
    let plan = timebank::plan_reversal(&bank.ledger, bank.ids(), original).unwrap();
    assert_eq!(bank.refused(&plan), ResultCode::AlreadyReversed);
    assert_eq!(
        timebank::plan_reversal(&bank.ledger, bank.ids(), tid(77)),
        Err(PlanError::TransferNotFound(tid(77)))
    );
    let lines = statement_lines(&bank.ledger, id(2));
    let balances: Vec<_> = lines.iter().map(|l| l.balance).collect();
    assert_eq!(balances, [dec("2.5"), dec("0")]);
    assert!(lines[1].reversal);
}

#[test]
fn an_account_is_closed_into_the_heirs_account() {
    let mut bank = bank_with_volunteer(&Policy::default_policy());
    let heir = bank.open(3, HOURS, AccountKind::Member, 8);
    bank.open(11, POINTS, AccountKind::Issuer, 7);
    let points = bank.open(12, POINTS, AccountKind::Member, 7);
    let heir_points = bank.open(13, POINTS, AccountKind::Member, 8);
    let plan = timebank::plan_service(
        &bank.ledger,
        bank.ids(),
        &service(COMPANIONSHIP, 1, 2, "42.5"),
        bank.now,
    )
    .unwrap();
    bank.apply(&plan);
    let award = PointsAward {
        code: VOLUNTEERING_POINTS,
        issuer: id(11),
        member: points,
        acts: 2,
    };
    let plan = timebank::plan_award(&bank.ledger, bank.ids(), &award).unwrap();
    bank.apply(&plan);

    // The heirs are family: a closing's balance goes where a gift could.
    bank.link(id(2), heir);
    bank.link(points, heir_points);
    let closing = Closing {
        accounts: vec![(id(2), heir), (points, heir_points)],
    };
    let plan = timebank::plan_closing(&bank.ledger, bank.ids(), &closing).unwrap();
    bank.apply(&plan);
    assert_eq!(bank.balance(heir), dec("42.5"));
    assert_eq!(bank.balance(heir_points), dec("20"));
    assert!(bank.ledger.account(id(2)).unwrap().closed);
    assert!(bank.ledger.account(points).unwrap().closed);
    let plan = timebank::plan_service(
        &bank.ledger,
        bank.ids(),
        &service(COMPANIONSHIP, 1, 2, "1"),
        bank.now,
    )
    .unwrap();
    assert_eq!(bank.refused(&plan), ResultCode::CreditAccountClosed);
    // The history stays: the statement ends with the closing transfer, at zero.
    let lines = statement_lines(&bank.ledger, id(2));
    assert_eq!(lines.last().unwrap().balance, dec("0"));
    assert_eq!(lines.last().unwrap().counterparty, heir);
}

#[test]
fn a_closing_without_the_closing_flag_or_with_holds_is_refused() {
    let mut bank = bank_with_elder();
    book(&mut bank, "1", 0);
    let closing = Closing {
        accounts: vec![(id(3), id(2))],
    };
    assert_eq!(
        timebank::plan_closing(&bank.ledger, bank.ids(), &closing),
        Err(PlanError::HoldsPending(id(3)))
    );
    let raw = Transfer::new(bank.ids(), id(2), id(3), hours("1"), HOURS).code(303);
    let r = bank.ledger.create_transfers(&[raw], bank.now + 1).unwrap();
    assert_eq!(r[0].code, ResultCode::CodeNotAllowed);
}

#[test]
fn reports_show_liability_by_community_and_paged_statements() {
    let mut bank = Bank::new(&Policy::default_policy());
    bank.open(1, HOURS, AccountKind::Issuer, 0);
    for (n, community) in [(2, 7), (3, 7), (4, 8)] {
        bank.open(n, HOURS, AccountKind::Member, community);
    }
    bank.open(5, HOURS, AccountKind::Group, 8);
    for (provider, h) in [
        (2, "1"),
        (3, "2.25"),
        (4, "4"),
        (5, "8"),
        (2, "0.5"),
        (2, "3"),
    ] {
        let plan = timebank::plan_service(
            &bank.ledger,
            bank.ids(),
            &service(COMPANIONSHIP, 1, provider, h),
            bank.now,
        )
        .unwrap();
        bank.apply(&plan);
    }
    let report = ledger_core::report::liability(&bank.ledger);
    let hours_row = &report.units[0];
    assert_eq!(hours_row.total, dec("18.75"));
    assert_eq!(hours_row.members, dec("10.75"));
    assert_eq!(hours_row.groups, dec("8"));
    let communities: Vec<_> = hours_row
        .by_community
        .iter()
        .map(|c| (c.community, c.total))
        .collect();
    assert_eq!(communities, [(7, dec("6.75")), (8, dec("12"))]);
    assert!(report.to_string().contains("18.75"));

    // Member 2's statement lines (a store pages them: ledger_store::Store::statement).
    let lines = statement_lines(&bank.ledger, id(2));
    assert_eq!(
        lines.iter().map(|l| l.balance).collect::<Vec<_>>(),
        [dec("1"), dec("1.5"), dec("4.5")]
    );
}

#[test]
fn a_units_only_policy_allows_any_code() {
    let policy = Policy::units_only(Policy::default_policy().units);
    let mut bank = bank_with_volunteer(&policy);
    let raw = Transfer::new(bank.ids(), id(1), id(2), hours("1"), HOURS).code(999);
    let r = bank.ledger.create_transfers(&[raw], bank.now).unwrap();
    assert_eq!(r[0].code, ResultCode::Ok);
}

#[test]
fn a_service_with_points_for_the_same_act_applies_all_or_nothing() {
    let mut bank = bank_with_volunteer(&Policy::default_policy());
    bank.open(11, POINTS, AccountKind::Issuer, 7);
    let points = bank.open(12, POINTS, AccountKind::Member, 7);
    let mut record = service(COMPANIONSHIP, 1, 2, "1.5");
    record.points = Some(PointsAward {
        code: VOLUNTEERING_POINTS,
        issuer: id(11),
        member: points,
        acts: 1,
    });
    let plan = timebank::plan_service(&bank.ledger, bank.ids(), &record, bank.now).unwrap();
    assert_eq!(plan.transfers.len(), 2);
    bank.apply(&plan);
    assert_eq!(
        (bank.balance(id(2)), bank.balance(points)),
        (dec("1.5"), dec("10"))
    );

    // An award code that is not the points unit's makes the whole chain fail: no hours either.
    record.points.as_mut().unwrap().code = GIFT;
    assert!(matches!(
        timebank::plan_service(&bank.ledger, bank.ids(), &record, bank.now),
        Err(PlanError::Code { code: GIFT, .. })
    ));
    let raw_award = Transfer::new(
        bank.ids(),
        id(11),
        points,
        Amount::parse_in("5", 0).unwrap(),
        POINTS,
    )
    .code(DONATION);
    let mut plan = timebank::plan_service(
        &bank.ledger,
        bank.ids(),
        &service(COMPANIONSHIP, 1, 2, "1"),
        bank.now,
    )
    .unwrap();
    plan.transfers[0].flags = plan.transfers[0].flags | ledger_core::TransferFlags::LINKED;
    plan.transfers.push(raw_award);
    assert_eq!(bank.refused(&plan), ResultCode::CodeNotAllowed);
    assert_eq!(
        (bank.balance(id(2)), bank.balance(points)),
        (dec("1.5"), dec("10"))
    );
    assert_eq!(
        timebank::earnings(&bank.ledger, id(2), bank.now).lifetime,
        dec("0"),
        "no caps, nothing counted"
    );
}
