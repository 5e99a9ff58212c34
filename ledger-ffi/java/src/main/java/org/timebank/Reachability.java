package org.timebank;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.Reference;

/**
 * Keeps an object reachable until a native call that uses its handle has returned.
 *
 * <p>Once a method has read a {@code long} handle out of its object, the JIT may treat the
 * object as unreachable, and its cleaner could free the handle while C still uses it. {@link
 * #fence} after the call prevents that: {@code Reference.reachabilityFence} where the JVM has it
 * (Java 9 and later), a synchronized block on the object on Java 8 (a monitor on an object needs
 * the object, so the JIT must keep it until then).
 */
final class Reachability {
    private static final MethodHandle FENCE = findFence();

    private Reachability() {}

    private static MethodHandle findFence() {
        try {
            return MethodHandles.lookup().findStatic(Reference.class, "reachabilityFence",
                    MethodType.methodType(void.class, Object.class));
        } catch (NoSuchMethodException | IllegalAccessException e) {
            return null; // Java 8
        }
    }

    /** {@code object} is reachable at least until this call. */
    static void fence(Object object) {
        if (FENCE != null) {
            try {
                FENCE.invokeExact(object);
                return;
            } catch (Throwable e) {
                throw new AssertionError("reachabilityFence cannot fail", e);
            }
        }
        synchronized (object) {
            // Empty: taking the monitor is the fence.
        }
    }
}
