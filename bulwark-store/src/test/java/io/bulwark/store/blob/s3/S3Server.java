package io.bulwark.store.blob.s3;

import org.gaul.s3proxy.S3Proxy;
import org.gaul.s3proxy.auth.AuthenticationType;
import org.gaul.s3proxy.nio2blob.FilesystemNio2BlobStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A real S3-compatible server (S3Proxy keeping objects in a directory) on loopback, in this process.
 * See {@link S3ServerProcess} for one in a child process, which can be killed.
 */
public final class S3Server implements AutoCloseable {

    public static final String ACCESS = "bulwark-test";
    public static final String SECRET = "bulwark-test-secret";

    private final S3Proxy proxy;

    private S3Server(S3Proxy proxy) {
        this.proxy = proxy;
    }

    /** Starts a server keeping its objects under {@code dir} on {@code port} (0: any free one). */
    public static S3Server start(Path dir, int port) {
        try {
            Files.createDirectories(dir);
            S3Proxy proxy = S3Proxy.builder().blobStore(new FilesystemNio2BlobStore(dir.toString()))
                    .endpoint(URI.create("http://127.0.0.1:" + port))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, ACCESS, SECRET)
                    .build();
            proxy.start();
            long deadline = System.nanoTime() + 10_000_000_000L;
            while (!"STARTED".equals(proxy.getState())) {
                if (System.nanoTime() > deadline) throw new IllegalStateException("S3Proxy did not start: " + proxy.getState());
                Thread.sleep(20);
            }
            return new S3Server(proxy);
        } catch (Exception e) {
            throw new IllegalStateException("could not start S3Proxy", e);
        }
    }

    public URI endpoint() {
        return URI.create("http://127.0.0.1:" + proxy.getPort());
    }

    public int port() {
        return proxy.getPort();
    }

    public static AwsCredentialsProvider credentials() {
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(ACCESS, SECRET));
    }

    /** Makes a bucket on the server at {@code endpoint} and returns where it is. */
    public static S3Location bucket(URI endpoint, String name) {
        try (S3Client s3 = S3Client.builder().endpointOverride(endpoint).region(Region.US_EAST_1).forcePathStyle(true)
                .credentialsProvider(credentials()).build()) {
            s3.createBucket(b -> b.bucket(name));
        }
        return S3Location.of(endpoint, name);
    }

    public S3Location bucket(String name) {
        return bucket(endpoint(), name);
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException("could not stop S3Proxy", e);
        }
    }
}
