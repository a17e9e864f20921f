package io.bulwark.store;

/**
 * The acknowledgement of a committed change.
 *
 * @param seq      the change-log sequence number of the change
 * @param replayed {@code true} if the store already held this change (an at-least-once redelivery):
 *                 nothing was written and {@code seq} is that of the earlier change, so a caller
 *                 can skip the side effects (audit, notify, push) it already performed once
 */
public record ChangeReceipt(long seq, boolean replayed) {

    public ChangeReceipt {
        if (seq <= 0) {
            throw new IllegalArgumentException("seq must be positive: " + seq);
        }
    }
}
