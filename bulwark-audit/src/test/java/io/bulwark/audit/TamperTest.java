package io.bulwark.audit;

import io.bulwark.audit.AuditVerification.Intact;
import io.bulwark.audit.AuditVerification.Tampered;
import io.bulwark.audit.AuditVerification.Tampering;
import io.bulwark.audit.internal.LeafCodec;
import io.bulwark.crypto.SigningKeyset;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Invariant 6: editing, deleting, inserting or reordering an entry in the database file is detected. */
class TamperTest {

    static final int ENTRIES = 40;

    @TempDir
    Path dir;
    Path file;

    /** 40 entries with signed heads at 10, 20, 30 and (at close) 40. */
    @BeforeEach
    void writeLog() {
        file = dir.resolve("audit.db");
        try (AuditLog log = AuditLogTest.open(file)) {
            for (int i = 0; i < ENTRIES; i++) {
                log.append(AuditLogTest.event(i));
                if (i % 10 == 9 && i < ENTRIES - 1) log.signTreeHead();
            }
        }
        assertThat(verify()).isEqualTo(new Intact(ENTRIES, ENTRIES, 4));
    }

    @Test
    void editedLeafIsNamed() throws Exception {
        sql("UPDATE audit_entry SET leaf = CAST(REPLACE(CAST(leaf AS TEXT), 'user-5', 'user-6') AS BLOB) WHERE idx = 12");
        assertTampered(Tampering.EDITED, 12);
    }

    @Test
    void editedLeafHashIsNamed() throws Exception {
        sql("UPDATE audit_entry SET leaf_hash = zeroblob(32) WHERE idx = 3");
        assertTampered(Tampering.EDITED, 3);
    }

