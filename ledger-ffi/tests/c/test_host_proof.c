/* What a host can pass through the C ABI and still not change the ledger, hang, crash or read
 * freed memory: implausible clocks, counts larger than the array, freed and never-made handles,
 * callbacks that cancel or call back in, close() during a callback, a stale error pointer. Run
 * under valgrind by ledger-ffi/test.sh, so a read past an array or through a freed handle fails
 * the run even where the status looks right. */
#define _GNU_SOURCE
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "store_fixture.h"

enum { FUND = 1, MEMBER = 2, OTHER = 3, HOURS = 1, SERVICE = 101 };
static const uint64_t SECOND_NS = 1000000000ULL;

static timebank_store *open_in(const char *dir, const timebank_open_options *options) {
    timebank_store *store = NULL;
    char *error = NULL;
    CHECK_OK(timebank_store_open_with_options(dir, NULL, NULL, options, &store, &error), &error);
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
    }
    uint16_t codes[3];
    char *error = NULL;
    CHECK_OK(timebank_store_create_accounts(store, accounts, 3, 0, codes, &error), &error);
}

static timebank_transfer service(uint64_t id, uint64_t minor) {
    timebank_transfer t;
    memset(&t, 0, sizeof t);
    t.id = id_of(id);
    t.debit_account_id = id_of(FUND);
    t.credit_account_id = id_of(MEMBER);
    t.amount_minor = minor;
    t.unit = HOURS;
    t.code = SERVICE;
    return t;
}

static uint64_t head_of(const timebank_store *store) {
    timebank_store_info info;
    char *error = NULL;
    CHECK_OK(timebank_store_status(store, &info, &error), &error);
    return info.head_sequence;
}

/* Implausible clocks are refused with INVALID_TIME and write nothing, not even a journal record;
 * 0 means the system clock; a store opened for simulations takes any time. */
