/*
 * timebank.h: the C ABI of the time-bank ledger (libtimebank.so, libtimebank.a).
 *
 * Generated from ledger-ffi/src by cbindgen; do not edit by hand.
 *
 * Conventions: every function returns a timebank_status; out-params are written only when it is
 * TIMEBANK_STATUS_OK. The last argument, error_out, may be NULL; when it is not, every call
 * writes it: NULL on success, on failure a message to free with timebank_string_free (so one
 * `char *error` reused across calls is never stale). Amounts are plain decimal strings ("2.5"),
 * or, in batch structs, integers of the unit's minor units (250 for 2.5 hours at scale 2); the
 * library writes amounts and balances at the unit's scale ("2.50"). Ids are 128-bit, passed as
 * two 64-bit halves (lo, hi); zero is never an id. Integers have exact widths (uint16_t codes,
 * uint8_t ratings, uint64_t counts, ...), and a count is checked against its documented maximum
 * before any element is read.
 *
 * Strings are NUL-terminated UTF-8: text that is not UTF-8 is TIMEBANK_STATUS_INVALID_UTF8. The
 * first NUL ends a string, so a host whose strings may hold NUL (Python str, Java String) must
 * refuse such a string itself before the call (the Python and Java packages do); every string
 * argument of this ABI is NUL-terminated, none is length-delimited.
 *
 * Statuses every store call may return besides those it lists: NULL_POINTER (a NULL pointer
 * argument that must not be), INVALID_HANDLE (the store handle is freed or was never made;
 * nothing is read through it), CLOSED (the store was closed), REENTRANT (called from inside one
 * of that store's own callbacks), PANIC (a bug, caught). Every call that takes `now` may also
 * return INVALID_TIME (nothing written: see timebank_open_options) and OUTCOME_UNKNOWN (the
 * journal write or sync failed: the command may or may not be durable; reopen and look its ids
 * up). With any status but OK nothing changed, except REFUSED from a write: the attempt is
 * journaled (head and state digest move on, the refused ids are remembered with their result
 * code), balances do not change. Every REFUSED message begins "refused: NAME (NUMBER)", and
 * timebank_error_result_code reads NUMBER back.
 *
 * Time-bank operations (record_service, withdraw, book, complete, cancel, gift, award, redeem,
 * close_account, reverse, and the operate_* functions): each is one domain operation the ledger
 * plans and applies under its lock as one journal record, and remembers under its id (the
 * host's request id, also the first of its transfer ids). Before submitting, the call checks
 * what it can without writing: its arguments (NOT_FOUND for an unknown account or booking,
 * INVALID_AMOUNT, INVALID_ARGUMENT for a zero id or a code the policy lacks), then whether the
 * ledger already ran this id: the same arguments are answered with the first outcome (OK, or
 * the same REFUSED and result code) and nothing is written; then the plan against the ledger as
 * it is: a refusal the planner foresees (not_a_booking 214, holds_pending 213,
 * donation_account_required 215, weighted_amount_inexact 211) is REFUSED with its code and
 * journals nothing (its message says so). What the ledger refuses under its lock (a cap, a
 * rule, served_at, a booking completed meanwhile, the same id with other arguments:
 * operation_exists_with_different_* 40 to 45) is journaled like every refusal from a write.
 * timebank_store_operation looks an operation's outcome up by its id. The operate_* forms,
 * close_accounts, amend_policy and the _by forms of every other write take a
 * timebank_attribution (the host's operator id and reason code, journaled with the command;
 * timebank_store_transfer_by reads them back).
 */

#ifndef TIMEBANK_H
#define TIMEBANK_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

// `timebank_account_new.limits`: use `floor_minor` as the floor (instead of the kind's default).
#define TIMEBANK_LIMIT_FLOOR 1

// `timebank_account_new.limits`: no floor at all (the account may go negative without bound).
#define TIMEBANK_LIMIT_NO_FLOOR 2

// `timebank_account_new.limits`: use `ceiling_minor` as the ceiling.
#define TIMEBANK_LIMIT_CEILING 4

// `timebank_account_new.kind`: a person who serves and is served (cannot go below zero).
#define TIMEBANK_KIND_MEMBER 1

// A volunteer team; its hours may only be donated.
#define TIMEBANK_KIND_GROUP 2

// An issuing fund: the source of earned credits.
#define TIMEBANK_KIND_ISSUER 3

// A guarantee fund.
#define TIMEBANK_KIND_GUARANTEE 4

// A clearing account between ledgers.
#define TIMEBANK_KIND_CLEARING 5

// Where redeemed points go (a points supermarket).
#define TIMEBANK_KIND_REDEMPTION 6

// Where expired credits go.
#define TIMEBANK_KIND_EXPIRY 7

// A donation pool.
#define TIMEBANK_KIND_DONATION 8

// Room for any balance or amount as text (at most 29 digits, a sign, a point) and its NUL.
#define TIMEBANK_DECIMAL_BYTES 48

// The length of an exchange signing key: the 32-byte Ed25519 seed, kept outside the data
// directory (the key file the CLI reads holds it as 64 hexadecimal characters).
#define TIMEBANK_EXCHANGE_KEY_BYTES 32

// The longest message `timebank_exchange_receive` reads, in either form (a message's canonical
// bytes are at most 530, its JSON form a few kilobytes); a longer `message_len` is
// `INVALID_ARGUMENT` and nothing is read.
#define TIMEBANK_EXCHANGE_MESSAGE_BYTES_MAX 65536

// Verdict: applied (the receiver credited the destination, or the sender posted or voided its
// hold).
#define TIMEBANK_VERDICT_OK 0

// Verdict: applied before (a duplicated, replayed or reordered message); nothing changed.
#define TIMEBANK_VERDICT_EXISTS 1

// Verdict: the bytes or JSON are not an exchange message.
#define TIMEBANK_VERDICT_MALFORMED 10

// Verdict: a message version this ledger does not speak.
#define TIMEBANK_VERDICT_VERSION_UNSUPPORTED 11

// Verdict: the sending ledger is not a registered peer.
#define TIMEBANK_VERDICT_UNKNOWN_PEER 12

// Verdict: signed with another key than the peer's registered one.
#define TIMEBANK_VERDICT_WRONG_KEY 13

// Verdict: the signature does not verify with the peer's key (forged or altered).
#define TIMEBANK_VERDICT_FORGED 14

// Verdict: the message is addressed to another ledger.
#define TIMEBANK_VERDICT_NOT_ADDRESSED_HERE 15

// Verdict (final refusal): the offer's deadline had passed when it arrived.
#define TIMEBANK_VERDICT_PAST_DEADLINE 16

// Verdict (final refusal): the receiver has no unit of that name.
#define TIMEBANK_VERDICT_UNIT_UNKNOWN 17

// Verdict (final refusal): the amount has more decimals than the unit allows here.
#define TIMEBANK_VERDICT_AMOUNT_OUTSIDE_SCALE 18

// Verdict (final refusal): the destination is not a member or group account of the unit here.
#define TIMEBANK_VERDICT_DESTINATION_INVALID 19

// Verdict (final refusal): the receiver's ledger refused the credit; `*ledger_code_out` holds
// its result code.
#define TIMEBANK_VERDICT_REFUSED_BY_LEDGER 20

// Verdict (final refusal): the policy gives the unit no clearing code.
#define TIMEBANK_VERDICT_UNIT_NOT_EXCHANGEABLE 21

// Verdict: a receipt or refusal for an exchange this ledger never offered.
#define TIMEBANK_VERDICT_UNKNOWN_EXCHANGE 22

// Verdict: an answer to another offer than the one this ledger made for that exchange.
#define TIMEBANK_VERDICT_ANSWER_MISMATCH 23

// Verdict: a receipt for an exchange this ledger already voided (an operator must look).
#define TIMEBANK_VERDICT_ALREADY_VOIDED 24

// Verdict: a final refusal for an exchange this ledger already posted (an operator must look).
#define TIMEBANK_VERDICT_ALREADY_POSTED 25

// Verdict: the receiver already applied another offer with this exchange id.
#define TIMEBANK_VERDICT_CONFLICTING_OFFER 26

// Verdict: a refusal that is not final; the hold stays until a receipt or a final refusal.
#define TIMEBANK_VERDICT_REFUSAL_NOT_FINAL 27

// Most exchange handles live at once in one process (slots in the registry).
#define TIMEBANK_EXCHANGES_OPEN_MAX 4096

// Most store handles live at once in one process (slots in the registry).
#define TIMEBANK_STORES_OPEN_MAX 65536

// The length of a signing key: 32 secret bytes (the Ed25519 seed, or the SM2 secret scalar
// big-endian), kept outside the data directory.
#define TIMEBANK_SIGNING_KEY_BYTES 32

// The length of a checkpoint key: 32 secret bytes, kept outside the data directory.
#define TIMEBANK_CHECKPOINT_KEY_BYTES 32

// `timebank_open_options.flags`: accept any `now` (the time guard off), for simulations that
// run ahead of the clock. Never for a live ledger: one wrong `now` then stamps every later
// event with it.
#define TIMEBANK_OPEN_ANY_TIME 1

// `timebank_transfer.flags`: this transfer and the next succeed or fail together.
#define TIMEBANK_FLAG_LINKED 1

// A hold (pending transfer), until posted, voided or expired.
#define TIMEBANK_FLAG_PENDING 2

// Posts the hold `related_id`, fully or partly.
#define TIMEBANK_FLAG_POST_PENDING 4

// Voids the hold `related_id`.
#define TIMEBANK_FLAG_VOID_PENDING 8

// Moves at most `amount`: as much as the debit account's floor allows.
#define TIMEBANK_FLAG_BALANCING_DEBIT 16

// Moves at most `amount`: as much as the credit account's ceiling allows.
#define TIMEBANK_FLAG_BALANCING_CREDIT 32

// Closes the debit account (its balance must end at zero).
#define TIMEBANK_FLAG_CLOSING_DEBIT 64

// Closes the credit account.
#define TIMEBANK_FLAG_CLOSING_CREDIT 128

// Reverses the posted transfer `related_id`.
#define TIMEBANK_FLAG_REVERSAL 256

// `timebank_transfer_info.state`: applied to posted balances.
#define TIMEBANK_TRANSFER_POSTED 1

// A hold not yet resolved.
#define TIMEBANK_TRANSFER_PENDING 2

// A hold that a post resolved.
#define TIMEBANK_TRANSFER_PENDING_POSTED 3

// A hold that a void released.
#define TIMEBANK_TRANSFER_PENDING_VOIDED 4

// A hold that expired.
#define TIMEBANK_TRANSFER_PENDING_EXPIRED 5

// Most transfers or accounts in one batch (`count` of `timebank_store_submit_transfers`,
// `timebank_store_submit_transfers_text` and `timebank_store_create_accounts`).
#define TIMEBANK_BATCH_MAX 8190

