package io.bulwark.node.identity;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** docs/identities.md lists every rejection reason and every local-token claim that the code has. */
class IdentitiesDocTest {

    static String doc() throws IOException {
        return Files.readString(Path.of("..", "docs", "identities.md"));
    }

    @Test
    void everyRejectionReasonIsDocumented() throws IOException {
        List<String> reasons = List.of("`" + Jwts.MALFORMED + "`", "`" + Jwts.BAD_SIGNATURE + "`",
                "`" + Jwts.NOT_YET_VALID + "`", "`" + Jwts.WRONG_AUDIENCE + "`",
                "`" + Jwts.unknownIssuer("<iss>").reason() + "`",
                "`token expired at <time>`", "`" + Jwts.missing("<name>").reason() + "`",
                "`" + Jwts.invalid("<name>", "<rule>").reason() + "`");
        assertThat(doc()).contains(reasons);
    }

    @Test
    void everyLocalClaimIsDocumented() throws Exception {
        String token = LocalTokensTest.issued();
        var claims = com.nimbusds.jwt.SignedJWT.parse(token).getJWTClaimsSet().getClaims().keySet();
        List<String> lines = doc().lines().toList();
        for (String claim : claims) {
            assertThat(lines).as("a row of the claims table for %s", claim).anyMatch(l -> l.startsWith("| `" + claim + "` |"));
        }
    }
}
