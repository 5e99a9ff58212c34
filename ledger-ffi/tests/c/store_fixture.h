/* A store in a fresh temporary directory, removed at the end, and small helpers around it. */
#ifndef TIMEBANK_TEST_STORE_FIXTURE_H
#define TIMEBANK_TEST_STORE_FIXTURE_H

#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <time.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"

static char fixture_dir[64];

static const char *temp_store_dir(void) {
    snprintf(fixture_dir, sizeof fixture_dir, "/tmp/timebank-c-test-XXXXXX");
    if (mkdtemp(fixture_dir) == NULL) {
        perror("mkdtemp");
        exit(2);
    }
    return fixture_dir;
}

static int remove_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw) {
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_store_dir(void) { nftw(fixture_dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS); }

/* The system clock in nanoseconds since the Unix epoch. */
static uint64_t wall_clock_ns(void) {
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    return (uint64_t)now.tv_sec * 1000000000ULL + (uint64_t)now.tv_nsec;
}

static timebank_id id_of(uint64_t n) {
    timebank_id id = {n, 0};
    return id;
}

/* Fills `digest` with the store's state digest. */
static void state_digest(const timebank_store *store, uint8_t digest[32]) {
    timebank_store_info status;
    char *error = NULL;
    CHECK_OK(timebank_store_status(store, &status, &error), &error);
    memcpy(digest, status.state_digest, 32);
}

/* The posted balance of an account, as text, in `out` (TIMEBANK_DECIMAL_BYTES long). */
static void balance_of(const timebank_store *store, uint64_t account, char *out) {
    timebank_account info;
    char *error = NULL;
    timebank_id id = id_of(account);
    CHECK_OK(timebank_store_account(store, &id, &info, &error), &error);
    memcpy(out, info.balance, TIMEBANK_DECIMAL_BYTES);
}

#define CHECK_BALANCE(store, account, expected)                \
    do {                                                       \
        char balance_[TIMEBANK_DECIMAL_BYTES] = {0};           \
        balance_of((store), (account), balance_);              \
        if (strcmp(balance_, (expected)) != 0) {               \
            fprintf(stderr, "account %llu holds %s, not %s\n", \
                    (unsigned long long)(account), balance_,   \
                    (expected));                               \
        }                                                      \
        CHECK(strcmp(balance_, (expected)) == 0);              \
    } while (0)

#endif
