//! The command line: every subcommand, its options and its help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::error::EXIT_CODES_HELP;

/// The operator's and auditor's tool for a time-bank ledger.
///
/// A ledger lives in a data directory: an append-only, hash-chained journal (the truth) and an
/// index rebuilt from it. Every write is durable (fsync'd) when the command returns. Amounts are
/// exact decimals within the unit's scale (hours: 2 places, points: whole); times are RFC 3339
/// (2026-03-01T08:00:00+08:00), a date (2026-03-01) or nanoseconds since 1970, and default to the
/// system clock. Ids are positive integers the host chooses (up to 2^127 - 1 for transfers).
#[derive(Debug, Parser)]
#[command(name = "timebank", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Cmd,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The ledger's data directory.
    #[arg(
        long,
        global = true,
        value_name = "DIR",
        default_value = "./timebank-data"
    )]
    pub data: PathBuf,
    /// A policy file (TOML, or JSON when it ends in .json) for `init` and `simulate` on a new
    /// ledger; default: the shipped policy (ledger-core/policy/default.toml). An existing ledger
    /// keeps the policy it was created with until `policy amend` changes it from a date on.
    #[arg(long, global = true, value_name = "FILE")]
    pub policy: Option<PathBuf>,
    /// The checkpoint key: a file holding 64 hexadecimal characters (32 bytes), e.g. made with
    /// `openssl rand -hex 32 > key`. Keep it outside the data directory. With it, checkpoint
    /// MACs are checked on every open.
    #[arg(long, global = true, value_name = "FILE")]
    pub key_file: Option<PathBuf>,
    /// Machine output: one JSON document (or JSON lines) on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    /// The time the operation happens at (default: the system clock).
    #[arg(long, global = true, value_name = "TIME")]
    pub at: Option<String>,
    /// Use a key file even when it is inside the data directory or other users can read it
    /// (by default such a key is refused, exit 2: it is copied with every copy of the ledger).
    #[arg(long, global = true)]
    pub allow_exposed_key: bool,
    /// Who runs the command: the host's operator id (a positive number, never a name),
    /// journaled with every write and shown in statements and exports. Default: the
    /// TIMEBANK_OPERATOR environment variable, else 4294967296 + the Unix user id running
    /// timebank (so it is never 0 and never meets a host's own 32-bit staff numbers).
    #[arg(long, global = true, value_name = "ID")]
    pub operator: Option<u64>,
    /// Why: the host's reason code (a number from its own table), journaled with the write.
    /// Required for `reverse` and `account close` (refused with reason_required, exit 4).
    #[arg(long, global = true, value_name = "CODE")]
    pub reason: Option<u32>,
    /// How long to wait for another timebank run that holds the ledger before giving up with
    /// exit 7 (default: wait as long as it takes). 0 gives up at once.
    #[arg(long, global = true, value_name = "SECONDS")]
    pub lock_timeout: Option<u64>,
    /// A directory holding sealed journal segments moved out of the data directory's
    /// `journal/` (archive storage); repeat it for several. They are read with the data
    /// directory's segments, which keep the newest one.
    #[arg(long, global = true, value_name = "DIR")]
    pub segments_from: Vec<PathBuf>,
    /// The size, in bytes, writes keep journal segments under (default 268435456, 256 MiB; at
    /// least 1024): a record that would take the newest segment past it starts a new one.
    #[arg(long, global = true, value_name = "BYTES")]
    pub segment_bytes: Option<u64>,
    /// Keep only the newest N transfers in memory (0, the default: every transfer): every
    /// max(N, 4096) transfers written, the older settled ones go to the index and are loaded
    /// back when a command names them, so memory follows the accounts, the pending holds and
    /// N, not the history. Answers are the same either way (docs/FORMAT.md §16.4).
    #[arg(long, global = true, value_name = "N")]
    pub resident_transfers: Option<usize>,
}

