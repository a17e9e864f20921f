package io.bulwark.node.identity;

import io.bulwark.label.InvalidLabelException;
import io.bulwark.label.PolicySet;
import io.bulwark.label.Subject;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Who is authenticated: a local user or the subject of an OIDC provider's token.
 *
 * @param name        the user name (a local user's name; an OIDC token's {@code sub})
 * @param nationality ISO 3166-1 alpha-3 code, e.g. {@code DEU}
 * @param clearances  as written in markings: {@code NATO SECRET}, {@code GEHEIM}, {@code DEU GEHEIM}
 * @param cois        communities of interest and other restrictive values held, e.g. {@code ISR}
 * @param roles       at least one
 * @param issuer      who vouches for it: {@code bulwark:<nation>:<node>} or the OIDC issuer
 */
public record Principal(String name, String nationality, List<String> clearances, Set<String> cois,
                        Set<Role> roles, String issuer) {

    static final Pattern NATION = Pattern.compile("[A-Z]{3}");
    static final int MAX_TEXT = 256;

    /** @throws InvalidIdentityException if a field breaks its rule */
    public Principal {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(nationality, "nationality");
        Objects.requireNonNull(issuer, "issuer");
        text(name, "name");
        text(issuer, "issuer");
        if (!NATION.matcher(nationality).matches()) {
            throw invalid("nationality", "'" + nationality + "' is not an ISO 3166-1 alpha-3 code (e.g. DEU)");
        }
        clearances = List.copyOf(clearances);
        for (int i = 0; i < clearances.size(); i++) {
            text(clearances.get(i), "clearances[" + i + "]");
        }
        cois = Collections.unmodifiableSet(new TreeSet<>(List.copyOf(cois)));
        for (String coi : cois) {
            text(coi, "cois");
        }
        if (roles.isEmpty()) {
            throw invalid("roles", "a principal has at least one role (" + Role.ALL + ")");
        }
        roles = Collections.unmodifiableSet(EnumSet.copyOf(List.copyOf(roles)));
    }

    /**
     * Who this is, as one string: the issuer that vouched for them and their name there. Not the
     * nationality or other attributes: an identity provider may change those between two requests of
     * the same person.
     */
    public String identity() {
        return issuer + " " + name;
    }

    private static void text(String value, String field) {
        if (value.isBlank() || value.length() > MAX_TEXT || value.chars().anyMatch(Character::isISOControl)
                || !value.equals(value.strip())) {
            throw invalid(field, "1 to " + MAX_TEXT + " characters, no control characters, no surrounding spaces");
        }
    }

    private static InvalidIdentityException invalid(String field, String rule) {
        return new InvalidIdentityException("principal", field, rule);
    }

    /** Whether the principal holds this role. */
    public boolean has(Role role) {
        return roles.contains(role);
    }

    /**
     * The principal as a subject of access decisions under these policies: each clearance read by
     * {@link PolicySet#parseClassification}, and the whole checked by {@link PolicySet#compile(Subject)}
     * (nationality, clearances, communities of interest), so the subject returned is one the
     * policy set accepts.
     *
     * @throws InvalidIdentityException if a clearance is not a classification of the policy set, or a
     *                                  community of interest is not one of its restrictive values;
     *                                  the message names the principal, the position and the rule
     */
    public Subject toSubject(PolicySet policies) {
        String input = "principal '" + name + "' of " + issuer;
        List<Subject.Clearance> parsed = new ArrayList<>(clearances.size());
        for (int i = 0; i < clearances.size(); i++) {
            try {
                parsed.add(policies.parseClassification(clearances.get(i)));
            } catch (InvalidLabelException e) {
                throw new InvalidIdentityException(input, "clearances[" + i + "]", e.rule(), e);
            }
        }
        Subject subject = new Subject(nationality, parsed, cois);
        try {
            policies.compile(subject);
        } catch (InvalidLabelException e) {
            throw new InvalidIdentityException(input, e.position().orElse(""), e.rule(), e);
        }
        return subject;
    }
}
