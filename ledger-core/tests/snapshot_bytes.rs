//! The engine state encoding (`ledger_core::snapshot`) on a small ledger holding every kind of
//! state: attributions, a hold with a timeout, a failed id, a link, a rating, a reversal. The
//! round trip keeps it; no damaged or cut encoding decodes to a ledger with another digest,
//! and none panics. The digest read from the bytes a transfer at a time (`snapshot::digest`)
//! and the one computed while decoding are the decoded ledger's, and refuse what decoding
//! refuses, in the same words.

mod timebank_support;

use ledger_core::policy::{Cap, Excess, Period};
use ledger_core::snapshot::{
    decode, decode_digested, decode_transfer_record, digest, encode, encode_transfer_record,
};
use ledger_core::{
    AccountKind, Attribution, Command, Ledger, Link, Policy, Rating, Transfer, TransferFlags,
};
use timebank_support::*;

fn busy_ledger() -> Ledger {
    let mut bank = Bank::new(&Policy::default_policy());
    bank.open(1, HOURS, AccountKind::Issuer, 7);
    bank.open(2, HOURS, AccountKind::Member, 7);
    bank.open(3, HOURS, AccountKind::Member, 8);
    let clerk = Attribution::by(4_001).because(12);
    let service = |n, h| Transfer::new(tid(n), id(1), id(2), hours(h), HOURS).code(COMPANIONSHIP);
    let commands = [
        Command::CreateTransfers(vec![service(10, "2.5"), service(11, "1")]),
        Command::CreateTransfers(vec![Transfer::reversal(tid(12), tid(11))]),
        Command::CreateTransfers(vec![{
            let mut hold =
                Transfer::new(tid(13), id(2), id(3), hours("0.5"), HOURS).code(CARE_COMPANIONSHIP);
            hold.flags = TransferFlags::PENDING;
            hold.timeout_s = 3_600;
            hold
        }]),
        // Overdraws: a transient failure, so the id is remembered as failed.
        Command::CreateTransfers(vec![Transfer::new(
            tid(14),
            id(3),
            id(2),
            hours("9"),
            HOURS,
        )
        .code(GIFT)]),
        Command::LinkAccounts(vec![Link { a: id(2), b: id(3) }]),
        Command::RecordRatings(vec![Rating {
            transfer: tid(10),
            rating: 4,
        }]),
    ];
    for command in &commands {
        bank.tick(1_000);
        bank.ledger.execute_by(command, clerk, bank.now).unwrap();
    }
    assert!(
        bank.ledger.failed_code(tid(14)).is_some(),
        "the setup keeps a failed id"
    );
    bank.ledger
}

#[test]
fn the_round_trip_keeps_every_part_of_the_state() {
    let ledger = busy_ledger();
    let bytes = encode(&ledger);
    let restored = decode(&bytes).unwrap();
    assert_eq!(restored.state_digest(), ledger.state_digest());
    assert_eq!(encode(&restored), bytes);
    assert_eq!(
        restored.attribution_at(restored.clock()),
        ledger.attribution_at(ledger.clock())
    );
    assert_eq!(restored.failed_code(tid(14)), ledger.failed_code(tid(14)));
}