#[derive(Debug, Subcommand)]
pub enum Cmd {
    /// Create a new, empty ledger in the data directory under the policy.
    Init(InitArgs),
    /// Open, close, show or link accounts.
    #[command(subcommand)]
    Account(AccountCmd),
    /// Book, complete or cancel a service (a hold on the payer's hours until it is done).
    #[command(subcommand)]
    Service(ServiceCmd),
    /// Record a service done, in one step: the provider earns hours x the code's weight.
    Record(RecordArgs),
    /// Pay for care with a member's own banked hours ("withdraw care when old").
    Withdraw(WithdrawArgs),
    /// Give hours (or points) to a registered family member or a donation pool.
    Gift(GiftArgs),
    /// Award points for acts (the code gives points per act).
    Award(AwardArgs),
    /// Spend points at a redemption account (a points supermarket).
    Redeem(RedeemArgs),
    /// Reverse a posted transfer by a new transfer that references it (never by deletion).
    Reverse(ReverseArgs),
    /// Release bookings whose deadline passed, and run the policy's expiry sweeps.
    Expire,
    /// Amend the ledger's policy from a date on, or show the policy in force at a time.
    #[command(subcommand)]
    Policy(PolicyCmd),
    /// Show accounts' balances: posted, available (less holds), pending.
    Balance(BalanceArgs),
    /// An account's posted movements with a running balance, a page at a time.
    Statement(StatementArgs),
    /// Reports over the whole ledger.
    #[command(subcommand)]
    Report(ReportCmd),
    /// The journal's head (sequence and hash), the state digest and counts.
    Status,
    /// Verify every record, link and checkpoint, every account's balances summed from the
    /// outcomes, and the index against them, at hash speed on every core (--replay: also replay
    /// every command through the engine). Exit 0 when intact; exit 5 naming the first bad
    /// record otherwise. Reads only; repairs nothing.
    Verify(VerifyArgs),
    /// Write or check a keyed checkpoint (needs --key-file to write; to check a MAC), or sign
    /// and check a public-key checkpoint (Ed25519, or SM2 in the gm profile).
    #[command(subcommand)]
    Checkpoint(CheckpointCmd),
    /// Make a proof (one JSON document on stdout) that a member or auditor checks offline with
    /// the signer's public key: a transfer is in a signed checkpoint's history, an account's
    /// statement is, or a later checkpoint extends an earlier one. Or check such a proof.
    #[command(subcommand)]
    Proof(ProofCmd),
    /// Move hours to and from other ledgers (通存通兑): peers, offers, receipts, positions.
    Exchange(ExchangeArgs),
    /// Write every journal record as one JSON line (with its `seq` and `hash`).
    Export(ExportArgs),
    /// Apply an export's records (JSON lines) to the ledger in the data directory, creating it
    /// if needed. Every line's hash is checked first; records the ledger already holds are
    /// skipped, so importing twice changes nothing.
    Import(ImportArgs),
    /// Rebuild the index from the journal and check it against the replayed state.
    RebuildIndex,
    /// Write a snapshot of the ledger's state at the head now (snapshots/<record>.tbs), so
    /// that the next open replays only the records after it. The store also writes one after
    /// a checkpoint and when it closes, once 4 MiB of journal were written since the last;
    /// it keeps the newest two. Snapshots are derived data: a damaged one is passed over and
    /// reported (`status`, `verify`).
    Snapshot,
    /// Run a seeded community time bank through the store, sized from the Bengbu report
    /// (227 urban communities, 200+ volunteer teams, about 4,000 services a month). Prints one
    /// JSON line per durable commit on stdout, {"seq": N, "head": "<hex>", "transfers": K},
    /// after that commit is durable, and a summary on stderr.
    Simulate(SimulateArgs),
    /// The main job: simulate a month of a community time bank on the data directory, then
    /// report what is owed and verify the ledger, with a readable summary.
    Demo(SimulateArgs),
}

#[derive(Debug, Subcommand)]
pub enum AccountCmd {
    /// Open an account.
    Open(OpenArgs),
    /// Close accounts: each one's whole balance moves to its named destination.
    Close(CloseArgs),
    /// Show an account: kind, unit, community, limits, balances.
    Show(IdArg),
    /// Register a family link (spouse, direct relative) between two members, for gifts.
    Link(LinkArgs),
    /// Remove a family link.
    Unlink(LinkArgs),
    /// Set the date from which a member may pay for care with its hours.
    Eligibility(EligibilityArgs),
}

