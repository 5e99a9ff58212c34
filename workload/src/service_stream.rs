//! Service records in order, for the store benchmarks: funds of 100 communities pay their
//! members for services (code 101 of the default policy), each with a fresh id.

use ledger_core::{AccountId, AccountKind, Amount, NewAccount, Transfer, TransferId};

use crate::{Dice, T0};

/// Communities, each with one issuing fund.
pub const COMMUNITIES: usize = 100;
/// Members across the communities (member `i` is in community `i % COMMUNITIES`).
pub const MEMBERS: usize = 10_000;
/// The default policy's first service code ("companionship").
pub const SERVICE_CODE: u16 = 101;
/// The unit of every record: hours, at scale 2.
pub const HOURS: u16 = 1;

/// Makes service transfers with fresh ids, in order.
#[derive(Debug)]
pub struct ServiceStream {
    dice: Dice,
    /// Each community's fund, by community.
    pub funds: Vec<AccountId>,
    /// Every member, in creation order.
    pub members: Vec<AccountId>,
    next_id: u128,
    /// The time of the last batch made.
    pub now: u64,
}

impl ServiceStream {
    /// A stream whose accounts and records follow from `seed`; its clock starts at [`T0`].
    pub fn new(seed: u64) -> ServiceStream {
        let mut dice = Dice::new(seed);
        let funds = (0..COMMUNITIES).map(|_| account_id(&mut dice)).collect();
        let members = (0..MEMBERS).map(|_| account_id(&mut dice)).collect();
        ServiceStream {
            dice,
            funds,
            members,
            next_id: 1,
            now: T0,
        }
    }

    /// The funds and members, each fund and member in its community.
    pub fn accounts(&self) -> Vec<NewAccount> {
        let funds =
            self.funds.iter().enumerate().map(|(c, id)| {
                NewAccount::new(*id, HOURS, AccountKind::Issuer).community(c as u32)
            });
        let members = self.members.iter().enumerate().map(|(i, id)| {
            NewAccount::new(*id, HOURS, AccountKind::Member).community((i % COMMUNITIES) as u32)
        });
        funds.chain(members).collect()
    }

    /// One service record: a community's fund pays one of its members 0.25 to 4 hours (in
    /// quarter hours), code [`SERVICE_CODE`]. Transfer ids count 1, 2, 3 ... in the order
    /// records are made; the member and amount are drawn from the seed. The clock does not
    /// move.
    pub fn service(&mut self) -> Transfer {
        let m = self.dice.index(self.members.len());
        let quarters = 1 + self.dice.index(16) as u64;
        let amount = Amount::from_minor(quarters * 25, 2).expect("a positive amount in scale");
        let id = TransferId::new(self.next_id).expect("ids start at 1");
        self.next_id += 1;
        Transfer::new(
            id,
            self.funds[m % COMMUNITIES],
            self.members[m],
            amount,
            HOURS,
        )
        .code(SERVICE_CODE)
    }

    /// `n` service records, and the time to submit them at (one second after the last batch).
    pub fn batch(&mut self, n: usize) -> (Vec<Transfer>, u64) {
        self.now += 1_000_000_000;
        ((0..n).map(|_| self.service()).collect(), self.now)
    }
}

fn account_id(dice: &mut Dice) -> AccountId {
    AccountId::new(dice.id()).expect("the die's ids are non-zero")
}
