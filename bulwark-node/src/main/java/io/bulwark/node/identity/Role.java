package io.bulwark.node.identity;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What a principal may do on a node, apart from what labels allow. Roles separate duties: the one
 * who runs a node is not the one who reads its data, and sensitive operations need an officer.
 */
public enum Role {
    /** Reads and publishes records, as far as labels allow. */
    ANALYST,
    /** Runs the node (configuration, peers, sites, backups); never reads payloads. */
    OPERATOR,
    /** Security officer: approves sensitive operations (M-of-N), reads the audit log. */
    OFFICER;

    /** Every role's text form, for messages: {@code analyst, operator, officer}. */
    static final String ALL = Arrays.stream(values()).map(Role::id).collect(Collectors.joining(", "));

    /** The role's text form in files and tokens: its name in lower case ({@code analyst}). */
    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /**
     * The role named by {@code text}, case-insensitively ({@code analyst}, {@code OFFICER}).
     *
     * @throws InvalidIdentityException if it names no role
     */
    public static Role parse(String text) {
        return find(text).orElseThrow(() -> new InvalidIdentityException(
                "role '" + text + "'", "", "not a role; the roles are " + ALL));
    }

    /** The role named by {@code text}, case-insensitively, if there is one. */
    static Optional<Role> find(String text) {
        // ASCII only: equalsIgnoreCase alone would take the dotless 'ı' of "offıcer" for an 'I'.
        if (text == null || !text.chars().allMatch(c -> c < 128)) return Optional.empty();
        for (Role r : values()) {
            if (r.name().equalsIgnoreCase(text)) return Optional.of(r);
        }
        return Optional.empty();
    }
}
