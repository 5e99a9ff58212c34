/* Domain operations through the C ABI: services, withdrawals and completions done at
 * `served_at`, each one journal record under the host's request id; a retry with the same
 * arguments gets the first outcome and writes nothing, other arguments are refused with the code
 * naming the difference; served_at refusals; the operator and reason journaled with an operation
 * (a correction needs a reason); closing empty accounts; and bad input refused with its status,
 * the state digest unchanged. */
#include "store_fixture.h"

enum {
    FUND = 1,
    VOLUNTEER = 2,
    ELDER = 3,
    POOL = 4,
    DORMANT = 5,
    EMPTY = 6,
    HOURS = 1,
    SERVICE = 101,
    CARE = 201
};
static const uint64_t DAY_NS = 86400ULL * 1000000000ULL;
/* The wall clock when the test starts: the store's time guard refuses times far from it. */
static uint64_t NOW;

/* The result code a REFUSED message carries, or -1. */
static int refusal_code(timebank_status status, char **error) {
    int code = -1;
    if (status == TIMEBANK_STATUS_REFUSED && *error != NULL) {
        uint16_t number = 0;
        if (timebank_error_result_code(*error, &number, NULL) == TIMEBANK_STATUS_OK) {
            code = number;
        }
    } else {
        fprintf(stderr, "expected a refusal, got %s (%s)\n", timebank_status_name(status),
                *error ? *error : "no message");
    }
    timebank_string_free(*error);
    *error = NULL;
    return code;
}

static int same_digest(const timebank_store *store, const uint8_t before[32]) {
    uint8_t now[32];
    state_digest(store, now);
    return memcmp(before, now, 32) == 0;
}

static timebank_store *open_store(void) {
    timebank_store *store = NULL;
    char *error = NULL;
    CHECK_OK(timebank_store_open(temp_store_dir(), NULL, NULL, &store, &error), &error);
    timebank_account_new accounts[6];
    memset(accounts, 0, sizeof accounts);
    const uint8_t kinds[6] = {TIMEBANK_KIND_ISSUER, TIMEBANK_KIND_MEMBER, TIMEBANK_KIND_MEMBER,
                              TIMEBANK_KIND_DONATION, TIMEBANK_KIND_MEMBER, TIMEBANK_KIND_MEMBER};
    for (int i = 0; i < 6; i++) {
        accounts[i].id = id_of((uint64_t)i + 1);
        accounts[i].unit = HOURS;
        accounts[i].kind = kinds[i];
        accounts[i].community = 7;
    }
    uint16_t codes[6];
    CHECK_OK(timebank_store_create_accounts(store, accounts, 6, NOW, codes, &error), &error);
    for (int i = 0; i < 6; i++) {
        CHECK(codes[i] == 0);
    }
    return store;
}