// What a call did. The numbers are stable: hosts in every language switch on them.
//
// Only `TIMEBANK_STATUS_OK` means the call did what it was asked. With any other status no
// out-param was written (`error_out` aside) and the ledger did not change, with two exceptions
// said exactly: `TIMEBANK_STATUS_REFUSED` from a write means the ledger looked at the request
// and said no, and that attempt is journaled (the journal head and the state digest move on,
// the refused ids are remembered with their result code; no balance changes); and
// `TIMEBANK_STATUS_OUTCOME_UNKNOWN` means a write may or may not be durable.
enum timebank_status
#if defined(__cplusplus) || __STDC_VERSION__ >= 202311L
  : int32_t
#endif // defined(__cplusplus) || __STDC_VERSION__ >= 202311L
 {
  // The call succeeded; its out-params are written.
  TIMEBANK_STATUS_OK = 0,
  // A pointer argument that must not be NULL was NULL.
  TIMEBANK_STATUS_NULL_POINTER = 1,
  // A string argument is not valid UTF-8.
  TIMEBANK_STATUS_INVALID_UTF8 = 2,
  // An argument is out of its range or malformed (a zero id, an unknown flag, a bad policy).
  TIMEBANK_STATUS_INVALID_ARGUMENT = 3,
  // An amount is not a plain positive decimal within the unit's scale and the maximum.
  TIMEBANK_STATUS_INVALID_AMOUNT = 4,
  // An account, transfer or unit named by the call does not exist.
  TIMEBANK_STATUS_NOT_FOUND = 5,
  // The ledger refused the event: a rule or an accounting check said no. The attempt is
  // journaled (no balance changes). The message always begins `refused: NAME (NUMBER)`, the
  // ledger's result code; `timebank_error_result_code` reads the number back.
  TIMEBANK_STATUS_REFUSED = 6,
  // The ledger on disk is damaged: a record or checkpoint does not verify.
  TIMEBANK_STATUS_DAMAGED = 7,
  // The operating system refused a read, a write or a sync.
  TIMEBANK_STATUS_IO = 8,
  // The handle was closed; only `_free` may still be called on it.
  TIMEBANK_STATUS_CLOSED = 9,
  // A bug inside the library was caught before it could cross into the host; nothing was
  // changed, and the message says where.
  TIMEBANK_STATUS_PANIC = 10,
  // The store is already open, in this process or another one.
  TIMEBANK_STATUS_BUSY = 11,
  // The handle is not a live store handle: freed, or never returned by
  // `timebank_store_open`. Nothing was read through it.
  TIMEBANK_STATUS_INVALID_HANDLE = 12,
  // `now` is not a plausible wall-clock time for this store's time guard (more than the
  // allowed skew ahead of the system clock, or before the ledger's creation by more than
  // it); nothing was
  // written, not even a journal record. See `timebank_open_options`.
  TIMEBANK_STATUS_INVALID_TIME = 13,
  // A callback asked to stop (it returned non-zero); the call changed nothing.
  TIMEBANK_STATUS_CANCELLED = 14,
  // A call on a store from inside one of that store's own callbacks: refused (it would wait
  // for itself), nothing done. Return from the callback first.
  TIMEBANK_STATUS_REENTRANT = 15,
  // A write whose journal write or sync failed: the command may or may not be durable. The
  // store refuses further writes; reopen it and look the command's ids up to learn which.
  TIMEBANK_STATUS_OUTCOME_UNKNOWN = 16,
  // A signed checkpoint (or a proof's) names another public key or profile than the one the
  // host trusts: not evidence, but no statement about damage either (an altered one is
  // `DAMAGED`). Nothing changed.
  TIMEBANK_STATUS_NOT_SIGNED_BY_KEY = 17,
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum timebank_status timebank_status;
#else
typedef int32_t timebank_status;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

// A ledger's side of its exchanges with other ledgers (opaque). Made by
// `timebank_exchange_open` on a store handle, released by `timebank_exchange_free`. Like a
// store handle, a `timebank_exchange *` is a token the library checks on every call, never an
// address the host may read.
typedef struct timebank_exchange timebank_exchange;

// An open ledger store (opaque). Made by `timebank_store_open`, released by
// `timebank_store_free`. A `timebank_store *` is a token the library checks on every call; it
// is never an address the host may read.
typedef struct timebank_store timebank_store;

// A 128-bit id (account, transfer, or the host's `user_data`): `lo` is the low 64 bits, `hi`
// the high 64 bits. Zero (both halves zero) is never an account or transfer id.
typedef struct timebank_id {
  // The low 64 bits.
  uint64_t lo;
  // The high 64 bits.
  uint64_t hi;
} timebank_id;

// A request to open an account, of kind `TIMEBANK_KIND_*`. With `limits` 0 the kind's defaults
// apply (members and groups cannot go below zero; funds have no floor; no ceiling).
typedef struct timebank_account_new {
  // The account's id (not zero); creating it again with the same fields gives 3 (exists).
  struct timebank_id id;
  // The host's own reference (never personal data: the journal is immutable).
  struct timebank_id user_data;
  // The floor in minor units of the unit's scale (zero or negative), used when `limits` has
  // `TIMEBANK_LIMIT_FLOOR`.
  int64_t floor_minor;
  // The ceiling in minor units (zero or positive), used when `limits` has
  // `TIMEBANK_LIMIT_CEILING`.
  int64_t ceiling_minor;
  // The first moment (nanoseconds since the Unix epoch) the account may pay for care; 0 for
  // no date (under a policy with codes, a member without a date cannot pay for care).
  uint64_t eligible_from;
  // The community (or district) number, for roll-ups; opaque to the ledger.
  uint32_t community;
  // The unit the account holds (fixed for its life).
  uint16_t unit;
  // What the account is for: a `TIMEBANK_KIND_*` value.
  uint8_t kind;
  // `TIMEBANK_LIMIT_*` bits.
  uint8_t limits;
} timebank_account_new;

// The operator behind a command and its reason code: opaque numbers the host assigns (a staff
// number from its own directory, a reason from its own table), never names, since the journal
// is immutable. Passed by pointer; NULL means neither is given (operator 0, no reason).
//
// Under a policy with time-bank rules, a reversal or a closing (a closing operation, or closing
// empty accounts) by a command with an operator must give a reason: otherwise it is refused
// with `reason_required` (217).
typedef struct timebank_attribution {
  // The host's id of the person or system running the command; 0: not given.
  uint64_t operator_id;
  // The host's reason code, read only when `has_reason` is 1.
  uint32_t reason;
  // 1 when `reason` is given, 0 when not; anything else is `TIMEBANK_STATUS_INVALID_ARGUMENT`.
  uint8_t has_reason;
  // Must be zero.
  uint8_t reserved[3];
} timebank_attribution;

// An account as the ledger keeps it. Decimals are plain text at the unit's scale (`"12.50"`,
// `"-3.00"` in a unit of 2 decimals); an empty
// `floor` or `ceiling` means none.
typedef struct timebank_account {
  // The account's id.
  struct timebank_id id;
  // The host's own reference, as given when the account was created.
  struct timebank_id user_data;
  // When the ledger created it (nanoseconds since the Unix epoch).
  uint64_t timestamp;
  // 0 for no eligibility date.
  uint64_t eligible_from;
  // The community (or district) number.
  uint32_t community;
  // The unit the account holds.
  uint16_t unit;
  // What the account is for: a `TIMEBANK_KIND_*` value.
  uint8_t kind;
  // 1 when closed.
  uint8_t closed;
  // The lowest balance allowed (pending debits included); empty for none.
  char floor[TIMEBANK_DECIMAL_BYTES];
  // The highest balance allowed (pending credits included); empty for none.
  char ceiling[TIMEBANK_DECIMAL_BYTES];
  // Debits of holds not yet posted, voided or expired.
  char debits_pending[TIMEBANK_DECIMAL_BYTES];
  // Debits applied for good.
  char debits_posted[TIMEBANK_DECIMAL_BYTES];
  // Credits of holds not yet posted, voided or expired.
  char credits_pending[TIMEBANK_DECIMAL_BYTES];
  // Credits applied for good.
  char credits_posted[TIMEBANK_DECIMAL_BYTES];
  // Credits minus debits, posted: what the account holds.
  char balance[TIMEBANK_DECIMAL_BYTES];
  // The balance less pending debits (holds): what it may still spend.
  char available[TIMEBANK_DECIMAL_BYTES];
} timebank_account;

// What one domain operation did.
typedef struct timebank_operation_outcome {
  // The ledger's timestamp of the operation's first event (nanoseconds since the Unix epoch);
  // on a retry, the original one. 0 for a refused operation.
  uint64_t timestamp;
  // How many transfers the operation made; their ids are the operation's id and the ones
  // after it (`id`, `id + 1`, ...).
  uint64_t transfers;
  // How many empty accounts it closed (a closing; 0 for other operations).
  uint64_t closed;
  // The result code: 0 when the operation applied; for an operation looked up with
  // `timebank_store_operation` that the ledger refused, the refusal's code (the one its
  // `TIMEBANK_STATUS_REFUSED` message named).
  uint16_t code;
  // 1 when the ledger had already run this operation (this id, these arguments) and the call
  // was answered with the first outcome, writing nothing; 0 when it ran now.
  uint8_t retried;
  // Always 0.
  uint8_t reserved[5];
} timebank_operation_outcome;

// One posted movement of an account.
typedef struct timebank_statement_line {
  // The transfer that moved the balance.
  struct timebank_id transfer_id;
  // The account on the other side.
  struct timebank_id counterparty;
  // When the ledger recorded it (nanoseconds since the Unix epoch).
  uint64_t timestamp;
  // The transfer's code.
  uint16_t code;
  // 1 when this movement reverses an earlier one.
  uint8_t reversal;
  // Padding, always written as zero.
  uint8_t reserved[5];
  // Positive for a credit to the account, negative for a debit (plain decimal text).
  char amount[TIMEBANK_DECIMAL_BYTES];
  // The posted balance after this movement.
  char balance[TIMEBANK_DECIMAL_BYTES];
} timebank_statement_line;

// Where a statement page sits.
typedef struct timebank_statement_page {
  // Lines written to `lines_out`.
  uint64_t count;
  // The `from` of the next page (valid when `has_next` is 1).
  uint64_t next_from;
  // 1 when another page follows, 0 on the last page.
  uint8_t has_next;
  // Padding, always written as zero.
  uint8_t reserved[7];
  // The balance before the page's first line.
  char opening_balance[TIMEBANK_DECIMAL_BYTES];
} timebank_statement_page;

// How to open a store (`timebank_store_open_with_options`). All zero is the default: zero the
// whole struct and set the fields wanted (`= {.flags = TIMEBANK_OPEN_ANY_TIME}`, `= {0}` or
// `memset`), so that a field added in a later version starts at its default.
//
// The time guard: every write's `now` (after 0 is replaced by the system clock) must be at most
// `clock_skew_max_ns` ahead of the system clock and at most as much before the ledger's
// creation; otherwise the call returns `TIMEBANK_STATUS_INVALID_TIME` and nothing is written, not even a
// journal record. Creating a ledger runs at the system clock.
//
// Memory: `resident_transfers` bounds the transfers the open store keeps in memory. It sits
// where the struct had 4 bytes of padding after `flags`: the size (16) and the other fields'
// offsets are unchanged.
typedef struct timebank_open_options {
  // How far ahead of the system clock a `now` may be, in nanoseconds; 0 for the default,
  // 5 minutes (300000000000).
  uint64_t clock_skew_max_ns;
  // `TIMEBANK_OPEN_*` bits; any other bit is `TIMEBANK_STATUS_INVALID_ARGUMENT`.
  uint32_t flags;
  // How many of the newest transfers the store keeps in memory; 0 (the default) keeps every
  // transfer. With n > 0, every max(n, 4096) transfers written the store moves the older
  // settled ones (holds still pending stay) to its index and loads back those a later call
  // names, so memory is bounded by the accounts, the pending holds and n rather than by the
  // history. Operations, failed ids and ratings likewise: beyond n + max(n, 4096) of a kind in
  // memory, all but the newest n go to the index, and a retry or `timebank_store_operation`
  // finds them there. Every answer is the same either way; a ledger written with one setting opens
  // with any other (docs/FORMAT.md §16.4).
  uint32_t resident_transfers;
} timebank_open_options;

// The store's head and state.
typedef struct timebank_store_info {
  // The last durable journal record.
  uint64_t head_sequence;
  // The journal's records in bytes, every segment's (segment headers not counted).
  uint64_t journal_bytes;
  // Accounts in the ledger after the head (closed ones included).
  uint64_t accounts;
  // Transfers in the ledger after the head, in every state (a post or void is one of its own).
  uint64_t transfers;
  // The journal record the sled index reflects.
  uint64_t indexed_sequence;
  // The head record's hash.
  uint8_t head_hash[32];
  // The digest of the ledger's whole state: equal digests, equal ledgers.
  uint8_t state_digest[32];
} timebank_store_info;

// Called during `timebank_store_verify` with the records checked so far and in all (the
// journal is read as it is replayed, so until the last call `records_total` is an estimate
// from the bytes read; the last call has the two equal), on the thread that called verify.
// Return 0 to go on; any other value stops the verification, which
// then returns `TIMEBANK_STATUS_CANCELLED` (verification changes nothing either way). A call
// on the same store from inside the callback returns `TIMEBANK_STATUS_REENTRANT`; calls on
// other stores are allowed.
typedef int32_t (*timebank_progress_fn)(void *context, uint64_t records_done, uint64_t records_total);

// What `timebank_store_verify` checked.
typedef struct timebank_verify_report {
  // Records verified, genesis included.
  uint64_t records;
  // The journal's records in bytes, every segment's (segment headers not counted).
  uint64_t journal_bytes;
  // Checkpoints whose state digest was checked (and MAC, when the store has the key).
  uint64_t checkpoints_verified;
  // The last verified record's sequence number.
  uint64_t head_sequence;
  // 1 when checkpoint MACs were checked (the store has the key).
  uint8_t macs_checked;
  // 1 when the sled index was compared with the replayed state.
  uint8_t index_checked;
  // Padding, always written as zero.
  uint8_t reserved[6];
  // The last verified record's hash.
  uint8_t head_hash[32];
  // The state digest after replaying every record.
  uint8_t state_digest[32];
} timebank_verify_report;

// A transfer request with its amount in minor units of the unit's scale (250 is 2.5 hours at
// scale 2). Zero ids and a zero amount mean "none": a post or void may leave the accounts, unit,
// code and amount empty to mean "as in the pending transfer". `flags` are `TIMEBANK_FLAG_*`.
typedef struct timebank_transfer {
  // The transfer's id (not zero): the idempotency key.
  struct timebank_id id;
  // The account debited; zero only for a post, void or reversal ("as in the related transfer").
  struct timebank_id debit_account_id;
  // The account credited; zero only for a post, void or reversal.
  struct timebank_id credit_account_id;
  // For a post or void: the pending transfer; for a reversal: the transfer reversed.
  struct timebank_id related_id;
  // The host's own reference (never personal data).
  struct timebank_id user_data;
  // How much moves, in minor units of the unit's scale; 0 only for a post (all of the hold),
  // a void or a reversal.
  uint64_t amount_minor;
  // For a pending transfer: seconds until `timebank_store_expire` may release it; 0 never.
  uint32_t timeout_s;
  // The unit; 0 only for a post, void or reversal ("as in the related transfer").
  uint16_t unit;
  // The transfer's code (its meaning comes from the ledger's policy); 0 for none, or for a
  // post, void or reversal "as in the related transfer".
  uint16_t code;
  // `TIMEBANK_FLAG_*` bits; any other bit is refused.
  uint16_t flags;
  // Must be zero.
  uint16_t reserved[3];
} timebank_transfer;

// The same request with the amount as plain decimal text (NULL for none).
typedef struct timebank_transfer_text {
  // The transfer's id (not zero): the idempotency key.
  struct timebank_id id;
  // The account debited; zero only for a post, void or reversal.
  struct timebank_id debit_account_id;
  // The account credited; zero only for a post, void or reversal.
  struct timebank_id credit_account_id;
  // For a post or void: the pending transfer; for a reversal: the transfer reversed.
  struct timebank_id related_id;
  // The host's own reference (never personal data).
  struct timebank_id user_data;
  // How much moves, as plain decimal text in the unit (`"2.5"`), at most the unit's scale;
  // NULL only for a post (all of the hold), a void or a reversal.
  const char *amount;
  // For a pending transfer: seconds until `timebank_store_expire` may release it; 0 never.
  uint32_t timeout_s;
  // The unit; 0 only for a post, void or reversal.
  uint16_t unit;
  // The transfer's code; 0 for none, or for a post, void or reversal "as in the related one".
  uint16_t code;
  // `TIMEBANK_FLAG_*` bits; any other bit is refused.
  uint16_t flags;
  // Must be zero.
  uint16_t reserved[3];
} timebank_transfer_text;

// A transfer as the ledger keeps it: the accounts, unit and code it applied to (for a post,
// void or reversal, those of the transfer it resolves), what moved, and where it stands.
typedef struct timebank_transfer_info {
  // The transfer's id.
  struct timebank_id id;
  // The account debited, as applied.
  struct timebank_id debit_account_id;
  // The account credited, as applied.
  struct timebank_id credit_account_id;
  // Zero when none.
  struct timebank_id related_id;
  // The host's own reference, as submitted.
  struct timebank_id user_data;
  // The reversal that undid it; zero when none.
  struct timebank_id reversed_by;
  // Nanoseconds since the Unix epoch, assigned by the ledger.
  uint64_t timestamp;
  // The hold's timeout in seconds, as submitted (0 for none).
  uint32_t timeout_s;
  // The unit, as applied.
  uint16_t unit;
  // The code, as applied.
  uint16_t code;
  // The `TIMEBANK_FLAG_*` bits, as submitted.
  uint16_t flags;
  // `TIMEBANK_TRANSFER_*`.
  uint8_t state;
  // Padding, always written as zero.
  uint8_t reserved[5];
  // What moved (or was held), as plain decimal text at the unit's scale (`"2.50"`).
  char amount[TIMEBANK_DECIMAL_BYTES];
} timebank_transfer_info;

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

// Creates `count` accounts at `now` (nanoseconds since the Unix epoch; 0 for the system clock)
// in one durable command, and writes each account's result code (0 ok, 3 exists, 120
// account_exists_with_different_fields, ...) to `codes_out[i]`.
//
// Errors (nothing is created): `INVALID_ARGUMENT` for a `count` of 0 or above
// `TIMEBANK_BATCH_MAX` (checked before `accounts` is read), a zero id, an unknown kind or limit
// bit; `INVALID_TIME`; `OUTCOME_UNKNOWN` when the journal write or sync failed. A refused
// account (a non-zero code) is journaled with the batch, as for transfers.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `accounts` is NULL or points to `count` structs; `codes_out`
// is NULL or valid for writes of `count` `uint16_t`; `error_out` is NULL or valid for a write of
// one `char *`.
timebank_status timebank_store_create_accounts(const struct timebank_store *store,
                                               const struct timebank_account_new *accounts,
                                               uint64_t count,
                                               uint64_t now,
                                               uint16_t *codes_out,
                                               char **error_out);

// As `timebank_store_create_accounts`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`): both are journaled with the command and kept for its events.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_create_accounts`; `by` is NULL or points to one `timebank_attribution`.
timebank_status timebank_store_create_accounts_by(const struct timebank_store *store,
                                                  const struct timebank_account_new *accounts,
                                                  uint64_t count,
                                                  const struct timebank_attribution *by,
                                                  uint64_t now,
                                                  uint16_t *codes_out,
                                                  char **error_out);

// Closes `count` accounts whose balance is zero and that hold nothing pending (an empty,
// dormant account), in one durable command at `now`, and writes each account's result code to
// `codes_out[i]`: 0 closed, 3 `exists` (already closed), 57 `account_not_found`, 56
// `closing_leaves_balance` (it holds a balance or a pending hold: close it with
// `timebank_store_close_account`, which names where the balance goes). A closed account takes
// no new transfers; its history stays. `by` names who closes them and why (NULL: no operator,
// no reason; see `timebank_attribution`); under a policy with time-bank rules, an operator
// without a reason gets `reason_required` (217) for each account.
//
// Errors (nothing is closed): `INVALID_ARGUMENT` for a `count` of 0 or above
// `TIMEBANK_BATCH_MAX` (checked before `accounts` is read) or a zero id; `INVALID_TIME`;
// `OUTCOME_UNKNOWN` when the journal write or sync failed. A refused account (a non-zero code)
// is journaled with the batch, as for transfers.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `accounts` is NULL or points to `count` `timebank_id`s; `by`
// is NULL or points to one `timebank_attribution`; `codes_out` is NULL or valid for writes of
// `count` `uint16_t`; `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_store_close_accounts(const struct timebank_store *store,
                                              const struct timebank_id *accounts,
                                              uint64_t count,
                                              const struct timebank_attribution *by,
                                              uint64_t now,
                                              uint16_t *codes_out,
                                              char **error_out);

