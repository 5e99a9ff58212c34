package org.timebank;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;

/**
 * The safety net behind {@link Store#close()}: when a {@link Store} becomes unreachable, its
 * native handle is freed (closing the store first if the program never closed it). It is what
 * {@code java.lang.ref.Cleaner} does on Java 9 and later, written for Java 8: a phantom
 * reference per store and one daemon thread that frees the handles of collected stores. No
 * {@code finalize()}: the store object cannot be resurrected, and the free runs only once the
 * store is unreachable, so never during a call on it (each call ends with {@link
 * Reachability#fence}).
 */
final class HandleCleaner {
    private static final ReferenceQueue<Object> QUEUE = new ReferenceQueue<Object>();
    /** The registered references, kept reachable until they are cleaned. */
    private static final Set<Registration> LIVE =
            Collections.synchronizedSet(Collections.newSetFromMap(new IdentityHashMap<Registration, Boolean>()));

    static {
        Thread thread = new Thread(HandleCleaner::run, "timebank-handle-cleaner");
        thread.setDaemon(true);
        thread.start();
    }

    private HandleCleaner() {}

    /** Frees {@code handle} once {@code owner} is unreachable. */
    static void register(Object owner, long handle) {
        LIVE.add(new Registration(owner, handle));
    }

    private static void run() {
        while (true) {
            try {
                Registration registration = (Registration) QUEUE.remove();
                LIVE.remove(registration);
                TimebankNative.timebank_store_free(registration.handle);
            } catch (InterruptedException e) {
                // A daemon thread that lives as long as the JVM: keep cleaning.
            } catch (Throwable e) {
                // Never let one failure stop the cleaning of the others.
            }
        }
    }

    private static final class Registration extends PhantomReference<Object> {
        final long handle;

        Registration(Object owner, long handle) {
            super(owner, QUEUE);
            this.handle = handle;
        }
    }
}
