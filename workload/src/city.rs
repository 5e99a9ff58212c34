//! The simulated city of `timebank simulate` and the community example: who is in it (account
//! ids) and how much happens a day.
//!
//! Sized from the Bengbu report (DOMAIN.md): 227 urban communities, 200+ volunteer teams among
//! new-employment groups, 4,000+ items resolved a month across the 227 communities, 947 citizen
//! requests and 1,895 activities. Per community that is about 0.59 services, 0.14 requests for
//! care and 0.28 activities a day; the simulation scales them to `--communities`.

use ledger_core::AccountId;

/// The report's city, the base of every rate.
pub const CITY_COMMUNITIES: u64 = 227;
pub const CITY_TEAMS: u64 = 200;
pub const CITY_SERVICES_PER_MONTH: u64 = 4_000;
pub const CITY_REQUESTS_PER_MONTH: u64 = 947;
pub const CITY_ACTIVITIES_PER_MONTH: u64 = 1_895;
/// Gifts and redemptions are not in the report: a small share of the activity.
pub const CITY_GIFTS_PER_MONTH: u64 = 200;
pub const CITY_REDEMPTIONS_PER_MONTH: u64 = 600;
/// Days in the report's month.
pub const DAYS_PER_MONTH: u64 = 30;

/// Volunteers (younger seniors banking hours) and elders (withdrawing care) per community.
pub const VOLUNTEERS: u32 = 20;
pub const ELDERS: u32 = 10;

/// Most communities one simulation models (ids leave room for 10,000).
pub const COMMUNITIES_MAX: u32 = 9_999;
/// Most simulated days in one run (ten years).
pub const DAYS_MAX: u32 = 3_660;

/// Simulation accounts live in their own id block (2^96 and up), away from ids operators pick.
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

pub fn fund(c: u32) -> AccountId {
    id(Role::Fund, c, 0)
}
pub fn pool(c: u32) -> AccountId {
    id(Role::Pool, c, 0)
}
pub fn points_issuer(c: u32) -> AccountId {
    id(Role::PointsIssuer, c, 0)
}
pub fn shop(c: u32) -> AccountId {
    id(Role::Shop, c, 0)
}
pub fn team(t: u32) -> AccountId {
    id(Role::Team, 0, t)
}
pub fn volunteer(c: u32, i: u32) -> AccountId {
    id(Role::Volunteer, c, i)
}
pub fn volunteer_points(c: u32, i: u32) -> AccountId {
    id(Role::VolunteerPoints, c, i)
}
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
