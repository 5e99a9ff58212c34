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
 * concurrent submissions share one journal write and sync. Ids are unsigned 128-bit numbers the
 * host chooses ({@link UInt128}; zero is never an id); every id-taking method also has a {@code
 * long} form for ids below 2^63 (a negative {@code long} is refused, never read as unsigned).
 * {@code now} arguments are nanoseconds since the Unix epoch, or 0 for the system clock.
 *
 * <p>Every argument is range-checked against its C type before the call: a value that does not
 * fit (a code above 65535, a negative {@code now}, a {@code timeoutS} above 2^32 - 1, a text with
 * a NUL in it) throws {@link IllegalArgumentException} naming the parameter, and nothing is
 * called. Every failure of the call itself throws the {@link TimebankException} subclass of its
 * status and changes nothing, except a {@link RefusedException} from a write: the ledger
 * journals the refused attempt (the head and state digest move on; no balance changes).
 */
public final class Store implements AutoCloseable {
    /** Most lines in one statement page. */
    public static final int STATEMENT_LIMIT_MAX = 1000;

    private final long handle;
    private final HandleCleaner.Registration registration;
    private volatile boolean closed;

    private Store(long handle) {
        this.handle = handle;
        this.registration = HandleCleaner.register(this, handle);
    }

    /** The native handle, for tests of the raw bindings. */
    long handle() {
        return handle;
    }

    /**
     * Throws the exception for a failed call on this store, after the call: the fence keeps
     * this store (and so its handle) alive until the native call has returned, whatever the JIT
     * does, and a call that raced {@link #close()} is {@link ClosedException}.
     */
    void check(int status, long[] error) {
        Reachability.fence(this);
        if (status == InvalidHandleException.STATUS && closed) {
            // A call that raced close(): the handle was freed after the store closed.
            Calls.discard(error);
            throw new ClosedException("the store is closed");
        }
        Calls.check(status, error);
    }

    /** Opens the ledger in {@code path}, creating it under the default policy if there is none. */
    public static Store open(Path path) {
        return open(path.toString(), null, null);
    }

    /**
     * Opens (or creates) the ledger in {@code path}. {@code policy} is TOML or JSON text
     * ({@code null}: the default policy); {@code checkpointKey} is 32 secret bytes kept outside
     * the directory ({@code null}: no checkpoints). A NUL in {@code path} or {@code policy} is
     * refused ({@link IllegalArgumentException}); the key's bytes may be anything.
     */
    public static Store open(String path, String policy, byte[] checkpointKey) {
        return open(path, policy, checkpointKey, new OpenOptions());
    }

    /**
     * Opens (or creates) the ledger in {@code path} with {@code options} (the time guard, and
     * how many transfers stay in memory: see {@link OpenOptions}).
     */
    public static Store open(String path, String policy, byte[] checkpointKey, OpenOptions options) {
        if (options == null) {
            throw new IllegalArgumentException("options must not be null");
        }
        byte[] pathText = Calls.cString(Arguments.text(path, "path"));
        byte[] policyText = Calls.cString(Arguments.text(policy, "policy"));
        if (checkpointKey != null && checkpointKey.length != 32) {
            throw new IllegalArgumentException("checkpointKey must be 32 bytes, not " + checkpointKey.length);
        }
        long[] out = new long[1];
        long[] error = new long[1];
        Calls.check(TimebankNative.timebank_store_open_with_options(pathText, policyText, checkpointKey, options.toBytes(),
                out, error), error);
        return new Store(out[0]);
    }

