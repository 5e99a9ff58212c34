/* The store through the C ABI: accounts, batches (fixed-point and decimal text), lookups,
 * statements, checkpoints, verification; and every kind of bad input refused with its status and
 * a message, leaving the ledger's state digest unchanged. */
#include "store_fixture.h"

enum { FUND = 1, VOLUNTEER = 2, ELDER = 3, HOURS = 1, SERVICE = 101 };
/* The wall clock when the test starts: the store's time guard refuses times before the ledger's
 * creation and far ahead of the clock. */
static uint64_t NOW;

static timebank_store *open_store(void) {
    static const uint8_t key[TIMEBANK_CHECKPOINT_KEY_BYTES] = {7};
    timebank_store *store = NULL;
    char *error = NULL;
    CHECK_OK(timebank_store_open(temp_store_dir(), NULL, key, &store, &error), &error);
    return store;
}

static void create_accounts(timebank_store *store) {
    timebank_account_new accounts[3];
    memset(accounts, 0, sizeof accounts);
    const uint8_t kinds[3] = {TIMEBANK_KIND_ISSUER, TIMEBANK_KIND_MEMBER, TIMEBANK_KIND_MEMBER};
    for (int i = 0; i < 3; i++) {
        accounts[i].id = id_of((uint64_t)i + 1);
        accounts[i].unit = HOURS;
        accounts[i].kind = kinds[i];
        accounts[i].community = 7;
    }
    uint16_t codes[3] = {99, 99, 99};
    char *error = NULL;
    CHECK_OK(timebank_store_create_accounts(store, accounts, 3, NOW, codes, &error), &error);
    CHECK(codes[0] == 0 && codes[1] == 0 && codes[2] == 0);
}

static timebank_transfer service(uint64_t id, uint64_t from, uint64_t to, uint64_t minor) {
    timebank_transfer t;
    memset(&t, 0, sizeof t);
    t.id = id_of(id);
    t.debit_account_id = id_of(from);
    t.credit_account_id = id_of(to);
    t.amount_minor = minor;
    t.unit = HOURS;
    t.code = SERVICE;
    return t;
}

static void batches_move_hours(timebank_store *store) {
    timebank_transfer batch[3] = {
        service(10, FUND, VOLUNTEER, 600), /* 6 hours */
        service(11, FUND, ELDER, 300),
        service(12, VOLUNTEER, FUND, 100000), /* a member cannot spend what it lacks */
    };
    batch[2].code = 305;
    uint16_t codes[3];
    char *error = NULL;
    CHECK_OK(timebank_store_submit_transfers(store, batch, 3, NOW + 1, codes, &error), &error);
    CHECK(codes[0] == 0 && codes[1] == 0);
    CHECK(codes[2] != 0);
    CHECK_BALANCE(store, VOLUNTEER, "6.00");
    CHECK_BALANCE(store, ELDER, "3.00");
    CHECK_BALANCE(store, FUND, "-9.00");

    /* Resubmitting the same id changes nothing. */
    CHECK_OK(timebank_store_submit_transfers(store, batch, 1, NOW + 2, codes, &error), &error);
    CHECK(codes[0] == 3);
    CHECK_BALANCE(store, VOLUNTEER, "6.00");

    timebank_transfer_text text = {0};
    text.id = id_of(13);
    text.debit_account_id = id_of(FUND);
    text.credit_account_id = id_of(VOLUNTEER);
    text.amount = "1.25";
    text.unit = HOURS;
    text.code = SERVICE;
    CHECK_OK(timebank_store_submit_transfers_text(store, &text, 1, NOW + 3, codes, &error),
             &error);
    CHECK(codes[0] == 0);
    CHECK_BALANCE(store, VOLUNTEER, "7.25");
}

