/* Amounts, status names and the version, through the C ABI: good input gives the exact value,
 * every kind of bad input a status and a message, and out-params stay untouched on failure. */
#include <stdint.h>
#include <stdlib.h>

#include "check.h"

static void parses_exact_amounts(void) {
    char *error = NULL;
    uint64_t minor = 0;
    CHECK_OK(timebank_amount_parse("2.5", 2, &minor, &error), &error);
    CHECK(minor == 250);
    CHECK_OK(timebank_amount_parse("1000000000", 2, &minor, &error), &error);
    CHECK(minor == 100000000000ULL);
    CHECK_OK(timebank_amount_parse("0.01", 2, &minor, &error), &error);
    CHECK(minor == 1);

    char *text = NULL;
    CHECK_OK(timebank_amount_format(250, 2, &text, &error), &error);
    CHECK(text != NULL && strcmp(text, "2.50") == 0);
    timebank_string_free(text);
}

static void refuses_bad_amounts_without_writing(void) {
    const char *bad[] = {
        "", "1e3", "NaN", "-1", "0", "0.001", "1,5", " 1", "+1", ".5",
        "\xef\xbc\x91", /* full-width digit one */
        "1000000000.01", "99999999999999999999999999999", "inf",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char *error = NULL;
        uint64_t minor = 77;
        timebank_status status = timebank_amount_parse(bad[i], 2, &minor, &error);
        if (status != TIMEBANK_STATUS_INVALID_AMOUNT) {
            fprintf(stderr, "amount \"%s\" gave %s\n", bad[i], timebank_status_name(status));
        }
        CHECK_FAILS(status, TIMEBANK_STATUS_INVALID_AMOUNT, &error);
        CHECK(minor == 77);
    }
    char *error = NULL;
    char *text = NULL;
    CHECK_FAILS(timebank_amount_format(0, 2, &text, &error), TIMEBANK_STATUS_INVALID_AMOUNT,
                &error);
    CHECK(text == NULL);
    uint64_t minor = 77;
    CHECK_FAILS(timebank_amount_parse("1", 7, &minor, &error), TIMEBANK_STATUS_INVALID_ARGUMENT,
                &error);
}

static void refuses_null_and_invalid_utf8(void) {
    char *error = NULL;
    uint64_t minor = 77;
    CHECK_FAILS(timebank_amount_parse(NULL, 2, &minor, &error), TIMEBANK_STATUS_NULL_POINTER,
                &error);
    CHECK_FAILS(timebank_amount_parse("1", 2, NULL, &error), TIMEBANK_STATUS_NULL_POINTER,
                &error);
    CHECK_FAILS(timebank_amount_parse("1\xff", 2, &minor, &error), TIMEBANK_STATUS_INVALID_UTF8,
                &error);
    CHECK(minor == 77);
    /* Without error_out the status alone tells what went wrong. */
    CHECK(timebank_amount_parse(NULL, 2, &minor, NULL) == TIMEBANK_STATUS_NULL_POINTER);
    CHECK_FAILS(timebank_amount_format(1, 2, NULL, &error), TIMEBANK_STATUS_NULL_POINTER, &error);
    timebank_string_free(NULL);
}

static void names_statuses_and_codes(void) {
    CHECK(strcmp(timebank_status_name(TIMEBANK_STATUS_OK), "ok") == 0);
    CHECK(strcmp(timebank_status_name(TIMEBANK_STATUS_INVALID_AMOUNT), "invalid_amount") == 0);
    CHECK(strcmp(timebank_status_name(TIMEBANK_STATUS_CLOSED), "closed") == 0);
    CHECK(strcmp(timebank_status_name(-5), "unknown") == 0);
    CHECK(strcmp(timebank_result_code_name(110), "exceeds_floor") == 0);
    CHECK(strcmp(timebank_result_code_name(0), "ok") == 0);
    CHECK(strcmp(timebank_result_code_name(9999), "unknown") == 0);
    const char *version = timebank_version();
    CHECK(version != NULL && strlen(version) >= 5 && strchr(version, '.') != NULL);
}

int main(void) {
    parses_exact_amounts();
    refuses_bad_amounts_without_writing();
    refuses_null_and_invalid_utf8();
    names_statuses_and_codes();
    return summary("test_amount");
}
