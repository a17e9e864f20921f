package io.bulwark.store.site;

import io.bulwark.store.BlobEntry;
import io.bulwark.store.BlobStore;
import io.bulwark.store.blob.s3.S3Server;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Three sites on three providers, as a node would configure them: {@code alpha-1} (provider alpha,
 * FRA, an S3 server), {@code beta-1} (provider beta, DEU, another S3 server) and {@code home-1}
 * (provider home, FRA, a directory). The S3 credentials come from a private file, as in production.
 */
final class SiteFixture {

    static final String ALPHA = "alpha-1";
    static final String BETA = "beta-1";
    static final String HOME = "home-1";

    final Site alpha;
    final Site beta;
    final Site home;

    SiteFixture(Path dir, URI alphaEndpoint, URI betaEndpoint) {
        Path secret = dir.resolve("s3.secret");
        try {
            Files.writeString(secret, "aws_access_key_id=" + S3Server.ACCESS + "\naws_secret_access_key=" + S3Server.SECRET + "\n");
            Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        alpha = new Site(ALPHA, "alpha", "FRA", "FRA", new Site.S3(S3Server.bucket(alphaEndpoint, "alpha"), Optional.of(secret)));
        beta = new Site(BETA, "beta", "DEU", "DEU", new Site.S3(S3Server.bucket(betaEndpoint, "beta"), Optional.of(secret)));
        home = new Site(HOME, "home", "FRA", "FRA", new Site.Filesystem(dir.resolve("home")));
    }

    List<Site> sites() {
        return List.of(alpha, beta, home);
    }

    /** Opens every site's store, each wrapped so tests can count puts and hook deletes. */
    Map<Site, BlobStore> stores() {
        Map<Site, BlobStore> stores = new LinkedHashMap<>();
        for (Site s : sites()) stores.put(s, new WrappedBlobStore(s.open()));
        return stores;
    }

    static List<String> keys(BlobStore store) {
        try (Stream<BlobEntry> entries = store.list()) {
            return entries.map(BlobEntry::key).sorted().toList();
        }
    }
}
