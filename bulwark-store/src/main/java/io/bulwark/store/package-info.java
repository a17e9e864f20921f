/**
 * One node's storage: record metadata with its change log ({@link io.bulwark.store.MetadataStore})
 * and sealed-record bytes ({@link io.bulwark.store.BlobStore}).
 *
 * <p>The store keeps opaque bytes and the metadata a node needs to list, filter, replicate and
 * retract. It knows nothing of what a label means and nothing of cryptography: the label travels as
 * caller-supplied canonical JSON plus a few columns to filter on, and digests are supplied by the
 * caller (or computed over the bytes as written, for blobs). Access decisions belong to the node;
 * the store makes them cheap to apply ({@link io.bulwark.store.MetadataStore#scan}) without ever
 * counting or paging over records the caller may not see.
 *
 * <p>Expected outcomes are values ({@link io.bulwark.store.StoreResult}); bad input is an
 * {@link io.bulwark.store.InvalidInputException} naming the input, the position and the rule;
 * infrastructure faults are an unchecked {@link io.bulwark.store.StoreException}.
 *
 * <p>Implementations: {@link io.bulwark.store.sqlite.SqliteMetadataStore},
 * {@link io.bulwark.store.blob.FilesystemBlobStore} and {@link io.bulwark.store.blob.s3.S3BlobStore}.
 * Storage sites, residency placement, replication over sites, provider evacuation and repair are in
 * {@code io.bulwark.store.site} ({@code docs/storage.md}). The durability protocol that ties the two
 * together is described on {@link io.bulwark.store.OrphanSweeper} and in
 * {@code docs/decisions/2026-11-26-store-durability.md}.
 */
package io.bulwark.store;