// Writes the account `id` to `*account_out`.
//
// Errors: `NOT_FOUND` for an unknown id, `INVALID_ARGUMENT` for zero.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `id` is NULL or points to one `timebank_id`; `account_out` is
// NULL or valid for a write of one `timebank_account`; `error_out` is NULL or valid for a write
// of one `char *`.
timebank_status timebank_store_account(const struct timebank_store *store,
                                       const struct timebank_id *id,
                                       struct timebank_account *account_out,
                                       char **error_out);

// Checks that `text` is an amount of a unit with `scale` decimal places (a plain positive
// decimal such as `"2.5"`, no sign, exponent, separator, space or non-ASCII digit, at most
// `scale` significant decimals, at most the largest amount) and writes it in minor units of that
// scale to `*minor_out` (`"2.5"` at scale 2 is 250).
//
// Errors: `TIMEBANK_STATUS_INVALID_AMOUNT` for a text that is not such an amount,
// `TIMEBANK_STATUS_INVALID_ARGUMENT` for a scale above 6.
//
// Thread safety: may be called from any thread at any time.
//
// # Safety
// `text` is NULL or a NUL-terminated string; `minor_out` is NULL or valid for a write of one
// `uint64_t`; `error_out` is NULL or valid for a write of one `char *` (set, on failure, to a
// message the caller frees with `timebank_string_free`).
timebank_status timebank_amount_parse(const char *text,
                                      uint32_t scale,
                                      uint64_t *minor_out,
                                      char **error_out);