    @Test
    void leafRewrittenWithAConsistentHashIsCaughtByTheNextHead() throws Exception {
        byte[] forged = LeafCodec.encode(25, AuditEvent.of(AuditEvent.Type.READ, AuditLogTest.T0, "nobody", AuditEvent.Outcome.SUCCESS));
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("UPDATE audit_entry SET leaf = ?, leaf_hash = ? WHERE idx = 25")) {
            s.setBytes(1, forged);
            s.setBytes(2, AuditProofs.leafHash(forged));
            s.executeUpdate();
        }
        // The head at 30 no longer matches; the heads up to 20 still do, so the change lies in 20..29.
        Tampered t = assertTampered(Tampering.ROOT_MISMATCH, 20);
        assertThat(t.detail()).contains("tree head at size 30").contains("from 20 to 29");
    }

    @Test
    void deletedEntryIsNamed() throws Exception {
        sql("DELETE FROM audit_entry WHERE idx = 7");
        assertTampered(Tampering.DELETED, 7);
    }

    @Test
    void deletionHiddenByRenumberingIsNamed() throws Exception {
        sql("DELETE FROM audit_entry WHERE idx = 7");
        sql("UPDATE audit_entry SET idx = idx - 1 WHERE idx > 7");
        assertTampered(Tampering.DELETED, 7);
    }

    @Test
    void truncatedTailIsNamed() throws Exception {
        sql("DELETE FROM audit_entry WHERE idx >= 35");
        assertTampered(Tampering.DELETED, 35);
    }

    @Test
    void copiedEntryAppendedIsNamed() throws Exception {
        sql("INSERT INTO audit_entry (idx, leaf, leaf_hash) SELECT 40, leaf, leaf_hash FROM audit_entry WHERE idx = 3");
        assertTampered(Tampering.INSERTED, 40);
    }

    @Test
    void entryInsertedInTheMiddleIsNamed() throws Exception {
        // Make room at 15 by shifting 15.. up (in two steps: SQLite checks the key per row), then forge entry 15.
        sql("UPDATE audit_entry SET idx = idx + 1000 WHERE idx >= 15");
        sql("UPDATE audit_entry SET idx = idx - 999 WHERE idx >= 1000");
        byte[] forged = LeafCodec.encode(15, AuditEvent.of(AuditEvent.Type.ADMIN, AuditLogTest.T0, "mallory", AuditEvent.Outcome.SUCCESS));
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("INSERT INTO audit_entry (idx, leaf, leaf_hash) VALUES (15, ?, ?)")) {
            s.setBytes(1, forged);
            s.setBytes(2, AuditProofs.leafHash(forged));
            s.executeUpdate();
        }
        // The forged leaf is self-consistent; the displaced entry 15, now at 16, gives it away.
        Tampered t = assertTampered(Tampering.INSERTED, 16);
        assertThat(t.detail()).isEqualTo("entry 16 claims index 15, which an earlier entry claims");
    }

    @Test
    void swappedEntriesAreNamed() throws Exception {
        sql("UPDATE audit_entry SET idx = -1 WHERE idx = 4");
        sql("UPDATE audit_entry SET idx = 4 WHERE idx = 9");
        sql("UPDATE audit_entry SET idx = 9 WHERE idx = -1");
        assertTampered(Tampering.REORDERED, 4);
    }

    @Test
    void changedTreeHeadRootIsNamed() throws Exception {
        sql("UPDATE audit_tree_head SET root_hash = zeroblob(32) WHERE tree_size = 20");
        Tampered t = assertTampered(Tampering.ROOT_MISMATCH, 10);
        assertThat(t.detail()).contains("tree head at size 20");
    }

    @Test
    void aLatestHeadNotSignedByTheNodeIsRefusedAtOpen() throws Exception {
        // Entries rewritten and a head made to match them: its root is right, its signature is nobody's.
        signHeadWithAnotherKey(40);
        assertThatThrownBy(() -> AuditLogTest.open(file)).isInstanceOf(AuditException.class)
                .hasMessageContaining("latest tree head").hasMessageContaining("size 40").hasMessageContaining("not signed by this node's keys");
    }

    @Test
    void forgedSignatureIsNamed() throws Exception {
        // A well-formed signature over the right input, by a key the verifier does not trust.
        signHeadWithAnotherKey(30);
        assertTampered(Tampering.BAD_SIGNATURE, 30);
    }

    /** Replaces the signature of the tree head at {@code size} with a well-formed one by a key nobody trusts. */
    private void signHeadWithAnotherKey(int size) throws Exception {
        byte[] input;
        try (Connection c = connect(); PreparedStatement q = c.prepareStatement("SELECT root_hash, timestamp_ms FROM audit_tree_head WHERE tree_size = ?")) {
            q.setInt(1, size);
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                input = SignedTreeHead.signingInput(size, rs.getBytes(1), java.time.Instant.ofEpochMilli(rs.getLong(2)));
            }
        }
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("UPDATE audit_tree_head SET signature = ? WHERE tree_size = ?")) {
            s.setBytes(1, SigningKeyset.generate().sign(input));
            s.setInt(2, size);
            s.executeUpdate();
        }
    }

    @Test
    void corruptedSignatureIsNamed() throws Exception {
        sql("UPDATE audit_tree_head SET signature = substr(signature, 1, 100) WHERE tree_size = 10");
        assertTampered(Tampering.BAD_SIGNATURE, 10);
    }

    @Test
    void aTamperedLogRefusesToOpenForAppending() throws Exception {
        sql("DELETE FROM audit_entry WHERE idx = 7");
        assertThatThrownBy(() -> AuditLogTest.open(file)).isInstanceOf(AuditException.class)
                .hasMessageEndingWith("lacks entry 7: run bulwark audit verify");
    }

    @Test
    void aLogWhoseEntriesNoLongerMatchItsLatestHeadRefusesToOpen() throws Exception {
        byte[] forged = LeafCodec.encode(39, AuditEvent.of(AuditEvent.Type.READ, AuditLogTest.T0, "nobody", AuditEvent.Outcome.SUCCESS));
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("UPDATE audit_entry SET leaf = ?, leaf_hash = ? WHERE idx = 39")) {
            s.setBytes(1, forged);
            s.setBytes(2, AuditProofs.leafHash(forged));
            s.executeUpdate();
        }
        assertThatThrownBy(() -> AuditLogTest.open(file)).isInstanceOf(AuditException.class)
                .hasMessageEndingWith("no longer match its tree head at size 40: run bulwark audit verify");
    }

    @Test
    void editsBeyondTheLatestHeadAreCoveredOnlyByLeafHashes() throws Exception {
        // An entry forged after the last head, self-consistent: nothing signed covers it. Documented limit.
        byte[] forged = LeafCodec.encode(ENTRIES, AuditEvent.of(AuditEvent.Type.READ, AuditLogTest.T0, "x", AuditEvent.Outcome.SUCCESS));
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement("INSERT INTO audit_entry (idx, leaf, leaf_hash) VALUES (?, ?, ?)")) {
            s.setLong(1, ENTRIES);
            s.setBytes(2, forged);
            s.setBytes(3, AuditProofs.leafHash(forged));
            s.executeUpdate();
        }
        assertThat(verify()).isEqualTo(new Intact(ENTRIES + 1, ENTRIES, 4));
        assertThat(new String(forged, StandardCharsets.UTF_8)).contains("\"index\":40");
    }

    private AuditVerification verify() {
        return AuditVerifier.verify(file, AuditLogTest.KEYS.publicKeys());
    }

    private Tampered assertTampered(Tampering kind, long index) {
        AuditVerification result = verify();
        assertThat(result).isInstanceOf(Tampered.class);
        Tampered t = (Tampered) result;
        assertThat(t.kind()).as(t.detail()).isEqualTo(kind);
        assertThat(t.index()).as(t.detail()).isEqualTo(index);
        return t;
    }

    private Connection connect() throws SQLException {
        return DriverManager.getConnection("jdbc:sqlite:" + file);
    }

    private void sql(String statement) throws SQLException {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.executeUpdate(statement);
        }
    }
}
