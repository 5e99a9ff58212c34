package org.timebank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link Layout} cannot drift from the C header: {@code tests/c/layout.c}, compiled here with the
 * system's C compiler, prints every field's {@code offsetof} and size and every struct's size,
 * and the two lists must be equal line for line.
 */
class LayoutTest {
    @TempDir
    Path dir;

    /** ledger-ffi/, from the Maven module's directory. */
    private static Path ffi() {
        return Paths.get("").toAbsolutePath().getParent();
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = process.getInputStream()) {
            byte[] buffer = new byte[8192];
            for (int n; (n = in.read(buffer)) > 0;) {
                out.write(buffer, 0, n);
            }
        }
        String text = new String(out.toByteArray(), StandardCharsets.UTF_8);
        assertEquals(0, process.waitFor(), String.join(" ", command) + ":\n" + text);
        return text;
    }

    private TreeSet<String> cLayout() throws Exception {
        String program = dir.resolve("layout").toString();
        run("gcc", "-std=c11", "-I", ffi().resolve("include").toString(), ffi().resolve("tests/c/layout.c").toString(),
                "-o", program);
        TreeSet<String> lines = new TreeSet<String>(Arrays.asList(run(program).split("\n")));
        lines.remove("");
        return lines;
    }

    private static TreeSet<String> javaLayout() {
        List<Layout.Field> all = new ArrayList<Layout.Field>(Layout.fields());
        all.addAll(Layout.sizes());
        TreeSet<String> lines = new TreeSet<String>();
        for (Layout.Field field : all) {
            lines.add(field.toString());
        }
        return lines;
    }

    @Test
    void everyStructMatchesTheCCompilerFieldByField() throws Exception {
        assertEquals(String.join("\n", cLayout()), String.join("\n", javaLayout()));
    }

    @Test
    void theComparisonCatchesADrift() throws Exception {
        TreeSet<String> drifted = cLayout();
        drifted.remove("timebank_transfer.code 94 2");
        drifted.addAll(Collections.singleton("timebank_transfer.code 96 2"));
        assertNotEquals(drifted, javaLayout());
    }
}
