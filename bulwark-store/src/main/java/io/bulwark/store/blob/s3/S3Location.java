package io.bulwark.store.blob.s3;

import io.bulwark.store.InvalidSiteException;
import io.bulwark.store.internal.Checks;

import java.net.URI;
import java.util.Objects;

/**
 * Where an S3 bucket is: nothing provider-specific, so any S3-compatible store fits.
 *
 * @param endpoint  the service's base URL, {@code http} or {@code https}, with a host and no user
 *                  info, query or fragment (credentials never travel in configuration)
 * @param bucket    the bucket name: 3 to 63 characters from {@code [a-z0-9.-]}, starting and ending
 *                  with a letter or digit
 * @param region    the signing region, e.g. {@code eu-west-3}; S3-compatible stores that ignore it
 *                  take any, conventionally {@code us-east-1}
 * @param pathStyle {@code true} for {@code https://host/bucket/key} addressing, which most
 *                  self-hosted stores need; {@code false} for {@code https://bucket.host/key}
 * @param prefix    prepended to every blob key, so several nodes can share a bucket; empty, or up to
 *                  100 characters from {@code [A-Za-z0-9._/-]} ending in {@code /}
 */
public record S3Location(URI endpoint, String bucket, String region, boolean pathStyle, String prefix) {

    public S3Location {
        Objects.requireNonNull(endpoint, "endpoint");
        Objects.requireNonNull(bucket, "bucket");
        Objects.requireNonNull(region, "region");
        Objects.requireNonNull(prefix, "prefix");
        if (endpoint.getRawUserInfo() != null || endpoint.toString().contains("@")) {
            // Checked first, and the URL never echoed: what precedes an '@' may be a secret (s3://KEY:SECRET@host).
            throw new InvalidSiteException("endpoint", "must not carry credentials; put them in a credentials file or the environment");
        }
        if (endpoint.getRawQuery() != null || endpoint.getRawFragment() != null) {
            // Not echoed either: a query may carry a token (X-Amz-Security-Token=...).
            throw new InvalidSiteException("endpoint", "must not have a query or a fragment");
        }
        String scheme = endpoint.getScheme();
        if (!"http".equals(scheme) && !"https".equals(scheme)) {
            throw invalid("endpoint", endpoint.toString(), "must be an http or https URL");
        }
        if (endpoint.getHost() == null) {
            throw invalid("endpoint", endpoint.toString(), "must name a host");
        }
        if (!bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw invalid("bucket", bucket, "must be 3 to 63 characters from a-z, 0-9, '.' and '-', starting and ending with a letter or digit");
        }
        if (!region.matches("[a-z0-9-]{1,32}")) {
            throw invalid("region", region, "must be 1 to 32 characters from a-z, 0-9 and '-' (e.g. eu-west-3)");
        }
        if (!prefix.isEmpty() && !(prefix.length() <= 100 && prefix.matches("[A-Za-z0-9._-][A-Za-z0-9._/-]*/"))) {
            throw invalid("prefix", prefix, "must be empty or up to 100 characters from A-Z, a-z, 0-9, '.', '_', '-' and '/', ending in '/' and not starting with '/'");
        }
    }

    /**
     * Whether the two name the same bucket of the same service, as far as their text tells: the
     * endpoints compared by scheme, host (case, a trailing dot, and every loopback name alike),
     * effective port and path (a trailing {@code /} ignored). Written differently, one store would
     * otherwise count as two: two providers, and each site's sweep deleting the other's blobs.
     */
    public boolean sameBucket(S3Location other) {
        return bucket.equals(other.bucket) && service(endpoint).equals(service(other.endpoint));
    }

    private static String service(URI u) {
        String scheme = u.getScheme(); // http or https, as checked
        String host = u.getHost().toLowerCase(java.util.Locale.ROOT);
        if (host.endsWith(".")) host = host.substring(0, host.length() - 1);
        if (host.startsWith("[") && host.endsWith("]")) host = host.substring(1, host.length() - 1);
        if (host.equals("localhost") || host.startsWith("127.") || host.equals("::1") || host.equals("0:0:0:0:0:0:0:1")) host = "loopback";
        int port = u.getPort() != -1 ? u.getPort() : scheme.equals("https") ? 443 : 80;
        String path = u.getRawPath() == null ? "" : u.getRawPath();
        while (path.endsWith("/")) path = path.substring(0, path.length() - 1);
        return scheme + "://" + host + ":" + port + path;
    }

    /** A bucket at an endpoint, path-style, no prefix: the usual shape for self-hosted stores. */
    public static S3Location of(URI endpoint, String bucket) {
        return new S3Location(endpoint, bucket, "us-east-1", true, "");
    }

    private static InvalidSiteException invalid(String field, String value, String rule) {
        return new InvalidSiteException(field + " " + Checks.quote(value), rule);
    }
}
