/**
 * The node's tamper-evident audit log ({@link io.bulwark.audit.AuditLog}): security events
 * ({@link io.bulwark.audit.AuditEvent}) appended to an RFC 9162 Merkle tree in a SQLite file, signed
 * tree heads ({@link io.bulwark.audit.SignedTreeHead}), inclusion and consistency proofs checked by
 * {@link io.bulwark.audit.AuditProofs}, a whole-file check ({@link io.bulwark.audit.AuditVerifier}) and
 * a JSON Lines export. The formats are specified in {@code docs/formats/audit-log.md}.
 *
 * <p>Bad events are an {@link io.bulwark.audit.InvalidAuditEventException} naming the field and rule;
 * faults of the database or of signing an unchecked {@link io.bulwark.audit.AuditException}; a proof
 * that does not verify a checked {@link io.bulwark.audit.InvalidProofException}.
 */
package io.bulwark.audit;
