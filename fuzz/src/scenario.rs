//! The fuzzer's input for `engine_model`: a sequence of steps, each a time step and a command,
//! drawn from small id spaces so that ids collide (idempotency, chains over the same accounts,
//! posts of holds made earlier) far more often than uniformly random ids would.

use arbitrary::Arbitrary;
use ledger_core::{AccountId, Amount, TransferId};
pub use timebank_model::exact::{normalized, Exact};

/// Most steps run per input, and most events per batch: enough to reach deep states, small
/// enough that every input runs in well under a millisecond.
pub const STEPS_MAX: usize = 48;
pub const EVENTS_MAX: usize = 12;

/// The first `now` of every scenario: 2026-01-01T00:00:00Z in nanoseconds.
pub const NOW_START: u64 = 1_767_225_600_000_000_000;
const NS_PER_S: u64 = 1_000_000_000;

#[derive(Arbitrary, Debug, Clone)]
pub struct Scenario {
    pub steps: Vec<Step>,
}

#[derive(Arbitrary, Debug, Clone)]
pub struct Step {
    pub time: TimeStep,
    pub op: Op,
}

/// How the host's clock moves before a command. It may stand still or go back: the ledger must
/// still give strictly increasing timestamps.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum TimeStep {
    Same,
    Nanos(u16),
    Seconds(u16),
    Days(u8),
    BackSeconds(u16),
    /// Hours ahead; 255 jumps to the end of `u64` time, where the clock runs out.
    Hours(u8),
}

