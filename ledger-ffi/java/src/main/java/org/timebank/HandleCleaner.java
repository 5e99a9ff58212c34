package org.timebank;

import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;

/**
 * The safety net behind {@link Store#close()} and {@link Exchange#close()}: when a {@link Store}
 * (or an {@link Exchange}) the program never closed becomes unreachable, its native handle is
 * freed (which closes the store). It is what
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

    /** Frees the store {@code handle} once {@code owner} is unreachable, unless released before. */
    static Registration register(Object owner, long handle) {
        return register(owner, handle, TimebankNative::timebank_store_free);
    }

    /**
     * Calls {@code free} on {@code handle} once {@code owner} is unreachable, unless released
     * before; {@code free} must not hold {@code owner}.
     */
    static Registration register(Object owner, long handle, LongConsumer free) {
        Registration registration = new Registration(owner, handle, free);
        LIVE.add(registration);
        return registration;
    }

    private static void run() {
        while (true) {
            try {
                ((Registration) QUEUE.remove()).release();
            } catch (InterruptedException e) {
                // A daemon thread that lives as long as the JVM: keep cleaning.
            } catch (Throwable e) {
                // Never let one failure stop the cleaning of the others.
            }
        }
    }

    /** One handle to free, once: by {@link #release()} (an explicit close) or by the cleaner. */
    static final class Registration extends PhantomReference<Object> {
        private final AtomicLong handle;
        private final LongConsumer free;

        Registration(Object owner, long handle, LongConsumer free) {
            super(owner, QUEUE);
            this.handle = new AtomicLong(handle);
            this.free = free;
        }

        /** Frees the handle if nobody has; later calls do nothing. */
        void release() {
            long taken = handle.getAndSet(0);
            if (taken != 0) {
                LIVE.remove(this);
                free.accept(taken);
            }
        }
    }
}
