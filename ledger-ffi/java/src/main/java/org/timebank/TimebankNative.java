package org.timebank;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.Pointer;

/**
 * The C functions of libtimebank, bound with JNA's direct mapping (the fastest way JNA calls C).
 * Strings go in as NUL-terminated UTF-8 {@code byte[]}; {@code char **} and other out-params as
 * one-element arrays.
 *
 * <p>The library is the one inside the jar ({@code linux-x86-64/libtimebank.so}), unless the
 * system property {@code timebank.library} or the environment variable {@code TIMEBANK_LIBRARY}
 * names another file.
 */
final class TimebankNative {
    static final String LIBRARY_PROPERTY = "timebank.library";
    static final String LIBRARY_ENV = "TIMEBANK_LIBRARY";

    static {
        String explicit = System.getProperty(LIBRARY_PROPERTY);
        if (explicit == null || explicit.isEmpty()) {
            explicit = System.getenv(LIBRARY_ENV);
        }
        boolean chosen = explicit != null && !explicit.isEmpty();
        Native.register(TimebankNative.class, NativeLibrary.getInstance(chosen ? explicit : "timebank"));
    }

    private TimebankNative() {}

    static native Pointer timebank_version();

    static native Pointer timebank_status_name(int status);

    static native Pointer timebank_result_code_name(short code);

    static native void timebank_string_free(Pointer text);

    static native int timebank_amount_parse(byte[] text, int scale, long[] minorOut, long[] errorOut);

    static native int timebank_amount_format(long minor, int scale, long[] textOut, long[] errorOut);

    // Stores are passed as their handle token ({@code long}); ids as {@code long[2]} (lo, hi), which
    // has the layout of {@code timebank_id}; out-structs as {@code byte[]} of the struct's size.

    static native int timebank_store_open(byte[] path, byte[] policy, byte[] key, long[] storeOut, long[] errorOut);

    static native int timebank_store_open_with_options(byte[] path, byte[] policy, byte[] key, byte[] options, long[] storeOut,
            long[] errorOut);

    static native int timebank_error_result_code(byte[] message, short[] codeOut, long[] errorOut);

    static native int timebank_store_close(long store, long[] errorOut);

    static native void timebank_store_free(long store);

    static native int timebank_store_status(long store, byte[] infoOut, long[] errorOut);

    static native int timebank_store_checkpoint(long store, long[] textOut, long[] errorOut);

    static native int timebank_store_verify(long store, ProgressCallback progress, Pointer context, byte[] reportOut, long[] errorOut);

    static native int timebank_store_expire(long store, long now, long[] expiredOut, long[] errorOut);

    static native int timebank_store_create_accounts(long store, byte[] accounts, long count, long now, short[] codesOut, long[] errorOut);

    static native int timebank_store_account(long store, long[] id, byte[] accountOut, long[] errorOut);

    static native int timebank_store_submit_transfers(long store, byte[] transfers, long count, long now, short[] codesOut, long[] errorOut);

    static native int timebank_store_submit_transfers_text(long store, Pointer transfers, long count, long now, short[] codesOut, long[] errorOut);

    static native int timebank_store_transfer(long store, long[] id, byte[] transferOut, long[] errorOut);

    static native int timebank_store_statement(long store, long[] account, long from, byte[] linesOut, long capacity, byte[] pageOut, long[] errorOut);

    static native int timebank_store_liability(long store, long[] jsonOut, long[] errorOut);

    static native int timebank_store_record_service(long store, long[] firstId, short code, long[] payer, long[] provider, byte[] hours, long[] donation, long now, long[] transfersOut, long[] errorOut);

    static native int timebank_store_operate_service(long store, long[] id, short code, long[] payer, long[] provider, byte[] hours, long[] donation, long servedAt, byte[] by, long now, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_operate_withdrawal(long store, long[] id, short code, long[] member, long[] provider, byte[] hours, long servedAt, byte[] by, long now, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_operate_completion(long store, long[] id, long[] booking, byte[] hours, byte rating, long[] donation, long servedAt, byte[] by, long now, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_operation(long store, long[] id, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_close_accounts(long store, long[] accounts, long count, byte[] by, long now, short[] codesOut, long[] errorOut);

    static native int timebank_store_amend_policy(long store, byte[] policy, long from, byte[] by, long now, long[] errorOut);

    static native int timebank_store_policy(long store, long at, long[] jsonOut, long[] errorOut);

    static native int timebank_store_operate_booking(long store, long[] id, short code, long[] payer, long[] provider, byte[] hours, int timeoutS, byte[] by, long now, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_operate_cancellation(long store, long[] id, long[] booking, byte[] by, long now, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_operate_gift(long store, long[] id, long[] from, long[] to, byte[] amount, short code, byte[] by, long now, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_operate_award(long store, long[] id, short code, long[] issuer, long[] member, int acts, byte[] by, long now, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_operate_redemption(long store, long[] id, long[] member, long[] redemption, byte[] amount, short code, byte[] by, long now, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_operate_closing(long store, long[] id, long[] account, long[] destination, byte[] by, long now, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_operate_reversal(long store, long[] id, long[] original, byte[] by, long now, byte[] outcomeOut, long[] errorOut);

    static native int timebank_store_transfer_by(long store, long[] id, byte[] byOut, long[] errorOut);

    static native int timebank_store_create_accounts_by(long store, byte[] accounts, long count, byte[] by, long now, short[] codesOut, long[] errorOut);

    static native int timebank_store_submit_transfers_by(long store, byte[] transfers, long count, byte[] by, long now, short[] codesOut, long[] errorOut);

    static native int timebank_store_submit_transfers_text_by(long store, Pointer transfers, long count, byte[] by, long now, short[] codesOut, long[] errorOut);

    static native int timebank_store_link_by(long store, long[] a, long[] b, byte[] by, long now, long[] errorOut);

    static native int timebank_store_set_eligibility_by(long store, long[] account, long from, byte[] by, long now, long[] errorOut);

    static native int timebank_store_expire_by(long store, byte[] by, long now, long[] expiredOut, long[] errorOut);

    static native int timebank_store_withdraw(long store, long[] firstId, short code, long[] member, long[] provider, byte[] hours, long now, long[] transfersOut, long[] errorOut);

    static native int timebank_store_book(long store, long[] id, short code, long[] payer, long[] provider, byte[] hours, int timeoutS, long now, long[] errorOut);

    static native int timebank_store_complete(long store, long[] firstId, long[] booking, byte[] hours, byte rating, long[] donation, long now, long[] transfersOut, long[] errorOut);

    static native int timebank_store_cancel(long store, long[] id, long[] booking, long now, long[] errorOut);

    static native int timebank_store_gift(long store, long[] id, long[] from, long[] to, byte[] amount, short code, long now, long[] errorOut);

    static native int timebank_store_award(long store, long[] id, short code, long[] issuer, long[] member, int acts, long now, long[] errorOut);

    static native int timebank_store_redeem(long store, long[] id, long[] member, long[] redemption, byte[] amount, short code, long now, long[] errorOut);

    static native int timebank_store_close_account(long store, long[] id, long[] account, long[] destination, long now, long[] errorOut);

    static native int timebank_store_reverse(long store, long[] id, long[] original, long now, long[] errorOut);

    static native int timebank_store_link(long store, long[] a, long[] b, long now, long[] errorOut);

    static native int timebank_store_set_eligibility(long store, long[] account, long from, long now, long[] errorOut);

    /** {@code timebank_progress_fn}: returns 0 to go on, anything else to cancel. */
    interface ProgressCallback extends Callback {
        int invoke(Pointer context, long recordsDone, long recordsTotal);
    }
}