impl TimeStep {
    pub fn apply(self, now: u64) -> u64 {
        match self {
            TimeStep::Same => now,
            TimeStep::Nanos(n) => now.saturating_add(u64::from(n)),
            TimeStep::Seconds(s) => now.saturating_add(u64::from(s) * NS_PER_S),
            TimeStep::Days(d) => now.saturating_add(u64::from(d) * 86_400 * NS_PER_S),
            TimeStep::BackSeconds(s) => now.saturating_sub(u64::from(s) * NS_PER_S),
            TimeStep::Hours(0xFF) => u64::MAX - 16,
            TimeStep::Hours(h) => now.saturating_add(u64::from(h) * 3_600 * NS_PER_S),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub enum Op {
    CreateAccounts(Vec<AccountSpec>),
    CreateTransfers(Vec<TransferSpec>),
    Expire,
    Link(Vec<(AccountRef, AccountRef)>),
    Unlink(Vec<(AccountRef, AccountRef)>),
    SetEligibility(Vec<(AccountRef, Option<u16>)>),
    Rate(Vec<(TransferRef, u8)>),
}

/// An account id: mostly one of 8 small ids, sometimes one of a wider range (for link counts)
/// or one near `u128::MAX` (for id ordering).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct AccountRef(pub u8);

impl AccountRef {
    pub fn value(self) -> u128 {
        match self.0 {
            b @ 0..=0xBF => u128::from(b & 0x07) + 1,
            b @ 0xC0..=0xF9 => u128::from(b),
            b => u128::MAX - u128::from(0xFF - b),
        }
    }

    pub fn id(self) -> AccountId {
        AccountId::new(self.value()).expect("account refs map to non-zero ids")
    }
}

/// A transfer id: one of 24 small ids, or one near `u128::MAX`.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct TransferRef(pub u8);

impl TransferRef {
    pub fn value(self) -> u128 {
        match self.0 {
            b @ 0..=0xF9 => u128::from(b % 24) + 1,
            b => u128::MAX - u128::from(0xFF - b),
        }
    }

    pub fn id(self) -> TransferId {
        TransferId::new(self.value()).expect("transfer refs map to non-zero ids")
    }
}

/// A unit number from 0 to 4, mostly 1; the scenario's ledger defines units 1 to 3.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct UnitRef(pub u8);

impl UnitRef {
    pub fn value(self) -> u16 {
        match self.0 % 16 {
            0 => 0,
            1 => 4,
            2 | 3 => 2,
            4 | 5 => 3,
            _ => 1,
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct AccountSpec {
    pub id: AccountRef,
    pub unit: UnitRef,
    pub kind: u8,
    pub community: u8,
    pub user_data: u8,
    /// `None` keeps the kind's default.
    pub floor: Option<LimitSpec>,
    pub ceiling: Option<LimitSpec>,
    pub eligible_from: Option<u16>,
}

/// A floor or ceiling. `Default` keeps what `NewAccount::new` chose for the kind.
#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum LimitSpec {
    Default,
    NoLimit,
    /// `mantissa` / 10^(`scale` % 8): scales past the ledger's maximum are refused.
    Value(i16, u8),
    /// A whole number, possibly past the ledger's largest balance.
    Whole(i64),
}

impl LimitSpec {
    /// The limit as the engine gets it, and as the model gets it.
    pub fn resolve(
        self,
        default: Option<rust_decimal::Decimal>,
    ) -> (Option<rust_decimal::Decimal>, Option<Exact>) {
        use rust_decimal::Decimal;
        match self {
            LimitSpec::Default => (
                default,
                default.map(|d| normalized(d.mantissa(), d.scale())),
            ),
            LimitSpec::NoLimit => (None, None),
            LimitSpec::Value(m, s) => {
                let scale = u32::from(s % 8);
                (
                    Some(Decimal::new(i64::from(m), scale)),
                    Some(normalized(i128::from(m), scale)),
                )
            }
            LimitSpec::Whole(w) => (Some(Decimal::from(w)), Some((i128::from(w), 0))),
        }
    }
}

#[derive(Arbitrary, Debug, Clone)]
pub struct TransferSpec {
    pub id: TransferRef,
    pub linked: u8,
    pub code: u8,
    pub user_data: u8,
    pub kind: TransferKind,
}

/// Mostly well-formed transfers of each kind, and raw ones for the shape checks. A unit of
/// `None` means the debit account's unit (so that most transfers can apply).
#[derive(Arbitrary, Debug, Clone)]
pub enum TransferKind {
    Plain {
        debit: AccountRef,
        credit: AccountRef,
        amount: AmountSpec,
        unit: Option<UnitRef>,
        /// Balancing debit, balancing credit, closing debit, closing credit: each set when its
        /// nibble (lowest first) is 0xF, so most transfers have none.
        shape: u16,
    },
    Pending {
        debit: AccountRef,
        credit: AccountRef,
        amount: AmountSpec,
        unit: Option<UnitRef>,
        shape: u16,
        timeout: TimeoutSpec,
    },
    Post {
        pending: TransferRef,
        amount: Option<AmountSpec>,
        echo: Option<Echo>,
    },
    Void {
        pending: TransferRef,
        amount: Option<AmountSpec>,
        echo: Option<Echo>,
    },
    Reversal {
        original: TransferRef,
        amount: Option<AmountSpec>,
        echo: Option<Echo>,
    },
    Raw {
        debit: Option<AccountRef>,
        credit: Option<AccountRef>,
        amount: Option<AmountSpec>,
        related: Option<TransferRef>,
        unit: Option<UnitRef>,
        flags: u16,
        timeout: TimeoutSpec,
    },
}

/// Fields a post, void or reversal may repeat (they must then match the related transfer).
#[derive(Arbitrary, Debug, Clone, Copy)]
pub struct Echo {
    pub debit: Option<AccountRef>,
    pub credit: Option<AccountRef>,
    pub unit: Option<UnitRef>,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum AmountSpec {
    /// `minor` / 10^(`scale` % 7); zero means "no amount".
    Small(u8, u8),
    Whole(u32),
    Max,
}

/// The largest amount in millionths (the model's fixed point).
pub const AMOUNT_MAX_MICRO: i128 = 1_000_000_000 * 1_000_000;

impl AmountSpec {
    /// The amount as the engine gets it, and in millionths as the model gets it. Every value
    /// here is a valid amount or none, so a refusal by the engine is a bug.
    pub fn resolve(self) -> (Option<Amount>, Option<i128>) {
        let (minor, scale) = match self {
            AmountSpec::Small(m, s) => (u64::from(m), u32::from(s % 7)),
            AmountSpec::Whole(w) => (u64::from(w) % 1_000_000_001, 0),
            AmountSpec::Max => (1_000_000_000, 0),
        };
        if minor == 0 {
            return (None, None);
        }
        let micro = i128::from(minor) * 10i128.pow(6 - scale);
        assert!(micro <= AMOUNT_MAX_MICRO);
        let amount = Amount::from_minor(minor, scale)
            .unwrap_or_else(|e| panic!("{minor} at scale {scale} refused: {e}"));
        (Some(amount), Some(micro))
    }
}

#[derive(Arbitrary, Debug, Clone, Copy)]
pub enum TimeoutSpec {
    Never,
    Seconds(u8),
    Max,
    TooLarge,
    Raw(u32),
}

impl TimeoutSpec {
    pub fn seconds(self) -> u32 {
        match self {
            TimeoutSpec::Never => 0,
            TimeoutSpec::Seconds(s) => u32::from(s),
            TimeoutSpec::Max => ledger_core::limits::PENDING_TIMEOUT_S_MAX,
            TimeoutSpec::TooLarge => ledger_core::limits::PENDING_TIMEOUT_S_MAX + 1,
            TimeoutSpec::Raw(s) => s,
        }
    }
}

/// The balancing and closing flags a `shape` selects (see [`TransferKind::Plain`]).
pub fn shape_flags(shape: u16) -> u16 {
    (0..4)
        .filter(|i| (shape >> (4 * i)) & 0xF == 0xF)
        .fold(0, |flags, i| flags | (1 << (4 + i)))
}
