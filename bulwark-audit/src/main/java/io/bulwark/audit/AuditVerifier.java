package io.bulwark.audit;

import io.bulwark.audit.AuditVerification.Intact;
import io.bulwark.audit.AuditVerification.Tampered;
import io.bulwark.audit.AuditVerification.Tampering;
import io.bulwark.audit.internal.AuditDb;
import io.bulwark.audit.internal.Frontier;
import io.bulwark.audit.internal.Hashes;
import io.bulwark.audit.internal.LeafCodec;
import io.bulwark.crypto.HybridPublicSigningKey;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.BitSet;
import java.util.Collection;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * Checks a whole audit log file, as {@code bulwark audit verify} does: recomputes every leaf hash from
 * the stored leaf, checks that entries are stored at 0, 1, 2, ... and that each leaf names its own
 * index, rebuilds the tree and compares its root at every signed tree head's size, and verifies each
 * head's signature. Reports the first problem in entry order.
 *
 * <p>Because every leaf carries its index, a moved entry is caught where it sits, not only by the next
 * tree head: an entry that claims another's index is {@link Tampering#REORDERED} if that other entry is
 * still present somewhere, {@link Tampering#DELETED} if none claims the index. An entry rewritten
 * together with its leaf hash and index is caught only by the tree heads that cover it
 * ({@link Tampering#ROOT_MISMATCH}); after the latest head nothing can catch it, which is why the log
 * signs heads often and at close.
 */
public final class AuditVerifier {

    private AuditVerifier() {}

    /**
     * Verifies the log in {@code file} against the public keys that may have signed its tree heads.
     * Reads one consistent snapshot; safe while the log is open and appending.
     *
     * @throws AuditException if the file cannot be read at all
     */
    public static AuditVerification verify(Path file, Collection<HybridPublicSigningKey> keys) {
        List<HybridPublicSigningKey> trusted = List.copyOf(keys);
        try (Connection c = AuditDb.connect(file, true)) {
            c.setAutoCommit(false); // one read transaction: heads and entries from the same snapshot
            try {
                return verify(c, trusted);
            } finally {
                c.rollback();
            }
        } catch (SQLException e) {
            throw new AuditException("could not read the audit log " + file, e);
        }
    }

    private static AuditVerification verify(Connection c, List<HybridPublicSigningKey> keys) throws SQLException {
        // The heads are read beside the entries, not loaded first: a log signs one a second while it grows.
        try (AuditDb.TreeHeads heads = new AuditDb.TreeHeads(c)) {
            Walk walk = new Walk(heads, keys);
            Optional<Tampered> bad = walk.checkHeads();
            if (bad.isPresent()) {
                return bad.get();
            }
            try (Statement s = c.createStatement()) {
                s.setFetchSize(4096);
                try (ResultSet rs = s.executeQuery("SELECT idx, leaf, leaf_hash FROM audit_entry ORDER BY idx")) {
                    while (rs.next()) {
                        bad = walk.entry(rs.getLong(1), rs.getBytes(2), rs.getBytes(3));
                        if (bad.isPresent()) {
                            return bad.get();
                        }
                    }
                }
            }
            return walk.finish();
        }
    }

    /** One pass over the entries in index order. */
    private static final class Walk {
        private final AuditDb.TreeHeads heads;
        private final List<HybridPublicSigningKey> keys;
        private final Frontier tree = new Frontier();
        /** The indexes some leaf claims: n bits, 125 KB per million entries (tracked below 2^31). */
        private final BitSet claimed = new BitSet();
        private final Frontier.NodeSink ignore = (level, index, hash) -> { };
        private long goodHeadSize;
        private long expected;
        /** The first entry that claims another index; classified once we know who claims its own. */
        private long misplaced = -1;
        private long misplacedClaim;

        Walk(AuditDb.TreeHeads heads, List<HybridPublicSigningKey> keys) {
            this.heads = heads;
            this.keys = keys;
        }

        Optional<Tampered> entry(long idx, byte[] leaf, byte[] leafHash) throws SQLException {
            if (misplaced >= 0) {
                claim(idx, leaf); // only gathering who claims what, to classify the misplaced entry
                return Optional.empty();
            }
            if (idx < expected) {
                return bad(Tampering.INSERTED, idx, "index " + idx + " is stored twice");
            }
            if (idx > expected) {
                return bad(Tampering.DELETED, expected, "entry " + expected + " is missing (the next stored entry is " + idx + ")");
            }
            expected++;
            if (leaf == null || leafHash == null || !MessageDigest.isEqual(Hashes.leaf(leaf), leafHash)) {
                return bad(Tampering.EDITED, idx, "entry " + idx + " does not match its leaf hash");
            }
            long claim;
            try {
                claim = LeafCodec.decode(leaf).index();
            } catch (InvalidAuditEventException e) {
                return bad(Tampering.EDITED, idx, "entry " + idx + " is not a valid leaf: " + e.getMessage());
            }
            if (claim != idx) {
                if (claim < Integer.MAX_VALUE && claimed.get((int) claim)) {
                    return bad(Tampering.INSERTED, idx, "entry " + idx + " claims index " + claim + ", which an earlier entry claims");
                }
                misplaced = idx;
                misplacedClaim = claim;
                claim(idx, leaf);
                return Optional.empty();
            }
            if (claim < Integer.MAX_VALUE) {
                claimed.set((int) claim);
            }
            tree.append(leafHash, ignore);
            return checkHeads();
        }

        private void claim(long idx, byte[] leaf) {
            try {
                long claim = LeafCodec.decode(leaf).index();
                if (claim < Integer.MAX_VALUE) {
                    claimed.set((int) claim);
                }
            } catch (InvalidAuditEventException | NullPointerException e) {
                // an unreadable (or missing) leaf claims nothing
            }
        }

        /** Checks every head whose size the walk has just reached. */
        Optional<Tampered> checkHeads() throws SQLException {
            while (heads.peek().filter(h -> h.treeSize() == tree.size()).isPresent()) {
                SignedTreeHead head = heads.take();
                byte[] root = tree.root();
                if (!MessageDigest.isEqual(root, head.rootHash())) {
                    return bad(Tampering.ROOT_MISMATCH, goodHeadSize, "the tree head at size " + head.treeSize()
                            + " records root " + HexFormat.of().formatHex(head.rootHash()) + " but the entries hash to "
                            + HexFormat.of().formatHex(root) + ": the head, or an entry from " + goodHeadSize + " to "
                            + (head.treeSize() - 1) + ", was changed");
                }
                try {
                    head.verify(keys);
                } catch (GeneralSecurityException e) {
                    return bad(Tampering.BAD_SIGNATURE, head.treeSize(), "the tree head at size " + head.treeSize()
                            + " has no valid signature by the given keys: " + e.getMessage());
                }
                goodHeadSize = head.treeSize();
            }
            return Optional.empty();
        }

        AuditVerification finish() throws SQLException {
            if (misplaced >= 0) {
                boolean elsewhere = misplaced < Integer.MAX_VALUE && claimed.get((int) misplaced);
                return elsewhere
                        ? new Tampered(Tampering.REORDERED, misplaced, "entry " + misplaced + " is stored at index "
                                + misplaced + " but claims " + misplacedClaim + "; the entry claiming " + misplaced + " is stored elsewhere")
                        : new Tampered(Tampering.DELETED, misplaced, "no entry claims index " + misplaced
                                + "; the entry stored there claims " + misplacedClaim);
            }
            if (heads.peek().isPresent()) {
                SignedTreeHead head = heads.last().orElseThrow();
                return new Tampered(Tampering.DELETED, tree.size(), "the tree head at size " + head.treeSize()
                        + " covers entries up to " + (head.treeSize() - 1) + " but only " + tree.size() + " are stored");
            }
            return new Intact(tree.size(), goodHeadSize, heads.taken());
        }

        private static Optional<Tampered> bad(Tampering kind, long index, String detail) {
            return Optional.of(new Tampered(kind, index, detail));
        }
    }
}
