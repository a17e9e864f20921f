package io.bulwark.node;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** bulwark.yaml as an operator edits it: every mistake is named by the file, the setting and the rule. */
class NodeConfigTest {

    private static final String VALID = "nation: DEU\nnode: deu-1\nlisten: 127.0.0.1:0\n";

    @TempDir Path dir;

    private Path file(String yaml) throws Exception {
        Path f = dir.resolve("bulwark.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void aValidFileLoads() throws Exception {
        assertThat(NodeConfig.load(file(VALID)).nation()).isEqualTo("DEU");
    }

    @Test
    void aSettingGivenTwiceIsRefused() throws Exception {
        Path f = file(VALID + "nation: FRA\n");
        assertThatThrownBy(() -> NodeConfig.load(f)).isInstanceOf(InvalidConfigException.class)
                .hasMessageStartingWith(f + ": ").hasMessageContaining("nation");
    }

    @Test
    void anEmptyDocumentIsRefusedNotACrash() throws Exception {
        for (String yaml : new String[] {"~\n", ""}) {
            Path f = file(yaml);
            assertThatThrownBy(() -> NodeConfig.load(f)).as("'%s'", yaml).isInstanceOf(InvalidConfigException.class)
                    .hasMessageStartingWith(f + ": ");
        }
    }

    @Test
    void aValueOfTheWrongKindNamesTheSettingAndWhatItTakes() throws Exception {
        Path tls = file(VALID + "tls: maybe\n");
        assertThatThrownBy(() -> NodeConfig.load(tls)).hasMessageStartingWith(tls + ": tls: true or false (line 4");
        Path limit = file(VALID + "limits:\n  maxPayloadBytes: lots\n");
        assertThatThrownBy(() -> NodeConfig.load(limit)).hasMessageStartingWith(limit + ": limits.maxPayloadBytes: a whole number");
    }

    @Test
    void aPayloadLimitBeyondWhatANodeReadsIsRefused() throws Exception {
        // A limit of 4 GiB would have let a 2.5 GiB body be cut short at 2 GiB and stored as if whole.
        Path f = file(VALID + "limits:\n  maxPayloadBytes: 4294967296\n");
        assertThatThrownBy(() -> NodeConfig.load(f)).hasMessage(f + ": limits.maxPayloadBytes: at most 2143289344, not 4294967296");
    }

    @Test
    void eachLimitIsNamed() throws Exception {
        Path f = file(VALID + "limits:\n  requestTimeoutSeconds: 0\n");
        assertThatThrownBy(() -> NodeConfig.load(f)).hasMessage(f + ": limits.requestTimeoutSeconds: at least 1, not 0");
        Path h = file(VALID + "limits:\n  maxHeaderBytes: 10\n");
        assertThatThrownBy(() -> NodeConfig.load(h)).hasMessage(h + ": limits.maxHeaderBytes: at least 1024, not 10");
        Path w = file(VALID + "limits:\n  listingWindow: 999\n");
        assertThatThrownBy(() -> NodeConfig.load(w)).hasMessage(w + ": limits.listingWindow: 1000 to 1000000, not 999");
        assertThat(NodeConfig.load(file(VALID + "limits:\n  listingWindow: 1000\n")).limits().listingWindow()).isEqualTo(1000);
        assertThat(NodeConfig.load(file(VALID)).limits().listingWindow()).isEqualTo(10_000);
        // The body budget: a quarter of the heap unless set, and then room for one of the largest publishes.
        assertThat(NodeConfig.load(file(VALID)).limits().bufferBudget()).isEqualTo(Runtime.getRuntime().maxMemory() / 4);
        assertThat(NodeConfig.load(file(VALID + "limits:\n  maxPayloadBytes: 1000\n  maxBufferedBytes: 2000\n")).limits().bufferBudget())
                .isEqualTo(2000);
        assertThatThrownBy(() -> NodeConfig.load(file(VALID + "limits:\n  maxPayloadBytes: 1000\n  maxBufferedBytes: 1999\n")))
                .hasMessageEndingWith("limits.maxBufferedBytes: at least twice limits.maxPayloadBytes (2000), not 1999");
        // With federation, a record must fit a feed frame: a larger one would stop every peer's feed at it.
        String federated = VALID + "federation:\n  listen: 127.0.0.1:0\n";
        assertThat(NodeConfig.load(file(federated + "limits:\n  maxPayloadBytes: 67108864\n")).limits().maxPayloadBytes()).isEqualTo(64L << 20);
        assertThatThrownBy(() -> NodeConfig.load(file(federated + "limits:\n  maxPayloadBytes: 67108865\n")))
                .hasMessageContaining("limits.maxPayloadBytes: at most 67108864 on a node with federation");
        assertThat(NodeConfig.load(file(VALID + "limits:\n  maxPayloadBytes: 67108865\n")).limits().maxPayloadBytes()).isEqualTo((64L << 20) + 1);
    }

    @Test
    void aBadListenAddressNamesTheFile() throws Exception {
        Path f = file("nation: DEU\nnode: deu-1\nlisten: nowhere\n");
        assertThatThrownBy(() -> NodeConfig.load(f)).hasMessage(f + ": listen: HOST:PORT, not 'nowhere'");
    }

    @Test
    void productionRequiresAnAudienceForEachIdentityProvider() throws Exception {
        String oidc = "oidc:\n  - issuer: https://idp.example/realms/deu\n    jwksUri: https://idp.example/realms/deu/certs\n";
        Path dev = file(VALID + oidc);
        assertThat(NodeConfig.load(dev).oidc()).hasSize(1);
        Path production = file(VALID + "mode: production\n" + oidc);
        assertThatThrownBy(() -> NodeConfig.load(production)).hasMessage(production
                + ": oidc[0].audience: required in production mode (the client id this node's tokens are issued to)");
        Path withAudience = file(VALID + "mode: production\n" + oidc + "    audience: bulwark-deu\n");
        assertThat(NodeConfig.load(withAudience).oidc().getFirst().audience()).isEqualTo("bulwark-deu");
    }
}