#[derive(Debug, Subcommand)]
pub enum PolicyCmd {
    /// Amend the policy: FILE (TOML, or JSON when it ends in .json) is the whole new policy, in
    /// force from --from on. It keeps the ledger's units and every expiry rule in force and
    /// defines codes; --from must be after the ledger's last event and after any earlier
    /// amendment. Services done before --from stay judged under the rules of their day, even
    /// when recorded later.
    Amend(PolicyAmendArgs),
    /// Show the policy in force at --at (default: now) as TOML, with every amendment's date;
    /// with --json: {"at", "from", "policy", "versions"}.
    Show,
}

#[derive(Debug, Args)]
pub struct PolicyAmendArgs {
    /// The amended policy.
    pub file: PathBuf,
    /// When it takes effect (a time, or a date: its midnight in UTC unless the time says its
    /// zone, e.g. 2026-07-01T00:00:00+08:00).
    #[arg(long, value_name = "TIME")]
    pub from: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum KindArg {
    Member,
    Group,
    Issuer,
    Guarantee,
    Clearing,
    Redemption,
    Expiry,
    Donation,
}

#[derive(Debug, Args)]
pub struct OpenArgs {
    /// The account id (a positive integer the host chooses).
    pub id: u128,
    /// What the account is.
    #[arg(long, value_enum)]
    pub kind: KindArg,
    /// The unit, by name (hours, points) or number.
    #[arg(long, default_value = "hours")]
    pub unit: String,
    /// The community (or district) it belongs to, for roll-ups.
    #[arg(long, default_value_t = 0)]
    pub community: u32,
    /// The lowest balance (zero or negative); default 0 for members and groups, none for funds.
    #[arg(long, value_name = "AMOUNT", allow_hyphen_values = true)]
    pub floor: Option<String>,
    /// The highest balance; default none.
    #[arg(long, value_name = "AMOUNT")]
    pub ceiling: Option<String>,
    /// When the member may start paying for care with its hours.
    #[arg(long, value_name = "TIME")]
    pub eligible_from: Option<String>,
    /// The host's own reference (never personal data: the journal is immutable).
    #[arg(long, default_value_t = 0)]
    pub user_data: u128,
}

#[derive(Debug, Args)]
pub struct CloseArgs {
    /// The account to close.
    pub account: u128,
    /// Where its balance goes (an heir, a pool or a fund).
    #[arg(long, value_name = "ACCOUNT")]
    pub to: u128,
    #[command(flatten)]
    pub ids: TransferIdArg,
}

#[derive(Debug, Args)]
pub struct IdArg {
    /// The account id.
    pub id: u128,
}

#[derive(Debug, Args)]
pub struct LinkArgs {
    pub a: u128,
    pub b: u128,
}

#[derive(Debug, Args)]
pub struct EligibilityArgs {
    pub id: u128,
    /// From when (omit with --never to remove the date).
    #[arg(long, value_name = "TIME", required_unless_present = "never")]
    pub from: Option<String>,
    /// The member may never pay for care with its hours.
    #[arg(long, conflicts_with = "from")]
    pub never: bool,
}

/// The id of the (first) transfer an operation makes: the idempotency key.
#[derive(Debug, Args)]
pub struct TransferIdArg {
    /// The transfer id to use (the next free one by default). Resubmitting an operation with
    /// the same id changes nothing.
    #[arg(long = "id", value_name = "TRANSFER")]
    pub id: Option<u128>,
}

#[derive(Debug, Subcommand)]
pub enum ServiceCmd {
    /// Book a service: the payer's hours are held for the provider.
    Book(BookArgs),
    /// Complete a booking: post the hours served (the rest is released) and record a rating.
    Complete(CompleteArgs),
    /// Cancel a booking: the hold is released.
    Cancel(CancelArgs),
}

#[derive(Debug, Args)]
pub struct BookArgs {
    /// Who pays: a fund (service codes) or the recipient's own hours (care codes).
    #[arg(long, value_name = "ACCOUNT")]
    pub payer: u128,
    /// Who serves and earns.
    #[arg(long, value_name = "ACCOUNT")]
    pub provider: u128,
    /// Hours booked (decimal, within the unit's scale).
    #[arg(long, allow_hyphen_values = true)]
    pub hours: String,
    /// The service category code (see the policy).
    #[arg(long)]
    pub code: u16,
    /// Seconds after which `expire` releases the booking (0: no deadline).
    #[arg(long, default_value_t = 0)]
    pub timeout: u32,
    #[command(flatten)]
    pub ids: TransferIdArg,
}

#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The booking's transfer id.
    pub booking: u128,
    /// Hours actually served (at most those booked; default all).
    #[arg(long, allow_hyphen_values = true)]
    pub hours: Option<String>,
    /// The recipient's rating, 1 to 5.
    #[arg(long)]
    pub rating: Option<u8>,
    /// Donation pool for hours above a cap that routes the excess to donation.
    #[arg(long, value_name = "ACCOUNT")]
    pub donation: Option<u128>,
    /// When the service was done, if before now (a sign-in sheet typed in later): RFC 3339, a
    /// date or nanoseconds. Caps count that day; the policy's `late_days_max` bounds how late.
    #[arg(long, value_name = "TIME")]
    pub served_at: Option<String>,
    #[command(flatten)]
    pub ids: TransferIdArg,
}

