/* A volunteer earns hours from a community fund, holds some for a booking, and spends them:
 * the Rust quickstart (ledger-core/examples/quickstart.rs) through the C ABI, on a durable store.
 *
 * Build: gcc -I ledger-ffi/include examples/c/quickstart.c -L target/release -ltimebank */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "timebank.h"

/* One unit, hours to 2 decimals, and no time-bank rules: the engine's accounting alone. */
static const char *POLICY = "[[units]]\nid = 1\nname = \"hours\"\nscale = 2\n";
enum { HOURS = 1, FUND = 1, VOLUNTEER = 2, ELDER = 3 };

static int fail(const char *what, timebank_status status, char *error) {
    fprintf(stderr, "%s: %s: %s\n", what, timebank_status_name(status), error ? error : "");
    timebank_string_free(error);
    return 1;
}

static timebank_id id_of(uint64_t n) {
    timebank_id id = {n, 0};
    return id;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

static timebank_transfer transfer(uint64_t id, uint64_t from, uint64_t to, uint64_t minor) {
    timebank_transfer t;
    memset(&t, 0, sizeof t);
    t.id = id_of(id);
    t.debit_account_id = id_of(from);
    t.credit_account_id = id_of(to);
    t.amount_minor = minor;
    t.unit = HOURS;
    return t;
}

static int run(const char *dir) {
    timebank_store *store = NULL;
    char *error = NULL;
    timebank_status status = timebank_store_open(dir, POLICY, NULL, &store, &error);
    if (status != TIMEBANK_STATUS_OK) {
        return fail("open", status, error);
    }
    timebank_account_new accounts[3];
    memset(accounts, 0, sizeof accounts);
    const uint8_t kinds[3] = {TIMEBANK_KIND_ISSUER, TIMEBANK_KIND_MEMBER, TIMEBANK_KIND_MEMBER};
    for (int i = 0; i < 3; i++) {
        accounts[i].id = id_of((uint64_t)i + 1);
        accounts[i].unit = HOURS;
        accounts[i].kind = kinds[i];
        accounts[i].community = 7;
    }
    uint16_t codes[4];
    status = timebank_store_create_accounts(store, accounts, 3, 0, codes, &error);
    if (status != TIMEBANK_STATUS_OK) {
        timebank_store_free(store);
        return fail("create accounts", status, error);
    }

    /* Amounts in hundredths of an hour: 6, 3, a hold of 2 for a day, and its post of 1.5. */
    timebank_transfer batch[4] = {
        transfer(1, FUND, VOLUNTEER, 600),
        transfer(2, FUND, ELDER, 300),
        transfer(3, ELDER, VOLUNTEER, 200),
        transfer(4, 0, 0, 150),
    };
    batch[2].flags = TIMEBANK_FLAG_PENDING;
    batch[2].timeout_s = 86400;
    batch[3].flags = TIMEBANK_FLAG_POST_PENDING;
    batch[3].related_id = id_of(3);
    batch[3].unit = 0;
    status = timebank_store_submit_transfers(store, batch, 4, 0, codes, &error);
    if (status != TIMEBANK_STATUS_OK) {
        timebank_store_free(store);
        return fail("submit", status, error);
    }
    for (int i = 0; i < 4; i++) {
        printf("transfer %2d: %s\n", i + 1, timebank_result_code_name(codes[i]));
    }
    const char *names[3] = {"fund", "volunteer", "elder"};
    for (int i = 0; i < 3; i++) {
        timebank_account account;
        timebank_id id = id_of((uint64_t)i + 1);
        status = timebank_store_account(store, &id, &account, &error);
        if (status != TIMEBANK_STATUS_OK) {
            timebank_store_free(store);
            return fail("account", status, error);
        }
        printf("%9s: %6s hours\n", names[i], account.balance);
    }
    timebank_store_info info;
    status = timebank_store_status(store, &info, &error);
    if (status != TIMEBANK_STATUS_OK) {
        timebank_store_free(store);
        return fail("status", status, error);
    }
    printf("state digest: ");
    for (int i = 0; i < 32; i++) {
        printf("%02x", info.state_digest[i]);
    }
    printf("\n");
    status = timebank_store_close(store, &error);
    timebank_store_free(store);
    return status == TIMEBANK_STATUS_OK ? 0 : fail("close", status, error);
}

int main(void) {
    char dir[] = "/tmp/timebank-quickstart-XXXXXX";
    if (mkdtemp(dir) == NULL) {
        perror("mkdtemp");
        return 1;
    }
    int result = run(dir);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
    return result;
}
