package io.bulwark.federation;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PeerListTest {

    private static final String FP = "8de3bc5b30040b8a10ee963ca21a4c62083bf2e5ce455ce5b30923469001d848";
    private static final String FP2 = "ce14a08f3950b2ef7adb3c8d8ddaeac9e546584614e33049ae8ffb68b6a2bef4";

    private static Peer peer(String nation, String url, String fp) {
        return new Peer(nation, Peer.url(url), fp, Instant.parse("2026-11-27T10:00:00Z"));
    }

    @Test
    void writesAndReadsBackAndAMissingFileIsEmpty(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("peers.json");
        assertThat(PeerList.read(file).peers()).isEmpty();
        PeerList list = PeerList.EMPTY.with(peer("FRA", "https://127.0.0.1:7444", FP.toUpperCase()), "DEU")
                .with(peer("USA", "https://10.0.0.2:7443/", FP2), "DEU");
        list.write(file);
        assertThat(PeerList.read(file)).isEqualTo(list);
        assertThat(PeerList.read(file).byFingerprint(FP)).map(Peer::nation).contains("FRA");
        assertThat(PeerList.read(file).byNation("USA").orElseThrow().url().toString()).isEqualTo("https://10.0.0.2:7443");
    }

    @Test
    void refusesWhatCannotBeAPeer() {
        assertThatThrownBy(() -> peer("fr", "https://h:1", FP)).hasMessageContaining("nation");
        assertThatThrownBy(() -> peer("FRA", "http://h:1", FP)).hasMessageContaining("url: https://HOST:PORT");
        assertThatThrownBy(() -> peer("FRA", "https://h", FP)).hasMessageContaining("url");
        assertThatThrownBy(() -> peer("FRA", "https://h:1/api", FP)).hasMessageContaining("no path");
        assertThatThrownBy(() -> peer("FRA", "https://h:1", "abc")).hasMessageContaining("fingerprint: 64 hex digits");
        PeerList one = PeerList.EMPTY.with(peer("FRA", "https://h:1", FP), "DEU");
        assertThatThrownBy(() -> one.with(peer("FRA", "https://h:2", FP2), "DEU")).hasMessageContaining("FRA is already a peer");
        assertThatThrownBy(() -> one.with(peer("USA", "https://h:2", FP), "DEU")).hasMessageContaining("already pinned for FRA");
        assertThatThrownBy(() -> one.with(peer("DEU", "https://h:2", FP2), "DEU")).hasMessageContaining("own nation");
        assertThatThrownBy(() -> one.without("USA")).hasMessageContaining("USA is not a peer");
    }

    @Test
    void aBadFileNamesTheEntryAndAWatcherThenTrustsNobody(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("peers.json");
        PeerList.EMPTY.with(peer("FRA", "https://h:1", FP), "DEU").write(file);
        PeerList.Watched watched = new PeerList.Watched(file);
        assertThat(watched.current().peers()).hasSize(1);
        Files.writeString(file, "{\"peers\":[{\"nation\":\"FRA\",\"url\":\"https://h:1\",\"fingerprint\":\"xyz\",\"added\":\"2026-11-27T10:00:00Z\"}]}");
        assertThatThrownBy(() -> PeerList.read(file)).hasMessageContaining("peers[0]: fingerprint");
        assertThat(watched.current().peers()).isEmpty();
        assertThat(watched.currentIfReadable()).as("unusable, not empty: the node removes no peer for it").isEmpty();
        Files.delete(file); // an editor may move it aside while it saves
        assertThat(watched.current().peers()).isEmpty();
        assertThat(watched.currentIfReadable()).as("absent: unusable too").isEmpty();
        PeerList.EMPTY.write(file); // every peer removed
        assertThat(watched.currentIfReadable()).contains(PeerList.EMPTY);
    }

    @Test
    void theFileIsReadStrictly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("peers.json");
        String fra = "{\"nation\":\"FRA\",\"url\":\"https://h:1\",\"fingerprint\":\"" + FP + "\",\"added\":\"2026-11-27T10:00:00Z\"}";
        String fraAgain = fra.replace(FP, FP2).replace("h:1", "h:2");
        String usaSameCertificate = fra.replace("FRA", "USA");
        java.util.Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("{\"peers\":[" + fra + "," + fraAgain + "]}", "peers[1]: nation: FRA is listed twice");
        bad.put("{\"peers\":[" + fra + "," + usaSameCertificate + "]}", "peers[1]: fingerprint: already listed for FRA");
        bad.put("{\"peers\":[" + fra.replace("}", ",\"role\":\"x\"}") + "]}", "peers[0]: unknown field 'role'");
        bad.put("{\"peers\":[{\"nation\":\"FRA\"}]}", "peers[0]: url: missing; a string");
        bad.put("{\"peers\":[" + fra.replace("2026-11-27T10:00:00Z", "yesterday") + "]}", "peers[0]: added: an ISO 8601 UTC instant");
        bad.put("{\"peers\":[" + fra + "]} trailing", "not JSON");
        bad.put("{\"peers\":[],\"peers\":[" + fra + "]}", "not JSON");
        bad.put("{\"peers\":[],\"extra\":1}", "a JSON object with a \"peers\" array and nothing else");
        for (var e : bad.entrySet()) {
            Files.writeString(file, e.getKey());
            assertThatThrownBy(() -> PeerList.read(file)).as(e.getKey()).isInstanceOf(InvalidPeerException.class)
                    .hasMessageStartingWith(file + ": ").hasMessageContaining(e.getValue());
        }
    }
}
