package io.bulwark.record;

import io.bulwark.crypto.AeadKey;
import io.bulwark.crypto.Encapsulation;
import io.bulwark.crypto.HybridPublicKemKey;
import io.bulwark.crypto.SigningKeyset;

import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The origin's epoch keys, one per recipient nation, each made by one hybrid KEM encapsulation to
 * that nation's public KEM key and announced in a signed {@link EpochKeyStatement}. A new epoch
 * starts when the last one expires, and with every new keyring (the origin keeps no epoch secret
 * across restarts: recipients derive theirs from the statements).
 *
 * <p>Thread-safe.
 */
public final class EpochKeyring {

    /** A current epoch: the key that wraps data keys for the nation, and its statement. */
    public record Epoch(AeadKey key, EpochKeyStatement statement) {}

    /** A current epoch and the KEM key it was encapsulated to. */
    private record Current(Epoch epoch, HybridPublicKemKey recipient) {}

    private final Supplier<SigningKeyset> signer;
    private final String originNation;
    private final String originNode;
    private final Function<String, Optional<HybridPublicKemKey>> recipientKeys;
    private final Duration length;
    private final Clock clock;
    private final Map<String, Current> current = new ConcurrentHashMap<>();
    private final List<EpochKeyStatement> announced = new CopyOnWriteArrayList<>();
    private final Consumer<EpochKeyStatement> onNewEpoch;

    /**
     * @param recipientKeys the public KEM key of each nation this node shares with (its own included);
     *                      empty for a nation it has no key for
     * @param length        how long an epoch lasts
     */
    public EpochKeyring(SigningKeyset signer, String originNation, String originNode,
                        Function<String, Optional<HybridPublicKemKey>> recipientKeys, Duration length, Clock clock) {
        this(signer, originNation, originNode, recipientKeys, length, clock, statement -> { });
    }

    /**
     * As above; {@code onNewEpoch} runs with each new statement before its key wraps any data key —
     * the node makes it durable there, so that no acknowledged record depends on a lost statement.
     */
    public EpochKeyring(SigningKeyset signer, String originNation, String originNode,
                        Function<String, Optional<HybridPublicKemKey>> recipientKeys, Duration length, Clock clock,
                        Consumer<EpochKeyStatement> onNewEpoch) {
        this(() -> signer, originNation, originNode, recipientKeys, length, clock, onNewEpoch);
    }

    /**
     * As above, signing statements with whatever keyset {@code signer} gives at the time: a node
     * whose keys rotate while it runs.
     */
    public EpochKeyring(Supplier<SigningKeyset> signer, String originNation, String originNode,
                        Function<String, Optional<HybridPublicKemKey>> recipientKeys, Duration length, Clock clock,
                        Consumer<EpochKeyStatement> onNewEpoch) {
        this.onNewEpoch = onNewEpoch;
        this.signer = signer;
        this.originNation = originNation;
        this.originNode = originNode;
        this.recipientKeys = recipientKeys;
        this.length = length;
        this.clock = clock;
    }

    /**
     * The current epoch for a nation, starting one if needed; empty if the nation's KEM key is unknown.
     * A nation whose key is unknown for a moment (its peer entry being rewritten) keeps its epoch.
     */
    public Optional<Epoch> epoch(String nation) throws GeneralSecurityException {
        Instant now = clock.instant();
        Optional<HybridPublicKemKey> key = recipientKeys.apply(nation);
        Current c = current.get(nation);
        if (usable(c, key, now)) {
            return Optional.of(c.epoch());
        }
        if (key.isEmpty()) {
            return Optional.empty();
        }
        synchronized (this) {
            c = current.get(nation);
            if (usable(c, key, now)) {
                return Optional.of(c.epoch());
            }
            Encapsulation encapsulation = key.get().encapsulate();
            AeadKey epochKey = AeadKey.fromSharedSecret(encapsulation.sharedSecret());
            EpochKeyStatement statement = EpochKeyStatement.sign(signer.get(), originNation, originNode, nation,
                    epochKey.keyId(), now, now.plus(length), encapsulation.encapsulation());
            Epoch e = new Epoch(epochKey, statement);
            onNewEpoch.accept(statement);
            current.put(nation, new Current(e, key.get()));
            announced.add(statement);
            return Optional.of(e);
        }
    }

    private static boolean usable(Current c, Optional<HybridPublicKemKey> key, Instant now) {
        return c != null && now.isBefore(c.epoch().statement().notAfter()) && key.map(c.recipient()::equals).orElse(true);
    }

    /** Remembers statements made before (read back from disk), so that {@link #statements} lists them too. */
    public void announced(List<EpochKeyStatement> earlier) {
        announced.addAll(0, earlier);
    }

    /** Every statement this keyring has announced, oldest first: to deliver ahead of the records that use them. */
    public List<EpochKeyStatement> statements() {
        return List.copyOf(announced);
    }
}