#[derive(Debug, Args)]
pub struct CancelArgs {
    /// The booking's transfer id.
    pub booking: u128,
    #[command(flatten)]
    pub ids: TransferIdArg,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// The fund that pays (service codes) or the recipient (care codes).
    #[arg(long, value_name = "ACCOUNT")]
    pub payer: u128,
    /// The volunteer (or team) who served.
    #[arg(long, value_name = "ACCOUNT")]
    pub provider: u128,
    /// Hours served.
    #[arg(long, allow_hyphen_values = true)]
    pub hours: String,
    /// The service category code (see the policy).
    #[arg(long)]
    pub code: u16,
    /// Donation pool for hours above a cap that routes the excess to donation.
    #[arg(long, value_name = "ACCOUNT")]
    pub donation: Option<u128>,
    /// Also award points for the act, in the same all-or-nothing chain: the award code.
    #[arg(long, requires_all = ["points_issuer", "points_member"])]
    pub points_code: Option<u16>,
    /// The points issuer.
    #[arg(long, value_name = "ACCOUNT")]
    pub points_issuer: Option<u128>,
    /// The member's points account.
    #[arg(long, value_name = "ACCOUNT")]
    pub points_member: Option<u128>,
    /// Acts the points are for.
    #[arg(long, default_value_t = 1)]
    pub acts: u32,
    /// When the service was done, if before now (a sign-in sheet typed in later): RFC 3339, a
    /// date or nanoseconds. Caps count that day; the policy's `late_days_max` bounds how late.
    #[arg(long, value_name = "TIME")]
    pub served_at: Option<String>,
    #[command(flatten)]
    pub ids: TransferIdArg,
}

#[derive(Debug, Args)]
pub struct WithdrawArgs {
    /// The member paying with its own hours.
    #[arg(long, value_name = "ACCOUNT")]
    pub member: u128,
    /// Who gives the care and earns the hours.
    #[arg(long, value_name = "ACCOUNT")]
    pub provider: u128,
    /// Hours of care.
    #[arg(long, allow_hyphen_values = true)]
    pub hours: String,
    /// The care code (default: the policy's first care code for the unit).
    #[arg(long)]
    pub code: Option<u16>,
    /// When the service was done, if before now (a sign-in sheet typed in later): RFC 3339, a
    /// date or nanoseconds. Caps count that day; the policy's `late_days_max` bounds how late.
    #[arg(long, value_name = "TIME")]
    pub served_at: Option<String>,
    #[command(flatten)]
    pub ids: TransferIdArg,
}

