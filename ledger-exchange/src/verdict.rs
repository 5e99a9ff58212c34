//! Verdicts: what a ledger decided about one exchange message, with stable numbers.
//!
//! `ok` and `exists` mean the message was honoured (`exists`: it had been already, so nothing
//! changed); every other code is a refusal and nothing changed. A ledger that refuses an offer it
//! could authenticate answers with a signed refusal carrying the code. Refusals are **final** or
//! not: a final refusal is a decision the receiver will never reverse (the offer can never be
//! applied there, whatever arrives later), so the sender voids its hold on it; a refusal that is
//! not final describes a message the receiver could not trust or place (unknown peer, wrong key,
//! forged signature, misaddressed), which a later copy might pass, so the sender keeps its hold.

use serde::{Deserialize, Serialize};

macro_rules! verdicts {
    ($( $(#[$doc:meta])* $name:ident = $num:literal, $snake:literal, $final:literal; )*) => {
        /// What a ledger decided about an exchange message.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(into = "u16", try_from = "u16")]
        #[repr(u16)]
        #[non_exhaustive]
        pub enum Verdict {
            $( $(#[$doc])* $name = $num, )*
        }

        impl Verdict {
            /// Every verdict, in numeric order.
            pub const ALL: &'static [Verdict] = &[$(Verdict::$name,)*];

            /// The stable snake_case name.
            pub fn name(self) -> &'static str {
                match self { $(Verdict::$name => $snake,)* }
            }

            /// Whether a refusal with this code is final (the sender voids on it).
            pub fn is_final(self) -> bool {
                match self { $(Verdict::$name => $final,)* }
            }

            /// The verdict with this number.
            pub fn from_u16(value: u16) -> Option<Verdict> {
                match value { $($num => Some(Verdict::$name),)* _ => None }
            }
        }
    };
}

verdicts! {
    /// Applied: the receiver credited the destination, or the sender posted or voided its hold.
    Ok = 0, "ok", false;
    /// Applied before (a duplicated, replayed or reordered message): nothing changed.
    Exists = 1, "exists", false;

    /// The bytes or JSON are not a message of this protocol.
    Malformed = 10, "malformed", false;
    /// A message version this ledger does not speak.
    VersionUnsupported = 11, "version_unsupported", false;
    /// The sending ledger is not a registered peer.
    UnknownPeer = 12, "unknown_peer", false;
    /// The message was signed with a key other than the peer's registered key.
    WrongKey = 13, "wrong_key", false;
    /// The signature does not verify with the peer's key (forged or altered).
    Forged = 14, "forged", false;
    /// The message is addressed to another ledger.
    NotAddressedHere = 15, "not_addressed_here", false;
    /// The offer's deadline had passed when it arrived (and the receiver's journal has moved
    /// past it, so the offer can never be applied there).
    PastDeadline = 16, "past_deadline", true;
    /// The receiver has no unit of that name.
    UnitUnknown = 17, "unit_unknown", true;
    /// The amount has more decimals than the unit allows here, or is above the largest amount.
    AmountOutsideScale = 18, "amount_outside_scale", true;
    /// The destination is not a member or group account here.
    DestinationInvalid = 19, "destination_invalid", true;
    /// The receiver's ledger refused the credit (the message carries the engine's result code;
    /// the engine remembers a transient failure, so the credit never applies later).
    RefusedByLedger = 20, "refused_by_ledger", true;
    /// The policy has no clearing code for the unit, so it cannot cross ledgers.
    UnitNotExchangeable = 21, "unit_not_exchangeable", true;
    /// A receipt or refusal for an exchange this ledger never offered.
    UnknownExchange = 22, "unknown_exchange", false;
    /// A receipt or refusal that answers another offer than the one this ledger made for that
    /// exchange (another offer hash, or from another ledger than the one offered to).
    AnswerMismatch = 23, "answer_mismatch", false;
    /// A receipt for an exchange this ledger already voided: the two ledgers disagree and an
    /// operator must look (this protocol never produces it; a forged or misconfigured peer can).
    AlreadyVoided = 24, "already_voided", false;
    /// A final refusal for an exchange this ledger already posted (the same disagreement).
    AlreadyPosted = 25, "already_posted", false;
    /// The receiver already applied another offer with this exchange id.
    ConflictingOffer = 26, "conflicting_offer", false;
    /// A refusal that is not final: the hold stays until a receipt or a final refusal.
    RefusalNotFinal = 27, "refusal_not_final", false;
}

impl From<Verdict> for u16 {
    fn from(v: Verdict) -> u16 {
        v as u16
    }
}

impl TryFrom<u16> for Verdict {
    type Error = String;
    fn try_from(value: u16) -> Result<Verdict, String> {
        Verdict::from_u16(value).ok_or_else(|| format!("no verdict {value}"))
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::Verdict;

    #[test]
    fn numbers_and_names_round_trip() {
        for v in Verdict::ALL {
            assert_eq!(Verdict::from_u16(*v as u16), Some(*v));
        }
        assert_eq!(Verdict::PastDeadline as u16, 16);
        assert!(Verdict::PastDeadline.is_final());
        assert!(!Verdict::Forged.is_final());
    }
}
