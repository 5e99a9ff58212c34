/* Signed checkpoints and proofs through the C ABI: a checkpoint signed with the host's key, an
 * inclusion, a statement and a consistency proof, each checked offline with the public key alone;
 * another key is NOT_SIGNED_BY_KEY, an altered proof or line DAMAGED, bad input refused. */
#include "store_fixture.h"

enum { FUND = 1, VOLUNTEER = 2, ELDER = 3, HOURS = 1, SERVICE = 101 };
static uint64_t NOW;
static const uint8_t SIGNING_KEY[TIMEBANK_SIGNING_KEY_BYTES] = {1, 2, 3, 4};
static const uint8_t OTHER_KEY[TIMEBANK_SIGNING_KEY_BYTES] = {9};

static void fill(timebank_store *store, uint64_t first, uint64_t count) {
    char *error = NULL;
    for (uint64_t i = 0; i < count; i++) {
        timebank_transfer t;
        memset(&t, 0, sizeof t);
        t.id = id_of(first + i);
        t.debit_account_id = id_of(FUND);
        t.credit_account_id = id_of(i % 2 ? ELDER : VOLUNTEER);
        t.amount_minor = 100 + i;
        t.unit = HOURS;
        t.code = SERVICE;
        uint16_t code = 99;
        CHECK_OK(timebank_store_submit_transfers(store, &t, 1, NOW + first + i, &code, &error),
                 &error);
        CHECK(code == 0);
    }
}

