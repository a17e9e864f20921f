package io.bulwark.store.blob;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.List;
import java.util.stream.Stream;

/** What a test can see of a filesystem site that a running node holds open. */
public final class SiteContents {

    private SiteContents() {}

    /**
     * Whether the site still holds the blob: listed by the store, or its key anywhere in a file's
     * name or bytes (a deleted packed blob has its key zeroed too). Files compacted away while this
     * looks are skipped.
     */
    public static boolean holds(Path site, String key) throws IOException {
        return FilesystemBlobStore.storedKeys(site).contains(key) || !where(site, key).isEmpty();
    }

    /**
     * Where the key is in the site's files, for a failure's message: each file named so, and each
     * place in a file's bytes, with the state byte a packed record there would have and the bytes
     * that follow the key.
     */
    public static List<String> where(Path site, String key) throws IOException {
        byte[] needle = key.getBytes(StandardCharsets.US_ASCII);
        List<String> found = new ArrayList<>();
        Deque<Path> dirs = new ArrayDeque<>(List.of(site));
        while (!dirs.isEmpty()) {
            List<Path> entries;
            try (Stream<Path> listing = Files.list(dirs.pop())) {
                entries = listing.toList();
            } catch (NoSuchFileException e) {
                continue;
            }
            for (Path p : entries) {
                if (Files.isDirectory(p)) {
                    dirs.push(p);
                    continue;
                }
                if (p.getFileName().toString().equals(key)) found.add("a file named so: " + p);
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(p);
                } catch (NoSuchFileException e) {
                    continue;
                }
                for (int i = 0; i + needle.length <= bytes.length; i++) {
                    if (!Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) continue;
                    int end = Math.min(bytes.length, i + needle.length + 16);
                    found.add(p.getFileName() + " at byte " + i + " (state byte if packed: " + (i >= BlobPack.HEADER ? bytes[i - BlobPack.HEADER + 4] : -1)
                            + ", followed by '" + new String(bytes, i + needle.length, end - i - needle.length, StandardCharsets.ISO_8859_1) + "')");
                }
            }
        }
        return found;
    }
}
