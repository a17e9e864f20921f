package io.bulwark.node;

import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.User;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The local users as they are now: a node-signed token names a user, and the node takes that
 * user's current attributes from users.json (re-read when it changes), so removing a user or lowering
 * a clearance takes effect at the next request rather than when the token expires.
 */
final class CurrentUsers {

    private final Path home;
    private final PolicySet policies;
    private final String localIssuer;
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CurrentUsers.class);
    private FileTime loadedAt = FileTime.fromMillis(-1);
    /** The version of the file last refused, so that it is logged once. */
    private FileTime refusedAt;
    private LocalUsers users;
    /** The principals of {@link #users}, made on first use; emptied whenever users.json is read again. */
    private final Map<String, Principal> principals = new HashMap<>();

    CurrentUsers(Path home, PolicySet policies, String localIssuer) {
        this.home = home;
        this.policies = policies;
        this.localIssuer = localIssuer;
    }

    /**
     * The principal to act as: an external issuer's unchanged, a local user's as users.json says now;
     * empty if the local user no longer exists.
     */
    Optional<Principal> current(Principal fromToken) {
        return current(fromToken, Optional.empty());
    }

    /**
     * As above, for a token issued at {@code issuedAt}: a local user's token issued before the user
     * was added (to the second: a token's time has no finer grain) names an earlier user of that name,
     * removed since, and speaks for nobody now.
     */
    synchronized Optional<Principal> current(Principal fromToken, Optional<Instant> issuedAt) {
        if (!fromToken.issuer().equals(localIssuer)) {
            return Optional.of(fromToken);
        }
        try {
            FileTime modified;
            try {
                modified = Files.getLastModifiedTime(home.resolve(LocalUsers.FILE_NAME));
            } catch (NoSuchFileException e) {
                return Optional.empty();
            }
            if (users == null || !modified.equals(loadedAt)) {
                try {
                    users = LocalUsers.open(home, policies);
                } catch (io.bulwark.node.identity.InvalidIdentityException e) {
                    // Edited by hand into something invalid: no local user acts until an operator fixes it
                    // (the last good reading is not trusted either: the edit may have removed someone).
                    users = null;
                    if (!modified.equals(refusedAt)) LOG.error("the local users file is invalid; local users are refused until it is fixed: {}", e.getMessage());
                    refusedAt = modified;
                    throw new Problem(503, "Local users unavailable", "the node's local users file is invalid; an operator must fix it");
                }
                loadedAt = modified;
                principals.clear();
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the local users", e);
        }
        // One Principal per user and reading of the file (at most as many as users.json holds), so a
        // request does not build and validate it again; a new reading of the file starts afresh.
        Optional<Instant> added = users.addedAt(fromToken.name());
        if (issuedAt.isPresent() && added.isPresent() && issuedAt.get().isBefore(added.get().truncatedTo(java.time.temporal.ChronoUnit.SECONDS))) {
            return Optional.empty();
        }
        Principal known = principals.get(fromToken.name());
        if (known != null) {
            return Optional.of(known);
        }
        Optional<Principal> found = users.find(fromToken.name()).map((User u) -> u.toPrincipal(localIssuer));
        found.ifPresent(p -> principals.put(p.name(), p));
        return found;
    }
}