#[derive(Debug, Args)]
pub struct GiftArgs {
    #[arg(long, value_name = "ACCOUNT")]
    pub from: u128,
    #[arg(long, value_name = "ACCOUNT")]
    pub to: u128,
    /// How much (in the accounts' unit).
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    /// The code (default: the policy's gift code, or donation code for a pool).
    #[arg(long)]
    pub code: Option<u16>,
    #[command(flatten)]
    pub ids: TransferIdArg,
}

#[derive(Debug, Args)]
pub struct AwardArgs {
    /// The points issuer.
    #[arg(long, value_name = "ACCOUNT")]
    pub issuer: u128,
    /// The member's (or group's) points account.
    #[arg(long, value_name = "ACCOUNT")]
    pub member: u128,
    /// The award code (the policy gives its points per act).
    #[arg(long)]
    pub code: u16,
    #[arg(long, default_value_t = 1)]
    pub acts: u32,
    #[command(flatten)]
    pub ids: TransferIdArg,
}

#[derive(Debug, Args)]
pub struct RedeemArgs {
    /// The member's points account.
    #[arg(long, value_name = "ACCOUNT")]
    pub member: u128,
    /// The redemption account (points supermarket).
    #[arg(long, value_name = "ACCOUNT")]
    pub shop: u128,
    #[arg(long, allow_hyphen_values = true)]
    pub amount: String,
    /// The code (default: the policy's redemption code).
    #[arg(long)]
    pub code: Option<u16>,
    #[command(flatten)]
    pub ids: TransferIdArg,
}

#[derive(Debug, Args)]
pub struct ReverseArgs {
    /// The posted transfer to reverse.
    pub transfer: u128,
    #[command(flatten)]
    pub ids: TransferIdArg,
}

#[derive(Debug, Args)]
pub struct BalanceArgs {
    /// One or more account ids.
    #[arg(required = true)]
    pub ids: Vec<u128>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
    Csv,
}

