//! The simulated city of `timebank simulate` and the community example: who is in it (account
//! ids) and how much happens a day.
//!
//! Sized from the Bengbu report (DOMAIN.md): 227 urban communities, 200+ volunteer teams among
//! new-employment groups, 4,000+ items resolved a month across the 227 communities, 947 citizen
//! requests and 1,895 activities. Per community that is about 0.59 services, 0.14 requests for
//! care and 0.28 activities a day; the simulation scales them to `--communities`.
//!
//! Every account id is `2^96 + role·2^32 + community·1000 + index`, with roles 1 fund, 2 pool,
//! 3 points issuer, 4 shop, 5 team, 6 volunteer, 7 volunteer points, 8 elder; the functions
//! below compute them, and a seed does not enter. `timebank simulate` and the example number
//! communities from 1.
//!
//! ```
//! use timebank_workload::city;
//!
//! let block = 1u128 << 96;
//! assert_eq!(city::fund(3).get(), block + (1 << 32) + 3_000);
//! assert_eq!(city::elder(3, 2).get(), block + 8 * (1 << 32) + 3_002);
//! assert_eq!(city::team(41).get(), block + 5 * (1 << 32) + 41);
//! ```

use ledger_core::AccountId;

/// Urban communities in the report's city: every `CITY_*_PER_MONTH` count is for this many,
/// and [`Dice::per_day`](crate::Dice::per_day) scales it to the communities simulated.
pub const CITY_COMMUNITIES: u64 = 227;
/// Volunteer teams in the report's city; [`teams`] scales it to the communities simulated.
pub const CITY_TEAMS: u64 = 200;
/// Services a month across the report's city (its 4,000+ items resolved): each is a fund
/// paying a volunteer hours.
pub const CITY_SERVICES_PER_MONTH: u64 = 4_000;
/// Citizen requests a month across the report's city: each is an elder's request for care
/// (booked as a hold on the elder's hours, then completed or cancelled).
pub const CITY_REQUESTS_PER_MONTH: u64 = 947;
/// Activities a month across the report's city: each earns a volunteer points.
pub const CITY_ACTIVITIES_PER_MONTH: u64 = 1_895;
/// Gifts of hours a month (a relative to an elder). Not in the report: a small share of the
/// activity, chosen here.
pub const CITY_GIFTS_PER_MONTH: u64 = 200;
/// Redemptions of points at a community's shop a month. Not in the report: a small share of
/// the activity, chosen here.
pub const CITY_REDEMPTIONS_PER_MONTH: u64 = 600;
/// Days in the report's month.
pub const DAYS_PER_MONTH: u64 = 30;

/// Volunteers per community (younger seniors banking hours): indexes `0..VOLUNTEERS` of
/// [`volunteer`] and [`volunteer_points`].
pub const VOLUNTEERS: u32 = 20;
/// Elders per community (withdrawing care with their hours): indexes `0..ELDERS` of [`elder`].
pub const ELDERS: u32 = 10;

/// Most communities one simulation models: `timebank simulate` refuses more (and refuses 0).
/// The id layout leaves room for community numbers up to 9,999.
pub const COMMUNITIES_MAX: u32 = 9_999;
/// Most simulated days in one run of `timebank simulate` (3,660 days, about ten years); it
/// refuses more.
pub const DAYS_MAX: u32 = 3_660;

/// Simulation accounts live in their own id block (2^96 and up), away from ids operators pick.
/// An id is `2^96 + role·2^32 + community·1000 + index`; an index below 1,000 and a community
/// up to [`COMMUNITIES_MAX`] keep every id distinct.
const ID_BLOCK: u128 = 1 << 96;
const ROLE_STRIDE: u128 = 1 << 32;

#[derive(Debug, Clone, Copy)]
enum Role {
    Fund = 1,
    Pool = 2,
    PointsIssuer = 3,
    Shop = 4,
    Team = 5,
    Volunteer = 6,
    VolunteerPoints = 7,
    Elder = 8,
}

fn id(role: Role, community: u32, index: u32) -> AccountId {
    let n =
        ID_BLOCK + role as u128 * ROLE_STRIDE + u128::from(community) * 1_000 + u128::from(index);
    // Invariant: the block starts at 2^96, so the id is never zero.
    AccountId::new(n).expect("simulation ids are above zero")
}

/// Community `c`'s fund: the issuer that pays its volunteers hours for services
/// (`2^96 + 1·2^32 + c·1000`).
pub fn fund(c: u32) -> AccountId {
    id(Role::Fund, c, 0)
}
/// Community `c`'s pool: its donation account, where donated hours go
/// (`2^96 + 2·2^32 + c·1000`).
pub fn pool(c: u32) -> AccountId {
    id(Role::Pool, c, 0)
}
/// Community `c`'s points issuer: pays volunteers points for activities
/// (`2^96 + 3·2^32 + c·1000`).
pub fn points_issuer(c: u32) -> AccountId {
    id(Role::PointsIssuer, c, 0)
}
/// Community `c`'s shop: the redemption account where points are spent
/// (`2^96 + 4·2^32 + c·1000`).
pub fn shop(c: u32) -> AccountId {
    id(Role::Shop, c, 0)
}
/// Volunteer team `t` (numbered across the city, not per community):
/// `2^96 + 5·2^32 + t`.
pub fn team(t: u32) -> AccountId {
    id(Role::Team, 0, t)
}
/// Volunteer `i` of community `c`: the member account in hours
/// (`2^96 + 6·2^32 + c·1000 + i`).
pub fn volunteer(c: u32, i: u32) -> AccountId {
    id(Role::Volunteer, c, i)
}
/// Volunteer `i` of community `c`'s points account, beside its hours account
/// (`2^96 + 7·2^32 + c·1000 + i`).
pub fn volunteer_points(c: u32, i: u32) -> AccountId {
    id(Role::VolunteerPoints, c, i)
}
/// Elder `i` of community `c`: the member account in hours that pays for care
/// (`2^96 + 8·2^32 + c·1000 + i`).
pub fn elder(c: u32, i: u32) -> AccountId {
    id(Role::Elder, c, i)
}

/// Volunteer teams for `communities` communities (the report's 200 for 227), at least one.
pub fn teams(communities: u32) -> u32 {
    ((u64::from(communities) * CITY_TEAMS / CITY_COMMUNITIES) as u32).max(1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Dice;

    #[test]
    fn the_report_city_does_about_4000_services_a_month() {
        let mut dice = Dice::new(7);
        let month: u32 = (0..30)
            .map(|_| dice.per_day(CITY_SERVICES_PER_MONTH, 227))
            .sum();
        assert!((3_950..=4_050).contains(&month), "{month}");
        assert_eq!(teams(227), 200);
        assert_eq!(teams(1), 1);
    }

    #[test]
    fn roles_never_share_an_id() {
        assert_ne!(fund(1), pool(1));
        assert_ne!(volunteer(9_999, 19), elder(9_999, 19));
        assert_ne!(team(COMMUNITIES_MAX), volunteer(0, 0));
    }
}