// Writes the amount of `minor` units of `scale` as plain decimal text at that scale (250 at
// scale 2 is `"2.50"`) to `*text_out`, a string the caller frees with `timebank_string_free`.
//
// Errors: `TIMEBANK_STATUS_INVALID_AMOUNT` for 0 or more than the largest amount,
// `TIMEBANK_STATUS_INVALID_ARGUMENT` for a scale above 6.
//
// Thread safety: may be called from any thread at any time.
//
// # Safety
// `text_out` and `error_out` are NULL or valid for a write of one `char *`.
timebank_status timebank_amount_format(uint64_t minor,
                                       uint32_t scale,
                                       char **text_out,
                                       char **error_out);

// Writes who made the transfer `id` to `*by_out`: the operator and reason of the command that
// created it (operator 0 and `has_reason` 0 when that command named none, as every call without
// `by` does). Reads only.
//
// Errors: `NOT_FOUND` for an unknown transfer, `INVALID_ARGUMENT` for a zero id.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `id` is NULL or points to one `timebank_id`; `by_out` is
// NULL or valid for a write of one `timebank_attribution`; `error_out` is NULL or valid for a
// write of one `char *`.
timebank_status timebank_store_transfer_by(const struct timebank_store *store,
                                           const struct timebank_id *id,
                                           struct timebank_attribution *by_out,
                                           char **error_out);

// The stable snake_case name of an exchange verdict, such as `"forged"` for 14, or
// `"unknown"`: a static string the caller must not free.
//
// Thread safety: may be called from any thread at any time.
const char *timebank_exchange_verdict_name(uint16_t verdict);

// Opens this ledger's side of its exchanges on `store` and writes a new handle to
// `*exchange_out`, freed with `timebank_exchange_free`.
//
// `own_id` is this ledger's id in the federation (non-zero, such as the six-digit code of the
// district it serves); on the first open it creates the exchange files (`exchange/` in the data
// directory: the peer list and the offers made), later it must be the id they hold, or 0 to
// take it from them. The signing key is either `signing_key`, `TIMEBANK_EXCHANGE_KEY_BYTES`
// raw bytes (the Ed25519 seed), or `signing_key_file`, the path of a key file as the CLI's
// `--signing-key-file` reads it (64 hexadecimal characters; a regular file outside the data
// directory, readable by its owner alone): exactly one of the two. Opening voids the holds of
// exchanges whose offer was never recorded (a crash between the two), journaled at `now`
// (0: the system clock).
//
// One exchange handle per store: a second before the first is freed is `BUSY`, as is an open
// when `TIMEBANK_EXCHANGES_OPEN_MAX` exchange handles are live in the process. Every call on
// the exchange enters its store, so a closed store is `CLOSED` and a freed one
// `INVALID_HANDLE`.
//
// Errors: `NULL_POINTER` when neither key is given; `INVALID_ARGUMENT` when both are, for an
// `own_id` of 0 with no exchange files yet, an `own_id` other than the files', a key file
// inside the data directory, readable by others, or not holding a key; `NOT_FOUND` for a key
// file that does not exist; `DAMAGED` when the exchange files disagree with the journal or are
// damaged; `BUSY` (see above); `IO`.
//
// Thread safety: may be called from any thread.
//
// # Safety
// `store` is NULL or a live handle; `signing_key` is NULL or points to
// `TIMEBANK_EXCHANGE_KEY_BYTES` readable bytes; `signing_key_file` is NULL or a NUL-terminated
// string; `exchange_out` and `error_out` are NULL or valid for a write of one pointer.
timebank_status timebank_exchange_open(const struct timebank_store *store,
                                       uint64_t own_id,
                                       const uint8_t *signing_key,
                                       const char *signing_key_file,
                                       uint64_t now,
                                       struct timebank_exchange **exchange_out,
                                       char **error_out);

// Releases an exchange handle (the exchange files stay; open it again to go on). NULL, a
// freed or a never-made handle does nothing. It does not wait: a call in flight on another
// thread runs to its end, and the exchange is released when it returns; later calls with the
// handle are `INVALID_HANDLE`. Freeing the store does not free its exchange handle: free both.
//
// Thread safety: may be called from any thread.
void timebank_exchange_free(struct timebank_exchange *exchange);

// Registers the peer ledger `peer_id` with its public key `public_key` (64 lower-case
// hexadecimal characters, the Ed25519 key its messages are signed with;
// `timebank_signing_key_public` with `"standard"` gives it from the peer's signing key):
// journals a clearing account per unit for it (at `now`, 0: the system clock), then adds it to
// the peer list. Registering a peer again with the same key changes nothing.
//
// Errors: `INVALID_ARGUMENT` for a zero id, this ledger's own id, a key that is not an Ed25519
// public key in hex, a peer registered with another key, or more than 1,024 peers; `REFUSED`
// when the ledger refuses a clearing account (its result code in the message).
//
// Thread safety: calls on one exchange run one at a time; any thread may make them.
//
// # Safety
// `exchange` is NULL or a live handle; `public_key` is NULL or a NUL-terminated string;
// `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_exchange_add_peer(const struct timebank_exchange *exchange,
                                           uint64_t peer_id,
                                           const char *public_key,
                                           uint64_t now,
                                           char **error_out);

// Writes this ledger's id and public key and its peers to `*json_out` as JSON, freed with
// `timebank_string_free`:
//
// `{"own":310101,"peers":[{"id":310104,"public_key":"<64 hex>"}],"public_key":"<64 hex>"}`
//
// Peers are in order of id. Writes nothing to the ledger.
//
// Thread safety: calls on one exchange run one at a time; any thread may make them.
//
// # Safety
// `exchange` is NULL or a live handle; `json_out` and `error_out` are NULL or valid for a
// write of one `char *`.
timebank_status timebank_exchange_peers(const struct timebank_exchange *exchange,
                                        char **json_out,
                                        char **error_out);

// Sends `amount` (plain decimal text, at most the unit's decimals) of unit `unit` from the
// member account `source` here to the account `destination` on the peer ledger `to`: holds the
// hours (pending, journaled at `now`, 0: the system clock) and writes the signed offer to
// `*message_out`, its JSON form, freed with `timebank_string_free`. Deliver it to the peer
// (`timebank_exchange_receive` there), which answers with a receipt or a refusal to deliver
// back here. `number` names the exchange among this ledger's (never reuse one: the host's own
// sequence, say); `deadline` (nanoseconds since the Unix epoch, after `now`) is when the peer
// stops accepting the offer.
//
// Sending the same request again (the same number and arguments) writes the same offer again
// and changes nothing: deliver it as often as need be, duplicates are harmless.
//
// Errors: `INVALID_ARGUMENT` for a zero `to` or account id, a deadline not after `now`, a unit
// the policy gives no clearing code, or a `number` used before for another request (or whose
// offer was voided); `NOT_FOUND` for a unit that does not exist or a peer that is not
// registered; `INVALID_AMOUNT` for an amount that is not a plain positive decimal within the
// unit's scale; `REFUSED` when the ledger refuses the hold (its result code in the message,
// such as `exceeds_floor` or an unknown source account; the attempt is journaled).
//
// Thread safety: calls on one exchange run one at a time; any thread may make them.
//
// # Safety
// `exchange` is NULL or a live handle; `amount` is NULL or a NUL-terminated string; `source`
// and `destination` are NULL or point to one `timebank_id`; `message_out` and `error_out` are
// NULL or valid for a write of one `char *`.
timebank_status timebank_exchange_send(const struct timebank_exchange *exchange,
                                       uint64_t number,
                                       uint64_t to,
                                       uint16_t unit,
                                       const char *amount,
                                       const struct timebank_id *source,
                                       const struct timebank_id *destination,
                                       uint64_t deadline,
                                       uint64_t now,
                                       char **message_out,
                                       char **error_out);

// Moves a member to the peer ledger `to`: holds the whole posted balance of `source` in unit
// `unit` and writes the signed offer with state (the balance's expiries here, what the member
// earned here in all, their eligibility date) to `*message_out`, as `timebank_exchange_send`
// does. The peer credits `destination` keeping that state, so moving never resets a cap or
// revives expired points. The same request again writes the same offer and changes nothing.
//
// Errors: as `timebank_exchange_send`, and `NOT_FOUND` for a `source` that does not exist,
// `INVALID_ARGUMENT` when its balance is not positive (nothing to move) or part of it is held.
//
// Thread safety: calls on one exchange run one at a time; any thread may make them.
//
// # Safety
// As `timebank_exchange_send`, without `amount`.
timebank_status timebank_exchange_move_member(const struct timebank_exchange *exchange,
                                              uint64_t number,
                                              uint64_t to,
                                              uint16_t unit,
                                              const struct timebank_id *source,
                                              const struct timebank_id *destination,
                                              uint64_t deadline,
                                              uint64_t now,
                                              char **message_out,
                                              char **error_out);