static void a_service_done_yesterday_and_its_retries(timebank_store *store) {
    timebank_id id = id_of(100), fund = id_of(FUND), volunteer = id_of(VOLUNTEER);
    uint64_t yesterday = NOW - DAY_NS;
    timebank_operation_outcome first, again;
    memset(&first, 0xff, sizeof first);
    char *error = NULL;
    CHECK_OK(timebank_store_operate_service(store, &id, SERVICE, &fund, &volunteer, "2.5", NULL,
                                            yesterday, NULL, NOW + 10, &first, &error),
             &error);
    CHECK(first.transfers == 1 && first.closed == 0 && first.code == 0 && first.retried == 0);
    CHECK(first.timestamp >= NOW + 10);
    CHECK(first.reserved[0] == 0 && first.reserved[4] == 0);
    CHECK_BALANCE(store, VOLUNTEER, "2.50");

    /* The same id and arguments, later: the first outcome, and nothing written. */
    uint8_t before[32];
    state_digest(store, before);
    timebank_store_info info_before, info_after;
    CHECK_OK(timebank_store_status(store, &info_before, &error), &error);
    CHECK_OK(timebank_store_operate_service(store, &id, SERVICE, &fund, &volunteer, "2.5", NULL,
                                            yesterday, NULL, NOW + 20, &again, &error),
             &error);
    CHECK(again.retried == 1 && again.transfers == 1 && again.timestamp == first.timestamp);
    CHECK(same_digest(store, before));
    CHECK_OK(timebank_store_status(store, &info_after, &error), &error);
    CHECK(info_after.head_sequence == info_before.head_sequence);
    /* The older function with the same id and arguments but no served_at is another service. */
    uint64_t used = 0;
    CHECK(refusal_code(timebank_store_record_service(store, &id, SERVICE, &fund, &volunteer,
                                                     "2.5", NULL, NOW + 21, &used, &error),
                       &error) == 44);
    CHECK(used == 0);

    /* The same id with other arguments: refused, naming the difference; no balance moves. */
    timebank_id elder = id_of(ELDER);
    CHECK(refusal_code(timebank_store_operate_service(store, &id, SERVICE, &fund, &volunteer,
                                                      "3", NULL, yesterday, NULL, NOW + 30, NULL,
                                                      &error),
                       &error) == 42); /* operation_exists_with_different_amount */
    CHECK(refusal_code(timebank_store_operate_service(store, &id, SERVICE, &fund, &elder, "2.5",
                                                      NULL, yesterday, NULL, NOW + 31, NULL, &error),
                       &error) == 41); /* _accounts */
    CHECK(refusal_code(timebank_store_operate_service(store, &id, 102, &fund, &volunteer, "2.5",
                                                      NULL, yesterday, NULL, NOW + 32, NULL, &error),
                       &error) == 43); /* _code */
    CHECK(refusal_code(timebank_store_operate_service(store, &id, SERVICE, &fund, &volunteer,
                                                      "2.5", NULL, yesterday - DAY_NS, NULL, NOW + 33,
                                                      NULL, &error),
                       &error) == 44); /* _served_at */
    CHECK_BALANCE(store, VOLUNTEER, "2.50");
    CHECK_BALANCE(store, ELDER, "0.00");

    /* Looked up by its id: what it first did. */
    timebank_operation_outcome looked;
    CHECK_OK(timebank_store_operation(store, &id, &looked, &error), &error);
    CHECK(looked.code == 0 && looked.transfers == 1 && looked.timestamp == first.timestamp);
    CHECK(looked.retried == 0);
    timebank_id unknown = id_of(99999);
    CHECK_FAILS(timebank_store_operation(store, &unknown, &looked, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error);
}

static void served_at_refusals(timebank_store *store) {
    timebank_id fund = id_of(FUND), volunteer = id_of(VOLUNTEER);
    timebank_id late = id_of(200), future = id_of(210);
    char *error = NULL;
    /* The default policy allows 30 local days. */
    CHECK(refusal_code(timebank_store_operate_service(store, &late, SERVICE, &fund, &volunteer,
                                                      "1", NULL, NOW - 40 * DAY_NS, NULL, NOW + 40,
                                                      NULL, &error),
                       &error) == 210); /* served_at_too_late */
    CHECK(refusal_code(timebank_store_operate_service(store, &future, SERVICE, &fund, &volunteer,
                                                      "1", NULL, NOW + DAY_NS, NULL, NOW + 41, NULL,
                                                      &error),
                       &error) == 22); /* served_at_in_future */
    CHECK_BALANCE(store, VOLUNTEER, "2.50");

    /* A retry of a refused operation is refused again with its code, and writes nothing. */
    uint8_t before[32];
    state_digest(store, before);
    CHECK(refusal_code(timebank_store_operate_service(store, &late, SERVICE, &fund, &volunteer,
                                                      "1", NULL, NOW - 40 * DAY_NS, NULL, NOW + 42,
                                                      NULL, &error),
                       &error) == 210);
    CHECK(same_digest(store, before));
    timebank_operation_outcome looked;
    CHECK_OK(timebank_store_operation(store, &late, &looked, &error), &error);
    CHECK(looked.code == 210 && looked.transfers == 0 && looked.timestamp == 0);
}

static void a_withdrawal_needs_eligibility(timebank_store *store) {
    timebank_id elder = id_of(ELDER), volunteer = id_of(VOLUNTEER), id = id_of(400);
    timebank_id fund = id_of(FUND), funding = id_of(300);
    char *error = NULL;
    CHECK_OK(timebank_store_record_service(store, &funding, SERVICE, &fund, &elder, "4", NULL,
                                           NOW + 50, NULL, &error),
             &error);
    CHECK(refusal_code(timebank_store_operate_withdrawal(store, &id, CARE, &elder, &volunteer, "1",
                                                         0, NULL, NOW + 60, NULL, &error),
                       &error) == 203); /* not_yet_eligible */
    CHECK_OK(timebank_store_set_eligibility(store, &elder, NOW - DAY_NS, NOW + 61, &error), &error);
    timebank_id next = id_of(401);
    timebank_operation_outcome outcome;
    CHECK_OK(timebank_store_operate_withdrawal(store, &next, CARE, &elder, &volunteer, "1",
                                               NOW - DAY_NS, NULL, NOW + 62, &outcome, &error),
             &error);
    CHECK(outcome.transfers == 1);
    CHECK_BALANCE(store, ELDER, "3.00");
    CHECK_BALANCE(store, VOLUNTEER, "3.50");
    /* A service code is not a care code: refused before anything is written. */
    timebank_id wrong = id_of(402);
    CHECK_FAILS(timebank_store_operate_withdrawal(store, &wrong, SERVICE, &elder, &volunteer, "1",
                                                  0, NULL, NOW + 63, NULL, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
}

static void a_booking_completed_on_the_day_served(timebank_store *store) {
    timebank_id fund = id_of(FUND), volunteer = id_of(VOLUNTEER), elder = id_of(ELDER);
    timebank_id booking = id_of(301), done = id_of(302), again = id_of(303);
    (void)fund;
    char *error = NULL;
    CHECK_OK(timebank_store_book(store, &booking, CARE, &elder, &volunteer, "2", 0, NOW + 64,
                                 &error),
             &error);
    timebank_operation_outcome outcome;
    CHECK_OK(timebank_store_operate_completion(store, &done, &booking, "1.5", 5, NULL,
                                               NOW - DAY_NS / 2, NULL, NOW + 65, &outcome, &error),
             &error);
    CHECK(outcome.transfers == 1 && outcome.retried == 0);
    CHECK_BALANCE(store, ELDER, "1.50");
    CHECK_BALANCE(store, VOLUNTEER, "5.00");
    /* Retried after the booking is no longer pending: still the first outcome. */
    timebank_operation_outcome retried;
    CHECK_OK(timebank_store_operate_completion(store, &done, &booking, "1.5", 5, NULL,
                                               NOW - DAY_NS / 2, NULL, NOW + 66, &retried, &error),
             &error);
    CHECK(retried.retried == 1 && retried.timestamp == outcome.timestamp);
    /* The same booking under a new id: the planner sees it is not pending; nothing journaled. */
    uint8_t before[32];
    state_digest(store, before);
    CHECK(refusal_code(timebank_store_operate_completion(store, &again, &booking, NULL, 0, NULL, 0, NULL,
                                                         NOW + 67, NULL, &error),
                       &error) == 214); /* not_a_booking */
    CHECK(same_digest(store, before));
    CHECK_BALANCE(store, VOLUNTEER, "5.00");
}

static timebank_attribution by_operator(uint64_t operator_id, int reason) {
    timebank_attribution by;
    memset(&by, 0, sizeof by);
    by.operator_id = operator_id;
    if (reason >= 0) {
        by.reason = (uint32_t)reason;
        by.has_reason = 1;
    }
    return by;
}

static void operators_and_reasons(timebank_store *store) {
    timebank_id fund = id_of(FUND), volunteer = id_of(VOLUNTEER);
    timebank_id service = id_of(700), reversal = id_of(701), unattributed = id_of(300);
    timebank_attribution clerk = by_operator(7001, -1), with_reason = by_operator(7001, 12);
    timebank_attribution seen;
    char *error = NULL;
    CHECK_OK(timebank_store_operate_service(store, &service, SERVICE, &fund, &volunteer, "1", NULL,
                                            0, &clerk, NOW + 68, NULL, &error),
             &error);
    memset(&seen, 0xff, sizeof seen);
    CHECK_OK(timebank_store_transfer_by(store, &service, &seen, &error), &error);
    CHECK(seen.operator_id == 7001 && seen.has_reason == 0 && seen.reason == 0);
    CHECK(seen.reserved[0] == 0 && seen.reserved[2] == 0);
    CHECK_OK(timebank_store_transfer_by(store, &unattributed, &seen, &error), &error);
    CHECK(seen.operator_id == 0 && seen.has_reason == 0);

    /* A correction by an operator needs a reason: foreseen, nothing journaled. */
    uint8_t before[32];
    state_digest(store, before);
    CHECK(refusal_code(timebank_store_operate_reversal(store, &reversal, &service, &clerk,
                                                       NOW + 69, NULL, &error),
                       &error) == 217); /* reason_required */
    timebank_id empty[1] = {id_of(EMPTY)};
    CHECK(same_digest(store, before));
    uint16_t codes[1] = {99};
    CHECK_OK(timebank_store_close_accounts(store, empty, 1, &clerk, NOW + 69, codes, &error),
             &error);
    CHECK(codes[0] == 217);
    timebank_operation_outcome outcome;
    CHECK_OK(timebank_store_operate_reversal(store, &reversal, &service, &with_reason, NOW + 69,
                                             &outcome, &error),
             &error);
    CHECK(outcome.transfers == 1 && outcome.retried == 0);
    CHECK_OK(timebank_store_transfer_by(store, &reversal, &seen, &error), &error);
    CHECK(seen.operator_id == 7001 && seen.has_reason == 1 && seen.reason == 12);
    CHECK_BALANCE(store, VOLUNTEER, "5.00");

    /* The batch and registry commands take one too. */
    timebank_attribution batcher = by_operator(7003, 5);
    timebank_account_new member;
    memset(&member, 0, sizeof member);
    member.id = id_of(9);
    member.unit = HOURS;
    member.kind = TIMEBANK_KIND_MEMBER;
    CHECK_OK(timebank_store_create_accounts_by(store, &member, 1, &batcher, NOW + 69, codes, &error),
             &error);
    CHECK(codes[0] == 0);
    timebank_transfer t;
    memset(&t, 0, sizeof t);
    t.id = id_of(705);
    t.debit_account_id = fund;
    t.credit_account_id = id_of(9);
    t.amount_minor = 50;
    t.unit = HOURS;
    t.code = SERVICE;
    CHECK_OK(timebank_store_submit_transfers_by(store, &t, 1, &batcher, NOW + 69, codes, &error),
             &error);
    CHECK(codes[0] == 0);
    CHECK_OK(timebank_store_transfer_by(store, &t.id, &seen, &error), &error);
    CHECK(seen.operator_id == 7003 && seen.has_reason == 1 && seen.reason == 5);
    timebank_id nine = id_of(9);
    CHECK_OK(timebank_store_link_by(store, &volunteer, &nine, &batcher, NOW + 69, &error), &error);
    CHECK_OK(timebank_store_set_eligibility_by(store, &nine, NOW, &batcher, NOW + 69, &error),
             &error);
    uint64_t expired = 99;
    CHECK_OK(timebank_store_expire_by(store, &batcher, NOW + 69, &expired, &error), &error);
    CHECK(expired == 0);

    /* Bad attributions are refused before anything is written. */
    state_digest(store, before);
    timebank_id next = id_of(702);
    timebank_attribution bad = by_operator(1, 3);
    bad.has_reason = 2;
    CHECK_FAILS(timebank_store_operate_gift(store, &next, &volunteer, &fund, "1", 0, &bad, NOW + 69,
                                            NULL, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    bad.has_reason = 1;
    bad.reserved[1] = 1;
    CHECK_FAILS(timebank_store_operate_service(store, &next, SERVICE, &fund, &volunteer, "1", NULL,
                                               0, &bad, NOW + 69, NULL, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_store_close_accounts(store, empty, 1, &bad, NOW + 69, codes, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_store_submit_transfers_by(store, &t, 1, &bad, NOW + 69, codes, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_store_expire_by(store, &bad, NOW + 69, &expired, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    timebank_id unknown = id_of(31337);
    CHECK_FAILS(timebank_store_transfer_by(store, &unknown, &seen, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error);
    CHECK_FAILS(timebank_store_transfer_by(store, &service, NULL, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK(same_digest(store, before));
}

static void closing_empty_accounts(timebank_store *store) {
    timebank_id accounts[3] = {id_of(EMPTY), id_of(VOLUNTEER), id_of(777)};
    uint16_t codes[3] = {99, 99, 99};
    char *error = NULL;
    CHECK_OK(timebank_store_close_accounts(store, accounts, 3, NULL, NOW + 70, codes, &error), &error);
    CHECK(codes[0] == 0);   /* closed */
    CHECK(codes[1] == 56);  /* closing_leaves_balance */
    CHECK(codes[2] == 57);  /* account_not_found */
    timebank_account info;
    CHECK_OK(timebank_store_account(store, &accounts[0], &info, &error), &error);
    CHECK(info.closed == 1);
    CHECK_OK(timebank_store_close_accounts(store, accounts, 1, NULL, NOW + 71, codes, &error), &error);
    CHECK(codes[0] == 3); /* exists: already closed */

    /* A closing operation on an empty account closes it without a transfer. */
    timebank_id id = id_of(500), dormant = id_of(DORMANT), pool = id_of(POOL);
    CHECK_OK(timebank_store_close_account(store, &id, &dormant, &pool, NOW + 72, &error), &error);
    CHECK_OK(timebank_store_account(store, &dormant, &info, &error), &error);
    CHECK(info.closed == 1);
    timebank_operation_outcome looked;
    CHECK_OK(timebank_store_operation(store, &id, &looked, &error), &error);
    CHECK(looked.closed == 1 && looked.transfers == 0 && looked.code == 0);
    CHECK_OK(timebank_store_close_account(store, &id, &dormant, &pool, NOW + 73, &error), &error);
}

static void bad_input_changes_nothing(timebank_store *store) {
    timebank_id fund = id_of(FUND), volunteer = id_of(VOLUNTEER), id = id_of(600);
    timebank_id zero = id_of(0);
    timebank_id accounts[1] = {id_of(EMPTY)};
    uint16_t codes[1];
    timebank_operation_outcome outcome;
    char *error = NULL;
    uint8_t before[32];
    state_digest(store, before);
    CHECK_FAILS(timebank_store_operate_service(store, NULL, SERVICE, &fund, &volunteer, "1", NULL,
                                               0, NULL, NOW + 80, &outcome, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_operate_service(store, &zero, SERVICE, &fund, &volunteer, "1", NULL,
                                               0, NULL, NOW + 80, &outcome, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_store_operate_service(store, &id, SERVICE, &fund, &volunteer, "1e3", NULL,
                                               0, NULL, NOW + 80, &outcome, &error),
                TIMEBANK_STATUS_INVALID_AMOUNT, &error);
    CHECK_FAILS(timebank_store_operate_service(store, &id, SERVICE, &fund, &volunteer, "1\xff",
                                               NULL, 0, NULL, NOW + 80, &outcome, &error),
                TIMEBANK_STATUS_INVALID_UTF8, &error);
    CHECK_FAILS(timebank_store_operate_service(store, &id, 999, &fund, &volunteer, "1", NULL, 0, NULL,
                                               NOW + 80, &outcome, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_store_operate_service(store, &id, SERVICE, &fund, &volunteer, "1", NULL,
                                               0, NULL, UINT64_MAX, &outcome, &error),
                TIMEBANK_STATUS_INVALID_TIME, &error);
    timebank_id nobody = id_of(31337);
    CHECK_FAILS(timebank_store_operate_completion(store, &id, &nobody, NULL, 0, NULL, 0, NULL, NOW + 80,
                                                  &outcome, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error);
    CHECK_FAILS(timebank_store_operation(store, NULL, &outcome, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_operation(store, &id, NULL, &error), TIMEBANK_STATUS_NULL_POINTER,
                &error);
    /* Counts are checked before the array is read. */
    CHECK_FAILS(timebank_store_close_accounts(store, accounts, 0, NULL, NOW + 80, codes, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_store_close_accounts(store, accounts, TIMEBANK_BATCH_MAX + 1, NULL, NOW + 80,
                                              codes, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_store_close_accounts(store, accounts, UINT64_MAX, NULL, NOW + 80, codes, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_store_close_accounts(store, NULL, 1, NULL, NOW + 80, codes, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_close_accounts(store, &zero, 1, NULL, NOW + 80, codes, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK(same_digest(store, before));
}

int main(void) {
    NOW = wall_clock_ns();
    timebank_store *store = open_store();
    a_service_done_yesterday_and_its_retries(store);
    served_at_refusals(store);
    a_withdrawal_needs_eligibility(store);
    a_booking_completed_on_the_day_served(store);
    operators_and_reasons(store);
    closing_empty_accounts(store);
    bad_input_changes_nothing(store);

    /* The operations replay: the ledger verifies from its journal. */
    timebank_verify_report report;
    char *error = NULL;
    CHECK_OK(timebank_store_verify(store, NULL, NULL, &report, &error), &error);
    timebank_store_free(store);
    remove_store_dir();
    return summary("test_operations");
}
