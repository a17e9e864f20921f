package io.bulwark.store.site;

import io.bulwark.store.InvalidSiteException;
import io.bulwark.store.blob.s3.S3Credentials;
import io.bulwark.store.blob.s3.S3Location;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SiteTest {

    @TempDir
    Path dir;

    private static Site.Connection fs() {
        return new Site.Filesystem(Path.of("/srv/blobs"));
    }

    @Test
    void aValidSiteKnowsItsKind() {
        assertThat(new Site("fra-1", "acme", "FRA", "FRA", fs()).kind()).isEqualTo("filesystem");
        Site s3 = new Site("deu-1", "bigco", "DEU", "USA", new Site.S3(S3Location.of(URI.create("https://s3.example.eu"), "bulwark"), Optional.empty()));
        assertThat(s3.kind()).isEqualTo("s3");
    }

    @Test
    void everyMessageNamesTheFieldAndTheRule() {
        assertThatThrownBy(() -> new Site("Fra 1", "acme", "FRA", "FRA", fs())).isInstanceOf(InvalidSiteException.class)
                .hasMessage("site id \"Fra 1\": must be 1 to 63 characters from a-z, 0-9 and '-', starting with a letter or digit");
        assertThatThrownBy(() -> new Site("fra-1", "ac_me", "FRA", "FRA", fs()))
                .hasMessageStartingWith("site \"fra-1\" provider \"ac_me\": must be");
        assertThatThrownBy(() -> new Site("fra-1", "acme", "France", "FRA", fs()))
                .hasMessage("site \"fra-1\" jurisdiction \"France\": must be an ISO 3166-1 alpha-3 code (three letters A-Z); length is 6");
        assertThatThrownBy(() -> new Site("fra-1", "acme", "FRA", "fr1", fs()))
                .hasMessageStartingWith("site \"fra-1\" operator \"fr1\"");
    }

    @Test
    void anS3LocationNamesTheFieldAndNeverEchoesCredentials() {
        assertThatThrownBy(() -> S3Location.of(URI.create("ftp://host"), "b-1")).hasMessage("endpoint \"ftp://host\": must be an http or https URL");
        assertThatThrownBy(() -> S3Location.of(URI.create("https://key:hunter2@host"), "b-1"))
                .hasMessage("endpoint: must not carry credentials; put them in a credentials file or the environment")
                .hasMessageNotContaining("hunter2");
        // Whatever else is wrong with it: a scheme other than http(s), no host.
        for (String endpoint : new String[] {"s3://key:hunter2@host", "key:hunter2@host", "https://key:hunter2@"}) {
            assertThatThrownBy(() -> S3Location.of(URI.create(endpoint), "b-1")).as(endpoint)
                    .hasMessage("endpoint: must not carry credentials; put them in a credentials file or the environment");
        }
        assertThatThrownBy(() -> S3Location.of(URI.create("https://host"), "B_1")).hasMessageStartingWith("bucket \"B_1\": must be 3 to 63");
        assertThatThrownBy(() -> new S3Location(URI.create("https://host"), "b-1", "EU West", true, "")).hasMessageStartingWith("region \"EU West\"");
        assertThatThrownBy(() -> new S3Location(URI.create("https://host"), "b-1", "eu-west-3", true, "no-slash")).hasMessageStartingWith("prefix \"no-slash\"");
    }

    @Test
    void oneBucketWrittenTwoWaysIsOnePlace() {
        Site a = s3("a-1", "http://127.0.0.1:9000", "blobs");
        for (String same : new String[] {"http://127.0.0.1:9000/", "http://localhost:9000", "http://LocalHost:9000//", "http://[::1]:9000"}) {
            assertThat(a.sharedPlace(s3("b-1", same, "blobs"))).as(same).contains("\"blobs\" at this endpoint is the bucket of site b-1");
        }
        Site b = s3("b-1", "https://s3.example.eu", "blobs");
        for (String same : new String[] {"https://s3.example.eu:443/", "https://S3.Example.EU.", "https://s3.example.eu//"}) {
            assertThat(b.sharedPlace(s3("c-1", same, "blobs"))).as(same).isPresent();
        }
        for (String other : new String[] {"http://127.0.0.1:9001", "https://127.0.0.1:9000", "http://127.0.0.1:9000/other"}) {
            assertThat(a.sharedPlace(s3("c-1", other, "blobs"))).as(other).isEmpty();
        }
        assertThat(b.sharedPlace(s3("c-1", "http://s3.example.eu", "blobs"))).as("another port").isEmpty();
        assertThat(a.sharedPlace(s3("c-1", "http://127.0.0.1:9000", "others"))).as("another bucket").isEmpty();
    }

    @Test
    void anEndpointWithAQueryIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> S3Location.of(URI.create("ftp://host/?X-Amz-Security-Token=secret"), "b-1"))
                .hasMessage("endpoint: must not have a query or a fragment").hasMessageNotContaining("secret");
    }

    private static Site s3(String id, String endpoint, String bucket) {
        return new Site(id, "p-" + id, "DEU", "DEU", new Site.S3(S3Location.of(URI.create(endpoint), bucket), Optional.empty()));
    }

    @Test
    void aCredentialsFileMustBePrivateAndComplete() throws IOException {
        Path file = dir.resolve("s3.secret");
        Files.writeString(file, "aws_access_key_id=AKIA1\naws_secret_access_key=hunter2\n");
        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
        assertThatThrownBy(() -> S3Credentials.fromFile(file)).isInstanceOf(InvalidSiteException.class)
                .hasMessageEndingWith("must be readable by its owner only (chmod 600)");

        Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
        assertThat(S3Credentials.fromFile(file).resolveCredentials().secretAccessKey()).isEqualTo("hunter2");

        Files.writeString(file, "aws_access_key_id=AKIA1\n");
        assertThatThrownBy(() -> S3Credentials.fromFile(file)).hasMessageEndingWith("must hold aws_access_key_id and aws_secret_access_key")
                .hasMessageNotContaining("AKIA1");

        // Not there, not text, not properties: each a site setting at fault (it was a store failure, or escaped unnamed).
        assertThatThrownBy(() -> S3Credentials.fromFile(dir.resolve("missing.secret"))).isInstanceOf(InvalidSiteException.class)
                .hasMessageEndingWith("missing.secret: does not exist");
        Files.write(file, new byte[] {'a', '=', (byte) 0xff, '\n'});
        assertThatThrownBy(() -> S3Credentials.fromFile(file)).isInstanceOf(InvalidSiteException.class)
                .hasMessageContaining("is not a properties file of UTF-8 text");
        Files.writeString(file, "aws_access_key_id=\\uZZZZ\n");
        assertThatThrownBy(() -> S3Credentials.fromFile(file)).isInstanceOf(InvalidSiteException.class)
                .hasMessageContaining("is not a properties file of UTF-8 text");
    }
}
