package io.bulwark.node.identity;

import io.bulwark.label.PolicySet;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class LocalUsersTest {

    static final PolicySet POLICIES = PolicySet.defaults();

    @TempDir
    Path home;

    static User alice() {
        return new User("alice", "DEU", List.of("NATO SECRET", "GEHEIM"), Set.of("ISR"), Set.of(Role.ANALYST));
    }

    static User bob() {
        return new User("bob", "FRA", List.of("NATO CONFIDENTIAL"), Set.of(), Set.of(Role.OPERATOR, Role.OFFICER));
    }

    LocalUsers open() {
        return LocalUsers.open(home, POLICIES);
    }

    @Nested
    class Operations {

        @Test
        void aNewHomeHasNoUsers() {
            assertThat(open().list()).isEmpty();
            assertThat(home.resolve("users.json")).doesNotExist();
        }

        @Test
        void addedUsersAreFoundAndListedByName() {
            LocalUsers users = open();
            users.add(bob());
            users.add(alice());
            assertThat(users.find("alice")).contains(alice());
            assertThat(users.find("carol")).isEmpty();
            assertThat(users.list()).containsExactly(alice(), bob());
        }

        @Test
        void theDefaultRoleIsAnalyst() {
            User carol = new User("carol", "GBR", List.of("NATO SECRET"), Set.of());
            assertThat(carol.roles()).containsExactly(Role.ANALYST);
            LocalUsers users = open();
            users.add(carol);
            assertThat(users.find("carol").orElseThrow().roles()).containsExactly(Role.ANALYST);
        }

        @Test
        void removeReturnsTheRemovedUser() {
            LocalUsers users = open();
            users.add(alice());
            users.add(bob());
            assertThat(users.remove("alice")).contains(alice());
            assertThat(users.find("alice")).isEmpty();
            assertThat(users.list()).containsExactly(bob());
            assertThat(users.remove("alice")).isEmpty();
        }

        @Test
        void aUserBecomesAPrincipalOfAnIssuer() {
            Principal p = alice().toPrincipal("bulwark:DEU:node1");
            assertThat(p).isEqualTo(new Principal("alice", "DEU", List.of("NATO SECRET", "GEHEIM"), Set.of("ISR"),
                    Set.of(Role.ANALYST), "bulwark:DEU:node1"));
        }
    }

    @Nested
    class Persistence {

        @Test
        void usersSurviveAReopen() {
            LocalUsers users = open();
            users.add(alice());
            users.add(bob());
            LocalUsers again = open();
            assertThat(again.list()).containsExactly(alice(), bob());
            assertThat(again.find("bob").orElseThrow().roles()).containsExactlyInAnyOrder(Role.OPERATOR, Role.OFFICER);
        }

        @Test
        void aRemovalSurvivesAReopen() {
            LocalUsers users = open();
            users.add(alice());
            users.add(bob());
            users.remove("alice");
            assertThat(open().list()).containsExactly(bob());
        }

        @Test
        void theFileIsVersionedJsonWithRolesInLowerCaseAndNoTemporaryFileRemains() throws IOException {
            open().add(bob());
            String json = Files.readString(home.resolve("users.json"));
            assertThat(json.replaceAll("\\s", "").replaceAll(",\"added\":\"[0-9T:.Z-]+\"", "")).isEqualTo("{\"version\":1,\"users\":[{\"name\":\"bob\","
                    + "\"nationality\":\"FRA\",\"clearances\":[\"NATOCONFIDENTIAL\"],\"cois\":[],"
                    + "\"roles\":[\"operator\",\"officer\"]}]}");
            assertThat(json).as("when the user was added").containsPattern("\"added\" : \"20[0-9-]+T[0-9:.]+Z\"");
            try (var files = Files.list(home)) {
                assertThat(files.map(p -> p.getFileName().toString())).containsExactly("users.json");
            }
        }

        @Test
        void aFailedAddChangesNothing() throws IOException {
            LocalUsers users = open();
            users.add(alice());
            byte[] before = Files.readAllBytes(home.resolve("users.json"));
            assertThatThrownBy(() -> users.add(new User("carol", "deu", List.of(), Set.of())))
                    .isInstanceOf(InvalidIdentityException.class);
            assertThat(Files.readAllBytes(home.resolve("users.json"))).isEqualTo(before);
            assertThat(users.list()).containsExactly(alice());
        }

        @Test
        void aTemporaryFileLeftByACrashIsRemovedOnOpen() throws IOException {
            open().add(alice());
            Path leftover = home.resolve("users.json.12345.tmp");
            Files.writeString(leftover, "{\"version\":1,\"us");
            assertThat(open().list()).containsExactly(alice());
            assertThat(leftover).doesNotExist();
        }
    }

    @Nested
    class Validation {

        void refused(User user, String message) {
            LocalUsers users = open();
            users.add(alice());
            assertThatThrownBy(() -> users.add(user)).isInstanceOf(InvalidIdentityException.class).hasMessage(message);
            assertThat(users.list()).containsExactly(alice());
        }

        static final String NAME_RULE = ": a user name is a lower-case letter, then up to 63 lower-case letters,"
                + " digits, '.', '_' or '-' ([a-z][a-z0-9._-]{0,63})";

        @Test
        void nameWithCapitals() {
            refused(new User("Carol", "GBR", List.of(), Set.of()), "user 'Carol' at name" + NAME_RULE);
        }

        @Test
        void nameStartingWithADigit() {
            refused(new User("1carol", "GBR", List.of(), Set.of()), "user '1carol' at name" + NAME_RULE);
        }

        @Test
        void nameTooLong() {
            String name = "c".repeat(65);
            refused(new User(name, "GBR", List.of(), Set.of()), "user '" + name + "' at name" + NAME_RULE);
        }

        @Test
        void nameOfSixtyFourCharactersIsAccepted() {
            LocalUsers users = open();
            users.add(new User("c".repeat(64), "GBR", List.of(), Set.of()));
            assertThat(users.find("c".repeat(64))).isPresent();
        }

        @Test
        void duplicateName() {
            refused(new User("alice", "FRA", List.of(), Set.of(), Set.of()), "user 'alice' at name: a user of that name already exists");
        }

        @Test
        void nationalityNotAlpha3() {
            refused(new User("carol", "de", List.of(), Set.of()),
                    "user 'carol' at nationality: 'de' is not an ISO 3166-1 alpha-3 code (e.g. DEU)");
        }

        @Test
        void unknownClearance() {
            refused(new User("carol", "DEU", List.of("NATO SECRET", "ULTRA SECRET"), Set.of()),
                    "user 'carol' at clearances[1]: 'ULTRA SECRET' is not a classification of any loaded policy"
                            + " (NATO, DEU, FRA, GBR, USA); write it as its marking phrase (NATO SECRET)"
                            + " or as policy and level (DEU GEHEIM)");
        }

        @Test
        void coiThatIsNotARestrictiveValue() {
            refused(new User("carol", "DEU", List.of(), Set.of("MANAGEMENT")),
                    "user 'carol' at cois: 'MANAGEMENT' is not a restrictive category value (community of interest)"
                            + " of any loaded policy");
        }

        @Test
        void noRoles() {
            refused(new User("carol", "DEU", List.of(), Set.of(), Set.of()),
                    "user 'carol' at roles: a user has at least one role (analyst, operator, officer)");
        }
    }

    @Nested
    class BadFile {

        InvalidIdentityException openFails(String json) throws IOException {
            Files.writeString(home.resolve("users.json"), json, StandardCharsets.UTF_8);
            try {
                open();
            } catch (InvalidIdentityException e) {
                return e;
            }
            throw new AssertionError("the file was accepted: " + json);
        }

        String file() {
            return "users file " + home.resolve("users.json");
        }

        @Test
        void notJson() throws IOException {
            assertThat(openFails("{\"version\": 1,\n \"users\": [}").getMessage())
                    .startsWith(file() + " at line 2, column 12: not valid JSON: ");
        }

        @Test
        void duplicateKey() throws IOException {
            assertThat(openFails("{\"version\": 1, \"version\": 1, \"users\": []}").getMessage())
                    .startsWith(file() + " at line 1, column 25: not valid JSON: Duplicate field 'version'");
        }

        @Test
        void wrongVersion() throws IOException {
            assertThat(openFails("{\"version\": 2, \"users\": []}"))
                    .hasMessage(file() + " at version: the version must be 1; this file says 2");
        }

        @Test
        void unknownField() throws IOException {
            assertThat(openFails("{\"version\": 1, \"users\": [{\"name\": \"alice\", \"password\": \"x\"}]}"))
                    .hasMessage(file() + " at users[0].password: unknown field; the fields are"
                            + " added, clearances, cois, name, nationality, roles");
        }

        @Test
        void unknownRole() throws IOException {
            assertThat(openFails("{\"version\": 1, \"users\": [{\"name\": \"alice\", \"nationality\": \"DEU\","
                    + " \"clearances\": [], \"cois\": [], \"roles\": [\"analyst\", \"root\"]}]}"))
                    .hasMessage(file() + " at users[0].roles[1]: 'root' is not a role; the roles are analyst, operator, officer");
        }

        @Test
        void aUserThatThePoliciesRefuse() throws IOException {
            assertThat(openFails("{\"version\": 1, \"users\": [{\"name\": \"alice\", \"nationality\": \"DEU\","
                    + " \"clearances\": [\"NATO SECRET\"], \"cois\": [\"NOPE\"], \"roles\": [\"analyst\"]}]}"))
                    .hasMessage(file() + " at users[0].cois: 'NOPE' is not a restrictive category value"
                            + " (community of interest) of any loaded policy");
        }

        @Test
        void twoUsersOfOneName() throws IOException {
            String user = "{\"name\": \"alice\", \"nationality\": \"DEU\", \"clearances\": [], \"cois\": [],"
                    + " \"roles\": [\"analyst\"]}";
            assertThat(openFails("{\"version\": 1, \"users\": [" + user + ", " + user + "]}"))
                    .hasMessage(file() + " at users[1].name: a second user named 'alice'");
        }

        @Test
        void aMissingField() throws IOException {
            assertThat(openFails("{\"version\": 1, \"users\": [{\"name\": \"alice\", \"clearances\": [],"
                    + " \"cois\": [], \"roles\": [\"analyst\"]}]}"))
                    .hasMessage(file() + " at users[0].nationality: a string is required");
        }
    }

    @Test
    void roleParsingIsCaseInsensitiveWithAPreciseError() {
        assertThat(Role.parse("analyst")).isEqualTo(Role.ANALYST);
        assertThat(Role.parse("OPERATOR")).isEqualTo(Role.OPERATOR);
        assertThat(Role.parse("Officer")).isEqualTo(Role.OFFICER);
        assertThatThrownBy(() -> Role.parse("admin")).isInstanceOf(InvalidIdentityException.class)
                .hasMessage("role 'admin': not a role; the roles are analyst, operator, officer");
        assertThatThrownBy(() -> Role.parse("offıcer")).isInstanceOf(InvalidIdentityException.class)
                .hasMessage("role 'offıcer': not a role; the roles are analyst, operator, officer");
    }
}
