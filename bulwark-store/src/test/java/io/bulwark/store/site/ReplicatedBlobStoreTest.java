package io.bulwark.store.site;

import io.bulwark.store.BlobRef;
import io.bulwark.store.ResidencyPolicy;
import io.bulwark.store.StoreException;
import io.bulwark.store.TestRecords;
import io.bulwark.store.blob.s3.S3Server;
import io.bulwark.store.site.ReplicatedBlobStore.Content;
import io.bulwark.store.site.ReplicatedBlobStore.Stored;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static io.bulwark.store.site.SiteFixture.ALPHA;
import static io.bulwark.store.site.SiteFixture.BETA;
import static io.bulwark.store.site.SiteFixture.HOME;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Replication over two real S3 servers (two providers) and a directory (a third). */
class ReplicatedBlobStoreTest {

    @TempDir
    Path dir;
    private S3Server alphaServer;
    private S3Server betaServer;
    private SiteFixture sites;
    private ReplicatedBlobStore replicas;
    private final Random random = new Random(66);

    @BeforeEach
    void start() {
        alphaServer = S3Server.start(dir.resolve("alpha"), 0);
        betaServer = S3Server.start(dir.resolve("beta"), 0);
        sites = new SiteFixture(dir, alphaServer.endpoint(), betaServer.endpoint());
        replicas = new ReplicatedBlobStore(sites.stores(), new SiteHealth(Duration.ofMillis(200), Duration.ofSeconds(1), java.time.Clock.systemUTC()));
    }

    @AfterEach
    void stop() {
        replicas.close();
        alphaServer.close();
        betaServer.close();
    }

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static ResidencyPolicy policy(Set<String> in, int providers) {
        return new ResidencyPolicy(in, Set.of(), providers);
    }

    private static byte[] read(InputStream in) {
        try (in) {
            return in.readAllBytes();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void writesToDistinctCompliantProvidersAndReadsBack() {
        byte[] content = bytes(70_000);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of("FRA"), 2), Content.of(content));
        assertThat(s.placements()).containsOnlyKeys(ALPHA, HOME);
        assertThat(s.ref()).isEqualTo(new BlobRef("rec-1", content.length, TestRecords.sha256(content)));
        assertThat(replicas.store(BETA).exists("rec-1")).as("DEU is not allowed").isFalse();
        assertThat(read(replicas.open(s.placements()).orElseThrow())).isEqualTo(content);
    }

    @Test
    void aResidencyNoSiteMeetsIsRefusedAndNothingIsWritten() {
        assertThat(replicas.put("rec-1", policy(Set.of("USA"), 1), Content.of(bytes(10))).toString()).isEqualTo("in=USA: no site in USA");
        var r = (Placement.Refused) replicas.put("rec-2", policy(Set.of("DEU", "FRA"), 4), Content.of(bytes(10)));
        assertThat(r).hasToString("providers>=4: only 3 compliant providers are available (alpha, beta, home)");
        assertThat(r.unavailable()).isFalse();
        for (Site s : sites.sites()) {
            assertThat(SiteFixture.keys(replicas.store(s.id()))).isEmpty();
        }
    }

