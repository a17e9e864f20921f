package io.bulwark.store.blob.s3;

import io.bulwark.store.InvalidSiteException;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProviderChain;
import software.amazon.awssdk.auth.credentials.EnvironmentVariableCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.auth.credentials.SystemPropertyCredentialsProvider;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.Properties;
import java.util.Set;

/**
 * Where an S3 site's access key comes from: never from the site configuration itself.
 *
 * <h2>Security guarantees</h2>
 * The secret is held only by the SDK's credentials object; it is never put in a message, a log
 * line or a {@code toString}. A credentials file that group or others may read is refused, as
 * {@code ssh} refuses a private key, so a secret left world-readable is noticed at once.
 */
public final class S3Credentials {

    /** The file's property naming the access key id. */
    public static final String ACCESS_KEY_ID = "aws_access_key_id";
    /** The file's property holding the secret access key. */
    public static final String SECRET_ACCESS_KEY = "aws_secret_access_key";

    private S3Credentials() {
    }

    /**
     * Credentials from the environment: {@code AWS_ACCESS_KEY_ID} and {@code AWS_SECRET_ACCESS_KEY}
     * (and {@code AWS_SESSION_TOKEN} if set), else the {@code aws.accessKeyId} and
     * {@code aws.secretAccessKey} system properties. Deliberately not the SDK's default chain: that
     * one also reads profile files and asks cloud instance-metadata services, which is
     * provider-specific and slow on a machine that has none.
     */
    public static AwsCredentialsProvider fromEnvironment() {
        return AwsCredentialsProviderChain.of(EnvironmentVariableCredentialsProvider.create(), SystemPropertyCredentialsProvider.create());
    }

    /**
     * Credentials from a file in Java properties format holding {@value #ACCESS_KEY_ID} and
     * {@value #SECRET_ACCESS_KEY} (the same names as in an AWS credentials file).
     *
     * @throws InvalidSiteException if the file cannot be read, is readable by group or others, is not
     *                              a properties file or lacks a property
     */
    public static AwsCredentialsProvider fromFile(Path file) {
        String name = "credentials file " + file;
        Properties p = new Properties();
        try {
            if (Files.getFileStore(file).supportsFileAttributeView("posix")) {
                Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
                if (perms.contains(PosixFilePermission.GROUP_READ) || perms.contains(PosixFilePermission.OTHERS_READ)) {
                    throw new InvalidSiteException(name, "must be readable by its owner only (chmod 600)");
                }
            }
            try (Reader in = Files.newBufferedReader(file)) {
                p.load(in);
            } catch (IllegalArgumentException e) { // a malformed unicode escape
                throw new java.nio.charset.MalformedInputException(0);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new InvalidSiteException(name, "does not exist");
        } catch (java.nio.file.AccessDeniedException e) {
            throw new InvalidSiteException(name, "cannot be read by this user (permission denied)");
        } catch (java.nio.charset.CharacterCodingException e) { // not UTF-8, or a malformed unicode escape
            throw new InvalidSiteException(name, "is not a properties file of UTF-8 text (aws_access_key_id=..., aws_secret_access_key=...)");
        } catch (IOException e) {
            throw new InvalidSiteException(name, "cannot be read: " + e.getMessage());
        }
        String id = p.getProperty(ACCESS_KEY_ID, "").strip();
        String secret = p.getProperty(SECRET_ACCESS_KEY, "").strip();
        if (id.isEmpty() || secret.isEmpty()) {
            throw new InvalidSiteException(name, "must hold " + ACCESS_KEY_ID + " and " + SECRET_ACCESS_KEY);
        }
        return StaticCredentialsProvider.create(AwsBasicCredentials.create(id, secret));
    }
}