// Handles a message from a peer, `message_len` bytes in either form (canonical bytes, or the
// JSON form the calls here return): an offer is credited or refused, a receipt posts the hold
// it answers, a final refusal voids it. Journals at `now` (0: the system clock).
//
// Returns `OK` whenever the message was handled, whatever was decided: `*verdict_out` says
// what (a `TIMEBANK_VERDICT_*` number; `timebank_exchange_verdict_name` names it),
// `*ledger_code_out` the ledger's result code when the verdict is `refused_by_ledger` (else
// 0), and `*reply_out` the answer to deliver back to the message's sender (JSON, freed with
// `timebank_string_free`), or NULL when there is none. `ok`: applied. `exists`: applied before
// (a replayed or duplicated message), nothing changed; for an offer the reply is the receipt
// again. Any other verdict is a refusal, and no balance changed: a malformed, forged or
// misaddressed message, or one from an unknown peer or signed with another key, changes
// nothing at all (not even the journal). Every offer refused is answered with a signed
// refusal carrying the verdict; a final one (`past_deadline`, `unit_unknown`,
// `amount_outside_scale`, `destination_invalid`, `refused_by_ledger`,
// `unit_not_exchangeable`) voids the hold when it reaches the sender, the others leave it
// held. Before a `past_deadline` refusal the ledger journals `now` by running its expiry at
// `now` (as `timebank_store_expire` does: holds whose timeout has passed are released, the
// policy's sweeps run), so that the offer can never be applied after the refusal; for
// `refused_by_ledger` the refused credit is journaled (no balance changes). A receipt or refusal is never answered (`*reply_out` NULL), nor is a message that
// is not one.
//
// Errors (the message was not handled; deliver it again later): `INVALID_ARGUMENT` when
// `message_len` is above `TIMEBANK_EXCHANGE_MESSAGE_BYTES_MAX` (nothing is read); `NULL_POINTER`
// for a NULL `message` with a non-zero length; `IO`.
//
// Thread safety: calls on one exchange run one at a time; any thread may make them.
//
// # Safety
// `exchange` is NULL or a live handle; `message` is NULL or points to `message_len` readable
// bytes; `verdict_out` and `ledger_code_out` are NULL or valid for a write of one `uint16_t`;
// `reply_out` and `error_out` are NULL or valid for a write of one `char *`.
timebank_status timebank_exchange_receive(const struct timebank_exchange *exchange,
                                          const uint8_t *message,
                                          uint64_t message_len,
                                          uint64_t now,
                                          uint16_t *verdict_out,
                                          uint16_t *ledger_code_out,
                                          char **reply_out,
                                          char **error_out);

// Writes the offers whose deadline is before `now` (0: the system clock) and whose hold is
// still pending to `*json_out`, a JSON array of messages in their JSON form (oldest number
// first; `[]` when none), freed with `timebank_string_free`. Deliver each to its peer again:
// the peer answers with its receipt (it credited in time and the receipt was lost) or a final
// `past_deadline` refusal, and receiving that answer here posts or voids the hold. The sender
// never voids on its own clock. Writes nothing to the ledger.
//
// Thread safety: calls on one exchange run one at a time; any thread may make them.
//
// # Safety
// `exchange` is NULL or a live handle; `json_out` and `error_out` are NULL or valid for a
// write of one `char *`.
timebank_status timebank_exchange_expire(const struct timebank_exchange *exchange,
                                         uint64_t now,
                                         char **json_out,
                                         char **error_out);

// Writes every offer of this ledger whose hold is still pending (oldest number first) to
// `*json_out` as a JSON array, freed with `timebank_string_free`:
//
// `[{"amount":"2.50","deadline":1767229200000000000,"destination":"7","number":1,
// "offer":{...},"source":"2","to":310104,"unit":1}]`
//
// Account ids are decimal strings (they are 128-bit), the amount is at the unit's scale, and
// `offer` is the signed offer in its JSON form (to deliver again). Writes nothing.
//
// Thread safety: calls on one exchange run one at a time; any thread may make them.
//
// # Safety
// As `timebank_exchange_expire`, without `now`.
timebank_status timebank_exchange_pending(const struct timebank_exchange *exchange,
                                          char **json_out,
                                          char **error_out);

// Writes what this ledger owes each peer, or is owed, per unit (the settlement report) to
// `*json_out` as a JSON array ordered by peer then unit, freed with `timebank_string_free`:
//
// `[{"held_outgoing":"0.00","owed_to_peer":"2.50","peer":310104,"unit":1}]`
//
// `owed_to_peer` is the clearing account's posted balance: positive when this ledger owes the
// peer (its members' hours were honoured there), negative when the peer owes this ledger; per
// unit, a pair of peers' figures for each other sum to zero once their exchanges settle.
// `held_outgoing` is what is held for offers to the peer not yet answered. Decimals are
// strings at the unit's scale. Writes nothing.
//
// Thread safety: calls on one exchange run one at a time; any thread may make them.
//
// # Safety
// As `timebank_exchange_pending`.
timebank_status timebank_exchange_positions(const struct timebank_exchange *exchange,
                                            char **json_out,
                                            char **error_out);

// Records a service: `provider` earns `hours` × the code's weight, paid by `payer` (an issuing
// fund for a service code). Above a cap whose excess is donated, the rest goes to `donation`
// (NULL when the host knows no cap applies). The operation's id is `first_id`, its transfers
// use ids from `first_id` on, and it writes how many to `*transfers_out` (may be NULL). The
// same as `timebank_store_operate_service` with `served_at` 0: see it for retries.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; every id pointer is NULL or points to one `timebank_id`;
// `hours` is NULL or a NUL-terminated string; `transfers_out` is NULL or valid for a write of
// one `uint64_t`; `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_store_record_service(const struct timebank_store *store,
                                              const struct timebank_id *first_id,
                                              uint16_t code,
                                              const struct timebank_id *payer,
                                              const struct timebank_id *provider,
                                              const char *hours,
                                              const struct timebank_id *donation,
                                              uint64_t now,
                                              uint64_t *transfers_out,
                                              char **error_out);

// Records a service done at `served_at` (nanoseconds since the Unix epoch; 0 when it was done
// as it is recorded, at `now`): `provider` earns `hours` × the code's weight, paid by `payer`
// (an issuing fund for a service code); above a cap whose excess is donated, the rest goes to
// `donation` (NULL or zero when the host knows no cap applies). Caps count the local day (in
// the policy's time zone) of `served_at`.
//
// `id` is the host's request id for the operation and the first of its transfer ids. `by` names
// who runs it and why (NULL: no operator, no reason; see `timebank_attribution`): both are
// journaled with it and kept for its events. The ledger plans and applies it in one journal
// record, and `*outcome_out` (may be NULL) receives what it did. Retrying with the same `id` and
// the same arguments (after a timeout, a crash or `TIMEBANK_STATUS_OUTCOME_UNKNOWN`) changes
// nothing and writes nothing: it returns the first outcome (`retried` 1, the original
// `timestamp`), or, when the first run was refused, the same `TIMEBANK_STATUS_REFUSED` with the
// same result code. The same `id` with other arguments is refused with a code naming the first
// difference: `operation_exists_with_different_kind` (40), `_accounts` (41), `_amount` (42),
// `_code` (43), `_served_at` (44) or `_details` (45).
//
// Refusals of `served_at`: after the time the ledger gives the event, `served_at_in_future`
// (22); more local days before it than the policy's `late_days_max`, `served_at_too_late`
// (210). Other errors: `NOT_FOUND` (an unknown account), `INVALID_AMOUNT` (`hours` not exact
// in the unit), `INVALID_ARGUMENT` (a zero id, a code the policy lacks), and the planner's
// refusals, `donation_account_required` (215) and `weighted_amount_inexact` (211), which journal
// nothing.
//
// Thread safety: `store` may be used from several threads at once; concurrent operations get
// the results a serial run would.
//
// # Safety
// `store` is NULL or a live handle; every id pointer is NULL or points to one `timebank_id`;
// `hours` is NULL or a NUL-terminated string; `by` is NULL or points to one
// `timebank_attribution`; `outcome_out` is NULL or valid for a write of one
// `timebank_operation_outcome`; `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_store_operate_service(const struct timebank_store *store,
                                               const struct timebank_id *id,
                                               uint16_t code,
                                               const struct timebank_id *payer,
                                               const struct timebank_id *provider,
                                               const char *hours,
                                               const struct timebank_id *donation,
                                               uint64_t served_at,
                                               const struct timebank_attribution *by,
                                               uint64_t now,
                                               struct timebank_operation_outcome *outcome_out,
                                               char **error_out);

// A care withdrawal: `member` pays `hours` × the care code's weight of its own hours to
// `provider` (refused before the member's eligibility date: `not_yet_eligible`). The same as
// `timebank_store_operate_withdrawal` with `served_at` 0, writing the number of transfers to
// `*transfers_out` (may be NULL).
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_record_service`.
timebank_status timebank_store_withdraw(const struct timebank_store *store,
                                        const struct timebank_id *first_id,
                                        uint16_t code,
                                        const struct timebank_id *member,
                                        const struct timebank_id *provider,
                                        const char *hours,
                                        uint64_t now,
                                        uint64_t *transfers_out,
                                        char **error_out);

// A care withdrawal for a service done at `served_at` (0: as it is recorded): `member` pays
// `hours` × the care code's weight of its own hours to `provider` (refused before the member's
// eligibility date: `not_yet_eligible`; a code that is not a care code of the member's unit:
// `INVALID_ARGUMENT`). `id` is the request id; retries, `served_at` refusals and the outcome
// as for `timebank_store_operate_service`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_operate_service`.
timebank_status timebank_store_operate_withdrawal(const struct timebank_store *store,
                                                  const struct timebank_id *id,
                                                  uint16_t code,
                                                  const struct timebank_id *member,
                                                  const struct timebank_id *provider,
                                                  const char *hours,
                                                  uint64_t served_at,
                                                  const struct timebank_attribution *by,
                                                  uint64_t now,
                                                  struct timebank_operation_outcome *outcome_out,
                                                  char **error_out);

// Books a service: holds `hours` × the code's weight of `payer`'s hours for `provider` (a
// pending transfer `id`) until completed, cancelled, or released by `timebank_store_expire`
// after `timeout_s` seconds (0: no deadline). The provider's caps are judged at completion.
// `id` is also the operation's request id: a retry with the same arguments returns OK and
// changes nothing; other arguments are refused (`operation_exists_with_different_*`).
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_record_service`.
timebank_status timebank_store_book(const struct timebank_store *store,
                                    const struct timebank_id *id,
                                    uint16_t code,
                                    const struct timebank_id *payer,
                                    const struct timebank_id *provider,
                                    const char *hours,
                                    uint32_t timeout_s,
                                    uint64_t now,
                                    char **error_out);

// As `timebank_store_book`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
// `retried` 1 when a retry was answered with the first outcome). Retries as for
// `timebank_store_operate_service`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_book`; `by` is NULL or points to one `timebank_attribution`;
// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
timebank_status timebank_store_operate_booking(const struct timebank_store *store,
                                               const struct timebank_id *id,
                                               uint16_t code,
                                               const struct timebank_id *payer,
                                               const struct timebank_id *provider,
                                               const char *hours,
                                               uint32_t timeout_s,
                                               const struct timebank_attribution *by,
                                               uint64_t now,
                                               struct timebank_operation_outcome *outcome_out,
                                               char **error_out);

