/* A tiny test harness for the C tests: CHECK records a failure and goes on, and the summary line
 * is the plain "N passed, N failed" that CI reads. */
#ifndef TIMEBANK_TEST_CHECK_H
#define TIMEBANK_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "timebank.h"

static int checks_passed = 0;
static int checks_failed = 0;

#define CHECK(cond) check_((cond), __FILE__, __LINE__, #cond)

static void check_(int ok, const char *file, int line, const char *what) {
    if (ok) {
        checks_passed++;
    } else {
        checks_failed++;
        fprintf(stderr, "%s:%d: check failed: %s\n", file, line, what);
    }
}

/* Checks that a call failed with `expected` and left a message, which it frees. */
#define CHECK_FAILS(status, expected, error) \
    check_fails_((status), (expected), (error), __FILE__, __LINE__)

static void check_fails_(timebank_status status, timebank_status expected, char **error,
                         const char *file, int line) {
    int ok = status == expected && *error != NULL && strlen(*error) > 0;
    if (!ok) {
        fprintf(stderr, "%s:%d: expected %s, got %s (%s)\n", file, line,
                timebank_status_name(expected), timebank_status_name(status),
                *error ? *error : "no message");
    }
    check_(ok, file, line, "the call fails with the expected status and a message");
    timebank_string_free(*error);
    *error = NULL;
}

/* Checks that a call succeeded; prints the message if it did not. */
#define CHECK_OK(status, error) check_ok_((status), (error), __FILE__, __LINE__)

static void check_ok_(timebank_status status, char **error, const char *file, int line) {
    if (status != TIMEBANK_STATUS_OK) {
        fprintf(stderr, "%s:%d: %s: %s\n", file, line, timebank_status_name(status),
                *error ? *error : "no message");
    }
    check_(status == TIMEBANK_STATUS_OK && *error == NULL, file, line, "the call succeeds");
    timebank_string_free(*error);
    *error = NULL;
}

static int summary(const char *name) {
    printf("%s: %d passed, %d failed\n", name, checks_passed, checks_failed);
    return checks_failed == 0 ? 0 : 1;
}

#endif