static timebank_store *open_with_accounts(void) {
    timebank_store *store = NULL;
    char *error = NULL;
    CHECK_OK(timebank_store_open(temp_store_dir(), NULL, NULL, &store, &error), &error);
    if (store == NULL) {
        return NULL;
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
    uint16_t codes[3];
    CHECK_OK(timebank_store_create_accounts(store, accounts, 3, NOW, codes, &error), &error);
    return store;
}

static char *public_key_of(const uint8_t *key) {
    char *public_key = NULL, *error = NULL;
    CHECK_OK(timebank_signing_key_public("standard", key, &public_key, &error), &error);
    CHECK(public_key != NULL && strlen(public_key) == 64);
    return public_key;
}

/* Checks `json` with `key`: the status, and the kind on success. */
static void check_verifies(const char *json, const char *key, timebank_status expected,
                           const char *kind) {
    char *got = NULL, *error = NULL;
    timebank_status status = timebank_proof_verify(json, key, &got, &error);
    if (expected == TIMEBANK_STATUS_OK) {
        CHECK_OK(status, &error);
        CHECK(got != NULL && strcmp(got, kind) == 0);
    } else {
        CHECK_FAILS(status, expected, &error);
        CHECK(got == NULL);
    }
    timebank_string_free(got);
}

int main(void) {
    NOW = wall_clock_ns();
    timebank_store *store = open_with_accounts();
    if (store == NULL) {
        return summary("test_proof");
    }
    char *error = NULL;
    char *public_key = public_key_of(SIGNING_KEY);
    char *other_key = public_key_of(OTHER_KEY);

    fill(store, 10, 3);
    char *first = NULL;
    CHECK_OK(timebank_store_sign_checkpoint(store, SIGNING_KEY, &first, &error), &error);
    CHECK(first != NULL && strncmp(first, "timebank-signed-checkpoint v1 standard ", 39) == 0);
    fill(store, 20, 5);
    CHECK_BALANCE(store, VOLUNTEER, "5.08"); /* 100 + 102, then 100 + 102 + 104 hundredths */
    uint8_t before[32], after[32];
    state_digest(store, before);
    char *second = NULL;
    CHECK_OK(timebank_store_sign_checkpoint(store, SIGNING_KEY, &second, &error), &error);

    CHECK_OK(timebank_checkpoint_verify_signed(second, public_key, &error), &error);
    CHECK_FAILS(timebank_checkpoint_verify_signed(second, other_key, &error),
                TIMEBANK_STATUS_NOT_SIGNED_BY_KEY, &error);
    char *altered = strdup(second);
    char *size = strstr(altered, " standard ") + strlen(" standard ");
    *size = *size == '1' ? '2' : '1'; /* the tree size's first digit */
    CHECK_FAILS(timebank_checkpoint_verify_signed(altered, public_key, &error),
                TIMEBANK_STATUS_DAMAGED, &error);
    free(altered);

    /* Inclusion of a transfer in the second checkpoint's history. */
    timebank_id transfer = id_of(22);
    char *inclusion = NULL;
    CHECK_OK(timebank_store_prove_inclusion(store, &transfer, second, &inclusion, &error), &error);
    check_verifies(inclusion, public_key, TIMEBANK_STATUS_OK, "inclusion");
    check_verifies(inclusion, other_key, TIMEBANK_STATUS_NOT_SIGNED_BY_KEY, NULL);
    check_verifies(inclusion, NULL, TIMEBANK_STATUS_OK, "inclusion");
    char *root = strstr(inclusion, "\"root\":\"") + strlen("\"root\":\"");
    *root = *root == 'a' ? 'b' : 'a';
    check_verifies(inclusion, public_key, TIMEBANK_STATUS_DAMAGED, NULL);
    /* ...and a transfer made after the first checkpoint has no proof against it. */
    char *none = NULL;
    CHECK_FAILS(timebank_store_prove_inclusion(store, &transfer, first, &none, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error);
    timebank_id missing = id_of(999);
    CHECK_FAILS(timebank_store_prove_inclusion(store, &missing, NULL, &none, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error);
    CHECK(none == NULL);

    /* The volunteer's statement, and consistency between the two checkpoints. */
    timebank_id volunteer = id_of(VOLUNTEER);
    char *statement = NULL;
    CHECK_OK(timebank_store_prove_statement(store, &volunteer, second, &statement, &error),
             &error);
    check_verifies(statement, public_key, TIMEBANK_STATUS_OK, "statement");
    char *consistency = NULL;
    CHECK_OK(timebank_store_prove_consistency(store, first, second, &consistency, &error),
             &error);
    check_verifies(consistency, public_key, TIMEBANK_STATUS_OK, "consistency");
    CHECK_FAILS(timebank_store_prove_consistency(store, second, first, &none, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);

    /* Signing and proving wrote nothing. */
    state_digest(store, after);
    CHECK(memcmp(before, after, 32) == 0);

    /* Bad input: refused with its status, nothing written. */
    CHECK_FAILS(timebank_store_sign_checkpoint(store, NULL, &none, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_prove_inclusion(store, &transfer, "timebank-signed-checkpoint v1",
                                               &none, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    check_verifies("{\"proof\":\"nothing\"}", public_key, TIMEBANK_STATUS_INVALID_ARGUMENT, NULL);
    check_verifies(statement, "zz", TIMEBANK_STATUS_INVALID_ARGUMENT, NULL);
    CHECK_FAILS(timebank_proof_verify(NULL, NULL, &none, &error), TIMEBANK_STATUS_NULL_POINTER,
                &error);
    CHECK_FAILS(timebank_signing_key_public("rsa", SIGNING_KEY, &none, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    static const uint8_t ZERO[TIMEBANK_SIGNING_KEY_BYTES] = {0};
    CHECK_FAILS(timebank_signing_key_public("gm", ZERO, &none, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK(none == NULL);
    CHECK(strcmp(timebank_status_name(TIMEBANK_STATUS_NOT_SIGNED_BY_KEY), "not_signed_by_key") == 0);

    timebank_string_free(first);
    timebank_string_free(second);
    timebank_string_free(inclusion);
    timebank_string_free(statement);
    timebank_string_free(consistency);
    timebank_string_free(public_key);
    timebank_string_free(other_key);
    CHECK_OK(timebank_store_close(store, &error), &error);
    timebank_store_free(store);
    remove_store_dir();
    return summary("test_proof");
}
