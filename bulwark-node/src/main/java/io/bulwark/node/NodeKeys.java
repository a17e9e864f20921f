package io.bulwark.node;

import io.bulwark.audit.AuditEvent;
import io.bulwark.audit.AuditLog;
import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.Keystore;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.federation.InvalidPeerException;
import io.bulwark.federation.KeyRotation;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A node's keys as they are now: its keystore (signing and KEM keysets, each keeping every key it
 * had, the newest primary) and the chain of rotation statements from its first signing key
 * ({@code data/rotations.log}). Whatever signs, seals or opens reads the keys through this holder at
 * each use, so a {@link #rotate} swaps them for all at once, with no restart. Thread-safe.
 *
 * <p>A rotation is durable before the new keys are used: the statement is written first, then the
 * keystore (atomically). A crash between the two leaves a statement naming a key the keystore does
 * not hold; reading ignores it, and the next rotation replaces it.
 */
public final class NodeKeys {

    /** The keystore and the rotations that lead to its primary: always swapped together. */
    private record Snapshot(Keystore keystore, List<KeyRotation> rotations) {}

    private final NodeHome home;
    private final String nation;
    private final String node;
    private volatile Snapshot now;

    private NodeKeys(NodeHome home, String nation, String node, Snapshot now) {
        this.home = home;
        this.nation = nation;
        this.node = node;
        this.now = now;
    }

    /** Reads the keystore and the rotation chain of the node in {@code home}. */
    public static NodeKeys open(NodeHome home) throws IOException {
        NodeConfig config = home.loadConfig();
        Keystore keystore = home.openKeystore();
        List<KeyRotation> chain = new ArrayList<>();
        for (KeyRotation r : readChain(home.rotations())) {
            // Only statements to keys this keystore holds: see the class comment.
            if (keystore.signing().publicKeys().contains(r.next())) chain.add(r);
        }
        return new NodeKeys(home, config.nation(), config.node(), new Snapshot(keystore, List.copyOf(chain)));
    }

    /**
     * Runs once the new keys are durable and before anything uses them: a running node serves its new
     * identity there, so that no peer sees a record signed by a key its identity does not list yet.
     */
    @FunctionalInterface
    public interface BeforeUse {
        void accept(Keystore next, List<KeyRotation> rotations) throws IOException, GeneralSecurityException;
    }

    Keystore keystore() {
        return now.keystore();
    }

    public SigningKeyset signing() {
        return now.keystore().signing();
    }

    public KemKeyset kem() {
        return now.keystore().kem();
    }

    /** The rotation statements from the first signing key to the current primary, oldest first. */
    public List<KeyRotation> rotations() {
        return now.rotations();
    }

    /**
     * Rotates both keysets (new primaries; the old keys stay, to verify and to decapsulate what they
     * made), signs the statement with the old and the new signing key, makes it and the keystore
     * durable, runs {@code beforeUse}, then swaps. Rotations run one at a time.
     */
    public synchronized RotationResult rotate(Instant at, BeforeUse beforeUse) throws IOException, GeneralSecurityException {
        Snapshot before = now;
        Keystore next = new Keystore(before.keystore().signing().rotate(), before.keystore().kem().rotate());
        KeyRotation statement = KeyRotation.sign(before.keystore().signing(), next.signing(), next.kem().primary(), nation, node, at);
        List<KeyRotation> chain = new ArrayList<>(before.rotations());
        chain.add(statement);
        writeChain(home.rotations(), chain);
        home.writeKeystore(next);
        beforeUse.accept(next, List.copyOf(chain));
        now = new Snapshot(next, List.copyOf(chain));
        return new RotationResult(before.keystore().signing().primary().fingerprint().toString(),
                next.signing().primary().fingerprint().toString(), next.kem().primary().fingerprint().toString());
    }

    /**
     * Rotates the keys of a stopped node and audits it (the audit log's next tree head is signed with
     * the new key). A running node rotates through its {@link KeyRotator} instead, after approval.
     *
     * @throws HomeLock.HeldException if the node is running
     */
    public static RotationResult rotateStopped(NodeHome home, String requestedBy) throws IOException, GeneralSecurityException {
        try (HomeLock lock = HomeLock.acquire(home)) {
            NodeKeys keys = open(home);
            Clock clock = Clock.systemUTC();
            keys.checkAuditable(requestedBy, clock.instant());
            RotationResult result = keys.rotate(clock.instant(), (next, rotations) -> { });
            try (AuditLog log = new AuditLog(home.auditLog(), keys::signing, Duration.ZERO, clock, Duration.ZERO)) {
                log.append(keys.rotated(requestedBy, result, clock.instant()));
            }
            return result;
        }
    }

    /** Refuses (InvalidAuditEventException) a requester the audit log cannot name, before any key changes. */
    void checkAuditable(String requestedBy, Instant at) {
        rotated(requestedBy, new RotationResult("", "", ""), at);
    }

    /** The audit event of a rotation: the node's keys are the subject, who asked for it the actor. */
    AuditEvent rotated(String requestedBy, RotationResult r, Instant at) {
        return new AuditEvent(AuditEvent.Type.ADMIN, at, requestedBy, Optional.of("node:" + nation + "/" + node),
                AuditEvent.Outcome.SUCCESS, Map.of("action", "keys.rotate", "previous_signing_key", r.previousSigningKey(),
                "signing_key", r.newSigningKey(), "kem_key", r.newKemKey()));
    }

    // ---- data/rotations.log: u32 length || statement, repeated; rewritten whole, atomically ----------

    static List<KeyRotation> readChain(Path file) throws IOException {
        List<KeyRotation> out = new ArrayList<>();
        if (!Files.exists(file)) return out;
        ByteBuffer in = ByteBuffer.wrap(Files.readAllBytes(file));
        try {
            while (in.hasRemaining()) {
                int length = in.getInt();
                if (length < 0 || length > in.remaining()) throw new java.nio.BufferUnderflowException();
                byte[] b = new byte[length];
                in.get(b);
                out.add(KeyRotation.decode(b));
            }
        } catch (RuntimeException e) { // cut short, or not a statement
            String why = e instanceof InvalidPeerException ? e.getMessage() : "truncated";
            throw new InvalidConfigException(file + ": damaged at byte " + in.position() + " (" + why + ")");
        }
        return out;
    }

    private static void writeChain(Path file, List<KeyRotation> chain) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            for (KeyRotation r : chain) {
                byte[] b = r.encode();
                ByteBuffer buf = ByteBuffer.allocate(4 + b.length).putInt(b.length).put(b).flip();
                while (buf.hasRemaining()) out.write(buf);
            }
            out.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel dir = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            dir.force(true); // the rename itself survives a power cut
        } catch (IOException e) {
            // some file systems cannot sync a directory; the rename is as durable as they allow
        }
    }
}