static void lookups_read_back(timebank_store *store) {
    char *error = NULL;
    timebank_transfer_info info;
    timebank_id id = id_of(13);
    CHECK_OK(timebank_store_transfer(store, &id, &info, &error), &error);
    CHECK(strcmp(info.amount, "1.25") == 0);
    CHECK(info.state == TIMEBANK_TRANSFER_POSTED && info.code == SERVICE);
    CHECK(info.credit_account_id.lo == VOLUNTEER && info.timestamp >= NOW);

    timebank_account account;
    id = id_of(VOLUNTEER);
    CHECK_OK(timebank_store_account(store, &id, &account, &error), &error);
    CHECK(account.kind == 1 && account.community == 7 && account.closed == 0);
    CHECK(strcmp(account.credits_posted, "7.25") == 0 && strcmp(account.floor, "0.00") == 0);
    CHECK(account.ceiling[0] == '\0');

    timebank_statement_line lines[2];
    timebank_statement_page page;
    CHECK_OK(timebank_store_statement(store, &id, 0, lines, 2, &page, &error), &error);
    CHECK(page.count == 2 && page.has_next == 0);
    CHECK(strcmp(lines[0].amount, "6.00") == 0 && strcmp(lines[1].balance, "7.25") == 0);
    CHECK(lines[0].counterparty.lo == FUND);

    char *json = NULL;
    CHECK_OK(timebank_store_liability(store, &json, &error), &error);
    CHECK(json != NULL && strstr(json, "\"total\":\"10.25\"") != NULL);
    timebank_string_free(json);
}

static int progress_calls = 0;
static int32_t on_progress(void *context, uint64_t done, uint64_t total) {
    CHECK(context == &progress_calls && done <= total);
    progress_calls++;
    return 0;
}

static void checkpoints_and_verification(timebank_store *store) {
    char *error = NULL;
    char *checkpoint = NULL;
    CHECK_OK(timebank_store_checkpoint(store, &checkpoint, &error), &error);
    CHECK(checkpoint != NULL && strncmp(checkpoint, "timebank-checkpoint v1 ", 23) == 0);
    timebank_string_free(checkpoint);

    timebank_verify_report report;
    CHECK_OK(timebank_store_verify(store, on_progress, &progress_calls, &report, &error), &error);
    CHECK(report.checkpoints_verified == 1 && report.macs_checked == 1);
    CHECK(report.index_checked == 1 && report.records >= 4);
    CHECK(progress_calls > 0);
    CHECK_OK(timebank_store_verify(store, NULL, NULL, &report, &error), &error);

    uint64_t expired = 99;
    CHECK_OK(timebank_store_expire(store, NOW + 10, &expired, &error), &error);
    CHECK(expired == 0);
}