// Completes the booking `booking`: posts the hours served (`hours`, at most those booked; NULL
// for all of them; the rest of the hold is released) and records the recipient's `rating`
// (1 to 5; 0 for none). The same as `timebank_store_operate_completion` with `served_at` 0,
// writing the number of transfers to `*transfers_out` (may be NULL).
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_record_service`.
timebank_status timebank_store_complete(const struct timebank_store *store,
                                        const struct timebank_id *first_id,
                                        const struct timebank_id *booking,
                                        const char *hours,
                                        uint8_t rating,
                                        const struct timebank_id *donation,
                                        uint64_t now,
                                        uint64_t *transfers_out,
                                        char **error_out);

// Completes the booking `booking` for a service done at `served_at` (0: as it is recorded):
// posts the hours served (`hours`, at most those booked; NULL for all of them; the rest of the
// hold is released), with the provider's caps judged on the local day of `served_at` (the
// excess above a donate cap goes to `donation`), and records the recipient's `rating` (1 to 5;
// 0 for none) in the same journal record. `id` is the request id and the first transfer id;
// retries, `served_at` refusals and the outcome as for `timebank_store_operate_service`. A
// booking that is no longer pending is `not_a_booking` (214).
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_operate_service`.
timebank_status timebank_store_operate_completion(const struct timebank_store *store,
                                                  const struct timebank_id *id,
                                                  const struct timebank_id *booking,
                                                  const char *hours,
                                                  uint8_t rating,
                                                  const struct timebank_id *donation,
                                                  uint64_t served_at,
                                                  const struct timebank_attribution *by,
                                                  uint64_t now,
                                                  struct timebank_operation_outcome *outcome_out,
                                                  char **error_out);

// Cancels the booking `booking` (transfer `id` voids the hold, releasing the payer's hours).
// `id` is the operation's request id: retries as for `timebank_store_book`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_record_service`.
timebank_status timebank_store_cancel(const struct timebank_store *store,
                                      const struct timebank_id *id,
                                      const struct timebank_id *booking,
                                      uint64_t now,
                                      char **error_out);

// As `timebank_store_cancel`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
// `retried` 1 when a retry was answered with the first outcome). Retries as for
// `timebank_store_operate_service`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_cancel`; `by` is NULL or points to one `timebank_attribution`;
// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
timebank_status timebank_store_operate_cancellation(const struct timebank_store *store,
                                                    const struct timebank_id *id,
                                                    const struct timebank_id *booking,
                                                    const struct timebank_attribution *by,
                                                    uint64_t now,
                                                    struct timebank_operation_outcome *outcome_out,
                                                    char **error_out);

// Gives `amount` from `from` to `to` (a family member linked with `timebank_store_link`, or a
// donation pool), with `code` (0 for the policy's gift or donation code). `id` is the
// operation's request id: retries as for `timebank_store_book`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_record_service`.
timebank_status timebank_store_gift(const struct timebank_store *store,
                                    const struct timebank_id *id,
                                    const struct timebank_id *from,
                                    const struct timebank_id *to,
                                    const char *amount,
                                    uint16_t code,
                                    uint64_t now,
                                    char **error_out);

// As `timebank_store_gift`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
// `retried` 1 when a retry was answered with the first outcome). Retries as for
// `timebank_store_operate_service`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_gift`; `by` is NULL or points to one `timebank_attribution`;
// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
timebank_status timebank_store_operate_gift(const struct timebank_store *store,
                                            const struct timebank_id *id,
                                            const struct timebank_id *from,
                                            const struct timebank_id *to,
                                            const char *amount,
                                            uint16_t code,
                                            const struct timebank_attribution *by,
                                            uint64_t now,
                                            struct timebank_operation_outcome *outcome_out,
                                            char **error_out);

// Awards points: the award code's points per act × `acts`, from `issuer` to `member`. `id` is
// the operation's request id: retries as for `timebank_store_book`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_record_service`.
timebank_status timebank_store_award(const struct timebank_store *store,
                                     const struct timebank_id *id,
                                     uint16_t code,
                                     const struct timebank_id *issuer,
                                     const struct timebank_id *member,
                                     uint32_t acts,
                                     uint64_t now,
                                     char **error_out);

// As `timebank_store_award`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
// `retried` 1 when a retry was answered with the first outcome). Retries as for
// `timebank_store_operate_service`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_award`; `by` is NULL or points to one `timebank_attribution`;
// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
timebank_status timebank_store_operate_award(const struct timebank_store *store,
                                             const struct timebank_id *id,
                                             uint16_t code,
                                             const struct timebank_id *issuer,
                                             const struct timebank_id *member,
                                             uint32_t acts,
                                             const struct timebank_attribution *by,
                                             uint64_t now,
                                             struct timebank_operation_outcome *outcome_out,
                                             char **error_out);

// Redeems `amount` points of `member` at `redemption` (a points supermarket), with `code` (0
// for the policy's redemption code). `id` is the operation's request id: retries as for
// `timebank_store_book`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_record_service`.
timebank_status timebank_store_redeem(const struct timebank_store *store,
                                      const struct timebank_id *id,
                                      const struct timebank_id *member,
                                      const struct timebank_id *redemption,
                                      const char *amount,
                                      uint16_t code,
                                      uint64_t now,
                                      char **error_out);

// As `timebank_store_redeem`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
// `retried` 1 when a retry was answered with the first outcome). Retries as for
// `timebank_store_operate_service`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_redeem`; `by` is NULL or points to one `timebank_attribution`;
// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
timebank_status timebank_store_operate_redemption(const struct timebank_store *store,
                                                  const struct timebank_id *id,
                                                  const struct timebank_id *member,
                                                  const struct timebank_id *redemption,
                                                  const char *amount,
                                                  uint16_t code,
                                                  const struct timebank_attribution *by,
                                                  uint64_t now,
                                                  struct timebank_operation_outcome *outcome_out,
                                                  char **error_out);

// Closes `account` (death, moving away, dormancy): its whole balance moves to `destination` by
// the closing transfer `id`, and it takes no new transfers; an account with a zero balance
// simply closes (no transfer; `destination` must still exist). The history stays. The
// destination of a balance is a fund, a pool, or a member the gift rule allows (otherwise
// `closing_destination_not_allowed`, 212). Refused while the account has pending holds
// (`holds_pending`, 213). `id` is the operation's request id: retries as for
// `timebank_store_book`. To close several empty accounts in one command, see
// `timebank_store_close_accounts`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_record_service`.
timebank_status timebank_store_close_account(const struct timebank_store *store,
                                             const struct timebank_id *id,
                                             const struct timebank_id *account,
                                             const struct timebank_id *destination,
                                             uint64_t now,
                                             char **error_out);

// As `timebank_store_close_account`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
// `retried` 1 when a retry was answered with the first outcome). Retries as for
// `timebank_store_operate_service`.
// Under a policy with time-bank rules, `by` with an operator and no reason is refused with
// `reason_required` (217) before anything is journaled.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_close_account`; `by` is NULL or points to one `timebank_attribution`;
// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
timebank_status timebank_store_operate_closing(const struct timebank_store *store,
                                               const struct timebank_id *id,
                                               const struct timebank_id *account,
                                               const struct timebank_id *destination,
                                               const struct timebank_attribution *by,
                                               uint64_t now,
                                               struct timebank_operation_outcome *outcome_out,
                                               char **error_out);

// Reverses the posted transfer `original` with the new transfer `id`, which moves its amount
// back and references it. A mistake is corrected this way, never by deletion; a transfer is
// reversed at most once (`already_reversed`). `id` is the operation's request id: retries as
// for `timebank_store_book`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_record_service`.
timebank_status timebank_store_reverse(const struct timebank_store *store,
                                       const struct timebank_id *id,
                                       const struct timebank_id *original,
                                       uint64_t now,
                                       char **error_out);

// As `timebank_store_reverse`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`), writing the operation's outcome to `*outcome_out` (may be NULL;
// `retried` 1 when a retry was answered with the first outcome). Retries as for
// `timebank_store_operate_service`.
// Under a policy with time-bank rules, `by` with an operator and no reason is refused with
// `reason_required` (217) before anything is journaled.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_reverse`; `by` is NULL or points to one `timebank_attribution`;
// `outcome_out` is NULL or valid for a write of one `timebank_operation_outcome`.
timebank_status timebank_store_operate_reversal(const struct timebank_store *store,
                                                const struct timebank_id *id,
                                                const struct timebank_id *original,
                                                const struct timebank_attribution *by,
                                                uint64_t now,
                                                struct timebank_operation_outcome *outcome_out,
                                                char **error_out);

// Registers a family link between the members `a` and `b` (spouse, direct relatives), along
// which gifts are allowed. Linking twice is OK.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `a` and `b` are NULL or point to one `timebank_id` each;
// `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_store_link(const struct timebank_store *store,
                                    const struct timebank_id *a,
                                    const struct timebank_id *b,
                                    uint64_t now,
                                    char **error_out);

// As `timebank_store_link`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`): both are journaled with the command and kept for its events.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_link`; `by` is NULL or points to one `timebank_attribution`.
timebank_status timebank_store_link_by(const struct timebank_store *store,
                                       const struct timebank_id *a,
                                       const struct timebank_id *b,
                                       const struct timebank_attribution *by,
                                       uint64_t now,
                                       char **error_out);

// Sets the first moment `account` may pay for care with its hours (`from`, nanoseconds since
// the Unix epoch; 0 for no date), as the host decides eligibility.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `account` is NULL or points to one `timebank_id`;
// `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_store_set_eligibility(const struct timebank_store *store,
                                               const struct timebank_id *account,
                                               uint64_t from,
                                               uint64_t now,
                                               char **error_out);

// As `timebank_store_set_eligibility`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`): both are journaled with the command and kept for its events.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_set_eligibility`; `by` is NULL or points to one `timebank_attribution`.
timebank_status timebank_store_set_eligibility_by(const struct timebank_store *store,
                                                  const struct timebank_id *account,
                                                  uint64_t from,
                                                  const struct timebank_attribution *by,
                                                  uint64_t now,
                                                  char **error_out);

// Writes the outcome of the domain operation with the request id `id` to `*outcome_out`: what
// the ledger answered when it first ran it (`code` 0 with its transfers, or the refusal's
// code). So a host that got `TIMEBANK_STATUS_OUTCOME_UNKNOWN`, or lost its process, learns
// whether the operation happened without running it again. Reads only.
//
// Errors: `NOT_FOUND` when the ledger ran no operation with this id (a transfer submitted
// directly with this id is not an operation); `INVALID_ARGUMENT` for a zero id; `DAMAGED` or
// `IO` when the store's index, which keeps the operations evicted from memory
// (`timebank_open_options.resident_transfers`), cannot be read.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `id` is NULL or points to one `timebank_id`; `outcome_out`
// is NULL or valid for a write of one `timebank_operation_outcome`; `error_out` is NULL or valid
// for a write of one `char *`.
timebank_status timebank_store_operation(const struct timebank_store *store,
                                         const struct timebank_id *id,
                                         struct timebank_operation_outcome *outcome_out,
                                         char **error_out);

