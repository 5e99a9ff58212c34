/* Hours moving between two ledgers through the C ABI, in one process: A holds and offers, B
 * credits and answers with a receipt, A posts; both balances and the clearing positions mirror.
 * A replayed offer is `exists` (no second credit); a forged offer, one from an unknown peer and
 * bytes that are no message are refused with their verdict and change nothing; an offer past
 * its deadline is refused for good and A's hold voided. Bad arguments and stale handles are
 * refused with stable statuses and write nothing. */
#include "store_fixture.h"

#include <sys/stat.h>

enum { FUND = 1, MEMBER = 2, ARRIVED = 7, HOURS = 1, SERVICE = 101 };
static const uint64_t A_ID = 310101, B_ID = 310104, C_ID = 310107;
static const uint64_t HOUR = 3600000000000ULL;
static uint64_t NOW;
static const uint8_t A_KEY[TIMEBANK_EXCHANGE_KEY_BYTES] = {1, 1, 1};
static const uint8_t B_KEY[TIMEBANK_EXCHANGE_KEY_BYTES] = {2, 2, 2};
static const uint8_t C_KEY[TIMEBANK_EXCHANGE_KEY_BYTES] = {3, 3, 3};
static char root[64];

static timebank_store *open_ledger(const char *name, uint64_t member, uint64_t fund_member) {
    char path[128];
    snprintf(path, sizeof path, "%s/%s", root, name);
    timebank_open_options options = {.flags = TIMEBANK_OPEN_ANY_TIME};
    timebank_store *store = NULL;
    char *error = NULL;
    CHECK_OK(timebank_store_open_with_options(path, NULL, NULL, &options, &store, &error), &error);
    if (store == NULL) {
        return NULL;
    }
    timebank_account_new accounts[2];
    memset(accounts, 0, sizeof accounts);
    accounts[0].id = id_of(FUND);
    accounts[0].kind = TIMEBANK_KIND_ISSUER;
    accounts[1].id = id_of(member);
    accounts[1].kind = TIMEBANK_KIND_MEMBER;
    for (int i = 0; i < 2; i++) {
        accounts[i].unit = HOURS;
        accounts[i].community = 7;
    }
    uint16_t codes[2];
    CHECK_OK(timebank_store_create_accounts(store, accounts, 2, NOW, codes, &error), &error);
    if (fund_member) {
        timebank_transfer t;
        memset(&t, 0, sizeof t);
        t.id = id_of(1);
        t.debit_account_id = id_of(FUND);
        t.credit_account_id = id_of(member);
        t.amount_minor = 500;
        t.unit = HOURS;
        t.code = SERVICE;
        uint16_t code = 99;
        CHECK_OK(timebank_store_submit_transfers(store, &t, 1, NOW, &code, &error), &error);
        CHECK(code == 0);
    }
    return store;
}

static char *public_key_of(const uint8_t *key) {
    char *public_key = NULL, *error = NULL;
    CHECK_OK(timebank_signing_key_public("standard", key, &public_key, &error), &error);
    return public_key;
}

/* Delivers `message` to `exchange` at `now`; checks the verdict and returns the reply. */
static char *deliver(timebank_exchange *exchange, const char *message, uint64_t now,
                     uint16_t expected) {
    uint16_t verdict = 999, ledger_code = 999;
    char *reply = (char *)"untouched", *error = NULL;
    CHECK_OK(timebank_exchange_receive(exchange, (const uint8_t *)message, strlen(message), now,
                                       &verdict, &ledger_code, &reply, &error),
             &error);
    if (verdict != expected) {
        fprintf(stderr, "verdict %s, expected %s\n", timebank_exchange_verdict_name(verdict),
                timebank_exchange_verdict_name(expected));
    }
    CHECK(verdict == expected);
    CHECK(ledger_code == 0);
    return reply;
}

static char *send_hours(timebank_exchange *exchange, uint64_t number, uint64_t to,
                        const char *amount, uint64_t deadline) {
    timebank_id source = id_of(MEMBER), destination = id_of(ARRIVED);
    char *offer = NULL, *error = NULL;
    CHECK_OK(timebank_exchange_send(exchange, number, to, HOURS, amount, &source, &destination,
                                    deadline, NOW + 1, &offer, &error),
             &error);
    CHECK(offer != NULL && strstr(offer, "\"offer\"") != NULL);
    return offer;
}