static void bad_input_changes_nothing(timebank_store *store) {
    uint8_t before[32], after[32];
    state_digest(store, before);
    char *error = NULL;
    uint16_t codes[1] = {77};
    timebank_id volunteer = id_of(VOLUNTEER), unknown = id_of(999), zero = id_of(0);

    /* Amounts: every malformed text is refused before anything is submitted. */
    const char *bad[] = {"", "1e3", "NaN", "-1", "0", "0.001", "1,5", "\xef\xbc\x91",
                         "1000000000.01", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        timebank_transfer_text t = {0};
        t.id = id_of(100 + i);
        t.debit_account_id = id_of(FUND);
        t.credit_account_id = volunteer;
        t.amount = bad[i];
        t.unit = HOURS;
        t.code = SERVICE;
        CHECK_FAILS(timebank_store_submit_transfers_text(store, &t, 1, NOW + 20, codes, &error),
                    TIMEBANK_STATUS_INVALID_AMOUNT, &error);
        CHECK(codes[0] == 77);
        CHECK_FAILS(timebank_store_gift(store, &t.id, &volunteer, &t.credit_account_id, bad[i], 0,
                                        NOW + 20, &error),
                    TIMEBANK_STATUS_INVALID_AMOUNT, &error);
    }
    timebank_transfer_text t = {0};
    t.id = id_of(120);
    t.amount = "1\xff";
    CHECK_FAILS(timebank_store_submit_transfers_text(store, &t, 1, NOW, codes, &error),
                TIMEBANK_STATUS_INVALID_UTF8, &error);
    timebank_transfer big = service(121, FUND, VOLUNTEER, 100000000001ULL); /* past the max */
    CHECK_FAILS(timebank_store_submit_transfers(store, &big, 1, NOW, codes, &error),
                TIMEBANK_STATUS_INVALID_AMOUNT, &error);
    timebank_transfer zero_id = service(0, FUND, VOLUNTEER, 100);
    CHECK_FAILS(timebank_store_submit_transfers(store, &zero_id, 1, NOW, codes, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);

    /* NULL pointers. */
    CHECK_FAILS(timebank_store_submit_transfers(NULL, &big, 1, NOW, codes, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_submit_transfers(store, NULL, 1, NOW, codes, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_submit_transfers(store, &big, 1, NOW, NULL, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_submit_transfers(store, NULL, 0, NOW, NULL, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* an empty batch */
    timebank_account account;
    CHECK_FAILS(timebank_store_account(store, NULL, &account, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_account(store, &volunteer, NULL, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_gift(store, &t.id, &volunteer, NULL, "1", 0, NOW, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_open(NULL, NULL, NULL, NULL, &error), TIMEBANK_STATUS_NULL_POINTER,
                &error);

    /* Unknown and zero ids. */
    CHECK_FAILS(timebank_store_account(store, &unknown, &account, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error);
    CHECK_FAILS(timebank_store_account(store, &zero, &account, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    timebank_transfer_info info;
    CHECK_FAILS(timebank_store_transfer(store, &unknown, &info, &error), TIMEBANK_STATUS_NOT_FOUND,
                &error);
    CHECK_FAILS(timebank_store_reverse(store, &t.id, &unknown, NOW, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error);
    CHECK_FAILS(timebank_store_gift(store, &t.id, &volunteer, &unknown, "1", 0, NOW, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error);
    CHECK_FAILS(timebank_store_gift(store, &t.id, &volunteer, &t.credit_account_id, "1", 0, NOW,
                                    &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* zero account id */

    /* Everything above was refused before it reached the ledger: the state is byte for byte
     * what it was. */
    state_digest(store, after);
    CHECK(memcmp(before, after, 32) == 0);

    /* The engine's own refusals: an unknown account inside a batch is a per-event code, and the
     * rules refuse a gift outside family links. Balances do not move. */
    timebank_transfer to_unknown = service(122, FUND, 999, 100);
    CHECK_OK(timebank_store_submit_transfers(store, &to_unknown, 1, NOW + 21, codes, &error),
             &error);
    CHECK(codes[0] == 51); /* credit_account_not_found */

    /* A bad policy, and the same directory opened twice. */
    timebank_store *other = NULL;
    CHECK_FAILS(timebank_store_open(fixture_dir, "units = 5", NULL, &other, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_store_open(fixture_dir, NULL, NULL, &other, &error), TIMEBANK_STATUS_BUSY,
                &error);
    CHECK(other == NULL);

    timebank_id elder = id_of(ELDER), gift_id = id_of(123);
    char *message = NULL;
    timebank_status status =
        timebank_store_gift(store, &gift_id, &volunteer, &elder, "1", 0, NOW + 22, &message);
    CHECK(status == TIMEBANK_STATUS_REFUSED && strstr(message, "gift_not_allowed (204)") != NULL);
    timebank_string_free(message);

    CHECK_BALANCE(store, VOLUNTEER, "7.25");
    CHECK_BALANCE(store, ELDER, "3.00");
}

static void closed_handle_reports_closed(timebank_store *store) {
    char *error = NULL;
    CHECK_OK(timebank_store_close(store, &error), &error);
    CHECK_OK(timebank_store_close(store, &error), &error); /* closing twice is fine */
    timebank_account account;
    timebank_id volunteer = id_of(VOLUNTEER);
    CHECK_FAILS(timebank_store_account(store, &volunteer, &account, &error),
                TIMEBANK_STATUS_CLOSED, &error);
    timebank_transfer t = service(200, FUND, VOLUNTEER, 100);
    uint16_t codes[1];
    CHECK_FAILS(timebank_store_submit_transfers(store, &t, 1, NOW, codes, &error),
                TIMEBANK_STATUS_CLOSED, &error);
    timebank_store_free(store);
    timebank_store_free(NULL);

    /* Reopened, the ledger holds what was acknowledged. */
    timebank_store *reopened = NULL;
    CHECK_OK(timebank_store_open(fixture_dir, NULL, NULL, &reopened, &error), &error);
    CHECK_BALANCE(reopened, VOLUNTEER, "7.25");
    timebank_store_free(reopened);
}

int main(void) {
    timebank_store *store = open_store();
    NOW = wall_clock_ns();
    if (store == NULL) {
        return summary("test_store");
    }
    create_accounts(store);
    batches_move_hours(store);
    lookups_read_back(store);
    checkpoints_and_verification(store);
    bad_input_changes_nothing(store);
    closed_handle_reports_closed(store);
    remove_store_dir();
    return summary("test_store");
}
