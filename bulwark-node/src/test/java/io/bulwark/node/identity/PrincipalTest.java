package io.bulwark.node.identity;

import io.bulwark.label.PolicySet;
import io.bulwark.label.Subject;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class PrincipalTest {

    static final PolicySet POLICIES = PolicySet.defaults();

    static Principal principal(List<String> clearances, Set<String> cois) {
        return new Principal("alice", "DEU", clearances, cois, Set.of(Role.ANALYST), "bulwark:DEU:node1");
    }

    @Test
    void becomesASubjectWithEachClearanceReadAsAMarking() {
        Subject s = principal(List.of("NATO SECRET", "GEHEIM"), Set.of("ISR")).toSubject(POLICIES);
        assertThat(s.nationality()).isEqualTo("DEU");
        assertThat(s.clearances()).containsExactly(new Subject.Clearance("NATO", "SECRET"),
                new Subject.Clearance("DEU", "GEHEIM"));
        assertThat(s.cois()).containsExactly("ISR");
    }

    @Test
    void aClearanceThePoliciesDoNotKnowIsAPreciseError() {
        assertThatThrownBy(() -> principal(List.of("NATO SECRET", "ULTRA"), Set.of()).toSubject(POLICIES))
                .isInstanceOf(InvalidIdentityException.class)
                .hasMessage("principal 'alice' of bulwark:DEU:node1 at clearances[1]: 'ULTRA' is not a classification"
                        + " of any loaded policy (NATO, DEU, FRA, GBR, USA); write it as its marking phrase"
                        + " (NATO SECRET) or as policy and level (DEU GEHEIM)");
    }

    @Test
    void aCoiThePoliciesDoNotKnowIsAPreciseError() {
        assertThatThrownBy(() -> principal(List.of(), Set.of("NOPE")).toSubject(POLICIES))
                .isInstanceOf(InvalidIdentityException.class)
                .hasMessage("principal 'alice' of bulwark:DEU:node1 at cois: 'NOPE' is not a restrictive category"
                        + " value (community of interest) of any loaded policy");
    }

    @Test
    void fieldsAreValidated() {
        assertThatThrownBy(() -> new Principal("alice", "Deu", List.of(), Set.of(), Set.of(Role.ANALYST), "x"))
                .hasMessage("principal at nationality: 'Deu' is not an ISO 3166-1 alpha-3 code (e.g. DEU)");
        assertThatThrownBy(() -> new Principal("alice", "DEU", List.of(), Set.of(), Set.of(), "x"))
                .hasMessage("principal at roles: a principal has at least one role (analyst, operator, officer)");
        assertThatThrownBy(() -> new Principal("al\nice", "DEU", List.of(), Set.of(), Set.of(Role.ANALYST), "x"))
                .hasMessage("principal at name: 1 to 256 characters, no control characters, no surrounding spaces");
        assertThatThrownBy(() -> new Principal("alice", "DEU", List.of(" "), Set.of(), Set.of(Role.ANALYST), "x"))
                .hasMessage("principal at clearances[0]: 1 to 256 characters, no control characters, no surrounding spaces");
    }

    @Test
    void rolesAreChecked() {
        Principal p = new Principal("alice", "DEU", List.of(), Set.of(), Set.of(Role.OPERATOR), "x");
        assertThat(p.has(Role.OPERATOR)).isTrue();
        assertThat(p.has(Role.ANALYST)).isFalse();
    }
}