// Amends the ledger's policy: `policy` (TOML, or JSON when it starts with `{`) is in force from
// `from` (nanoseconds since the Unix epoch) until the next amendment. It is one journal record at
// `now`, on behalf of `by` (NULL: no operator, no reason; see `timebank_attribution`). Every event
// is then judged under the policy in force at its time: a service (a care withdrawal, a booking's
// completion) at its `served_at`, anything else at its timestamp.
//
// The amended policy is validated like a new one, and must keep the ledger's units exactly
// (ids, names, scales), define codes, and keep an expiry rule for every unit that expires under
// the policy in force (with an existing expiry account of that unit); `from` must be after
// every event already applied (the ledger's clock) and after every earlier amendment's, so
// history is never judged again. Otherwise the call returns `INVALID_ARGUMENT` with a message
// saying which, and nothing is written, not even a journal record. A ledger created with units
// only (no codes) cannot be amended (`INVALID_ARGUMENT`).
//
// Errors: `INVALID_ARGUMENT` (above), `INVALID_UTF8`, `INVALID_TIME` for `now`,
// `OUTCOME_UNKNOWN`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `policy` is NULL or a NUL-terminated string; `by` is NULL or
// points to one `timebank_attribution`; `error_out` is NULL or valid for a write of one
// `char *`.
timebank_status timebank_store_amend_policy(const struct timebank_store *store,
                                            const char *policy,
                                            uint64_t from,
                                            const struct timebank_attribution *by,
                                            uint64_t now,
                                            char **error_out);

// Writes the policy in force at `at` (nanoseconds since the Unix epoch; 0 for the system
// clock) to `*json_out` as JSON, freed with `timebank_string_free`:
//
// `{"at":1767225600000000000,"from":0,"policy":{...},"versions":[0,1767225600000000000]}`
//
// `from` is when that policy took effect (0: the policy the ledger was created with),
// `policy` the whole policy (the JSON `timebank_store_open` and `timebank_store_amend_policy`
// accept), `versions` every version's effective time in order, 0 first. Reads only.
//
// Errors: `NOT_FOUND` when the ledger has no time-bank rules (created with units only).
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `json_out` and `error_out` are NULL or valid for a write of
// one `char *`.
timebank_status timebank_store_policy(const struct timebank_store *store,
                                      uint64_t at,
                                      char **json_out,
                                      char **error_out);

// Writes the public key of a signing key (lower-case hex: 64 characters for Ed25519, 130 for
// SM2's `04 ‖ x ‖ y`) to `*public_key_out`, freed with `timebank_string_free`. `profile` is
// `"standard"` (Ed25519) or `"gm"` (SM2).
//
// Errors: `INVALID_ARGUMENT` for an unknown profile or an SM2 key out of range.
//
// Thread safety: may be called from any thread at any time.
//
// # Safety
// `profile` is NULL or a NUL-terminated string; `signing_key` is NULL or points to
// `TIMEBANK_SIGNING_KEY_BYTES` bytes; `public_key_out` and `error_out` are NULL or valid for a
// write of one `char *`.
timebank_status timebank_signing_key_public(const char *profile,
                                            const uint8_t *signing_key,
                                            char **public_key_out,
                                            char **error_out);

// Signs a checkpoint of the durable head (tree size, Merkle root, head hash, state digest,
// time) with the ledger profile's signature (Ed25519, or SM2 on a `gm` ledger) and writes its
// one-line text to `*line_out`, freed with `timebank_string_free`. Writes nothing to the
// ledger.
//
// Errors: `INVALID_ARGUMENT` for an SM2 key out of range.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `signing_key` is NULL or points to
// `TIMEBANK_SIGNING_KEY_BYTES` bytes; `line_out` and `error_out` are NULL or valid for a write
// of one `char *`.
timebank_status timebank_store_sign_checkpoint(const struct timebank_store *store,
                                               const uint8_t *signing_key,
                                               char **line_out,
                                               char **error_out);

// Writes the proof (a JSON document, `docs/FORMAT.md` §15) that the record which made
// `transfer` is in the history `checkpoint` signs to `*json_out`, freed with
// `timebank_string_free`. `checkpoint` is a signed checkpoint line, or NULL for the durable
// head (the proof then carries its root, unsigned).
//
// Errors: `NOT_FOUND` when there is no such transfer or it came after the checkpoint;
// `INVALID_ARGUMENT` for a zero id, or a checkpoint line that does not parse or is of the
// other profile; `DAMAGED` when this ledger's tree of the checkpoint's size has another root
// (a rewritten history, or the checkpoint of another ledger), or when a record the proof reads
// from the journal does not match its stored hash or the tree's node over it (the journal was
// changed since it was written); `IO` when the journal cannot be read.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `transfer` is NULL or points to one `timebank_id`;
// `checkpoint` is NULL or a NUL-terminated string; `json_out` and `error_out` are NULL or
// valid for a write of one `char *`.
timebank_status timebank_store_prove_inclusion(const struct timebank_store *store,
                                               const struct timebank_id *transfer,
                                               const char *checkpoint,
                                               char **json_out,
                                               char **error_out);

// Writes the proof that every record holding a transfer of `account` up to `checkpoint` (a
// signed line, or NULL for the durable head) is in its history (the member's statement,
// checkable offline) to `*json_out`, freed with `timebank_string_free`.
//
// Errors: `NOT_FOUND` when the account's transfers are in more than 1,000 records;
// otherwise as `timebank_store_prove_inclusion`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As `timebank_store_prove_inclusion`, with `account` for `transfer`.
timebank_status timebank_store_prove_statement(const struct timebank_store *store,
                                               const struct timebank_id *account,
                                               const char *checkpoint,
                                               char **json_out,
                                               char **error_out);

// Writes the proof that the history the signed checkpoint line `to` signs extends the one
// `from` signs to `*json_out`, freed with `timebank_string_free`.
//
// Errors: `INVALID_ARGUMENT` for a line that does not parse, or `from` larger than `to`;
// `NOT_FOUND` for a checkpoint beyond this ledger's head; `DAMAGED` when this ledger's tree of
// a checkpoint's size has another root (a rewritten history).
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `from` and `to` are NULL or NUL-terminated strings;
// `json_out` and `error_out` are NULL or valid for a write of one `char *`.
timebank_status timebank_store_prove_consistency(const struct timebank_store *store,
                                                 const char *from,
                                                 const char *to,
                                                 char **json_out,
                                                 char **error_out);

// Checks a proof document (`docs/FORMAT.md` §15) offline, without a store, and writes its kind
// (`"inclusion"`, `"statement"` or `"consistency"`) to `*kind_out`, freed with
// `timebank_string_free`. With `public_key` (lower-case hex), the proof's checkpoint must be
// signed by that key; with NULL, only its hashes are checked against its own root.
//
// Errors: `NOT_SIGNED_BY_KEY` when the checkpoint names another key or profile (no statement
// about damage); `DAMAGED` when the proof does not hold (an altered hash, record, root or
// checkpoint; a checkpoint of another tree); `INVALID_ARGUMENT` when the text is not a proof
// document or the key is not hex of a key's length.
//
// Thread safety: may be called from any thread at any time.
//
// # Safety
// `proof_json` and `public_key` are NULL or NUL-terminated strings; `kind_out` and `error_out`
// are NULL or valid for a write of one `char *`.
timebank_status timebank_proof_verify(const char *proof_json,
                                      const char *public_key,
                                      char **kind_out,
                                      char **error_out);

// Checks a signed checkpoint line's signature under `public_key` (lower-case hex), offline.
//
// Errors: `NOT_SIGNED_BY_KEY` when the line names another key or profile; `DAMAGED` when it
// names this key but its signature does not verify (it was altered or forged);
// `INVALID_ARGUMENT` when the line does not parse or the key is not hex of a key's length.
//
// Thread safety: may be called from any thread at any time.
//
// # Safety
// `line` and `public_key` are NULL or NUL-terminated strings; `error_out` is NULL or valid for
// a write of one `char *`.
timebank_status timebank_checkpoint_verify_signed(const char *line,
                                                  const char *public_key,
                                                  char **error_out);

// Writes the outstanding liability (the hours and points members and groups hold: what a
// guarantee fund stands behind) to `*json_out` as JSON, freed with `timebank_string_free`:
//
// `{"units":[{"unit":1,"name":"hours","total":"12.50","members":"12.50","groups":"0.00",
// "by_community":[{"community":7,"total":"12.50","holders":3}]}]}`
//
// Decimals are strings at the unit's scale, so they stay exact in every language.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `json_out` and `error_out` are NULL or valid for a write of
// one `char *`.
timebank_status timebank_store_liability(const struct timebank_store *store,
                                         char **json_out,
                                         char **error_out);

// Writes lines `from .. from + capacity` of the statement of `account` (its posted movements in
// the order applied, oldest first, with a running balance) to `lines_out`, and where the page
// sits to `*page_out`. `capacity` is 1 to 1000.
//
// The lines are read from the store's index (FORMAT.md §10), which the call first waits for
// until it reflects every record durable when the call began (it never waits for a sync).
//
// Errors: `NOT_FOUND` for an unknown account; `INVALID_ARGUMENT` for a zero id or a capacity
// out of range; `IO` when the index fails (reopening the store rebuilds it).
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `account` is NULL or points to one `timebank_id`;
// `lines_out` is NULL or valid for writes of `capacity` lines; `page_out` is NULL or valid for a
// write of one `timebank_statement_page`; `error_out` is NULL or valid for a write of one
// `char *`.
timebank_status timebank_store_statement(const struct timebank_store *store,
                                         const struct timebank_id *account,
                                         uint64_t from,
                                         struct timebank_statement_line *lines_out,
                                         uint64_t capacity,
                                         struct timebank_statement_page *page_out,
                                         char **error_out);

// Writes the ledger result code a failed call's message carries to `*code_out`: every
// `TIMEBANK_STATUS_REFUSED` message begins `refused: NAME (NUMBER)`, and this reads `NUMBER`
// back (110 for `refused: exceeds_floor (110)`), so a host needs no parsing of its own.
//
// Errors: `NOT_FOUND` when the message carries no result code (it is not a refusal's).
//
// Thread safety: may be called from any thread at any time.
//
// # Safety
// `message` is NULL or a NUL-terminated string; `code_out` is NULL or valid for a write of one
// `uint16_t`; `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_error_result_code(const char *message,
                                           uint16_t *code_out,
                                           char **error_out);