    @Test
    void readsFailOverWhenAServerStopsAndUseItAgainWhenItIsBack() throws Exception {
        byte[] content = bytes(20_000);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of(), 2), Content.of(content));
        assertThat(s.placements()).containsOnlyKeys(ALPHA, BETA);
        int port = alphaServer.port();
        alphaServer.close();

        assertThat(read(replicas.open(s.placements()).orElseThrow())).isEqualTo(content);
        assertThat(replicas.health().isUp(ALPHA)).isFalse();
        assertThat(read(replicas.open(s.placements()).orElseThrow())).as("the down site is skipped").isEqualTo(content);

        alphaServer = S3Server.start(dir.resolve("alpha"), port);
        Thread.sleep(250); // one backoff
        assertThat(replicas.health().isUp(ALPHA)).isTrue();
        assertThat(read(replicas.open(Map.of(ALPHA, s.placements().get(ALPHA))).orElseThrow())).isEqualTo(content);
    }

    /** A replica's stream that passes {@code good} bytes on, then fails as a dropped connection does. */
    private static InputStream breaksAfter(InputStream in, long good) {
        return new java.io.FilterInputStream(in) {
            long passed;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (passed >= good) throw new IOException("connection reset");
                int n = super.read(b, off, (int) Math.min(len, good - passed));
                if (n > 0) passed += n;
                return n;
            }
        };
    }

    @Test
    void aReplicaBreakingMidReadIsFinishedFromAnotherAndTheSiteIsMarkedDown() {
        byte[] content = bytes(70_000);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of(), 2), Content.of(content));
        assertThat(s.placements()).containsOnlyKeys(ALPHA, BETA);
        ((WrappedBlobStore) replicas.store(ALPHA)).onOpen = in -> breaksAfter(in, 30_000);

        assertThat(read(replicas.open(s.placements()).orElseThrow())).isEqualTo(content);
        assertThat(replicas.health().isUp(ALPHA)).isFalse();
    }

    @Test
    void aReplicaThatServedWrongBytesBeforeBreakingIsAnErrorNeverASplice() {
        byte[] content = bytes(70_000);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of(), 2), Content.of(content));
        ((WrappedBlobStore) replicas.store(ALPHA)).onOpen = in -> {
            byte[] rotten = read(in);
            rotten[100] ^= 1;
            return breaksAfter(new ByteArrayInputStream(rotten), 30_000);
        };

        assertThatThrownBy(() -> read(replicas.open(s.placements()).orElseThrow()))
                .cause().isInstanceOf(IOException.class)
                .hasMessageContaining("could not finish reading blob \"rec-1\" from any replica")
                .hasMessageContaining("site alpha-1: broke after 30000 bytes")
                .hasMessageContaining("site beta-1: its first 30000 bytes differ from those already read");
    }

    @Test
    void aReplicaBreakingWithNoOtherToFinishIsAnIOExceptionNamingEachSite() {
        byte[] content = bytes(70_000);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of(), 2), Content.of(content));
        ((WrappedBlobStore) replicas.store(ALPHA)).onOpen = in -> breaksAfter(in, 30_000);
        ((WrappedBlobStore) replicas.store(BETA)).onOpen = in -> breaksAfter(in, 10_000);

        assertThatThrownBy(() -> read(replicas.open(s.placements()).orElseThrow()))
                .cause().isInstanceOf(IOException.class)
                .hasMessageContaining("site alpha-1: broke after 30000 bytes")
                .hasMessageContaining("site beta-1: broke within the first 30000 bytes");
    }

    @Test
    void aWriteWhoseSiteFailsGoesToAnotherCompliantProvider() {
        alphaServer.close();
        byte[] content = bytes(1000);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of(), 2), Content.of(content));
        assertThat(s.placements()).containsOnlyKeys(BETA, HOME);
        var r = (Placement.Refused) replicas.put("rec-2", policy(Set.of("FRA"), 2), Content.of(content));
        assertThat(r).hasToString("providers>=2: only 1 compliant provider is available (home); down: alpha");
        assertThat(r.unavailable()).isTrue();
        assertThat(replicas.store(HOME).exists("rec-2")).as("the replica already written is removed").isFalse();
    }

    @Test
    void aSiteThatFailsDuringAPutWithNoReplacementIsARefusalToRetryLater() {
        alphaServer.close(); // health still believes alpha up: the put finds out
        var r = (Placement.Refused) replicas.put("rec-1", policy(Set.of("FRA"), 2), Content.of(bytes(10)));
        assertThat(r).hasToString("providers>=2: no compliant provider is available outside providers home; down: alpha");
        assertThat(r.unavailable()).as("compliant capacity exists; it failed just now").isTrue();
        assertThat(replicas.store(HOME).exists("rec-1")).as("the replica already written is removed").isFalse();
    }

    @Test
    void noReplicaAnsweringIsAStoreExceptionNamingEachSite() {
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of("DEU", "FRA"), 2), Content.of(bytes(10)));
        alphaServer.close();
        betaServer.close();
        assertThatThrownBy(() -> replicas.open(s.placements())).isInstanceOf(StoreException.class)
                .hasMessage("could not read blob \"rec-1\" from any replica (site alpha-1: unreachable; site beta-1: unreachable)");
    }

    @Test
    void aCorruptReplicaFailsTheReadAtTheEnd() {
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of("FRA"), 1), Content.of(bytes(100)));
        replicas.store(ALPHA).put("rec-1", new ByteArrayInputStream(bytes(100)));
        assertThatThrownBy(() -> read(replicas.open(s.placements()).orElseThrow()))
                .hasRootCauseMessage("blob \"rec-1\" at site alpha-1 does not match its recorded size and SHA-256 (100 bytes read, 100 recorded)");
    }

    @Test
    void bytesWithAKnownDigestAreStoredAtEverySiteAndAWrongDigestIsTheContentsFault() {
        byte[] content = bytes(70_000);
        String digest = TestRecords.sha256(content);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of(), 3), Content.of(content, digest));
        assertThat(s.ref()).isEqualTo(new BlobRef("rec-1", content.length, digest));
        for (String site : s.placements().keySet()) {
            assertThat(read(replicas.open(java.util.Map.of(site, s.ref())).orElseThrow())).as(site).isEqualTo(content);
        }

        // A digest that is not the bytes': the S3 site (putKnown's default) refuses them, the put fails
        // as the content's fault, no site is blamed, and nothing is left behind.
        BlobRef wrong = new BlobRef("rec-2", content.length, TestRecords.sha256(bytes(10)));
        assertThatThrownBy(() -> replicas.put("rec-2", policy(Set.of("FRA"), 2), Content.of(content, wrong.sha256())))
                .isInstanceOf(StoreException.class).hasMessageStartingWith("could not read the content of blob \"rec-2\": the content: ");
        assertThat(replicas.health().isUp(ALPHA)).isTrue();
        assertThat(replicas.health().isUp(HOME)).isTrue();
        assertThat(replicas.store(ALPHA).exists("rec-2")).isFalse();
        assertThat(replicas.store(HOME).exists("rec-2")).isFalse();
    }

    @Test
    void aWriteCancelledBecauseTheContentFailedElsewhereBlamesNoSiteAndLeavesNothing() {
        // HOME is slow; ALPHA finds the content is not what it was said to be, so HOME's write is
        // cancelled part-way: an interruption is not HOME's failure, and the key goes everywhere.
        java.util.concurrent.atomic.AtomicBoolean interrupted = new java.util.concurrent.atomic.AtomicBoolean();
        ((WrappedBlobStore) replicas.store(HOME)).beforePut = () -> {
            try {
                Thread.sleep(3000);
            } catch (InterruptedException e) {
                interrupted.set(true);
                Thread.currentThread().interrupt();
                throw new StoreException("interrupted while storing", e);
            }
        };
        byte[] content = bytes(70_000);
        assertThatThrownBy(() -> replicas.put("rec-2", policy(Set.of("FRA"), 2), Content.of(content, TestRecords.sha256(bytes(10)))))
                .isInstanceOf(StoreException.class).hasMessageStartingWith("could not read the content of blob \"rec-2\"");
        assertThat(replicas.health().isUp(HOME)).as("HOME interrupted: %s", interrupted.get()).isTrue();
        assertThat(replicas.health().isUp(ALPHA)).isTrue();
        assertThat(replicas.store(HOME).exists("rec-2")).isFalse();
        assertThat(replicas.store(ALPHA).exists("rec-2")).isFalse();
    }

    @Test
    void deleteRemovesEveryReplicaAndNamesTheSitesItCouldNotReach() {
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of(), 3), Content.of(bytes(10)));
        betaServer.close();
        assertThat(replicas.delete(s.placements())).containsExactly(BETA);
        assertThat(replicas.store(ALPHA).exists("rec-1")).isFalse();
        assertThat(replicas.store(HOME).exists("rec-1")).isFalse();
    }

    @Test
    void aFailingSourceFailsThePutWithoutBlamingTheSites() {
        Content broken = () -> new InputStream() {
            @Override
            public int read() throws IOException {
                throw new IOException("source gone");
            }
        };
        assertThatThrownBy(() -> replicas.put("rec-1", policy(Set.of(), 2), broken)).isInstanceOf(StoreException.class)
                .hasMessage("could not read the content of blob \"rec-1\": source gone");
        assertThat(replicas.health().isUp(ALPHA)).isTrue();
        assertThat(replicas.health().isUp(BETA)).isTrue();
    }

    @Test
    void aSiteAddedOrRemovedWhileInUseIsPlacedOnFromTheNextPut() {
        assertThat(replicas.put("rec-1", policy(Set.of("GBR"), 1), Content.of(bytes(10))).toString()).isEqualTo("in=GBR: no site in GBR");
        Site gbr = new Site("gbr-1", "gamma", "GBR", "GBR", new Site.Filesystem(dir.resolve("gbr")));
        replicas.addSite(gbr, gbr.open());
        Site sameId = new Site("gbr-1", "gamma", "GBR", "GBR", new Site.Filesystem(dir.resolve("gbr-other")));
        try (var other = sameId.open()) {
            assertThatThrownBy(() -> replicas.addSite(sameId, other)).isInstanceOf(IllegalArgumentException.class)
                    .hasMessage("two sites have the id gbr-1");
        }
        byte[] content = bytes(100);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of("GBR"), 1), Content.of(content));
        assertThat(s.placements()).containsOnlyKeys("gbr-1");
        assertThat(read(replicas.open(s.placements()).orElseThrow())).isEqualTo(content);
        assertThat(replicas.sites()).extracting(Site::id).containsExactly(ALPHA, BETA, "gbr-1", HOME);

        replicas.delete(s.placements());
        assertThat(replicas.removeSite("gbr-1")).isTrue();
        assertThat(replicas.removeSite("gbr-1")).isFalse();
        assertThat(replicas.site("gbr-1")).isEmpty();
        assertThat(replicas.put("rec-2", policy(Set.of("GBR"), 1), Content.of(bytes(10))).toString()).isEqualTo("in=GBR: no site in GBR");
    }

    @Test
    void aCopyIsCheckedByItsTargetAndACorruptReplicaIsNeverCopied() {
        byte[] content = bytes(70_000);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of("FRA"), 1), Content.of(content));
        assertThat(s.placements()).containsOnlyKeys(ALPHA);
        Stored copy = (Stored) replicas.copy(s.ref(), s.placements(), policy(Set.of(), 1), Set.of("alpha"));
        assertThat(copy.placements()).containsOnlyKeys(BETA);
        assertThat(copy.ref()).isEqualTo(s.ref());
        assertThat(read(replicas.open(copy.placements()).orElseThrow())).isEqualTo(content);

        replicas.store(BETA).delete("rec-1");
        replicas.store(ALPHA).put("rec-1", new ByteArrayInputStream(bytes(70_000)));
        assertThatThrownBy(() -> replicas.copy(s.ref(), s.placements(), policy(Set.of(), 1), Set.of("alpha")))
                .isInstanceOf(StoreException.class)
                .hasMessageStartingWith("could not read the content of blob \"rec-1\": blob \"rec-1\" at site alpha-1: the copy of blob \"rec-1\" does not match");
        assertThat(replicas.store(BETA).exists("rec-1")).as("nothing is stored from a corrupt replica").isFalse();
        assertThat(replicas.health().isUp(BETA)).as("the target is not blamed").isTrue();
    }

    /**
     * Repair may copy to a placed site whose replica did not answer when it asked. A copy that then
     * fails part-way keeps what it wrote: that target's blob may be the replica the index names.
     */
    @Test
    void aCopyThatFailsPartWayDeletesNothingItWrote() {
        byte[] content = bytes(70_000);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of("FRA"), 2), Content.of(content));
        assertThat(s.placements()).containsOnlyKeys(ALPHA, HOME);
        betaServer.close(); // beta's write fails; home's, the placed replica written over, succeeds

        var result = replicas.copy(s.ref(), Map.of(ALPHA, s.placements().get(ALPHA)), policy(Set.of(), 2), Set.of("alpha"));

        assertThat(result).isInstanceOf(io.bulwark.store.site.Placement.Refused.class);
        assertThat(read(replicas.open(Map.of(HOME, s.placements().get(HOME))).orElseThrow())).as("home's replica is kept").isEqualTo(content);
    }

    /** A replica whose bytes rotted (same size) is passed over: copies come from the next one, and reads after the first failure too. */
    @Test
    void aDamagedReplicaIsPassedOverByCopiesAndByReadsOnceFound() throws Exception {
        byte[] content = bytes(70_000);
        Stored s = (Stored) replicas.put("rec-1", policy(Set.of("FRA"), 2), Content.of(content));
        assertThat(s.placements()).containsOnlyKeys(ALPHA, HOME); // alpha-1 is read first
        replicas.store(ALPHA).put("rec-1", new ByteArrayInputStream(bytes(70_000)));

        Stored copy = (Stored) replicas.copy(s.ref(), s.placements(), policy(Set.of(), 1), Set.of("alpha", "home"));
        assertThat(copy.placements()).containsOnlyKeys(BETA);
        assertThat(read(replicas.open(copy.placements()).orElseThrow())).isEqualTo(content);

        byte[] other = bytes(70_000);
        Stored t = (Stored) replicas.put("rec-2", policy(Set.of("FRA"), 2), Content.of(other));
        replicas.store(ALPHA).put("rec-2", new ByteArrayInputStream(bytes(70_000)));
        assertThatThrownBy(() -> replicas.open(t.placements()).orElseThrow().readAllBytes()).isInstanceOf(IOException.class)
                .hasMessageContaining("site alpha-1: does not match its recorded size and SHA-256");
        assertThat(read(replicas.open(t.placements()).orElseThrow())).as("home-1's replica, read first now").isEqualTo(other);
    }
}
