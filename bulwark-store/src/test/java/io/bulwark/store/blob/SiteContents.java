package io.bulwark.store.blob;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayDeque;
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
        if (FilesystemBlobStore.storedKeys(site).contains(key)) return true;
        byte[] needle = key.getBytes(StandardCharsets.US_ASCII);
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
                } else if (p.getFileName().toString().equals(key) || contains(p, needle)) {
                    return true;
                }
            }
        }
        return false;
    }

    private static boolean contains(Path file, byte[] needle) throws IOException {
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return false;
        }
        for (int i = 0; i + needle.length <= bytes.length; i++) {
            if (Arrays.equals(bytes, i, i + needle.length, needle, 0, needle.length)) return true;
        }
        return false;
    }
}
