package io.bulwark.node.identity;

import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * A user of an embedded node, as kept by {@link LocalUsers}. Built freely; {@link LocalUsers#add}
 * validates it against the node's policies.
 *
 * @param name        {@code [a-z][a-z0-9._-]{0,63}}
 * @param nationality ISO 3166-1 alpha-3 code
 * @param clearances  as written in markings: {@code NATO SECRET}, {@code GEHEIM}
 * @param cois        communities of interest (restrictive category values), e.g. {@code ISR}
 * @param roles       at least one
 */
public record User(String name, String nationality, List<String> clearances, Set<String> cois, Set<Role> roles) {

    public User {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(nationality, "nationality");
        clearances = List.copyOf(clearances);
        cois = Collections.unmodifiableSet(new TreeSet<>(List.copyOf(cois)));
        roles = roles.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(List.copyOf(roles)));
    }

    /** A user with the default role, {@link Role#ANALYST}. */
    public User(String name, String nationality, List<String> clearances, Set<String> cois) {
        this(name, nationality, clearances, cois, Set.of(Role.ANALYST));
    }

    /** This user, authenticated by {@code issuer} (a node's {@link LocalTokens#issuer()}). */
    public Principal toPrincipal(String issuer) {
        return new Principal(name, nationality, clearances, cois, roles, issuer);
    }
}