/* Whether the positions' JSON holds `owed` for `peer`. */
static int owes(timebank_exchange *exchange, uint64_t peer, const char *owed) {
    char *json = NULL, *error = NULL, want[160];
    CHECK_OK(timebank_exchange_positions(exchange, &json, &error), &error);
    snprintf(want, sizeof want, "{\"held_outgoing\":\"0.00\",\"owed_to_peer\":\"%s\",\"peer\":%llu",
             owed, (unsigned long long)peer);
    int found = json != NULL && strstr(json, want) != NULL;
    if (!found) {
        fprintf(stderr, "positions %s lack %s\n", json ? json : "(none)", want);
    }
    timebank_string_free(json);
    return found;
}

static void check_unchanged(timebank_store *store, const uint8_t before[32]) {
    uint8_t after[32];
    state_digest(store, after);
    CHECK(memcmp(before, after, 32) == 0);
}

int main(void) {
    NOW = wall_clock_ns();
    snprintf(root, sizeof root, "%s", temp_store_dir());
    timebank_store *a = open_ledger("a", MEMBER, 1);
    timebank_store *b = open_ledger("b", ARRIVED, 0);
    timebank_store *c = open_ledger("c", MEMBER, 1);
    if (a == NULL || b == NULL || c == NULL) {
        return summary("test_exchange");
    }
    char *error = NULL;
    char *a_public = public_key_of(A_KEY), *b_public = public_key_of(B_KEY);
    char *c_public = public_key_of(C_KEY);

    /* B's key lives in a key file outside its data directory, readable by its owner alone. */
    char key_file[128];
    snprintf(key_file, sizeof key_file, "%s/b.key", root);
    FILE *file = fopen(key_file, "w");
    CHECK(file != NULL);
    for (int i = 0; i < TIMEBANK_EXCHANGE_KEY_BYTES; i++) {
        fprintf(file, "%02x", B_KEY[i]);
    }
    fclose(file);
    chmod(key_file, 0644);
    timebank_exchange *ea = NULL, *eb = NULL, *ec = NULL, *stale = NULL;
    CHECK_FAILS(timebank_exchange_open(b, B_ID, NULL, key_file, NOW, &eb, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* readable by others */
    chmod(key_file, 0600);
    CHECK(eb == NULL);

    /* Opening: exactly one key; an id on first open; one exchange per store. */
    CHECK_FAILS(timebank_exchange_open(a, A_ID, NULL, NULL, NOW, &ea, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_exchange_open(a, A_ID, A_KEY, key_file, NOW, &ea, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_exchange_open(a, 0, A_KEY, NULL, NOW, &ea, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_exchange_open(a, A_ID, NULL, "/nonexistent/key", NOW, &ea, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error);
    CHECK_FAILS(timebank_exchange_open(NULL, A_ID, A_KEY, NULL, NOW, &ea, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK(ea == NULL);
    CHECK_OK(timebank_exchange_open(a, A_ID, A_KEY, NULL, NOW, &ea, &error), &error);
    CHECK_OK(timebank_exchange_open(b, B_ID, NULL, key_file, NOW, &eb, &error), &error);
    CHECK_OK(timebank_exchange_open(c, C_ID, C_KEY, NULL, NOW, &ec, &error), &error);
    CHECK_FAILS(timebank_exchange_open(a, A_ID, A_KEY, NULL, NOW, &stale, &error),
                TIMEBANK_STATUS_BUSY, &error);
    CHECK(stale == NULL);
    if (ea == NULL || eb == NULL || ec == NULL) {
        return summary("test_exchange");
    }

    /* Peers: A and B know each other; C knows B, but B does not know C. */
    CHECK_OK(timebank_exchange_add_peer(ea, B_ID, b_public, NOW, &error), &error);
    CHECK_OK(timebank_exchange_add_peer(ea, B_ID, b_public, NOW, &error), &error);
    CHECK_OK(timebank_exchange_add_peer(eb, A_ID, a_public, NOW, &error), &error);
    CHECK_OK(timebank_exchange_add_peer(ec, B_ID, b_public, NOW, &error), &error);
    CHECK_FAILS(timebank_exchange_add_peer(ea, B_ID, c_public, NOW, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* another key */
    CHECK_FAILS(timebank_exchange_add_peer(ea, A_ID, a_public, NOW, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* itself */
    CHECK_FAILS(timebank_exchange_add_peer(ea, 0, c_public, NOW, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_exchange_add_peer(ea, C_ID, "not hex", NOW, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_exchange_add_peer(ea, C_ID, NULL, NOW, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_exchange_add_peer(ea, C_ID, "\xc3\x28", NOW, &error),
                TIMEBANK_STATUS_INVALID_UTF8, &error);
    CHECK_FAILS(timebank_exchange_open(a, A_ID, NULL, "/tmp/\xff.key", NOW, &stale, &error),
                TIMEBANK_STATUS_INVALID_UTF8, &error);
    char *peers = NULL;
    CHECK_OK(timebank_exchange_peers(eb, &peers, &error), &error);
    char want[256];
    snprintf(want, sizeof want, "\"own\":%llu", (unsigned long long)B_ID);
    CHECK(peers != NULL && strstr(peers, want) != NULL && strstr(peers, a_public) != NULL &&
          strstr(peers, b_public) != NULL);
    timebank_string_free(peers);

    /* Bad sends write nothing. */
    uint8_t a_before[32], b_before[32];
    state_digest(a, a_before);
    timebank_id member = id_of(MEMBER), arrived = id_of(ARRIVED), zero = id_of(0);
    char *offer = (char *)"untouched";
    CHECK_FAILS(timebank_exchange_send(ea, 1, C_ID, HOURS, "1", &member, &arrived, NOW + HOUR,
                                       NOW + 1, &offer, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error); /* not a peer */
    CHECK_FAILS(timebank_exchange_send(ea, 1, B_ID, 9, "1", &member, &arrived, NOW + HOUR,
                                       NOW + 1, &offer, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error); /* no unit 9 */
    CHECK_FAILS(timebank_exchange_send(ea, 1, B_ID, HOURS, "1.234", &member, &arrived,
                                       NOW + HOUR, NOW + 1, &offer, &error),
                TIMEBANK_STATUS_INVALID_AMOUNT, &error);
    CHECK_FAILS(timebank_exchange_send(ea, 1, B_ID, HOURS, "\xff", &member, &arrived, NOW + HOUR,
                                       NOW + 1, &offer, &error),
                TIMEBANK_STATUS_INVALID_UTF8, &error);
    CHECK_FAILS(timebank_exchange_send(ea, 1, B_ID, HOURS, "1", &zero, &arrived, NOW + HOUR,
                                       NOW + 1, &offer, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_exchange_send(ea, 1, B_ID, HOURS, "1", &member, &arrived, NOW,
                                       NOW + 1, &offer, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* deadline passed */
    CHECK_FAILS(timebank_exchange_send(ea, 1, B_ID, HOURS, "1", NULL, &arrived, NOW + HOUR,
                                       NOW + 1, &offer, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_exchange_send(NULL, 1, B_ID, HOURS, "1", &member, &arrived, NOW + HOUR,
                                       NOW + 1, &offer, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK(strcmp(offer, "untouched") == 0);
    check_unchanged(a, a_before);

    /* A sends 2.5 hours to B: held at A. The same request again is the same offer. */
    offer = send_hours(ea, 1, B_ID, "2.5", NOW + HOUR);
    char *again = send_hours(ea, 1, B_ID, "2.50", NOW + HOUR);
    CHECK(strcmp(offer, again) == 0);
    timebank_string_free(again);
    char *unused = NULL;
    CHECK_FAILS(timebank_exchange_send(ea, 1, B_ID, HOURS, "1", &member, &arrived, NOW + HOUR,
                                       NOW + 1, &unused, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* number 1 was used */
    CHECK_BALANCE(a, MEMBER, "5.00");
    timebank_account held;
    CHECK_OK(timebank_store_account(a, &member, &held, &error), &error);
    CHECK(strcmp(held.available, "2.50") == 0);
    char *pending = NULL;
    CHECK_OK(timebank_exchange_pending(ea, &pending, &error), &error);
    CHECK(pending != NULL && strstr(pending, "\"number\":1,") != NULL &&
          strstr(pending, "\"amount\":\"2.50\"") != NULL);
    timebank_string_free(pending);

    /* B credits and answers with a receipt; the offer again is `exists` with the receipt again
     * and no second credit, and B's journal does not move. */
    char *receipt = deliver(eb, offer, NOW + 2, TIMEBANK_VERDICT_OK);
    CHECK(receipt != NULL && strstr(receipt, "\"receipt\"") != NULL);
    CHECK_BALANCE(b, ARRIVED, "2.50");
    state_digest(b, b_before);
    char *receipt_again = deliver(eb, offer, NOW + 3, TIMEBANK_VERDICT_EXISTS);
    CHECK(receipt_again != NULL && strstr(receipt_again, "\"receipt\"") != NULL);
    timebank_string_free(receipt_again);
    CHECK_BALANCE(b, ARRIVED, "2.50");
    check_unchanged(b, b_before);

    /* A posts its hold on the receipt, once. */
    char *none = deliver(ea, receipt, NOW + 4, TIMEBANK_VERDICT_OK);
    CHECK(none == NULL);
    CHECK_BALANCE(a, MEMBER, "2.50");
    state_digest(a, a_before);
    none = deliver(ea, receipt, NOW + 5, TIMEBANK_VERDICT_EXISTS);
    CHECK(none == NULL);
    check_unchanged(a, a_before);
    CHECK(owes(ea, B_ID, "2.50"));
    CHECK(owes(eb, A_ID, "-2.50"));
    CHECK_OK(timebank_exchange_pending(ea, &pending, &error), &error);
    CHECK(pending != NULL && strcmp(pending, "[]") == 0);
    timebank_string_free(pending);

    /* A forged offer: one hex digit of A's signature changed. B refuses it (not finally),
     * changing nothing; its refusal, delivered to A, changes nothing either. */
    char *second = send_hours(ea, 2, B_ID, "1", NOW + HOUR);
    char *forged = strdup(second);
    char *signature = strstr(forged, "\"signature\"");
    CHECK(signature != NULL);
    if (signature != NULL) {
        char *digit = strchr(signature + strlen("\"signature\""), '"') + 1;
        *digit = *digit == '0' ? '1' : '0';
    }
    state_digest(b, b_before);
    char *refusal = deliver(eb, forged, NOW + 6, TIMEBANK_VERDICT_FORGED);
    CHECK(refusal != NULL && strstr(refusal, "\"refusal\"") != NULL);
    check_unchanged(b, b_before);
    CHECK_BALANCE(b, ARRIVED, "2.50");
    state_digest(a, a_before);
    none = deliver(ea, refusal, NOW + 7, TIMEBANK_VERDICT_REFUSAL_NOT_FINAL);
    CHECK(none == NULL);
    check_unchanged(a, a_before);
    timebank_string_free(refusal);
    free(forged);

    /* An offer from C, a ledger B does not know: refused, nothing changes. */
    timebank_id c_member = id_of(MEMBER);
    char *from_c = NULL;
    CHECK_OK(timebank_exchange_send(ec, 1, B_ID, HOURS, "1", &c_member, &arrived, NOW + HOUR,
                                    NOW + 1, &from_c, &error),
             &error);
    refusal = deliver(eb, from_c, NOW + 8, TIMEBANK_VERDICT_UNKNOWN_PEER);
    timebank_string_free(refusal);
    check_unchanged(b, b_before);
    timebank_string_free(from_c);

    /* A's offer to B delivered to C, which knows A: not addressed to C, nothing changes. */
    CHECK_OK(timebank_exchange_add_peer(ec, A_ID, a_public, NOW, &error), &error);
    uint8_t c_before[32];
    state_digest(c, c_before);
    refusal = deliver(ec, offer, NOW + 8, TIMEBANK_VERDICT_NOT_ADDRESSED_HERE);
    timebank_string_free(refusal);
    check_unchanged(c, c_before);

    /* Bytes that are no message: refused, no reply. */
    none = deliver(eb, "\x01\x02garbage", NOW + 9, TIMEBANK_VERDICT_MALFORMED);
    CHECK(none == NULL);
    none = deliver(eb, "", NOW + 9, TIMEBANK_VERDICT_MALFORMED);
    CHECK(none == NULL);
    check_unchanged(b, b_before);

    /* Bad receive arguments: nothing read, nothing written. */
    uint16_t verdict = 999, ledger_code = 999;
    char *reply = (char *)"untouched";
    CHECK_FAILS(timebank_exchange_receive(eb, (const uint8_t *)second,
                                          TIMEBANK_EXCHANGE_MESSAGE_BYTES_MAX + 1, NOW + 9,
                                          &verdict, &ledger_code, &reply, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_exchange_receive(eb, (const uint8_t *)second, UINT64_MAX, NOW + 9,
                                          &verdict, &ledger_code, &reply, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK_FAILS(timebank_exchange_receive(eb, NULL, 5, NOW + 9, &verdict, &ledger_code, &reply,
                                          &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK_FAILS(timebank_exchange_receive(eb, (const uint8_t *)second, strlen(second), NOW + 9,
                                          NULL, &ledger_code, &reply, &error),
                TIMEBANK_STATUS_NULL_POINTER, &error);
    CHECK(verdict == 999 && ledger_code == 999 && strcmp(reply, "untouched") == 0);
    check_unchanged(b, b_before);

    /* Past its deadline: A sends the offer again, B refuses it for good, A voids the hold. */
    uint64_t late = NOW + 2 * HOUR;
    char *due = NULL;
    CHECK_OK(timebank_exchange_expire(ea, late, &due, &error), &error);
    CHECK(due != NULL && due[0] == '[' && strstr(due, "\"offer\"") != NULL);
    timebank_string_free(due);
    CHECK_BALANCE(a, MEMBER, "2.50");
    CHECK_OK(timebank_store_account(a, &member, &held, &error), &error);
    CHECK(strcmp(held.available, "1.50") == 0);
    refusal = deliver(eb, second, late, TIMEBANK_VERDICT_PAST_DEADLINE);
    CHECK(refusal != NULL);
    CHECK_BALANCE(b, ARRIVED, "2.50");
    none = deliver(ea, refusal, late + 1, TIMEBANK_VERDICT_OK);
    CHECK(none == NULL);
    CHECK_OK(timebank_store_account(a, &member, &held, &error), &error);
    CHECK(strcmp(held.available, "2.50") == 0);
    CHECK(owes(ea, B_ID, "2.50"));
    CHECK(owes(eb, A_ID, "-2.50"));
    timebank_string_free(refusal);

    /* Moving the member: the whole balance goes, with its state. */
    char *moved = NULL;
    CHECK_OK(timebank_exchange_move_member(ea, 3, B_ID, HOURS, &member, &arrived, late + HOUR,
                                           late + 2, &moved, &error),
             &error);
    CHECK(moved != NULL && strstr(moved, "\"offer_with_state\"") != NULL);
    char *moved_receipt = deliver(eb, moved, late + 3, TIMEBANK_VERDICT_OK);
    CHECK_BALANCE(b, ARRIVED, "5.00");
    none = deliver(ea, moved_receipt, late + 4, TIMEBANK_VERDICT_OK);
    CHECK_BALANCE(a, MEMBER, "0.00");
    CHECK(owes(ea, B_ID, "5.00"));
    CHECK(owes(eb, A_ID, "-5.00"));
    timebank_string_free(moved);
    timebank_string_free(moved_receipt);

    /* Names of verdicts are stable. */
    CHECK(strcmp(timebank_exchange_verdict_name(TIMEBANK_VERDICT_FORGED), "forged") == 0);
    CHECK(strcmp(timebank_exchange_verdict_name(9999), "unknown") == 0);

    /* A freed exchange handle is refused; a closed store is CLOSED through its exchange. */
    timebank_exchange_free(ec);
    CHECK_FAILS(timebank_exchange_peers(ec, &peers, &error), TIMEBANK_STATUS_INVALID_HANDLE,
                &error);
    timebank_exchange_free(ec); /* freeing twice does nothing */
    CHECK_OK(timebank_store_close(c, &error), &error);
    CHECK_OK(timebank_store_close(b, &error), &error);
    CHECK_FAILS(timebank_exchange_positions(eb, &peers, &error), TIMEBANK_STATUS_CLOSED, &error);
    timebank_store_free(b);
    CHECK_FAILS(timebank_exchange_positions(eb, &peers, &error), TIMEBANK_STATUS_INVALID_HANDLE,
                &error);
    timebank_exchange_free(eb);

    /* Reopened, A's exchange takes its id from its files, and remembers its offers. */
    timebank_exchange_free(ea);
    CHECK_OK(timebank_exchange_open(a, 0, A_KEY, NULL, late + 5, &ea, &error), &error);
    again = NULL;
    CHECK_OK(timebank_exchange_send(ea, 1, B_ID, HOURS, "2.5", &member, &arrived, NOW + HOUR,
                                    late + 6, &again, &error),
             &error);
    CHECK(again != NULL && strcmp(offer, again) == 0);
    timebank_string_free(again);
    CHECK_FAILS(timebank_exchange_open(a, C_ID, A_KEY, NULL, late + 6, &stale, &error),
                TIMEBANK_STATUS_BUSY, &error);
    timebank_exchange_free(ea);
    CHECK_FAILS(timebank_exchange_open(a, C_ID, A_KEY, NULL, late + 6, &stale, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error); /* another id than its files' */
    /* A key file inside the data directory is refused. */
    char inside[160];
    snprintf(inside, sizeof inside, "%s/a/b.key", root);
    rename(key_file, inside);
    CHECK_FAILS(timebank_exchange_open(a, A_ID, NULL, inside, late + 6, &stale, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);

    timebank_string_free(offer);
    timebank_string_free(second);
    timebank_string_free(receipt);
    timebank_string_free(a_public);
    timebank_string_free(b_public);
    timebank_string_free(c_public);
    CHECK_OK(timebank_store_close(a, &error), &error);
    timebank_store_free(a);
    timebank_store_free(c);
    remove_store_dir();
    return summary("test_exchange");
}