    /**
     * Closes the store, waiting for calls in flight on other threads, and frees its native
     * handle; later calls throw {@link ClosedException}. Closing twice is fine. A store the
     * program never closes is freed (and so closed) once it is unreachable, by a
     * phantom-reference cleaner (never {@code finalize()}); a call in flight keeps it reachable
     * to its end. Handles are checked tokens in the library, so a call racing a close can
     * never touch freed memory.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        long[] error = new long[1];
        int status = TimebankNative.timebank_store_close(handle, error);
        if (status == ReentrantException.STATUS) {
            check(status, error); // from inside one of its callbacks: refused, still open
        }
        closed = true;
        registration.release();
        if (status == InvalidHandleException.STATUS) {
            Calls.discard(error); // another thread's close freed it first
            return;
        }
        check(status, error);
    }

    // -- accounts ----------------------------------------------------------------------------

    /** Creates accounts in one durable command; returns each one's result code. */
    public int[] createAccounts(List<NewAccount> accounts, long now) {
        return createAccounts(accounts, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public int[] createAccounts(List<NewAccount> accounts, long now, Attribution by) {
        int n = accounts.size();
        byte[] raw = new byte[Math.max(n, 1) * Layout.ACCOUNT_NEW];
        ByteBuffer b = Layout.wrap(raw);
        for (int i = 0; i < n; i++) {
            pack(b, i * Layout.ACCOUNT_NEW, accounts.get(i), "accounts[" + i + "]");
        }
        short[] codes = new short[Math.max(n, 1)];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_create_accounts_by(handle, raw, n, Attribution.toBytes(by), Arguments.u64(now, "now"),
                codes, error), error);
        return unsigned(codes, n);
    }

    private static void pack(ByteBuffer b, int o, NewAccount a, String name) {
        if (a == null) {
            throw new IllegalArgumentException(name + " must not be null");
        }
        if (a.kind == null) {
            throw new IllegalArgumentException(name + ".kind must not be null");
        }
        int limits = 0;
        if (a.noFloor) {
            limits |= 2;
        } else if (a.floorMinor != null) {
            limits |= 1;
            b.putLong(o + Layout.ACCOUNT_NEW_FLOOR_MINOR, a.floorMinor);
        }
        if (a.ceilingMinor != null) {
            limits |= 4;
            b.putLong(o + Layout.ACCOUNT_NEW_CEILING_MINOR, a.ceilingMinor);
        }
        Layout.putId(b, o + Layout.ACCOUNT_NEW_ID, a.id);
        Layout.putId(b, o + Layout.ACCOUNT_NEW_USER_DATA, a.userData);
        b.putLong(o + Layout.ACCOUNT_NEW_ELIGIBLE_FROM, Arguments.u64(a.eligibleFrom, name + ".eligibleFrom"));
        b.putInt(o + Layout.ACCOUNT_NEW_COMMUNITY, Arguments.u32(a.community, name + ".community"));
        b.putShort(o + Layout.ACCOUNT_NEW_UNIT, Arguments.u16(a.unit, name + ".unit"));
        b.put(o + Layout.ACCOUNT_NEW_KIND, Arguments.u8(a.kind.number, name + ".kind"));
        b.put(o + Layout.ACCOUNT_NEW_LIMITS, (byte) limits); // 0 to 7
    }

    /** The account {@code id}; {@link NotFoundException} when there is none. */
    public Account account(UInt128 id) {
        long[] idArg = Arguments.idArg(id, "id");
        byte[] raw = new byte[Layout.ACCOUNT];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_account(handle, idArg, raw, error), error);
        return new Account(raw);
    }

    public Account account(long id) {
        return account(Arguments.id(id, "id"));
    }

    /** The posted balance of account {@code id}, at the unit's scale ("0.50"). */
    public BigDecimal balance(UInt128 id) {
        return account(id).balance;
    }

    public BigDecimal balance(long id) {
        return account(id).balance;
    }

    // -- transfers ---------------------------------------------------------------------------

