package org.timebank;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Hours moving between ledgers (通存通兑): this ledger's side of its exchanges with other
 * ledgers, opened on a {@link Store}. The sending ledger holds a member's hours and returns a
 * signed offer ({@link #send}); the receiving ledger credits its member and returns a signed
 * receipt ({@link #receive}); the sender posts its hold on the receipt ({@link #receive} again).
 * Carrying the messages (HTTP, a queue, files) is the host's: they are {@code byte[]} (the JSON
 * form), and {@link #receive} reads either form (JSON or canonical bytes).
 *
 * <p>One exchange per store at a time (another throws {@link BusyException}); close it (or use
 * try-with-resources) to open another. Arguments are range-checked as {@link Store}'s are
 * ({@link IllegalArgumentException}, nothing called); a failed call throws the {@link
 * TimebankException} of its status and changes nothing. A message this ledger refuses throws
 * nothing: {@link Received#verdict} says why, and no balance changed. {@code now} arguments are
 * nanoseconds since the Unix epoch, or 0 for the system clock. Calls on one exchange run one at
 * a time; any thread may make them.
 */
public final class Exchange implements AutoCloseable {
    /** The length of an exchange signing key in bytes (the Ed25519 seed). */
    public static final int KEY_BYTES = 32;
    /** The longest message {@link #receive} reads, in either form. */
    public static final int MESSAGE_BYTES_MAX = 65536;

    private final Store store;
    private final long handle;
    private final HandleCleaner.Registration registration;

    private Exchange(Store store, long handle) {
        this.store = store;
        this.handle = handle;
        this.registration = HandleCleaner.register(this, handle, ExchangeNative::timebank_exchange_free);
    }

    /**
     * Opens the exchange of {@code store} with a signing key of {@link #KEY_BYTES} raw bytes
     * (kept outside the data directory). {@code ownId} is this ledger's id in the federation,
     * needed the first time; 0 afterwards takes it from the exchange files.
     */
    public static Exchange open(Store store, long ownId, byte[] signingKey, long now) {
        if (signingKey == null || signingKey.length != KEY_BYTES) {
            throw new IllegalArgumentException("signingKey must be " + KEY_BYTES + " bytes");
        }
        return open(store, ownId, signingKey.clone(), null, now);
    }

    /**
     * Opens the exchange of {@code store} with the key file the CLI reads: 64 hexadecimal
     * characters, a regular file outside the data directory, readable by its owner alone
     * ({@link InvalidArgumentException} otherwise, {@link NotFoundException} when missing).
     */
    public static Exchange openWithKeyFile(Store store, long ownId, Path signingKeyFile, long now) {
        if (signingKeyFile == null) {
            throw new IllegalArgumentException("signingKeyFile must not be null");
        }
        return open(store, ownId, null, Calls.cString(Arguments.text(signingKeyFile.toString(), "signingKeyFile")), now);
    }

    private static Exchange open(Store store, long ownId, byte[] key, byte[] keyFile, long now) {
        if (store == null) {
            throw new IllegalArgumentException("store must not be null");
        }
        long own = Arguments.u64(ownId, "ownId");
        long nowArg = Arguments.u64(now, "now");
        long[] out = new long[1];
        long[] error = new long[1];
        int status = ExchangeNative.timebank_exchange_open(store.handle(), own, key, keyFile, nowArg, out, error);
        store.check(status, error);
        return new Exchange(store, out[0]);
    }

    /** Releases the handle (the exchange files stay); later calls throw {@link InvalidHandleException}. */
    @Override
    public void close() {
        registration.release();
    }

    private void check(int status, long[] error) {
        Reachability.fence(this);
        store.check(status, error);
    }

    private String string(int status, long[] out, long[] error) {
        check(status, error);
        return Calls.take(out[0]);
    }

    private static long peer(long id, String name) {
        if (id <= 0) {
            throw new IllegalArgumentException(name + " must be 1 to " + Long.MAX_VALUE + ", not " + id);
        }
        return id;
    }

    /**
     * Registers the peer ledger {@code peerId} with its public key (64 hex characters: {@link
     * Proofs#signingPublicKey} with "standard" and its key); journals a clearing account per unit
     * for it. The same peer and key again changes nothing; another key throws {@link
     * InvalidArgumentException}.
     */
    public void addPeer(long peerId, String publicKey, long now) {
        long id = peer(peerId, "peerId");
        if (publicKey == null) {
            throw new IllegalArgumentException("publicKey must not be null");
        }
        byte[] key = Calls.cString(Arguments.text(publicKey, "publicKey"));
        long nowArg = Arguments.u64(now, "now");
        long[] error = new long[1];
        check(ExchangeNative.timebank_exchange_add_peer(handle, id, key, nowArg, error), error);
    }

    /**
     * This ledger's id and public key and its peers, as JSON: {@code {"own":310101,
     * "peers":[{"id":310104,"public_key":"..."}],"public_key":"..."}}.
     */
    public String peersJson() {
        long[] out = new long[1];
        long[] error = new long[1];
        return string(ExchangeNative.timebank_exchange_peers(handle, out, error), out, error);
    }

    private Map<?, ?> peers() {
        return (Map<?, ?>) Json.parse(peersJson());
    }

    /** This ledger's id in the federation. */
    public long ownId() {
        return ((BigDecimal) peers().get("own")).longValueExact();
    }

    /** The public key this ledger's messages are signed with (hex), for its peers. */
    public String publicKey() {
        return (String) peers().get("public_key");
    }

    /**
     * Holds {@code amount} of {@code unit} of the member {@code source} here for {@code
     * destination} on the peer ledger {@code to}, and returns the signed offer to deliver there.
     * {@code number} names the exchange among this ledger's (never reuse one); {@code deadline}
     * (nanoseconds) is when the peer stops accepting it. The same request again returns the same
     * offer and changes nothing.
     */
    public byte[] send(long number, long to, int unit, BigDecimal amount, UInt128 source, UInt128 destination, long deadline,
            long now) {
        long numberArg = Arguments.u64(number, "number");
        long toArg = peer(to, "to");
        short unitArg = Arguments.u16(unit, "unit");
        if (amount == null) {
            throw new IllegalArgumentException("amount must not be null");
        }
        byte[] amountArg = Calls.cString(amount.toPlainString());
        long[] sourceArg = Arguments.idArg(source, "source");
        long[] destinationArg = Arguments.idArg(destination, "destination");
        long deadlineArg = Arguments.u64(deadline, "deadline");
        long nowArg = Arguments.u64(now, "now");
        long[] out = new long[1];
        long[] error = new long[1];
        int status = ExchangeNative.timebank_exchange_send(handle, numberArg, toArg, unitArg, amountArg, sourceArg,
                destinationArg, deadlineArg, nowArg, out, error);
        return string(status, out, error).getBytes(StandardCharsets.UTF_8);
    }

    public byte[] send(long number, long to, int unit, BigDecimal amount, long source, long destination, long deadline,
            long now) {
        return send(number, to, unit, amount, Arguments.id(source, "source"), Arguments.id(destination, "destination"),
                deadline, now);
    }

    /**
     * Moves the member {@code source} to the peer ledger {@code to}: holds their whole balance in
     * {@code unit} and returns the signed offer with the state the rules need (expiries, lifetime
     * earnings, eligibility date), as {@link #send} does.
     */
    public byte[] moveMember(long number, long to, int unit, UInt128 source, UInt128 destination, long deadline, long now) {
        long numberArg = Arguments.u64(number, "number");
        long toArg = peer(to, "to");
        short unitArg = Arguments.u16(unit, "unit");
        long[] sourceArg = Arguments.idArg(source, "source");
        long[] destinationArg = Arguments.idArg(destination, "destination");
        long deadlineArg = Arguments.u64(deadline, "deadline");
        long nowArg = Arguments.u64(now, "now");
        long[] out = new long[1];
        long[] error = new long[1];
        int status = ExchangeNative.timebank_exchange_move_member(handle, numberArg, toArg, unitArg, sourceArg,
                destinationArg, deadlineArg, nowArg, out, error);
        return string(status, out, error).getBytes(StandardCharsets.UTF_8);
    }

    public byte[] moveMember(long number, long to, int unit, long source, long destination, long deadline, long now) {
        return moveMember(number, to, unit, Arguments.id(source, "source"), Arguments.id(destination, "destination"),
                deadline, now);
    }

    /**
     * Handles a message from a peer (either form): an offer is credited or refused, a receipt
     * posts the hold it answers, a final refusal voids it. Returns the verdict and the reply to
     * carry back, if any. A message longer than {@link #MESSAGE_BYTES_MAX} throws {@link
     * InvalidArgumentException}.
     */
    public Received receive(byte[] message, long now) {
        if (message == null) {
            throw new IllegalArgumentException("message must not be null");
        }
        long nowArg = Arguments.u64(now, "now");
        short[] verdict = new short[1];
        short[] code = new short[1];
        long[] reply = new long[1];
        long[] error = new long[1];
        check(ExchangeNative.timebank_exchange_receive(handle, message, message.length, nowArg, verdict, code, reply, error),
                error);
        byte[] answer = reply[0] == 0 ? null : Calls.take(reply[0]).getBytes(StandardCharsets.UTF_8);
        return new Received(Verdict.of(verdict[0] & 0xffff), code[0] & 0xffff, answer);
    }

    /**
     * The offers past their deadline whose hold is still pending, to deliver again: the peer
     * answers with its receipt or a final refusal, which posts or voids the hold here.
     */
    public List<byte[]> expire(long now) {
        long nowArg = Arguments.u64(now, "now");
        long[] out = new long[1];
        long[] error = new long[1];
        String json = string(ExchangeNative.timebank_exchange_expire(handle, nowArg, out, error), out, error);
        List<byte[]> messages = new ArrayList<byte[]>();
        for (String message : Json.elements(json)) {
            messages.add(message.getBytes(StandardCharsets.UTF_8));
        }
        return messages;
    }

    /** Every offer of this ledger whose hold is still pending, oldest number first. */
    public List<PendingExchange> pending() {
        long[] out = new long[1];
        long[] error = new long[1];
        String json = string(ExchangeNative.timebank_exchange_pending(handle, out, error), out, error);
        List<PendingExchange> rows = new ArrayList<PendingExchange>();
        for (String element : Json.elements(json)) {
            Map<?, ?> r = (Map<?, ?>) Json.parse(element);
            String offer = Json.write(r.get("offer"));
            rows.add(new PendingExchange(number(r, "number"), number(r, "to"), (int) number(r, "unit"),
                    new BigDecimal((String) r.get("amount")), UInt128.parse((String) r.get("source")),
                    UInt128.parse((String) r.get("destination")), number(r, "deadline"),
                    offer.getBytes(StandardCharsets.UTF_8)));
        }
        return rows;
    }

    /** What this ledger owes each peer, or is owed, per unit (ordered by peer, then unit). */
    public List<Position> positions() {
        long[] out = new long[1];
        long[] error = new long[1];
        String json = string(ExchangeNative.timebank_exchange_positions(handle, out, error), out, error);
        List<Position> rows = new ArrayList<Position>();
        for (Object row : (List<?>) Json.parse(json)) {
            Map<?, ?> r = (Map<?, ?>) row;
            rows.add(new Position(number(r, "peer"), (int) number(r, "unit"), new BigDecimal((String) r.get("owed_to_peer")),
                    new BigDecimal((String) r.get("held_outgoing"))));
        }
        return rows;
    }

    private static long number(Map<?, ?> row, String key) {
        return ((BigDecimal) row.get(key)).longValueExact();
    }
}