#[derive(Debug, Args)]
pub struct StatementArgs {
    /// The account.
    pub id: u128,
    /// The first line to show (counting from 0); the output names the next page's.
    #[arg(long, default_value_t = 0)]
    pub from: usize,
    /// Lines per page (1 to 1000).
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// Output format (--json means json).
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ReportCmd {
    /// The outstanding liability: hours and points the bank owes members and groups.
    Liabilities(LiabilitiesArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GroupBy {
    Community,
}

#[derive(Debug, Args)]
pub struct LiabilitiesArgs {
    /// Break the totals down (by community).
    #[arg(long, value_enum)]
    pub by: Option<GroupBy>,
}

#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Check the journal only (do not compare the index).
    #[arg(long)]
    pub journal_only: bool,
    /// Also replay every command through the engine: every recorded outcome must be the one
    /// the engine gives, every checkpoint's state digest the replayed one (engine speed).
    #[arg(long)]
    pub replay: bool,
}

#[derive(Debug, Subcommand)]
pub enum CheckpointCmd {
    /// Journal a checkpoint of the current head and state, and print its text line to publish.
    Export,
    /// Check a checkpoint line. A keyed line ("timebank-checkpoint v1"): its MAC (with
    /// --key-file), and that the journal's record has that hash and the replayed state that
    /// digest. A signed line ("timebank-signed-checkpoint v1"): its signature under
    /// --public-key (exit 9 when another key signed it, 5 when it was altered), then, unless
    /// --offline, that the ledger's tree, head and state at that size are the line's.
    Verify(CheckpointVerifyArgs),
    /// Sign a checkpoint of the durable head with --signing-key-file (Ed25519, or SM2 on a gm
    /// ledger) and print its line to publish. Writes nothing to the ledger.
    Sign(SigningKeyArg),
    /// Make a new signing key: write its 32 secret bytes as 64 hex characters to a new file
    /// (keep it outside the data directory) and print the public key to publish.
    Keygen(KeygenArgs),
}

#[derive(Debug, Args)]
pub struct CheckpointVerifyArgs {
    /// The checkpoint line, or a file holding it, or - for stdin.
    pub checkpoint: String,
    /// The public key the signed line must be signed by: hex (64 characters for Ed25519, 130
    /// for SM2), or a file holding it.
    #[arg(long, value_name = "HEX|FILE")]
    pub public_key: Option<String>,
    /// Check only the signature, without a ledger.
    #[arg(long)]
    pub offline: bool,
}

#[derive(Debug, Args)]
pub struct SigningKeyArg {
    /// The signing key: a file holding 64 hexadecimal characters (32 secret bytes), e.g. made
    /// with `timebank checkpoint keygen`. Keep it outside the data directory.
    #[arg(long, value_name = "FILE")]
    pub signing_key_file: PathBuf,
}

#[derive(Debug, Args)]
pub struct KeygenArgs {
    /// The new key file (must not exist).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
    /// The profile the key signs for: standard (Ed25519) or gm (SM2).
    #[arg(long, value_enum, default_value_t = ProfileArg::Standard)]
    pub profile: ProfileArg,
}

#[derive(Debug, Args)]
pub struct InitArgs {
    /// The cryptographic profile, kept for the ledger's life: standard (SHA-256 Merkle tree,
    /// Ed25519 checkpoint signatures) or gm (国密: SM3 tree, SM2 signatures).
    #[arg(long, value_enum, default_value_t = ProfileArg::Standard)]
    pub profile: ProfileArg,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ProfileArg {
    Standard,
    Gm,
}

#[derive(Debug, Subcommand)]
pub enum ProofCmd {
    /// Prove that the record which made a transfer is in a signed checkpoint's history.
    Inclusion(InclusionArgs),
    /// Prove that every record holding an account's transfers is in a signed checkpoint's
    /// history (the member's statement).
    Statement(StatementProofArgs),
    /// Prove that the history the --to checkpoint signs extends the one --from signs.
    Consistency(ConsistencyArgs),
    /// Check a proof document offline (exit 0 valid, 9 signed by another key, 5 invalid).
    Verify(ProofVerifyArgs),
}

#[derive(Debug, Args)]
pub struct ProofTarget {
    /// The signed checkpoint line (or a file holding it) to prove against. Without it: the
    /// durable head, signed with --signing-key-file when given (else unsigned: the proof then
    /// carries only the root).
    #[arg(long, value_name = "LINE|FILE")]
    pub checkpoint: Option<String>,
    /// Sign a checkpoint of the head to prove against (when --checkpoint is not given).
    #[arg(long, value_name = "FILE")]
    pub signing_key_file: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct InclusionArgs {
    /// The transfer id.
    #[arg(long)]
    pub transfer: u128,
    #[command(flatten)]
    pub target: ProofTarget,
}

#[derive(Debug, Args)]
pub struct StatementProofArgs {
    /// The account id.
    #[arg(long)]
    pub account: u128,
    #[command(flatten)]
    pub target: ProofTarget,
}

#[derive(Debug, Args)]
pub struct ConsistencyArgs {
    /// The earlier signed checkpoint line (or a file holding it).
    #[arg(long, value_name = "LINE|FILE")]
    pub from: String,
    /// The later signed checkpoint line (or a file holding it).
    #[arg(long, value_name = "LINE|FILE")]
    pub to: String,
}

#[derive(Debug, Args)]
pub struct ProofVerifyArgs {
    /// The proof document (JSON), or - for stdin.
    pub proof: PathBuf,
    /// The public key its checkpoint must be signed by (hex, or a file holding it). Without
    /// it, only the proof's hashes are checked against its own root.
    #[arg(long, value_name = "HEX|FILE")]
    pub public_key: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Write to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// The export file (JSON lines), or - for stdin.
    pub file: PathBuf,
}

#[derive(Debug, Args, Clone)]
pub struct SimulateArgs {
    /// Days to simulate.
    #[arg(long, default_value_t = 30)]
    pub days: u32,
    /// Communities (the report's city has 227 urban communities).
    #[arg(long, default_value_t = 227)]
    pub communities: u32,
    /// The seed: the same seed on a fresh ledger at the same --at gives the same journal.
    #[arg(long, default_value_t = 2024)]
    pub seed: u64,
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    #[test]
    fn the_command_line_is_well_formed() {
        super::Cli::command().debug_assert();
    }
}

#[derive(Debug, Args)]
pub struct ExchangeArgs {
    /// This ledger's signing key for exchange messages: a file of 64 hexadecimal characters
    /// (make one with `timebank checkpoint keygen --out FILE`; publish its public key to peers).
    /// Keep it outside the data directory. Needed by every exchange command but `peer list`.
    #[arg(long, value_name = "FILE")]
    pub signing_key_file: Option<PathBuf>,
    /// This ledger's id in the federation (e.g. its 6-digit administrative division code):
    /// needed the first time, kept in DIR/exchange/peers.json after.
    #[arg(long, value_name = "ID")]
    pub ledger_id: Option<u64>,
    #[command(subcommand)]
    pub command: ExchangeCmd,
}

#[derive(Debug, Subcommand)]
pub enum ExchangeCmd {
    /// Register or list peer ledgers.
    #[command(subcommand)]
    Peer(PeerCmd),
    /// Hold a member's hours and write the signed offer to deliver to the peer.
    Send(SendArgs),
    /// Move a member to the peer: hold their whole balance in a unit and write the signed offer
    /// with the state the rules need (lifetime earnings, eligibility date, when each part of the
    /// balance expires), which the peer keeps.
    MoveMember(MoveArgs),
    /// Handle a message from a peer (an offer, a receipt or a refusal; JSON or bytes) and write
    /// the answer to deliver back (for an offer: a receipt or a refusal).
    Receive {
        /// The message file.
        file: PathBuf,
        /// Where to write the answer (default: stdout).
        #[arg(long, value_name = "FILE")]
        reply: Option<PathBuf>,
    },
    /// Write again the offers past their deadline that are still unanswered: the peer answers
    /// each with its receipt, or a final refusal on which the hold is voided.
    Expire {
        /// A directory to write them to (offer-ORIGIN-NUMBER.json); default: stdout.
        #[arg(long, value_name = "DIR")]
        out_dir: Option<PathBuf>,
    },
    /// What this ledger owes each peer (positive) or is owed (negative), per unit.
    Positions,
    /// Offers still waiting for an answer.
    Pending,
}

#[derive(Debug, Subcommand)]
pub enum PeerCmd {
    /// Register a peer: its id and Ed25519 public key (64 hex characters). Opens its clearing
    /// accounts (one per unit); registering it again with the same key changes nothing.
    Add { id: u64, public_key: String },
    /// List this ledger's id and its peers.
    List,
}

#[derive(Debug, Args)]
pub struct MoveArgs {
    /// The exchange number: never reuse one (moving again with the same arguments changes
    /// nothing).
    #[arg(long)]
    pub number: u64,
    /// The peer ledger's id.
    #[arg(long)]
    pub to: u64,
    /// The unit, by name or number (a member with hours and points moves once per unit).
    #[arg(long, default_value = "hours")]
    pub unit: String,
    /// The member who moves: their whole balance in the unit leaves.
    #[arg(long)]
    pub from_account: u128,
    /// The member's account on the peer ledger.
    #[arg(long)]
    pub to_account: u128,
    /// When the peer must have applied the offer by (a time, as for --at).
    #[arg(long)]
    pub deadline: String,
    /// Write the offer here (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub struct SendArgs {
    /// The exchange number: never reuse one (sending the same request again changes nothing).
    #[arg(long)]
    pub number: u64,
    /// The peer ledger's id.
    #[arg(long)]
    pub to: u64,
    /// The unit, by name or number.
    #[arg(long, default_value = "hours")]
    pub unit: String,
    #[arg(long)]
    pub amount: String,
    /// The member whose hours leave.
    #[arg(long)]
    pub from_account: u128,
    /// The member (or care provider) credited on the peer ledger.
    #[arg(long)]
    pub to_account: u128,
    /// When the peer must have applied the offer by (a time, as for --at).
    #[arg(long)]
    pub deadline: String,
    /// Write the offer here (default: stdout).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}