    /** Submits a packed batch in one durable command; returns each transfer's result code. */
    public int[] submit(TransferBatch batch, long now) {
        return submit(batch, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public int[] submit(TransferBatch batch, long now, Attribution by) {
        if (batch == null) {
            throw new IllegalArgumentException("batch must not be null");
        }
        short[] codes = new short[Math.max(batch.count, 1)];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_submit_transfers_by(handle, batch.bytes, batch.count, Attribution.toBytes(by),
                Arguments.u64(now, "now"), codes, error), error);
        return unsigned(codes, batch.count);
    }

    /**
     * Submits transfers with {@link BigDecimal} amounts in one durable command; returns each
     * one's result code. Amounts are checked exactly ({@link InvalidAmountException}, nothing
     * submitted).
     */
    public int[] submitTransfers(List<Transfer> transfers, long now) {
        return submitTransfers(transfers, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public int[] submitTransfers(List<Transfer> transfers, long now, Attribution by) {
        int n = transfers.size();
        long nowArg = Arguments.u64(now, "now");
        Memory block = new Memory((long) Math.max(n, 1) * Layout.TRANSFER_TEXT);
        block.clear();
        List<Memory> texts = new ArrayList<Memory>(n); // kept alive until the call returns
        for (int i = 0; i < n; i++) {
            Transfer t = transfers.get(i);
            String name = "transfers[" + i + "]";
            if (t == null) {
                throw new IllegalArgumentException(name + " must not be null");
            }
            long o = (long) i * Layout.TRANSFER_TEXT;
            putId(block, o + Layout.TEXT_ID, t.id);
            putId(block, o + Layout.TEXT_DEBIT_ACCOUNT_ID, t.debit);
            putId(block, o + Layout.TEXT_CREDIT_ACCOUNT_ID, t.credit);
            putId(block, o + Layout.TEXT_RELATED_ID, t.relatedId);
            putId(block, o + Layout.TEXT_USER_DATA, t.userData);
            if (t.amount != null) {
                byte[] text = Calls.cString(t.amount.toPlainString());
                Memory m = new Memory(text.length);
                m.write(0, text, 0, text.length);
                texts.add(m);
                block.setPointer(o + Layout.TEXT_AMOUNT, m);
            }
            block.setInt(o + Layout.TEXT_TIMEOUT_S, Arguments.u32(t.timeoutS, name + ".timeoutS"));
            block.setShort(o + Layout.TEXT_UNIT, Arguments.u16(t.unit, name + ".unit"));
            block.setShort(o + Layout.TEXT_CODE, Arguments.u16(t.code, name + ".code"));
            block.setShort(o + Layout.TEXT_FLAGS, Arguments.u16(t.flags, name + ".flags"));
        }
        short[] codes = new short[Math.max(n, 1)];
        long[] error = new long[1];
        int status = TimebankNative.timebank_store_submit_transfers_text_by(handle, block, n, Attribution.toBytes(by), nowArg,
                codes, error);
        Reachability.fence(texts);
        Reachability.fence(block);
        check(status, error);
        return unsigned(codes, n);
    }

    private static void putId(Memory block, long offset, UInt128 id) {
        block.setLong(offset + Layout.ID_LO, id.low());
        block.setLong(offset + Layout.ID_HI, id.high());
    }

    /** The transfer {@code id}; {@link NotFoundException} when there is none. */
    public TransferRecord transfer(UInt128 id) {
        long[] idArg = Arguments.idArg(id, "id");
        byte[] raw = new byte[Layout.TRANSFER_INFO];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_transfer(handle, idArg, raw, error), error);
        return new TransferRecord(raw);
    }

    public TransferRecord transfer(long id) {
        return transfer(Arguments.id(id, "id"));
    }

    // -- time-bank operations ----------------------------------------------------------------

    /**
     * {@code provider} earns {@code hours} times the code's weight, paid by {@code payer} (a
     * fund); above a cap whose excess is donated, the rest goes to {@code donation} ({@code
     * null} or zero: none). Returns how many transfer ids, from {@code firstId} on, it used. The
     * same as {@link #recordService(UInt128, int, UInt128, UInt128, BigDecimal, UInt128, long, long)}
     * with {@code servedAt} 0.
     */
    public int recordService(UInt128 firstId, int code, UInt128 payer, UInt128 provider, BigDecimal hours, UInt128 donation,
            long now) {
        return recordService(firstId, code, payer, provider, hours, donation, 0, now);
    }

    public int recordService(long firstId, int code, long payer, long provider, BigDecimal hours, long donation, long now) {
        return recordService(firstId, code, payer, provider, hours, donation, 0, now);
    }

    /**
     * Records a service done at {@code servedAt} (ns since the epoch; 0: when it is recorded):
     * {@code provider} earns {@code hours} times the code's weight, paid by {@code payer}; caps
     * count the local day of {@code servedAt}. More than the policy's {@code late_days_max} days
     * back is refused ({@code served_at_too_late}, 210), after the record too ({@code
     * served_at_in_future}, 22). {@code firstId} is the operation's request id and its first
     * transfer id; returns how many transfers it made.
     *
     * <p>A retry with the same id and arguments returns the first outcome (the same count, or the
     * same {@link RefusedException} and code) and writes nothing; the same id with other
     * arguments throws {@link RefusedException} with the code naming the difference ({@code
     * operation_exists_with_different_accounts} 41, {@code _amount} 42, {@code _code} 43, {@code
     * _served_at} 44, {@code _details} 45).
     */
    public int recordService(UInt128 firstId, int code, UInt128 payer, UInt128 provider, BigDecimal hours, UInt128 donation,
            long servedAt, long now) {
        return recordService(firstId, code, payer, provider, hours, donation, servedAt, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public int recordService(UInt128 firstId, int code, UInt128 payer, UInt128 provider, BigDecimal hours, UInt128 donation,
            long servedAt, long now, Attribution by) {
        long[] first = Arguments.idArg(firstId, "firstId");
        short codeBits = Arguments.u16(code, "code");
        long[] payerArg = Arguments.idArg(payer, "payer");
        long[] providerArg = Arguments.idArg(provider, "provider");
        long servedAtArg = Arguments.u64(servedAt, "servedAt");
        long nowArg = Arguments.u64(now, "now");
        byte[] outcome = new byte[Layout.OPERATION_OUTCOME];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operate_service(handle, first, codeBits, payerArg, providerArg, amount(hours),
                Arguments.optionalIdArg(donation), servedAtArg, Attribution.toBytes(by), nowArg, outcome, error), error);
        return (int) new OperationOutcome(outcome).transfers; // a handful of transfers
    }

    public int recordService(long firstId, int code, long payer, long provider, BigDecimal hours, long donation,
            long servedAt, long now) {
        return recordService(Arguments.id(firstId, "firstId"), code, Arguments.id(payer, "payer"),
                Arguments.id(provider, "provider"), hours, Arguments.id(donation, "donation"), servedAt, now);
    }

    /** A care withdrawal: {@code member} pays {@code provider} with its own hours. */
    public int withdraw(UInt128 firstId, int code, UInt128 member, UInt128 provider, BigDecimal hours, long now) {
        return withdraw(firstId, code, member, provider, hours, 0, now);
    }

    public int withdraw(long firstId, int code, long member, long provider, BigDecimal hours, long now) {
        return withdraw(firstId, code, member, provider, hours, 0, now);
    }

    /**
     * A care withdrawal for care given at {@code servedAt} (0: when it is recorded): {@code
     * member} pays {@code provider} with its own hours. Retries and {@code servedAt} as for
     * {@link #recordService(UInt128, int, UInt128, UInt128, BigDecimal, UInt128, long, long)}.
     */
    public int withdraw(UInt128 firstId, int code, UInt128 member, UInt128 provider, BigDecimal hours, long servedAt,
            long now) {
        return withdraw(firstId, code, member, provider, hours, servedAt, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public int withdraw(UInt128 firstId, int code, UInt128 member, UInt128 provider, BigDecimal hours, long servedAt,
            long now, Attribution by) {
        long[] first = Arguments.idArg(firstId, "firstId");
        short codeBits = Arguments.u16(code, "code");
        long[] memberArg = Arguments.idArg(member, "member");
        long[] providerArg = Arguments.idArg(provider, "provider");
        long servedAtArg = Arguments.u64(servedAt, "servedAt");
        long nowArg = Arguments.u64(now, "now");
        byte[] outcome = new byte[Layout.OPERATION_OUTCOME];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operate_withdrawal(handle, first, codeBits, memberArg, providerArg,
                amount(hours), servedAtArg, Attribution.toBytes(by), nowArg, outcome, error), error);
        return (int) new OperationOutcome(outcome).transfers;
    }

    public int withdraw(long firstId, int code, long member, long provider, BigDecimal hours, long servedAt, long now) {
        return withdraw(Arguments.id(firstId, "firstId"), code, Arguments.id(member, "member"),
                Arguments.id(provider, "provider"), hours, servedAt, now);
    }

    /**
     * Holds {@code payer}'s hours for {@code provider} until completed, cancelled or expired
     * ({@code timeoutS} 0 to 2^32 - 1 seconds).
     */
    public void book(UInt128 id, int code, UInt128 payer, UInt128 provider, BigDecimal hours, long timeoutS, long now) {
        book(id, code, payer, provider, hours, timeoutS, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public void book(UInt128 id, int code, UInt128 payer, UInt128 provider, BigDecimal hours, long timeoutS,
            long now, Attribution by) {
        long[] idArg = Arguments.idArg(id, "id");
        short codeBits = Arguments.u16(code, "code");
        long[] payerArg = Arguments.idArg(payer, "payer");
        long[] providerArg = Arguments.idArg(provider, "provider");
        int timeout = Arguments.u32(timeoutS, "timeoutS");
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operate_booking(handle, idArg, codeBits, payerArg, providerArg, amount(hours),
                timeout, Attribution.toBytes(by), nowArg, null, error), error);
    }

    public void book(long id, int code, long payer, long provider, BigDecimal hours, long timeoutS, long now) {
        book(Arguments.id(id, "id"), code, Arguments.id(payer, "payer"), Arguments.id(provider, "provider"), hours,
                timeoutS, now);
    }

    /**
     * Posts the hours served ({@code null}: all) and records a 1-5 rating (0: none; 0 to 255
     * pass the boundary, the ledger refuses above 5).
     */
    public int complete(UInt128 firstId, UInt128 booking, BigDecimal hours, int rating, UInt128 donation, long now) {
        return complete(firstId, booking, hours, rating, donation, 0, now);
    }

    public int complete(long firstId, long booking, BigDecimal hours, int rating, long donation, long now) {
        return complete(firstId, booking, hours, rating, donation, 0, now);
    }

    /**
     * Completes a booking for a service done at {@code servedAt} (0: when it is recorded): posts
     * the hours served ({@code null}: all) with the provider's caps judged on that local day, and
     * records the 1-5 rating (0: none) in the same journal record. Retries and {@code servedAt}
     * as for {@link #recordService(UInt128, int, UInt128, UInt128, BigDecimal, UInt128, long, long)};
     * a booking no longer pending is {@code not_a_booking} (214).
     */
    public int complete(UInt128 firstId, UInt128 booking, BigDecimal hours, int rating, UInt128 donation, long servedAt,
            long now) {
        return complete(firstId, booking, hours, rating, donation, servedAt, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public int complete(UInt128 firstId, UInt128 booking, BigDecimal hours, int rating, UInt128 donation, long servedAt,
            long now, Attribution by) {
        long[] first = Arguments.idArg(firstId, "firstId");
        long[] bookingArg = Arguments.idArg(booking, "booking");
        byte ratingBits = Arguments.u8(rating, "rating");
        long servedAtArg = Arguments.u64(servedAt, "servedAt");
        long nowArg = Arguments.u64(now, "now");
        byte[] outcome = new byte[Layout.OPERATION_OUTCOME];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operate_completion(handle, first, bookingArg, amount(hours), ratingBits,
                Arguments.optionalIdArg(donation), servedAtArg, Attribution.toBytes(by), nowArg, outcome, error), error);
        return (int) new OperationOutcome(outcome).transfers;
    }

    public int complete(long firstId, long booking, BigDecimal hours, int rating, long donation, long servedAt, long now) {
        return complete(Arguments.id(firstId, "firstId"), Arguments.id(booking, "booking"), hours, rating,
                Arguments.id(donation, "donation"), servedAt, now);
    }

    /** Voids a booking's hold, releasing the payer's hours. */
    public void cancel(UInt128 id, UInt128 booking, long now) {
        cancel(id, booking, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public void cancel(UInt128 id, UInt128 booking, long now, Attribution by) {
        long[] idArg = Arguments.idArg(id, "id");
        long[] bookingArg = Arguments.idArg(booking, "booking");
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operate_cancellation(handle, idArg, bookingArg, Attribution.toBytes(by), nowArg,
                null, error), error);
    }

    public void cancel(long id, long booking, long now) {
        cancel(Arguments.id(id, "id"), Arguments.id(booking, "booking"), now);
    }

    /** Gives hours to a linked family member or a donation pool ({@code code} 0: the policy's). */
    public void gift(UInt128 id, UInt128 from, UInt128 to, BigDecimal amount, int code, long now) {
        gift(id, from, to, amount, code, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public void gift(UInt128 id, UInt128 from, UInt128 to, BigDecimal amount, int code,
            long now, Attribution by) {
        long[] idArg = Arguments.idArg(id, "id");
        long[] fromArg = Arguments.idArg(from, "from");
        long[] toArg = Arguments.idArg(to, "to");
        short codeBits = Arguments.u16(code, "code");
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operate_gift(handle, idArg, fromArg, toArg, amount(amount), codeBits,
                Attribution.toBytes(by), nowArg, null, error), error);
    }

    public void gift(long id, long from, long to, BigDecimal amount, int code, long now) {
        gift(Arguments.id(id, "id"), Arguments.id(from, "from"), Arguments.id(to, "to"), amount, code, now);
    }

    /** Awards the code's points per act times {@code acts} (0 to 2^32 - 1). */
    public void award(UInt128 id, int code, UInt128 issuer, UInt128 member, long acts, long now) {
        award(id, code, issuer, member, acts, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public void award(UInt128 id, int code, UInt128 issuer, UInt128 member, long acts, long now, Attribution by) {
        long[] idArg = Arguments.idArg(id, "id");
        short codeBits = Arguments.u16(code, "code");
        long[] issuerArg = Arguments.idArg(issuer, "issuer");
        long[] memberArg = Arguments.idArg(member, "member");
        int actsBits = Arguments.u32(acts, "acts");
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operate_award(handle, idArg, codeBits, issuerArg, memberArg, actsBits,
                Attribution.toBytes(by), nowArg, null, error), error);
    }

    public void award(long id, int code, long issuer, long member, long acts, long now) {
        award(Arguments.id(id, "id"), code, Arguments.id(issuer, "issuer"), Arguments.id(member, "member"), acts, now);
    }

    /** Spends points at a redemption account ({@code code} 0: the policy's). */
    public void redeem(UInt128 id, UInt128 member, UInt128 redemption, BigDecimal amount, int code, long now) {
        redeem(id, member, redemption, amount, code, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public void redeem(UInt128 id, UInt128 member, UInt128 redemption, BigDecimal amount, int code,
            long now, Attribution by) {
        long[] idArg = Arguments.idArg(id, "id");
        long[] memberArg = Arguments.idArg(member, "member");
        long[] redemptionArg = Arguments.idArg(redemption, "redemption");
        short codeBits = Arguments.u16(code, "code");
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operate_redemption(handle, idArg, memberArg, redemptionArg, amount(amount),
                codeBits, Attribution.toBytes(by), nowArg, null, error), error);
    }

    public void redeem(long id, long member, long redemption, BigDecimal amount, int code, long now) {
        redeem(Arguments.id(id, "id"), Arguments.id(member, "member"), Arguments.id(redemption, "redemption"), amount,
                code, now);
    }

    /**
     * Closes {@code account}, moving its whole balance to {@code destination} (a fund, a pool,
     * or a member the gift rule allows); an account with a zero balance simply closes.
     */
    public void closeAccount(UInt128 id, UInt128 account, UInt128 destination, long now) {
        closeAccount(id, account, destination, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public void closeAccount(UInt128 id, UInt128 account, UInt128 destination, long now, Attribution by) {
        long[] idArg = Arguments.idArg(id, "id");
        long[] accountArg = Arguments.idArg(account, "account");
        long[] destinationArg = Arguments.idArg(destination, "destination");
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operate_closing(handle, idArg, accountArg, destinationArg,
                Attribution.toBytes(by), nowArg, null, error), error);
    }

    public void closeAccount(long id, long account, long destination, long now) {
        closeAccount(Arguments.id(id, "id"), Arguments.id(account, "account"), Arguments.id(destination, "destination"),
                now);
    }

    /**
     * Closes empty accounts (zero balance, nothing pending) in one durable command; returns each
     * one's result code: 0 closed, 3 already closed, 56 {@code closing_leaves_balance} (close it
     * with {@code closeAccount}), 57 {@code account_not_found}. 1 to {@link TransferBatch#MAX} accounts.
     */
    public int[] closeAccounts(List<UInt128> accounts, long now) {
        return closeAccounts(accounts, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public int[] closeAccounts(List<UInt128> accounts, long now, Attribution by) {
        if (accounts == null) {
            throw new IllegalArgumentException("accounts must not be null");
        }
        int n = accounts.size();
        Arguments.within(n, 1, TransferBatch.MAX, "accounts.size()");
        long[] raw = new long[2 * n];
        for (int i = 0; i < n; i++) {
            UInt128 id = Arguments.id(accounts.get(i), "accounts[" + i + "]");
            raw[2 * i] = id.low();
            raw[2 * i + 1] = id.high();
        }
        long nowArg = Arguments.u64(now, "now");
        short[] codes = new short[n];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_close_accounts(handle, raw, n, Attribution.toBytes(by), nowArg, codes, error),
                error);
        return unsigned(codes, n);
    }

    /**
     * Who made the transfer {@code id}: the operator and reason of the command that created it
     * (operator 0 and no reason when it named none); {@link NotFoundException} when there is none.
     */
    public Attribution transferBy(UInt128 id) {
        long[] idArg = Arguments.idArg(id, "id");
        byte[] raw = new byte[Layout.ATTRIBUTION];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_transfer_by(handle, idArg, raw, error), error);
        return Attribution.of(raw);
    }

    public Attribution transferBy(long id) {
        return transferBy(Arguments.id(id, "id"));
    }

    /**
     * What the operation with the request id {@code id} did when the ledger first ran it; {@link
     * NotFoundException} when it ran none. Reads only: after {@link OutcomeUnknownException} or a
     * crash, this says whether the operation happened.
     */
    public OperationOutcome operation(UInt128 id) {
        long[] idArg = Arguments.idArg(id, "id");
        byte[] raw = new byte[Layout.OPERATION_OUTCOME];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operation(handle, idArg, raw, error), error);
        return new OperationOutcome(raw);
    }

    public OperationOutcome operation(long id) {
        return operation(Arguments.id(id, "id"));
    }

    /** Reverses a posted transfer with a new one that references it. */
    public void reverse(UInt128 id, UInt128 original, long now) {
        reverse(id, original, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public void reverse(UInt128 id, UInt128 original, long now, Attribution by) {
        long[] idArg = Arguments.idArg(id, "id");
        long[] originalArg = Arguments.idArg(original, "original");
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(TimebankNative.timebank_store_operate_reversal(handle, idArg, originalArg, Attribution.toBytes(by), nowArg,
                null, error), error);
    }

    public void reverse(long id, long original, long now) {
        reverse(Arguments.id(id, "id"), Arguments.id(original, "original"), now);
    }

    /** Registers a family link, along which gifts are allowed. */
    public void link(UInt128 a, UInt128 b, long now) {
        link(a, b, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public void link(UInt128 a, UInt128 b, long now, Attribution by) {
        long[] aArg = Arguments.idArg(a, "a");
        long[] bArg = Arguments.idArg(b, "b");
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(TimebankNative.timebank_store_link_by(handle, aArg, bArg, Attribution.toBytes(by), nowArg, error), error);
    }

    public void link(long a, long b, long now) {
        link(Arguments.id(a, "a"), Arguments.id(b, "b"), now);
    }

    /** Sets when {@code account} may pay for care (ns since the epoch; 0 for no date). */
    public void setEligibility(UInt128 account, long from, long now) {
        setEligibility(account, from, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public void setEligibility(UInt128 account, long from, long now, Attribution by) {
        long[] accountArg = Arguments.idArg(account, "account");
        long fromArg = Arguments.u64(from, "from");
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(TimebankNative.timebank_store_set_eligibility_by(handle, accountArg, fromArg, Attribution.toBytes(by), nowArg,
                error), error);
    }

    public void setEligibility(long account, long from, long now) {
        setEligibility(Arguments.id(account, "account"), from, now);
    }

    /**
     * Puts {@code policy} (TOML or JSON text) in force from {@code from} (ns since the epoch) on,
     * as one journal record at {@code now}: every event is then judged under the policy in force
     * at its time (a service at its served date). The policy must be valid, keep the ledger's
     * units, define codes, keep every expiry rule in force, and {@code from} must be after every event
     * already applied and every earlier amendment: otherwise {@link InvalidArgumentException}
     * says which, and nothing is written. A NUL in {@code policy} or a negative {@code from} is
     * refused before the call ({@link IllegalArgumentException}).
     */
    public void amendPolicy(String policy, long from, long now) {
        amendPolicy(policy, from, now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public void amendPolicy(String policy, long from, long now, Attribution by) {
        if (policy == null) {
            throw new IllegalArgumentException("policy must not be null");
        }
        byte[] text = Calls.cString(Arguments.text(policy, "policy"));
        long fromArg = Arguments.u64(from, "from");
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(TimebankNative.timebank_store_amend_policy(handle, text, fromArg, Attribution.toBytes(by), nowArg, error), error);
    }

    /**
     * The policy in force at {@code at} (ns since the epoch; 0: the system clock) as JSON:
     * {@code {"at":...,"from":...,"policy":{...},"versions":[...]}}, where {@code from} is when it
     * took effect (0: the policy the ledger was created with) and {@code versions} every
     * version's effective time, 0 first. {@link NotFoundException} for a ledger without
     * time-bank rules.
     */
    public String policyJson(long at) {
        long atArg = Arguments.u64(at, "at");
        long[] out = new long[1];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_policy(handle, atArg, out, error), error);
        return Calls.take(out[0]);
    }

    /** Releases holds whose timeout passed; returns how many. */
    public long expire(long now) {
        return expire(now, null);
    }

    /** As the method above, on behalf of {@code by} ({@code null}: no operator, no reason). */
    public long expire(long now, Attribution by) {
        long nowArg = Arguments.u64(now, "now");
        long[] expired = new long[1];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_expire_by(handle, Attribution.toBytes(by), nowArg, expired, error), error);
        return expired[0];
    }

    // -- reports and audit -------------------------------------------------------------------

    /**
     * Lines {@code from .. from + limit} of the account's statement ({@code from} not negative,
     * {@code limit} 1 to {@link #STATEMENT_LIMIT_MAX}).
     */
    public Statement statement(UInt128 account, long from, int limit) {
        long[] accountArg = Arguments.idArg(account, "account");
        long fromArg = Arguments.u64(from, "from");
        int capacity = Arguments.within(limit, 1, STATEMENT_LIMIT_MAX, "limit");
        byte[] lines = new byte[capacity * Layout.STATEMENT_LINE];
        byte[] page = new byte[Layout.STATEMENT_PAGE];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_statement(handle, accountArg, fromArg, lines, capacity, page, error), error);
        return new Statement(lines, page);
    }

    public Statement statement(long account, long from, int limit) {
        return statement(Arguments.id(account, "account"), from, limit);
    }

    /** The outstanding liability per unit and community, as JSON with decimals as strings. */
    public String liabilityJson() {
        long[] json = new long[1];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_liability(handle, json, error), error);
        return Calls.take(json[0]);
    }

    /** Journals a keyed checkpoint and returns its text (one line to publish). */
    public String checkpoint() {
        long[] text = new long[1];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_checkpoint(handle, text, error), error);
        return Calls.take(text[0]);
    }

    /** Called by {@link #verify} as it goes. */
    public interface Progress {
        /**
         * {@code recordsDone} of {@code recordsTotal} records are verified ({@code recordsTotal}
         * is an estimate until the last call, where the two are equal). Return {@code false}
         * to stop: {@code verify} then throws {@link CancelledException}. A throwable thrown here
         * also stops it, and {@code verify} rethrows that throwable itself. Calls on this store
         * from here throw {@link ReentrantException}.
         */
        boolean update(long recordsDone, long recordsTotal);
    }

    /** Verifies the journal, checkpoints, state and index; {@link DamagedException} names the first bad record. */
    public VerifyReport verify(final Progress progress) {
        byte[] raw = new byte[Layout.VERIFY_REPORT];
        long[] error = new long[1];
        final Throwable[] thrown = new Throwable[1];
        TimebankNative.ProgressCallback callback = progress == null ? null : new TimebankNative.ProgressCallback() {
            @Override
            public int invoke(Pointer context, long done, long total) {
                try {
                    return progress.update(done, total) ? 0 : 1;
                } catch (Throwable e) { // never across C: kept, the call cancelled, then rethrown
                    thrown[0] = e;
                    return 1;
                }
            }
        };
        int status = TimebankNative.timebank_store_verify(handle, callback, null, raw, error);
        Reachability.fence(callback);
        if (thrown[0] != null) {
            Reachability.fence(this);
            Calls.discard(error);
            throw Calls.rethrow(thrown[0]);
        }
        check(status, error);
        return new VerifyReport(raw);
    }

    /** The head, counts and state digest. */
    public StoreStatus status() {
        byte[] raw = new byte[Layout.STORE_INFO];
        long[] error = new long[1];
        check(TimebankNative.timebank_store_status(handle, raw, error), error);
        return new StoreStatus(raw);
    }

    /** An amount as NUL-terminated plain text ({@code null} stays NULL). */
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