/// A transfer alone (what a store keeps of one the engine let go) is the bytes the state holds
/// for it, decodes to the same record, and only whole: cut or followed by a byte, it is refused.
#[test]
fn a_transfer_record_alone_is_its_bytes_in_the_state_and_decodes_only_whole() {
    let ledger = busy_ledger();
    let state = encode(&ledger);
    let mut seen_reversed = false;
    for record in ledger.transfers() {
        let mut bytes = Vec::new();
        encode_transfer_record(record, &mut bytes);
        assert!(
            state.windows(bytes.len()).any(|w| w == bytes),
            "transfer {} is written as the state writes it",
            record.id().get()
        );
        assert_eq!(decode_transfer_record(&bytes).as_ref(), Ok(record));
        seen_reversed |= record.reversed_by.is_some();
        for len in 0..bytes.len() {
            assert!(
                decode_transfer_record(&bytes[..len]).is_err(),
                "a cut at {len}"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        let refused = decode_transfer_record(&longer).unwrap_err();
        assert_eq!(refused.problem, "bytes after the transfer");
        // Appending keeps what `out` held.
        let mut after = vec![7u8];
        encode_transfer_record(record, &mut after);
        assert_eq!((after[0], &after[1..]), (7, &bytes[..]));
    }
    assert!(seen_reversed, "the setup holds a reversed transfer");
}

#[test]
fn a_cut_or_flipped_encoding_is_refused_or_decodes_without_panic() {
    let ledger = busy_ledger();
    let bytes = encode(&ledger);
    for len in 0..bytes.len() {
        assert!(decode(&bytes[..len]).is_err(), "a cut at {len} decoded");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(decode(&longer).is_err(), "a byte after the state decoded");
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5a;
        // A flip may still be a valid state (another balance, another id): the store's hash
        // and digest checks catch it. Here it must only never panic.
        let _ = decode(&damaged);
    }
}

/// What `digest` must give for `bytes`: the decoded ledger's digest, or decoding's error.
fn decoded_digest(bytes: &[u8]) -> Result<[u8; 32], String> {
    decode(bytes)
        .map(|ledger| ledger.state_digest())
        .map_err(|e| e.to_string())
}

#[test]
fn the_digests_read_with_the_bytes_are_the_decoded_ledgers_for_any_input() {
    let ledger = busy_ledger();
    let bytes = encode(&ledger);
    assert_eq!(digest(&bytes), Ok(ledger.state_digest()));
    let streamed = |b: &[u8]| digest(b).map_err(|e| e.to_string());
    let along = |b: &[u8]| {
        decode_digested(b)
            .map(|(ledger, digest)| {
                assert_eq!(ledger.state_digest(), digest);
                digest
            })
            .map_err(|e| e.to_string())
    };
    for len in 0..bytes.len() {
        let cut = &bytes[..len];
        assert_eq!(streamed(cut), decoded_digest(cut), "cut at {len}");
        assert_eq!(along(cut), decoded_digest(cut), "cut at {len}");
    }
    for at in 0..bytes.len() {
        let mut damaged = bytes.clone();
        damaged[at] ^= 0x5a;
        assert_eq!(streamed(&damaged), decoded_digest(&damaged), "flip at {at}");
        assert_eq!(along(&damaged), decoded_digest(&damaged), "flip at {at}");
    }
}

#[test]
fn the_digest_refuses_a_transfer_id_twice_as_decoding_does() {
    let bytes = encode(&busy_ledger());
    // Transfer 11's own id is the first place its id appears (transfer 10 comes before it and
    // names no other transfer); it becomes transfer 10's.
    let (ten, eleven) = (10u128.to_le_bytes(), 11u128.to_le_bytes());
    let at = bytes
        .windows(16)
        .position(|w| w == eleven)
        .expect("the state holds transfer 11");
    let mut twice = bytes.clone();
    twice[at..at + 16].copy_from_slice(&ten);
    let refused = decoded_digest(&twice).expect_err("an id twice does not decode");
    assert!(refused.contains("an id twice"), "{refused}");
    assert_eq!(digest(&twice).map_err(|e| e.to_string()), Err(refused));
}

#[test]
fn a_rule_counter_finer_than_a_millionth_or_beyond_the_largest_balance_is_refused() {
    let mut policy = Policy::default_policy();
    policy.caps = vec![Cap {
        unit: HOURS,
        period: Period::Lifetime,
        limit: "1000".parse().unwrap(),
        excess: Excess::Reject,
    }];
    let mut bank = Bank::new(&policy);
    bank.open(1, HOURS, AccountKind::Issuer, 7);
    bank.open(2, HOURS, AccountKind::Member, 7);
    let service = |n, h| Transfer::new(tid(n), id(1), id(2), hours(h), HOURS).code(COMPANIONSHIP);
    bank.tick(1_000);
    let batch = vec![service(10, "2.5"), service(11, "1")];
    bank.ledger.create_transfers(&batch, bank.now).unwrap();
    bank.tick(1_000);
    let reversal = vec![Transfer::reversal(tid(12), tid(11))];
    bank.ledger.create_transfers(&reversal, bank.now).unwrap();
    let bytes = encode(&bank.ledger);
    // Member 2 earned 2.5 hours (3.5 less the reversed 1): its lifetime counter is written as
    // mantissa 25, scale 1, and is the first such decimal in the state.
    let mut counter = 25u128.to_le_bytes().to_vec();
    counter.push(1);
    let at = bytes
        .windows(counter.len())
        .position(|w| w == counter)
        .expect("the state holds member 2's earnings");
    for (mantissa, scale) in [(25u128, 7u8), (10u128.pow(19), 0)] {
        let mut damaged = bytes.clone();
        damaged[at..at + 16].copy_from_slice(&mantissa.to_le_bytes());
        damaged[at + 16] = scale;
        let refused = decoded_digest(&damaged).expect_err("the counter does not decode");
        assert!(refused.contains("earnings.lifetime"), "{refused}");
        assert!(
            refused.contains("more places than an amount has"),
            "{refused}"
        );
        assert_eq!(digest(&damaged).map_err(|e| e.to_string()), Err(refused));
    }
    // Within the counter's range it decodes, and is written back as it was read.
    let mut finer = bytes.clone();
    finer[at..at + 16].copy_from_slice(&2_500_000u128.to_le_bytes());
    finer[at + 16] = 6;
    assert_eq!(encode(&decode(&finer).unwrap()), finer);
}
