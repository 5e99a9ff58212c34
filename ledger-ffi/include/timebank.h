/*
 * timebank.h: the C ABI of the time-bank ledger (libtimebank.so, libtimebank.a).
 *
 * Generated from ledger-ffi/src by cbindgen; do not edit by hand.
 *
 * Conventions: every function returns a timebank_status; out-params are written only when it is
 * TIMEBANK_STATUS_OK; the last argument, error_out, may be NULL, and on failure receives a
 * message to free with timebank_string_free. Amounts are plain decimal strings ("2.5"), or, in
 * batch structs, integers of the unit's minor units (250 for 2.5 hours at scale 2). Ids are
 * 128-bit, passed as two 64-bit halves (lo, hi); zero is never an id.
 */

#ifndef TIMEBANK_H
#define TIMEBANK_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

// What a call did. The numbers are stable: hosts in every language switch on them.
//
// Only `TIMEBANK_STATUS_OK` means the call did what it was asked; with any other status no
// out-param was written and nothing changed in the ledger.
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
  // The ledger refused the event: a rule or an accounting check said no (the message names
  // the ledger's result code).
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
};
#ifndef __cplusplus
#if __STDC_VERSION__ >= 202311L
typedef enum timebank_status timebank_status;
#else
typedef int32_t timebank_status;
#endif // __STDC_VERSION__ >= 202311L
#endif // __cplusplus

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

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

// Writes the amount of `minor` units of `scale` as plain decimal text (250 at scale 2 is
// `"2.5"`) to `*text_out`, a string the caller frees with `timebank_string_free`.
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

// Frees a string that the library returned through a `char **` out-param (an error message, an
// exported checkpoint, a report). NULL does nothing.
//
// Thread safety: may be called from any thread, once per string.
//
// # Safety
// `text` is NULL or a string returned by this library and not freed before.
void timebank_string_free(char *text);

// The library's version, such as `"0.1.0"`: a static string the caller must not free.
//
// Thread safety: may be called from any thread at any time.
const char *timebank_version(void);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* TIMEBANK_H */
