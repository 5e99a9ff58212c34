package org.timebank;

import com.sun.jna.Memory;
import com.sun.jna.Pointer;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A durable ledger in a directory: accounts, transfers, the time-bank operations, reports and
 * audit. Open it with try-with-resources.
 *
 * <p>A store may be used from several threads at once: the library is thread-safe, and
 * concurrent submissions share one journal write and sync. Ids are unsigned 64-bit numbers the
 * host chooses (zero is never an id). {@code now} arguments are nanoseconds since the Unix epoch,
 * or 0 for the system clock. Every failure throws the {@link TimebankException} subclass of its
 * status, and changes nothing.
 */
public final class Store implements AutoCloseable {
    private final long handle;

    private Store(long handle) {
        this.handle = handle;
    }

    /** The native handle, for tests of the raw bindings. */
    long handle() {
        return handle;
    }

    /** Opens the ledger in {@code path}, creating it under the default policy if there is none. */
    public static Store open(Path path) {
        return open(path.toString(), null, null);
    }

    /**
     * Opens (or creates) the ledger in {@code path}. {@code policy} is TOML or JSON text
     * ({@code null}: the default policy); {@code checkpointKey} is 32 secret bytes kept outside
     * the directory ({@code null}: no checkpoints).
     */
    public static Store open(String path, String policy, byte[] checkpointKey) {
        if (checkpointKey != null && checkpointKey.length != 32) {
            throw new InvalidArgumentException("checkpointKey must be 32 bytes");
        }
        long[] out = new long[1];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_open(Calls.cString(path), Calls.cString(policy), checkpointKey, out, error), error);
        return new Store(out[0]);
    }

    /**
     * Closes the store, waiting for calls in flight on other threads; later calls throw
     * {@link ClosedException}. The native handle itself is freed when this object is collected,
     * so a late call from another thread can never touch freed memory.
     */
    @Override
    public void close() {
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_close(handle, error), error);
    }

    @Override
    @SuppressWarnings("deprecation") // Java 8 has no Cleaner; finalize is its way to free native memory.
    protected void finalize() throws Throwable {
        try {
            TimebankNative.timebank_store_free(handle);
        } finally {
            super.finalize();
        }
    }

    // -- accounts ----------------------------------------------------------------------------

    /** Creates accounts in one durable command; returns each one's result code. */
    public int[] createAccounts(List<NewAccount> accounts, long now) {
        int n = accounts.size();
        byte[] raw = new byte[Math.max(n, 1) * Layout.ACCOUNT_NEW];
        ByteBuffer b = Layout.wrap(raw);
        for (int i = 0; i < n; i++) {
            NewAccount a = accounts.get(i);
            int o = i * Layout.ACCOUNT_NEW;
            int limits = 0;
            if (a.noFloor) {
                limits |= 2;
            } else if (a.floorMinor != null) {
                limits |= 1;
                b.putLong(o + 32, a.floorMinor);
            }
            if (a.ceilingMinor != null) {
                limits |= 4;
                b.putLong(o + 40, a.ceilingMinor);
            }
            b.putLong(o, a.id).putLong(o + 16, a.userData).putLong(o + 48, a.eligibleFrom);
            b.putInt(o + 56, a.community).putShort(o + 60, (short) a.unit);
            b.put(o + 62, (byte) (a.kind == null ? 0 : a.kind.number)).put(o + 63, (byte) limits);
        }
        short[] codes = new short[Math.max(n, 1)];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_create_accounts(handle, raw, n, now, codes, error), error);
        return unsigned(codes, n);
    }

    /** The account {@code id}; {@link NotFoundException} when there is none. */
    public Account account(long id) {
        byte[] raw = new byte[Layout.ACCOUNT];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_account(handle, Layout.id(id), raw, error), error);
        return new Account(raw);
    }

    /** The posted balance of account {@code id}. */
    public BigDecimal balance(long id) {
        return account(id).balance;
    }

    // -- transfers ---------------------------------------------------------------------------

    /** Submits a packed batch in one durable command; returns each transfer's result code. */
    public int[] submit(TransferBatch batch, long now) {
        short[] codes = new short[Math.max(batch.count, 1)];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_submit_transfers(handle, batch.bytes, batch.count, now, codes, error), error);
        return unsigned(codes, batch.count);
    }

    /**
     * Submits transfers with {@link BigDecimal} amounts in one durable command; returns each
     * one's result code. Amounts are checked exactly ({@link InvalidAmountException}, nothing
     * submitted).
     */
    public int[] submitTransfers(List<Transfer> transfers, long now) {
        int n = transfers.size();
        Memory block = new Memory((long) Math.max(n, 1) * Layout.TRANSFER_TEXT);
        block.clear();
        List<Memory> texts = new ArrayList<Memory>(n); // kept alive until the call returns
        for (int i = 0; i < n; i++) {
            Transfer t = transfers.get(i);
            long o = (long) i * Layout.TRANSFER_TEXT;
            block.setLong(o, t.id);
            block.setLong(o + 16, t.debit);
            block.setLong(o + 32, t.credit);
            block.setLong(o + 48, t.relatedId);
            block.setLong(o + 64, t.userData);
            if (t.amount != null) {
                byte[] text = Calls.cString(t.amount.toPlainString());
                Memory m = new Memory(text.length);
                m.write(0, text, 0, text.length);
                texts.add(m);
                block.setPointer(o + 80, m);
            }
            block.setInt(o + 88, t.timeoutS);
            block.setShort(o + 92, (short) t.unit);
            block.setShort(o + 94, (short) t.code);
            block.setShort(o + 96, (short) t.flags);
        }
        short[] codes = new short[Math.max(n, 1)];
        long[] error = new long[1];
        int status = TimebankNative.timebank_store_submit_transfers_text(handle, block, n, now, codes, error);
        texts.clear();
        Calls.check(status, error);
        return unsigned(codes, n);
    }

    /** The transfer {@code id}; {@link NotFoundException} when there is none. */
    public TransferRecord transfer(long id) {
        byte[] raw = new byte[Layout.TRANSFER_INFO];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_transfer(handle, Layout.id(id), raw, error), error);
        return new TransferRecord(raw);
    }

    // -- time-bank operations ----------------------------------------------------------------

    /**
     * {@code provider} earns {@code hours} times the code's weight, paid by {@code payer} (a
     * fund); above a cap whose excess is donated, the rest goes to {@code donation} (0: none).
     * Returns how many transfer ids, from {@code firstId} on, it used.
     */
    public int recordService(long firstId, int code, long payer, long provider, BigDecimal hours, long donation, long now) {
        long[] used = new long[1];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_record_service(handle, Layout.id(firstId), (short) code, Layout.id(payer),
                Layout.id(provider), amount(hours), Layout.optionalId(donation), now, used, error), error);
        return (int) used[0];
    }

    /** A care withdrawal: {@code member} pays {@code provider} with its own hours. */
    public int withdraw(long firstId, int code, long member, long provider, BigDecimal hours, long now) {
        long[] used = new long[1];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_withdraw(handle, Layout.id(firstId), (short) code, Layout.id(member),
                Layout.id(provider), amount(hours), now, used, error), error);
        return (int) used[0];
    }

    /** Holds {@code payer}'s hours for {@code provider} until completed, cancelled or expired. */
    public void book(long id, int code, long payer, long provider, BigDecimal hours, int timeoutS, long now) {
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_book(handle, Layout.id(id), (short) code, Layout.id(payer), Layout.id(provider),
                amount(hours), timeoutS, now, error), error);
    }

    /** Posts the hours served ({@code null}: all) and records a 1-5 rating (0: none). */
    public int complete(long firstId, long booking, BigDecimal hours, int rating, long donation, long now) {
        long[] used = new long[1];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_complete(handle, Layout.id(firstId), Layout.id(booking), amount(hours),
                (byte) rating, Layout.optionalId(donation), now, used, error), error);
        return (int) used[0];
    }

    /** Voids a booking's hold, releasing the payer's hours. */
    public void cancel(long id, long booking, long now) {
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_cancel(handle, Layout.id(id), Layout.id(booking), now, error), error);
    }

    /** Gives hours to a linked family member or a donation pool ({@code code} 0: the policy's). */
    public void gift(long id, long from, long to, BigDecimal amount, int code, long now) {
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_gift(handle, Layout.id(id), Layout.id(from), Layout.id(to), amount(amount),
                (short) code, now, error), error);
    }

    /** Awards the code's points per act times {@code acts}. */
    public void award(long id, int code, long issuer, long member, int acts, long now) {
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_award(handle, Layout.id(id), (short) code, Layout.id(issuer), Layout.id(member),
                acts, now, error), error);
    }

    /** Spends points at a redemption account ({@code code} 0: the policy's). */
    public void redeem(long id, long member, long redemption, BigDecimal amount, int code, long now) {
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_redeem(handle, Layout.id(id), Layout.id(member), Layout.id(redemption),
                amount(amount), (short) code, now, error), error);
    }

    /** Closes {@code account}, moving its whole balance to {@code destination}. */
    public void closeAccount(long id, long account, long destination, long now) {
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_close_account(handle, Layout.id(id), Layout.id(account), Layout.id(destination),
                now, error), error);
    }

    /** Reverses a posted transfer with a new one that references it. */
    public void reverse(long id, long original, long now) {
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_reverse(handle, Layout.id(id), Layout.id(original), now, error), error);
    }

    /** Registers a family link, along which gifts are allowed. */
    public void link(long a, long b, long now) {
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_link(handle, Layout.id(a), Layout.id(b), now, error), error);
    }

    /** Sets when {@code account} may pay for care (ns since the epoch; 0 for no date). */
    public void setEligibility(long account, long from, long now) {
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_set_eligibility(handle, Layout.id(account), from, now, error), error);
    }

    /** Releases holds whose timeout passed; returns how many. */
    public long expire(long now) {
        long[] expired = new long[1];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_expire(handle, now, expired, error), error);
        return expired[0];
    }

    // -- reports and audit -------------------------------------------------------------------

    /** Lines {@code from .. from + limit} of the account's statement ({@code limit} 1 to 1000). */
    public Statement statement(long account, long from, int limit) {
        byte[] lines = new byte[Math.max(limit, 1) * Layout.STATEMENT_LINE];
        byte[] page = new byte[Layout.STATEMENT_PAGE];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_statement(handle, Layout.id(account), from, lines, limit, page, error), error);
        return new Statement(lines, page);
    }

    /** The outstanding liability per unit and community, as JSON with decimals as strings. */
    public String liabilityJson() {
        long[] json = new long[1];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_liability(handle, json, error), error);
        return Calls.take(json[0]);
    }

    /** Journals a keyed checkpoint and returns its text (one line to publish). */
    public String checkpoint() {
        long[] text = new long[1];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_checkpoint(handle, text, error), error);
        return Calls.take(text[0]);
    }

    /** Called by {@link #verify} as it goes. */
    public interface Progress {
        void update(long recordsDone, long recordsTotal);
    }

    /** Verifies the journal, checkpoints, state and index; {@link DamagedException} names the first bad record. */
    public VerifyReport verify(final Progress progress) {
        byte[] raw = new byte[Layout.VERIFY_REPORT];
        long[] error = new long[1];
        TimebankNative.ProgressCallback callback = progress == null ? null : new TimebankNative.ProgressCallback() {
            @Override
            public void invoke(Pointer context, long done, long total) {
                progress.update(done, total);
            }
        };
        Calls.check(TimebankNative.timebank_store_verify(handle, callback, null, raw, error), error);
        return new VerifyReport(raw);
    }

    /** The head, counts and state digest. */
    public StoreStatus status() {
        byte[] raw = new byte[Layout.STORE_INFO];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_status(handle, raw, error), error);
        return new StoreStatus(raw);
    }

    private static byte[] amount(BigDecimal amount) {
        return amount == null ? null : Calls.cString(amount.toPlainString());
    }

    private static int[] unsigned(short[] codes, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = codes[i] & 0xffff;
        }
        return out;
    }
}
