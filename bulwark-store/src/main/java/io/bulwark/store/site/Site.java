package io.bulwark.store.site;

import io.bulwark.store.BlobStore;
import io.bulwark.store.InvalidSiteException;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.blob.FilesystemBlobStore;
import io.bulwark.store.blob.s3.S3BlobStore;
import io.bulwark.store.blob.s3.S3Credentials;
import io.bulwark.store.blob.s3.S3Location;
import io.bulwark.store.internal.Checks;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * A storage site: one place where replicas of sealed records lie, run by one provider, in one
 * jurisdiction, by an operator of one nationality.
 *
 * @param id           the site's name on this node, e.g. {@code fra-1}: 1 to 63 characters from
 *                     {@code [a-z0-9-]}, starting with a letter or digit
 * @param provider     who runs it, e.g. {@code acme}: same rule as {@code id}. Sites of one provider
 *                     share its fate (withdrawal, sanctions, outage), so placement counts providers,
 *                     not sites
 * @param jurisdiction where the data lies, ISO 3166-1 alpha-3
 * @param operator     the operator's nationality, ISO 3166-1 alpha-3
 * @param connection   how to reach it; its type is the site's kind
 */
public record Site(String id, String provider, String jurisdiction, String operator, Connection connection)
        implements ResidencyPolicy.Site {

    /** How a site is reached; the permitted types are the site kinds. */
    public sealed interface Connection permits Filesystem, S3 {
    }

    /** A directory on this machine (kind {@code filesystem}). */
    public record Filesystem(Path path) implements Connection {
        public Filesystem {
            Objects.requireNonNull(path, "path");
        }
    }

    /**
     * A bucket of an S3-compatible store (kind {@code s3}).
     *
     * @param credentialsFile where the access key is (see {@link S3Credentials#fromFile}); empty to
     *                        take it from the environment ({@link S3Credentials#fromEnvironment})
     */
    public record S3(S3Location location, Optional<Path> credentialsFile) implements Connection {
        public S3 {
            Objects.requireNonNull(location, "location");
            Objects.requireNonNull(credentialsFile, "credentialsFile");
        }
    }

    public Site {
        name(id, "id", id);
        name(id, "provider", provider);
        nation(id, "jurisdiction", jurisdiction);
        nation(id, "operator", operator);
        Objects.requireNonNull(connection, "connection");
    }

    /** The site's kind: {@code filesystem} or {@code s3}. */
    public String kind() {
        return switch (connection) {
            case Filesystem f -> "filesystem";
            case S3 s -> "s3";
        };
    }

    /**
     * Where the two sites overlap, if they do: one directory inside the other (or the same), or one
     * bucket at one endpoint. A blob listed at one of them may then be the other's replica.
     */
    public Optional<String> sharedPlace(Site other) {
        return switch (connection) {
            case Filesystem(Path p) when other.connection instanceof Filesystem(Path q) -> {
                Path a = p.toAbsolutePath().normalize();
                Path b = q.toAbsolutePath().normalize();
                yield a.startsWith(b) || b.startsWith(a)
                        ? Optional.of("\"" + a + "\" overlaps the directory of site " + other.id + " (" + b + ")")
                        : Optional.empty();
            }
            case S3 x when other.connection instanceof S3 y && x.location().sameBucket(y.location()) ->
                    Optional.of(Checks.quote(x.location().bucket()) + " at this endpoint is the bucket of site " + other.id);
            default -> Optional.empty();
        };
    }

    /** Opens the site's blob store; the caller closes it. Reads the credentials file, if any, now. */
    public BlobStore open() {
        return switch (connection) {
            case Filesystem(Path path) -> new FilesystemBlobStore(path);
            case S3(S3Location location, Optional<Path> file) ->
                    new S3BlobStore(location, file.map(S3Credentials::fromFile).orElseGet(S3Credentials::fromEnvironment));
        };
    }

    private static void name(String site, String field, String value) {
        Objects.requireNonNull(value, field);
        if (!value.matches("[a-z0-9][a-z0-9-]{0,62}")) {
            throw new InvalidSiteException(label(site, field, value), "must be 1 to 63 characters from a-z, 0-9 and '-', starting with a letter or digit");
        }
    }

    private static void nation(String site, String field, String value) {
        Objects.requireNonNull(value, field);
        Checks.nation(value).ifPresent(v -> {
            throw new InvalidSiteException(label(site, field, value), v.rule());
        });
    }

    private static String label(String site, String field, String value) {
        return ("id".equals(field) ? "site" : "site " + Checks.quote(site)) + " " + field + " " + Checks.quote(value);
    }
}
