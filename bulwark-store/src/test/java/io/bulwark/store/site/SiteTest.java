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