// The stable snake_case name of a status, such as `"invalid_amount"`, or `"unknown"` for a
// number that is not a status: a static string the caller must not free.
//
// Thread safety: may be called from any thread at any time.
const char *timebank_status_name(int32_t status);

// The stable snake_case name of a ledger result code (the per-event outcome of a batch, such as
// `"exceeds_floor"` for 110), or `"unknown"`: a static string the caller must not free.
//
// Thread safety: may be called from any thread at any time.
const char *timebank_result_code_name(uint16_t code);

// Opens the ledger in the directory `path`, creating it (and the directory) when there is none,
// with the default options (the time guard on, 5 minutes of clock skew): as
// `timebank_store_open_with_options` with `options` NULL.
//
// Thread safety: may be called from any thread.
//
// # Safety
// As for `timebank_store_open_with_options`.
timebank_status timebank_store_open(const char *path,
                                    const char *policy,
                                    const uint8_t *checkpoint_key,
                                    struct timebank_store **store_out,
                                    char **error_out);

// Opens the ledger in the directory `path`, creating it (and the directory) when there is none.
//
// `policy` is the policy as TOML or JSON text (JSON when it starts with `{`), or NULL for the
// default policy (hours with 2 decimals, whole points, the default codes). For an existing
// ledger, a given policy must equal the one it was created with (amendments aside: see
// `timebank_store_amend_policy`). `checkpoint_key` is NULL or
// points to `TIMEBANK_CHECKPOINT_KEY_BYTES` secret bytes that authenticate checkpoints.
// `options` is NULL for the defaults, or see `timebank_open_options` (the time guard, and how
// many transfers stay in memory).
//
// On success `*store_out` is a new handle; free it with `timebank_store_free`. A handle is a
// checked token, not an address: a freed or never-made one is `TIMEBANK_STATUS_INVALID_HANDLE`
// in every call. Errors: `INVALID_ARGUMENT` (empty path, bad policy, another policy than the
// ledger's, unknown option flags), `BUSY` (the ledger is already open, in this process or
// another, or 65536 stores are open in this process), `DAMAGED` (the journal does not verify),
// `IO`.
//
// Thread safety: may be called from any thread.
//
// # Safety
// `path` and `policy` are NULL or NUL-terminated strings; `checkpoint_key` is NULL or points to
// 32 readable bytes; `options` is NULL or points to one `timebank_open_options`; `store_out` is
// NULL or valid for a write of one pointer; `error_out` is NULL or valid for a write of one
// `char *`.
timebank_status timebank_store_open_with_options(const char *path,
                                                 const char *policy,
                                                 const uint8_t *checkpoint_key,
                                                 const struct timebank_open_options *options,
                                                 struct timebank_store **store_out,
                                                 char **error_out);

// Closes the store: new calls on the handle return `TIMEBANK_STATUS_CLOSED` at once, a verify
// in flight stops at its next progress report (returning `CLOSED`), other calls in flight on
// other threads are waited for; then every acknowledged command is made durable and the
// directory is released. The handle stays valid: later calls on it return `CLOSED`, and
// `timebank_store_free` releases it. Closing twice is OK.
//
// Errors: `REENTRANT` when called from inside one of this store's callbacks (it would wait for
// itself; nothing is closed); `INVALID_HANDLE`; `IO`.
//
// Thread safety: may be called while other threads use the handle (it waits for them).
//
// # Safety
// `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_store_close(const struct timebank_store *store, char **error_out);

// Releases the handle, closing the store if it is open. NULL, a freed handle and a never-made
// one do nothing. While a call on the handle is in flight (on another thread, or this one when
// freed from inside a callback) the store stays open until that call returns; the handle is
// invalid at once either way.
//
// Thread safety: may be called from any thread, also while other threads use the handle.
void timebank_store_free(struct timebank_store *store);

// Writes the store's head, counts and state digest to `*info_out`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `info_out` is NULL or valid for a write of one
// `timebank_store_info`; `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_store_status(const struct timebank_store *store,
                                      struct timebank_store_info *info_out,
                                      char **error_out);

// Journals a checkpoint of the current head and state, authenticated with the checkpoint key,
// and writes its text (one line to publish) to `*text_out`, freed with `timebank_string_free`.
//
// Errors: `INVALID_ARGUMENT` when the store was opened without a checkpoint key; `IO`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `text_out` and `error_out` are NULL or valid for a write of
// one `char *`.
timebank_status timebank_store_checkpoint(const struct timebank_store *store,
                                          char **text_out,
                                          char **error_out);

// Verifies the whole store: every checksum, link and sequence number of the journal, every
// checkpoint, the replayed state against the live one, and the index against it. Calls
// `progress` (when not NULL) with `context` as it goes, on the calling thread (see
// `timebank_progress_fn`).
//
// Errors: `DAMAGED`, with a message naming the first bad record and why; `CANCELLED` when the
// callback returned non-zero; `CLOSED` when `timebank_store_close` started on another thread
// meanwhile (the verification stops at its next progress report); `IO`.
//
// Thread safety: `store` may be used from several threads at once (commits pause only while
// the index is compared).
//
// # Safety
// `store` is NULL or a live handle; `progress` is NULL or a function safe to call with
// `context`; `report_out` is NULL or valid for a write of one `timebank_verify_report`;
// `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_store_verify(const struct timebank_store *store,
                                      timebank_progress_fn progress,
                                      void *context,
                                      struct timebank_verify_report *report_out,
                                      char **error_out);

// Releases every pending transfer (booking) whose timeout has passed at `now` (nanoseconds
// since the Unix epoch; 0 for the system clock), and runs the policy's expiry sweeps. Writes
// how many holds were released to `*expired_out`.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `expired_out` is NULL or valid for a write of one `uint64_t`;
// `error_out` is NULL or valid for a write of one `char *`.
timebank_status timebank_store_expire(const struct timebank_store *store,
                                      uint64_t now,
                                      uint64_t *expired_out,
                                      char **error_out);

// As `timebank_store_expire`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`): both are journaled with the command and kept for its events.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_expire`; `by` is NULL or points to one `timebank_attribution`.
timebank_status timebank_store_expire_by(const struct timebank_store *store,
                                         const struct timebank_attribution *by,
                                         uint64_t now,
                                         uint64_t *expired_out,
                                         char **error_out);

// Frees a string that the library returned through a `char **` out-param (an error message, an
// exported checkpoint, a report). NULL does nothing.
//
// Thread safety: may be called from any thread, once per string.
//
// # Safety
// `text` is NULL or a string returned by this library and not freed before.
void timebank_string_free(char *text);

// Submits `count` transfers at `now` (nanoseconds since the Unix epoch; 0 for the system clock)
// in one durable command, and writes each transfer's result code (0 ok, 3 exists, 110
// exceeds_floor, ...; see `timebank_result_code_name`) to `codes_out[i]`. A refused transfer
// moves no balance, but it is journaled with the batch (the head and state digest move on, and
// its id is remembered with its code); linked ones succeed or fail together.
//
// Errors (nothing is read beyond what is said, nothing is submitted): `INVALID_ARGUMENT` for a
// `count` of 0 or above `TIMEBANK_BATCH_MAX` (checked before `transfers` is read), a zero id or
// non-zero reserved fields; `INVALID_AMOUNT` for an amount above the maximum; `INVALID_TIME`;
// `OUTCOME_UNKNOWN` when the journal write or sync failed.
//
// Thread safety: `store` may be used from several threads at once; concurrent batches share
// one journal write and sync.
//
// # Safety
// `store` is NULL or a live handle; `transfers` is NULL or points to `count` structs;
// `codes_out` is NULL or valid for writes of `count` `uint16_t`; `error_out` is NULL or valid
// for a write of one `char *`.
timebank_status timebank_store_submit_transfers(const struct timebank_store *store,
                                                const struct timebank_transfer *transfers,
                                                uint64_t count,
                                                uint64_t now,
                                                uint16_t *codes_out,
                                                char **error_out);

// As `timebank_store_submit_transfers`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`): both are journaled with the command and kept for its events.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_submit_transfers`; `by` is NULL or points to one `timebank_attribution`.
timebank_status timebank_store_submit_transfers_by(const struct timebank_store *store,
                                                   const struct timebank_transfer *transfers,
                                                   uint64_t count,
                                                   const struct timebank_attribution *by,
                                                   uint64_t now,
                                                   uint16_t *codes_out,
                                                   char **error_out);

// Like `timebank_store_submit_transfers` (the same errors, and `INVALID_UTF8`), with each
// amount as plain decimal text (`"2.5"`;
// NULL for none), validated exactly: `INVALID_AMOUNT` (and nothing submitted) for text such as
// `"1e3"`, `"NaN"`, `"-1"`, `"0"`, `"1,5"`, full-width digits, more decimals than the unit has,
// or more than the maximum; `INVALID_UTF8` for text that is not UTF-8.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_submit_transfers`; each `amount` is NULL or a NUL-terminated string.
timebank_status timebank_store_submit_transfers_text(const struct timebank_store *store,
                                                     const struct timebank_transfer_text *transfers,
                                                     uint64_t count,
                                                     uint64_t now,
                                                     uint16_t *codes_out,
                                                     char **error_out);

// As `timebank_store_submit_transfers_text`, on behalf of `by` (NULL: no operator, no reason; see
// `timebank_attribution`): both are journaled with the command and kept for its events.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// As for `timebank_store_submit_transfers_text`; `by` is NULL or points to one `timebank_attribution`.
timebank_status timebank_store_submit_transfers_text_by(const struct timebank_store *store,
                                                        const struct timebank_transfer_text *transfers,
                                                        uint64_t count,
                                                        const struct timebank_attribution *by,
                                                        uint64_t now,
                                                        uint16_t *codes_out,
                                                        char **error_out);

// Writes the transfer `id` to `*transfer_out`.
//
// Errors: `NOT_FOUND` for an unknown id (including one that failed), `INVALID_ARGUMENT` for
// zero.
//
// Thread safety: `store` may be used from several threads at once.
//
// # Safety
// `store` is NULL or a live handle; `id` is NULL or points to one `timebank_id`; `transfer_out`
// is NULL or valid for a write of one `timebank_transfer_info`; `error_out` is NULL or valid for
// a write of one `char *`.
timebank_status timebank_store_transfer(const struct timebank_store *store,
                                        const struct timebank_id *id,
                                        struct timebank_transfer_info *transfer_out,
                                        char **error_out);

// The library's version, such as `"0.1.0"`: a static string the caller must not free.
//
// Thread safety: may be called from any thread at any time.
const char *timebank_version(void);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* TIMEBANK_H */
