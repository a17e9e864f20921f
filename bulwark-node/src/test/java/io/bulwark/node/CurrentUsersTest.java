package io.bulwark.node;

import io.bulwark.label.PolicySet;
import io.bulwark.node.identity.LocalUsers;
import io.bulwark.node.identity.Principal;
import io.bulwark.node.identity.Role;
import io.bulwark.node.identity.User;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

class CurrentUsersTest {

    static final PolicySet POLICIES = PolicySet.defaults();
    static final String LOCAL = "bulwark:DEU:deu-1";

    @Test
    void aRemovedUsersTokenStopsWorkingAndAChangedClearanceTakesEffect(@TempDir Path home) throws Exception {
        LocalUsers users = LocalUsers.open(home, POLICIES);
        users.add(new User("anna", "DEU", List.of("NATO SECRET"), Set.of("ISR"), Set.of(Role.ANALYST)));
        users.add(new User("bob", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        CurrentUsers current = new CurrentUsers(home, POLICIES, LOCAL);
        Principal annaToken = new Principal("anna", "DEU", List.of("NATO SECRET"), Set.of("ISR"), Set.of(Role.ANALYST), LOCAL);
        Principal bobToken = new Principal("bob", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), LOCAL);
        assertThat(current.current(annaToken)).contains(annaToken);

        users.remove("anna");
        users.remove("bob");
        users.add(new User("bob", "DEU", List.of("NATO RESTRICTED"), Set.of(), Set.of(Role.ANALYST)));
        touch(home); // the file's time must differ even when both writes fall in one clock tick

        assertThat(current.current(annaToken)).isEmpty();
        assertThat(current.current(bobToken)).get().extracting(Principal::clearances).isEqualTo(List.of("NATO RESTRICTED"));
    }

    @Test
    void theSamePrincipalUntilTheFileChanges(@TempDir Path home) throws Exception {
        LocalUsers users = LocalUsers.open(home, POLICIES);
        users.add(new User("anna", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        CurrentUsers current = new CurrentUsers(home, POLICIES, LOCAL);
        Principal token = new Principal("anna", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), LOCAL);
        Principal first = current.current(token).orElseThrow();
        assertThat(current.current(token).orElseThrow()).isSameAs(first);
        users.remove("anna");
        touch(home);
        assertThat(current.current(token)).isEmpty();
        users.add(new User("anna", "DEU", List.of("NATO RESTRICTED"), Set.of(), Set.of(Role.ANALYST)));
        Files.setLastModifiedTime(home.resolve(LocalUsers.FILE_NAME), FileTime.from(Instant.now().plusSeconds(10)));
        assertThat(current.current(token)).get().extracting(Principal::clearances).isEqualTo(List.of("NATO RESTRICTED"));
    }

    @Test
    void aUsersFileEditedIntoSomethingInvalidRefusesLocalUsersWith503UntilFixed(@TempDir Path home) throws Exception {
        LocalUsers users = LocalUsers.open(home, POLICIES);
        users.add(new User("anna", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST)));
        CurrentUsers current = new CurrentUsers(home, POLICIES, LOCAL);
        Principal token = new Principal("anna", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), LOCAL);
        assertThat(current.current(token)).isPresent();
        Path file = home.resolve(LocalUsers.FILE_NAME);
        String good = Files.readString(file);
        Files.writeString(file, good.replace("NATO SECRET", "NATO SUPERSECRET"));
        touch(home);

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> current.current(token)).isInstanceOfSatisfying(Problem.class,
                p -> assertThat(p.status()).isEqualTo(503));
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> current.current(token)).isInstanceOf(Problem.class); // not the last good reading

        Files.writeString(file, good);
        Files.setLastModifiedTime(file, FileTime.from(Instant.now().plusSeconds(10)));
        assertThat(current.current(token)).isPresent();
    }

    @Test
    void aTokenIssuedToAnEarlierUserOfTheSameNameSpeaksForNobody(@TempDir Path home) throws Exception {
        LocalUsers users = LocalUsers.open(home, POLICIES);
        users.add(new User("olga", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OFFICER)));
        CurrentUsers current = new CurrentUsers(home, POLICIES, LOCAL);
        Principal token = new Principal("olga", "DEU", List.of("NATO SECRET"), Set.of(), Set.of(Role.OFFICER), LOCAL);
        java.util.Optional<Instant> issuedBefore = java.util.Optional.of(Instant.now().minusSeconds(60));
        assertThat(current.current(token, issuedBefore)).as("issued before this olga was added").isEmpty();

        // A token issued after the user was added (the file keeps when: a restart does not forget it).
        java.util.Optional<Instant> issuedAfter = java.util.Optional.of(Instant.now().plusSeconds(1));
        assertThat(current.current(token, issuedAfter)).isPresent();
        assertThat(LocalUsers.open(home, POLICIES).addedAt("olga")).isPresent();
        assertThat(new CurrentUsers(home, POLICIES, LOCAL).current(token, issuedBefore)).isEmpty();

        // A file from before the time was kept: its users' tokens work as they did.
        Path file = home.resolve(LocalUsers.FILE_NAME);
        Files.writeString(file, Files.readString(file).replaceAll(",\\s*\"added\"\\s*:\\s*\"[^\"]*\"", ""));
        touch(home);
        assertThat(current.current(token, issuedBefore)).isPresent();
    }

    @Test
    void externalIssuersPassUnchanged(@TempDir Path home) {
        Principal oidc = new Principal("eve", "FRA", List.of("NATO SECRET"), Set.of(), Set.of(Role.ANALYST), "https://idp.example");
        assertThat(new CurrentUsers(home, POLICIES, LOCAL).current(oidc)).contains(oidc);
    }

    private static void touch(Path home) throws Exception {
        Files.setLastModifiedTime(home.resolve(LocalUsers.FILE_NAME), FileTime.from(Instant.now().plusSeconds(5)));
    }
}