static void time_guard(void) {
    const char *dir = temp_store_dir();
    uint64_t created = wall_clock_ns();
    timebank_store *store = open_in(dir, NULL);
    create_accounts(store);
    uint8_t before[32], after[32];
    state_digest(store, before);
    uint64_t head = head_of(store);
    uint64_t wall = wall_clock_ns();
    const uint64_t bad[] = {
        (uint64_t)-1,          /* a host's -1 */
        UINT64_MAX,            /* the same, spelled 2^64 - 1 */
        1ULL << 63,            /* 2^63 */
        wall * 1000,           /* nanoseconds taken for microseconds (wraps, as in C) */
        wall / 1000 * 1000000, /* microseconds taken for milliseconds: far ahead */
        wall + 3600 * SECOND_NS, /* an hour ahead: above the default skew of 5 minutes */
        wall / 1000,           /* microseconds taken for nanoseconds: before the creation */
        created - 600 * SECOND_NS, /* 10 minutes before the creation: more than the skew */
        1,
    };
    char *error = NULL;
    uint16_t codes[1];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        timebank_transfer t = service(100 + i, 100);
        CHECK_FAILS(timebank_store_submit_transfers(store, &t, 1, bad[i], codes, &error),
                    TIMEBANK_STATUS_INVALID_TIME, &error);
        timebank_id id = id_of(200 + i), fund = id_of(FUND), member = id_of(MEMBER);
        CHECK_FAILS(timebank_store_record_service(store, &id, SERVICE, &fund, &member, "1", NULL,
                                                  bad[i], NULL, &error),
                    TIMEBANK_STATUS_INVALID_TIME, &error);
        uint64_t expired = 7;
        CHECK_FAILS(timebank_store_expire(store, bad[i], &expired, &error),
                    TIMEBANK_STATUS_INVALID_TIME, &error);
        CHECK(expired == 7);
    }
    state_digest(store, after);
    CHECK(memcmp(before, after, 32) == 0);
    CHECK(head_of(store) == head); /* no journal record either */

    /* A clock that lags the creator's by less than the skew is accepted (the ledger's time
     * does not go back: the command runs at the ledger's latest time). */
    timebank_transfer lagging = service(299, 50);
    CHECK_OK(timebank_store_submit_transfers(store, &lagging, 1, created - 60 * SECOND_NS, codes,
                                             &error),
             &error);

    /* 0 is the system clock: accepted, and stamped near it. */
    timebank_transfer t = service(300, 50);
    CHECK_OK(timebank_store_submit_transfers(store, &t, 1, 0, codes, &error), &error);
    timebank_transfer_info info;
    CHECK_OK(timebank_store_transfer(store, &t.id, &info, &error), &error);
    CHECK(info.timestamp >= wall && info.timestamp < wall_clock_ns() + SECOND_NS);
    CHECK(strcmp(info.amount, "0.50") == 0); /* at the unit's scale */
    CHECK_BALANCE(store, MEMBER, "1.00");
    CHECK_OK(timebank_store_close(store, &error), &error);
    timebank_store_free(store);

    /* A wider skew accepts 30 minutes ahead; unknown option bits are refused. */
    timebank_open_options wide = {.clock_skew_max_ns = 3600 * SECOND_NS};
    store = open_in(dir, &wide);
    t = service(301, 50);
    CHECK_OK(timebank_store_submit_transfers(store, &t, 1, wall_clock_ns() + 1800 * SECOND_NS,
                                             codes, &error),
             &error);
    timebank_store_free(store);
    timebank_open_options unknown = {.flags = 2};
    timebank_store *none = NULL;
    CHECK_FAILS(timebank_store_open_with_options(dir, NULL, NULL, &unknown, &none, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    CHECK(none == NULL);

    /* A simulation opts out: a year ahead is accepted. */
    timebank_open_options any = {.flags = TIMEBANK_OPEN_ANY_TIME};
    store = open_in(dir, &any);
    t = service(302, 50);
    CHECK_OK(timebank_store_submit_transfers(store, &t, 1, wall_clock_ns() + 365 * 86400 * SECOND_NS,
                                             codes, &error),
             &error);
    timebank_store_free(store);
    remove_store_dir();
}

/* A count above TIMEBANK_BATCH_MAX is refused before any element is read (valgrind sees no read
 * past the one-element arrays) or allocated (1 << 36 would abort the process). */
static void counts_checked_before_use(void) {
    timebank_store *store = open_in(temp_store_dir(), NULL);
    create_accounts(store);
    uint8_t before[32], after[32];
    state_digest(store, before);
    timebank_transfer one = service(10, 100);
    timebank_transfer_text text;
    memset(&text, 0, sizeof text);
    text.id = id_of(11);
    text.amount = "1";
    timebank_account_new account;
    memset(&account, 0, sizeof account);
    account.id = id_of(12);
    account.unit = HOURS;
    account.kind = TIMEBANK_KIND_MEMBER;
    uint16_t codes[1];
    const uint64_t counts[] = {(uint64_t)1 << 36, SIZE_MAX, UINT64_MAX, TIMEBANK_BATCH_MAX + 1, 0};
    char *error = NULL;
    for (size_t i = 0; i < sizeof counts / sizeof counts[0]; i++) {
        CHECK_FAILS(timebank_store_submit_transfers(store, &one, counts[i], 0, codes, &error),
                    TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
        CHECK_FAILS(timebank_store_submit_transfers_text(store, &text, counts[i], 0, codes, &error),
                    TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
        CHECK_FAILS(timebank_store_create_accounts(store, &account, counts[i], 0, codes, &error),
                    TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    }
    timebank_statement_line line;
    timebank_statement_page page;
    timebank_id member = id_of(MEMBER);
    CHECK_FAILS(timebank_store_statement(store, &member, 0, &line, SIZE_MAX, &page, &error),
                TIMEBANK_STATUS_INVALID_ARGUMENT, &error);
    /* A start past the end is an empty page, not a read. */
    CHECK_OK(timebank_store_statement(store, &member, SIZE_MAX, &line, 1, &page, &error), &error);
    CHECK(page.count == 0 && page.has_next == 0);
    state_digest(store, after);
    CHECK(memcmp(before, after, 32) == 0);
    timebank_store_free(store);
    remove_store_dir();
}

/* A freed handle, a closed-and-freed one, a never-made one: INVALID_HANDLE, and nothing is read
 * through them (valgrind). Freeing twice is harmless. */
static void handles_cannot_dangle(void) {
    const char *dir = temp_store_dir();
    timebank_store *store = open_in(dir, NULL);
    timebank_store *freed = store;
    timebank_store_free(store);
    timebank_store_info info;
    char *error = NULL;
    CHECK_FAILS(timebank_store_status(freed, &info, &error), TIMEBANK_STATUS_INVALID_HANDLE,
                &error);
    CHECK_FAILS(timebank_store_close(freed, &error), TIMEBANK_STATUS_INVALID_HANDLE, &error);
    timebank_store_free(freed); /* a second free does nothing */

    /* The directory was released with the handle: it opens again, under a new handle. */
    timebank_store *again = open_in(dir, NULL);
    CHECK(again != NULL && again != freed);
    CHECK_FAILS(timebank_store_status(freed, &info, &error), TIMEBANK_STATUS_INVALID_HANDLE,
                &error);
    CHECK_OK(timebank_store_status(again, &info, &error), &error);
    CHECK_OK(timebank_store_close(again, &error), &error);
    CHECK_FAILS(timebank_store_status(again, &info, &error), TIMEBANK_STATUS_CLOSED, &error);
    timebank_store_free(again);
    CHECK_FAILS(timebank_store_status(again, &info, &error), TIMEBANK_STATUS_INVALID_HANDLE,
                &error);

    /* Pointers the library never made, including one to a real object. */
    uint64_t not_a_store[16] = {0};
    timebank_store *forged[] = {(timebank_store *)not_a_store, (timebank_store *)(uintptr_t)1,
                                (timebank_store *)(uintptr_t)0x10001, (timebank_store *)UINTPTR_MAX};
    for (size_t i = 0; i < sizeof forged / sizeof forged[0]; i++) {
        CHECK_FAILS(timebank_store_status(forged[i], &info, &error), TIMEBANK_STATUS_INVALID_HANDLE,
                    &error);
        timebank_store_free(forged[i]);
    }
    remove_store_dir();
}

/* error_out is written on every call: NULL on success, so one reused `char *error` is never a
 * stale pointer that a later free would free twice. */
static void error_out_is_null_on_success(void) {
    char *error = NULL;
    uint64_t minor = 0;
    CHECK(timebank_amount_parse("x", 2, &minor, &error) == TIMEBANK_STATUS_INVALID_AMOUNT);
    CHECK(error != NULL);
    timebank_string_free(error); /* the host frees it but keeps the stale pointer */
    CHECK(timebank_amount_parse("1.5", 2, &minor, &error) == TIMEBANK_STATUS_OK);
    CHECK(error == NULL && minor == 150);
    timebank_string_free(error); /* the common pattern: free after every call; NULL is fine */
}

/* Every refusal carries its result code, readable with timebank_error_result_code. */
static void refusals_carry_their_code(void) {
    timebank_store *store = open_in(temp_store_dir(), NULL);
    create_accounts(store);
    timebank_id id = id_of(50), member = id_of(MEMBER), other = id_of(OTHER);
    char *error = NULL;
    timebank_transfer t = service(49, 300);
    uint16_t codes[1];
    CHECK_OK(timebank_store_submit_transfers(store, &t, 1, 0, codes, &error), &error);
    uint64_t head = head_of(store);
    CHECK(timebank_store_gift(store, &id, &member, &other, "1", 0, 0, &error) ==
          TIMEBANK_STATUS_REFUSED);
    uint16_t code = 0;
    char *none = NULL;
    CHECK_OK(timebank_error_result_code(error, &code, &none), &none);
    CHECK(code == 204); /* gift_not_allowed */
    timebank_string_free(error);
    error = NULL;
    /* As the header says: the attempt is journaled, balances do not change. */
    CHECK(head_of(store) == head + 1);
    CHECK_BALANCE(store, MEMBER, "3.00");
    CHECK_BALANCE(store, OTHER, "0.00");
    CHECK_FAILS(timebank_error_result_code("no such account", &code, &error),
                TIMEBANK_STATUS_NOT_FOUND, &error);
    CHECK_FAILS(timebank_error_result_code(NULL, &code, &error), TIMEBANK_STATUS_NULL_POINTER,
                &error);
    timebank_store_free(store);
    remove_store_dir();
}

/* Callbacks: one that returns non-zero cancels; a call on the same store from inside one is
 * refused with REENTRANT (close included), never a deadlock; free from inside one takes effect
 * when the call returns. */
struct callback_state {
    timebank_store *store;
    int calls;
    int32_t answer;
    timebank_status inner[3];
    int free_inside;
};

static int32_t call_back_in(void *context, uint64_t done, uint64_t total) {
    struct callback_state *state = context;
    (void)done;
    (void)total;
    state->calls++;
    timebank_store_info info;
    char *error = NULL;
    state->inner[0] = timebank_store_status(state->store, &info, &error);
    timebank_string_free(error);
    state->inner[1] = timebank_store_close(state->store, &error);
    timebank_string_free(error);
    timebank_transfer t = service(77, 100);
    uint16_t codes[1];
    state->inner[2] = timebank_store_submit_transfers(state->store, &t, 1, 0, codes, &error);
    timebank_string_free(error);
    if (state->free_inside) {
        timebank_store_free(state->store);
    }
    return state->answer;
}

static void callbacks_cancel_and_refuse_reentry(void) {
    const char *dir = temp_store_dir();
    timebank_store *store = open_in(dir, NULL);
    create_accounts(store);
    char *error = NULL;
    timebank_verify_report report;
    memset(&report, 0, sizeof report);

    struct callback_state state = {store, 0, 1, {0, 0, 0}, 0};
    CHECK_FAILS(timebank_store_verify(store, call_back_in, &state, &report, &error),
                TIMEBANK_STATUS_CANCELLED, &error);
    CHECK(state.calls == 1 && report.records == 0);
    for (int i = 0; i < 3; i++) {
        CHECK(state.inner[i] == TIMEBANK_STATUS_REENTRANT);
    }
    timebank_id id = id_of(77);
    timebank_transfer_info info;
    CHECK_FAILS(timebank_store_transfer(store, &id, &info, &error), TIMEBANK_STATUS_NOT_FOUND,
                &error); /* the refused inner submit wrote nothing */

    state.answer = 0;
    state.calls = 0;
    CHECK_OK(timebank_store_verify(store, call_back_in, &state, &report, &error), &error);
    CHECK(state.calls >= 1 && report.records >= 2);

    /* Freed from inside its own callback: the call finishes, then the handle is gone and the
     * directory released. */
    state.free_inside = 1;
    CHECK_OK(timebank_store_verify(store, call_back_in, &state, &report, &error), &error);
    timebank_store_info status;
    CHECK_FAILS(timebank_store_status(store, &status, &error), TIMEBANK_STATUS_INVALID_HANDLE,
                &error);
    timebank_store *reopened = open_in(dir, NULL);
    CHECK(reopened != NULL);
    timebank_store_free(reopened);
    remove_store_dir();
}

/* close() on one thread while another thread is inside a verify callback: close waits for the
 * verify, nothing deadlocks, and the store ends closed. */
struct closer {
    timebank_store *store;
    volatile int started;
    timebank_status status;
};

static void *close_store(void *context) {
    struct closer *closer = context;
    closer->started = 1;
    char *error = NULL;
    closer->status = timebank_store_close(closer->store, &error);
    timebank_string_free(error);
    return NULL;
}

struct in_callback {
    struct closer *closer;
    pthread_t thread;
    int spawned;
};

static int32_t close_from_another_thread(void *context, uint64_t done, uint64_t total) {
    struct in_callback *state = context;
    (void)done;
    (void)total;
    if (!state->spawned) {
        state->spawned = 1;
        pthread_create(&state->thread, NULL, close_store, state->closer);
        /* Sleeps, not sched_yield: under valgrind, which runs one thread at a time, a
         * yielding spin can keep the closer from ever being scheduled. */
        struct timespec tick = {0, 1000 * 1000};
        while (!state->closer->started) {
            nanosleep(&tick, NULL);
        }
        /* Give the closer time to start waiting for this call. */
        struct timespec pause = {0, 50 * 1000 * 1000};
        nanosleep(&pause, NULL);
    }
    return 0;
}

static void close_during_a_callback(void) {
    timebank_store *store = open_in(temp_store_dir(), NULL);
    create_accounts(store);
    struct closer closer = {store, 0, TIMEBANK_STATUS_PANIC};
    struct in_callback state = {&closer, 0, 0};
    timebank_verify_report report;
    char *error = NULL;
    timebank_status status =
        timebank_store_verify(store, close_from_another_thread, &state, &report, &error);
    /* The verify finished (it reports progress last at its end) or saw the close. */
    CHECK(status == TIMEBANK_STATUS_OK || status == TIMEBANK_STATUS_CLOSED);
    timebank_string_free(error);
    error = NULL;
    CHECK(state.spawned == 1);
    pthread_join(state.thread, NULL);
    CHECK(closer.status == TIMEBANK_STATUS_OK);
    timebank_store_info info;
    CHECK_FAILS(timebank_store_status(store, &info, &error), TIMEBANK_STATUS_CLOSED, &error);
    timebank_store_free(store);
    remove_store_dir();
}

/* free() on one thread while another is inside a call on the same handle: the call finishes on
 * a live store, the handle is invalid at once, and the store closes when the call returns. */
struct freer {
    timebank_store *store;
    volatile int done;
};

static void *free_store(void *context) {
    struct freer *freer = context;
    timebank_store_free(freer->store);
    freer->done = 1;
    return NULL;
}

static int32_t free_from_another_thread(void *context, uint64_t done, uint64_t total) {
    struct freer *freer = context;
    (void)done;
    (void)total;
    pthread_t thread;
    pthread_create(&thread, NULL, free_store, freer);
    pthread_join(thread, NULL); /* free returns at once: it never waits for this call */
    return 0;
}

static void free_during_a_call(void) {
    const char *dir = temp_store_dir();
    timebank_store *store = open_in(dir, NULL);
    create_accounts(store);
    struct freer freer = {store, 0};
    timebank_verify_report report;
    char *error = NULL;
    CHECK_OK(timebank_store_verify(store, free_from_another_thread, &freer, &report, &error),
             &error);
    CHECK(freer.done == 1 && report.records >= 2);
    timebank_store_info info;
    CHECK_FAILS(timebank_store_status(store, &info, &error), TIMEBANK_STATUS_INVALID_HANDLE,
                &error);
    timebank_store *reopened = open_in(dir, NULL); /* the store closed when the call returned */
    timebank_store_free(reopened);
    remove_store_dir();
}

/* The statuses that need a damaged, busy or failing disk, each really returned. */
/* journal_bytes counts records; the segment file starts with its 88-byte header (FORMAT.md). */
#define SEGMENT_HEADER_BYTES 88
static void flip_journal_byte(const char *dir, long offset) {
    char path[128];
    snprintf(path, sizeof path, "%s/journal/00000001.tbj", dir); /* the journal's one segment */
    FILE *file = fopen(path, "r+b");
    CHECK(file != NULL);
    if (file == NULL) {
        return;
    }
    fseek(file, offset, SEEK_SET);
    int byte = fgetc(file);
    fseek(file, offset, SEEK_SET);
    fputc(byte ^ 0x55, file);
    fclose(file);
}

static void disk_statuses(void) {
    const char *dir = temp_store_dir();
    char *error = NULL;
    timebank_store *store = open_in(dir, NULL);
    create_accounts(store);
    timebank_store *second = NULL;
    CHECK_FAILS(timebank_store_open(dir, NULL, NULL, &second, &error), TIMEBANK_STATUS_BUSY,
                &error);
    CHECK_FAILS(timebank_store_open("\xff\xfe", NULL, NULL, &second, &error),
                TIMEBANK_STATUS_INVALID_UTF8, &error);
    char file_path[128];
    snprintf(file_path, sizeof file_path, "%s/journal/00000001.tbj/below-a-file", dir);
    CHECK_FAILS(timebank_store_open(file_path, NULL, NULL, &second, &error), TIMEBANK_STATUS_IO,
                &error); /* a directory cannot be made below a file */
    CHECK(second == NULL);

    /* A write whose journal append fails (the file size limit, as a full disk would): the
     * outcome is unknown; later writes are refused until the store is reopened, and reopened
     * the record is either wholly there or cut. */
    timebank_store_info info;
    CHECK_OK(timebank_store_status(store, &info, &error), &error);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit saved, limit;
    getrlimit(RLIMIT_FSIZE, &saved);
    limit = saved;
    limit.rlim_cur = (rlim_t)info.journal_bytes + SEGMENT_HEADER_BYTES + 16;
    setrlimit(RLIMIT_FSIZE, &limit);
    timebank_transfer t = service(500, 100);
    uint16_t codes[1];
    CHECK_FAILS(timebank_store_submit_transfers(store, &t, 1, 0, codes, &error),
                TIMEBANK_STATUS_OUTCOME_UNKNOWN, &error);
    setrlimit(RLIMIT_FSIZE, &saved);
    timebank_transfer again = service(501, 100);
    timebank_status later = timebank_store_submit_transfers(store, &again, 1, 0, codes, &error);
    CHECK(later != TIMEBANK_STATUS_OK);
    timebank_string_free(error);
    error = NULL;
    timebank_store_free(store);
    store = open_in(dir, NULL);
    timebank_transfer_info found;
    timebank_status lookup = timebank_store_transfer(store, &t.id, &found, &error);
    CHECK(lookup == TIMEBANK_STATUS_OK || lookup == TIMEBANK_STATUS_NOT_FOUND);
    timebank_string_free(error);
    error = NULL;
    CHECK_BALANCE(store, MEMBER, lookup == TIMEBANK_STATUS_OK ? "1.00" : "0.00");

    /* Damage inside the journal, with a valid record after it: DAMAGED, nothing repaired. */
    timebank_transfer more[2] = {service(502, 100), service(503, 100)};
    CHECK_OK(timebank_store_submit_transfers(store, &more[0], 1, 0, codes, &error), &error);
    timebank_store_info middle;
    CHECK_OK(timebank_store_status(store, &middle, &error), &error);
    CHECK_OK(timebank_store_submit_transfers(store, &more[1], 1, 0, codes, &error), &error);
    CHECK_OK(timebank_store_close(store, &error), &error);
    timebank_store_free(store);
    /* A byte inside the record before the last: the last one still verifies after it, so this
     * is damage, not a torn tail. */
    flip_journal_byte(dir, (long)middle.journal_bytes + SEGMENT_HEADER_BYTES - 40);
    timebank_store *damaged = NULL;
    CHECK_FAILS(timebank_store_open(dir, NULL, NULL, &damaged, &error), TIMEBANK_STATUS_DAMAGED,
                &error);
    CHECK(damaged == NULL);
    remove_store_dir();
}

int main(void) {
    time_guard();
    counts_checked_before_use();
    handles_cannot_dangle();
    error_out_is_null_on_success();
    refusals_carry_their_code();
    callbacks_cancel_and_refuse_reentry();
    close_during_a_callback();
    free_during_a_call();
    disk_statuses();
    return summary("test_host_proof");
}
