/* The policy over the years through the C ABI: the policy in force at a time as JSON, an
 * amendment in force from an effective time (one journal record; each service judged under the
 * policy in force on the day it was done), and amendments that are refused with nothing written:
 * a bad policy, changed units, an effective time not after the ledger's clock or an earlier
 * amendment's, NUL and bad UTF-8. */
#include "store_fixture.h"

enum { FUND = 1, VOLUNTEER = 2, HOURS = 1, SERVICE = 101 };
static const uint64_t DAY_NS = 86400ULL * 1000000000ULL;
static uint64_t NOW;

/* The code 101 rule as the shown policy begins it ("code" is its first key). */
static const char COMPANIONSHIP[] = "{\"code\":101,";

/* The policy object of a `timebank_store_policy` document, with code 101 weighted 2: a new
 * string the caller frees. */
static char *weighted_policy(const char *shown) {
    const char *policy = strstr(shown, "\"policy\":");
    const char *rule = strstr(shown, COMPANIONSHIP);
    const char *versions = strstr(shown, ",\"versions\":");
    if (policy == NULL || rule == NULL || versions == NULL || rule > versions) {
        return NULL;
    }
    /* The document's keys are at, from, policy, versions, in that order. */
    policy += strlen("\"policy\":");
    const char *after_rule = rule + strlen(COMPANIONSHIP);
    const char *weight = "\"weight\":\"2\",";
    size_t length = (size_t)(versions - policy) + strlen(weight) + 1;
    char *out = calloc(length, 1);
    memcpy(out, policy, (size_t)(after_rule - policy));
    strcat(out, weight);
    strncat(out, after_rule, (size_t)(versions - after_rule));
    return out;
}

static void record(timebank_store *store, uint64_t id, uint64_t served_at, uint64_t now) {
    timebank_id first = id_of(id), fund = id_of(FUND), volunteer = id_of(VOLUNTEER);
    char *error = NULL;
    CHECK_OK(timebank_store_operate_service(store, &first, SERVICE, &fund, &volunteer, "1", NULL,
                                            served_at, NULL, now, NULL, &error),
             &error);
}

int main(void) {
    NOW = wall_clock_ns();
    timebank_store *store = NULL;
    char *error = NULL;
    CHECK_OK(timebank_store_open(temp_store_dir(), NULL, NULL, &store, &error), &error);
    timebank_account_new accounts[2];
    memset(accounts, 0, sizeof accounts);
    accounts[0].id = id_of(FUND);
    accounts[0].unit = HOURS;
    accounts[0].kind = TIMEBANK_KIND_ISSUER;
    accounts[1].id = id_of(VOLUNTEER);
    accounts[1].unit = HOURS;
    accounts[1].kind = TIMEBANK_KIND_MEMBER;
    uint16_t codes[2];
    CHECK_OK(timebank_store_create_accounts(store, accounts, 2, NOW, codes, &error), &error);

    /* The policy the ledger was created with, in force since 0. */
    char *shown = NULL;
    CHECK_OK(timebank_store_policy(store, 0, &shown, &error), &error);
    CHECK(shown != NULL && strstr(shown, "\"from\":0,") != NULL);
    CHECK(shown != NULL && strstr(shown, "\"versions\":[0]") != NULL);
    char *amended = shown ? weighted_policy(shown) : NULL;
    CHECK(amended != NULL);
    timebank_string_free(shown);
    if (amended == NULL) {
        return summary("test_policy");
    }

    /* In force a second from now: a service done before it earns 1 an hour, after it 2. */
    uint64_t from = wall_clock_ns() + 1000000000ULL; /* after the ledger's clock */
    uint8_t before[32], after[32];
    state_digest(store, before);
    CHECK_FAILS(timebank_store_amend_policy(store, amended, NOW - 1, NULL, NOW + 10, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* not after the clock */
    CHECK_FAILS(timebank_store_amend_policy(store, "units = 3", from, NULL, NOW + 10, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* not a policy */
    CHECK_FAILS(timebank_store_amend_policy(store, "[[units]]\nid = 1\nname = \"hours\"\nscale = 2\n",
                                            from, NULL, NOW + 10, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* units changed, no codes */
    CHECK_FAILS(timebank_store_amend_policy(store, "{\"units\xff", from, NULL, NOW + 10, &error),
                TIMEBANK_STATUS_INVALID_UTF8, &error);
    CHECK_FAILS(timebank_store_amend_policy(store, NULL, from, NULL, NOW + 10, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_store_amend_policy(store, amended, from, NULL, UINT64_MAX, &error),
                TIMEBANK_STATUS_INVALID_TIME, &error);
    state_digest(store, after);
    CHECK(memcmp(before, after, 32) == 0);

    CHECK_OK(timebank_store_amend_policy(store, amended, from, NULL, NOW + 10, &error), &error);
    /* A second amendment must come after the first. */
    CHECK_FAILS(timebank_store_amend_policy(store, amended, from, NULL, NOW + 20, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);

    record(store, 100, NOW - DAY_NS, from + 10); /* done yesterday: the old weight */
    CHECK_BALANCE(store, VOLUNTEER, "1.00");
    record(store, 101, 0, from + 20); /* done now: weight 2 */
    CHECK_BALANCE(store, VOLUNTEER, "3.00");

    /* The policy in force before and after the effective time. */
    CHECK_OK(timebank_store_policy(store, NOW, &shown, &error), &error);
    CHECK(shown != NULL && strstr(shown, "\"from\":0,") != NULL);
    CHECK(shown != NULL && strstr(shown, "\"weight\"") == NULL);
    timebank_string_free(shown);
    CHECK_OK(timebank_store_policy(store, from, &shown, &error), &error);
    char expected_from[64];
    snprintf(expected_from, sizeof expected_from, "\"from\":%llu,", (unsigned long long)from);
    CHECK(shown != NULL && strstr(shown, expected_from) != NULL);
    CHECK(shown != NULL && strstr(shown, "\"weight\":\"2\"") != NULL);
    timebank_string_free(shown);
    CHECK_FAILS(timebank_store_policy(store, 0, NULL, &error), TIMEBANK_STATUS_NULL_POINTER,
                &error);
    free(amended);

    /* The amendment replays: the ledger verifies, and reopens with the same balances. */
    timebank_verify_report report;
    CHECK_OK(timebank_store_verify(store, NULL, NULL, &report, &error), &error);
    CHECK_OK(timebank_store_close(store, &error), &error);
    timebank_store_free(store);
    CHECK_OK(timebank_store_open(fixture_dir, NULL, NULL, &store, &error), &error);
    CHECK_BALANCE(store, VOLUNTEER, "3.00");
    timebank_store_free(store);

    /* A ledger created with units only has no rules to amend or show. */
    remove_store_dir();
    CHECK_OK(timebank_store_open(temp_store_dir(),
                                 "[[units]]\nid = 1\nname = \"hours\"\nscale = 2\n", NULL, &store,
                                 &error),
             &error);
    CHECK_FAILS(timebank_store_policy(store, 0, &shown, &error), TIMEBANK_STATUS_NOT_FOUND,
                &error);
    timebank_store_free(store);
    remove_store_dir();
    return summary("test_policy");
}
