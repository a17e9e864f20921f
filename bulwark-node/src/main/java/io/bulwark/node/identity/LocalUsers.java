package io.bulwark.node.identity;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.bulwark.label.InvalidLabelException;
import io.bulwark.label.PolicySet;
import io.bulwark.label.Subject;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The users of an embedded node, kept in {@code <home>/users.json} and read when the node starts.
 *
 * <p>Every change is written atomically and durably before it is visible: the whole file goes to
 * a temporary file in the same directory, which is fsynced, renamed over {@code users.json}, and
 * the directory is fsynced. A crash leaves either the old file or the new one, never a mix. One
 * process owns a home: this class is thread-safe, but two processes writing the same file would
 * lose each other's changes.
 *
 * <p>The file, version 1 ({@code docs/identities.md}):
 * <pre>{@code
 * {"version": 1, "users": [{"name": "alice", "nationality": "DEU", "clearances": ["NATO SECRET"],
 *                           "cois": ["ISR"], "roles": ["analyst"]}]}
 * }</pre>
 */
public final class LocalUsers {

    /** The file's name inside the node's home. */
    public static final String FILE_NAME = "users.json";
    static final Pattern NAME = Pattern.compile("[a-z][a-z0-9._-]{0,63}");
    private static final int VERSION = 1;
    private static final Set<String> USER_FIELDS = Set.of("name", "nationality", "clearances", "cois", "roles", "added");
    private static final Logger log = LoggerFactory.getLogger(LocalUsers.class);
    private static final JsonMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .build();

    private final Path home;
    private final Path file;
    private final PolicySet policies;
    /** Immutable snapshot, sorted by name; replaced whole under the lock after each durable write. */
    private volatile Map<String, User> users;
    /** When each user was added (users from files before this was kept have none); replaced with {@link #users}. */
    private volatile Map<String, Instant> added;

    /** The users a file holds, and when each was added where the file says. */
    private record Read(Map<String, User> users, Map<String, Instant> added) {}

    private LocalUsers(Path home, PolicySet policies, Read read) {
        this.home = home;
        this.file = home.resolve(FILE_NAME);
        this.policies = policies;
        this.users = read.users();
        this.added = read.added();
    }

    /**
     * Reads the users of the node whose home is {@code home} ({@code home/users.json}; none if the
     * file does not exist yet). Every user is validated as by {@link #add}, so a file edited by hand
     * or a policy change that invalidates a user stops the node with a precise error.
     *
     * @throws InvalidIdentityException if the file is not valid JSON or a user in it is invalid
     * @throws UncheckedIOException     if the home or the file cannot be read
     */
    public static LocalUsers open(Path home, PolicySet policies) {
        Path file = home.resolve(FILE_NAME);
        try {
            Files.createDirectories(home);
            removeLeftoverTemporaryFiles(home);
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                return new LocalUsers(home, policies, new Read(Map.of(), Map.of()));
            }
            return new LocalUsers(home, policies, read(bytes, "users file " + file, policies));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the users file " + file, e);
        }
    }

    /** The user of this name, if there is one. */
    public Optional<User> find(String name) {
        return Optional.ofNullable(users.get(name));
    }

    /**
     * When the user of this name was added, if the file says: a token issued before it was issued to
     * an earlier user of the same name, and does not speak for this one.
     */
    public Optional<Instant> addedAt(String name) {
        return Optional.ofNullable(added.get(name));
    }

    /** Every user, by name. */
    public List<User> list() {
        return List.copyOf(users.values());
    }

    /**
     * Adds a user and writes the file. Checks, in order: the name ({@code [a-z][a-z0-9._-]{0,63}}),
     * that no user has it yet, at least one role, each clearance is a classification of the node's
     * policies, then the nationality (alpha-3) and that each community of interest is a restrictive
     * category value ({@link PolicySet#compile(Subject)}).
     *
     * @throws InvalidIdentityException naming the user, the field and the rule, if a check fails;
     *                                  nothing is written then
     * @throws UncheckedIOException     if the file cannot be written; nothing has changed then
     */
    public synchronized void add(User user) {
        String input = "user '" + user.name() + "'";
        checkName(user, input, "");
        if (users.containsKey(user.name())) {
            throw new InvalidIdentityException(input, "name", "a user of that name already exists");
        }
        validate(user, input, "", policies);
        Map<String, User> next = new TreeMap<>(users);
        next.put(user.name(), user);
        Map<String, Instant> nextAdded = new TreeMap<>(added);
        nextAdded.put(user.name(), Instant.now().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
        write(next, nextAdded);
        log.info("local user '{}' added", user.name());
    }

    /**
     * Removes a user and writes the file. Tokens already issued to the user stay valid until they
     * expire (see {@link LocalTokens}).
     *
     * @return the user removed, or empty if there was none of that name (nothing is written then)
     * @throws UncheckedIOException if the file cannot be written; nothing has changed then
     */
    public synchronized Optional<User> remove(String name) {
        User removed = users.get(name);
        if (removed == null) {
            return Optional.empty();
        }
        Map<String, User> next = new TreeMap<>(users);
        next.remove(name);
        Map<String, Instant> nextAdded = new TreeMap<>(added);
        nextAdded.remove(name);
        write(next, nextAdded);
        log.info("local user '{}' removed", name);
        return Optional.of(removed);
    }

    // === validation ===============================================================================

    /** {@code input} names the user in messages; {@code at} prefixes positions ("users[3]." in a file). */
    private static void checkName(User user, String input, String at) {
        if (!NAME.matcher(user.name()).matches()) {
            throw new InvalidIdentityException(input, at + "name", "a user name is a lower-case letter, then up to 63"
                    + " lower-case letters, digits, '.', '_' or '-' ([a-z][a-z0-9._-]{0,63})");
        }
    }

    /** Every check but the name's uniqueness. */
    private static void validate(User user, String input, String at, PolicySet policies) {
        checkName(user, input, at);
        if (user.roles().isEmpty()) {
            throw new InvalidIdentityException(input, at + "roles", "a user has at least one role (" + Role.ALL + ")");
        }
        List<Subject.Clearance> clearances = new ArrayList<>();
        for (int i = 0; i < user.clearances().size(); i++) {
            try {
                clearances.add(policies.parseClassification(user.clearances().get(i)));
            } catch (InvalidLabelException e) {
                throw new InvalidIdentityException(input, at + "clearances[" + i + "]", e.rule(), e);
            }
        }
        try {
            policies.compile(new Subject(user.nationality(), clearances, user.cois()));
        } catch (InvalidLabelException e) {
            throw new InvalidIdentityException(input, at + e.position().orElse(""), e.rule(), e);
        }
    }

    // === the file =================================================================================

    private static Read read(byte[] bytes, String input, PolicySet policies) {
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JacksonException e) {
            JsonLocation at = e.getLocation();
            String position = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new InvalidIdentityException(input, position, "not valid JSON: " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidIdentityException(input, "", "the file holds a JSON object {\"version\": 1, \"users\": [...]}");
        }
        onlyFields(root, Set.of("version", "users"), input, "");
        JsonNode version = root.get("version");
        if (version == null || !version.isInt() || version.intValue() != VERSION) {
            throw new InvalidIdentityException(input, "version", "the version must be " + VERSION
                    + (version == null ? "" : "; this file says " + version));
        }
        JsonNode list = root.get("users");
        if (list == null || !list.isArray()) {
            throw new InvalidIdentityException(input, "users", "an array of users is required");
        }
        Map<String, User> users = new TreeMap<>();
        Map<String, Instant> added = new TreeMap<>();
        for (int i = 0; i < list.size(); i++) {
            String at = "users[" + i + "]";
            JsonNode node = list.get(i);
            if (!node.isObject()) {
                throw new InvalidIdentityException(input, at, "a user is a JSON object");
            }
            onlyFields(node, USER_FIELDS, input, at + ".");
            List<Role> roles = new ArrayList<>();
            List<String> roleNames = strings(node, "roles", input, at);
            for (int j = 0; j < roleNames.size(); j++) {
                String r = roleNames.get(j);
                String pos = at + ".roles[" + j + "]";
                roles.add(Role.find(r).orElseThrow(() -> new InvalidIdentityException(input, pos,
                        "'" + r + "' is not a role; the roles are " + Role.ALL)));
            }
            User user = new User(string(node, "name", input, at), string(node, "nationality", input, at),
                    strings(node, "clearances", input, at), new LinkedHashSet<>(strings(node, "cois", input, at)),
                    new LinkedHashSet<>(roles));
            validate(user, input, at + ".", policies);
            if (users.put(user.name(), user) != null) {
                throw new InvalidIdentityException(input, at + ".name", "a second user named '" + user.name() + "'");
            }
            if (node.has("added")) {
                try {
                    added.put(user.name(), Instant.parse(string(node, "added", input, at)));
                } catch (java.time.format.DateTimeParseException e) {
                    throw new InvalidIdentityException(input, at + ".added", "an ISO 8601 UTC instant such as 2026-11-28T09:00:00Z");
                }
            }
        }
        return new Read(Collections.unmodifiableMap(users), Collections.unmodifiableMap(added));
    }

    private static void onlyFields(JsonNode node, Set<String> allowed, String input, String at) {
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            String f = it.next();
            if (!allowed.contains(f)) {
                throw new InvalidIdentityException(input, at + f, "unknown field; the fields are "
                        + String.join(", ", allowed.stream().sorted().toList()));
            }
        }
    }

    private static String string(JsonNode user, String field, String input, String at) {
        JsonNode v = user.get(field);
        if (v == null || !v.isTextual()) {
            throw new InvalidIdentityException(input, at + "." + field, "a string is required");
        }
        return v.textValue();
    }

    private static List<String> strings(JsonNode user, String field, String input, String at) {
        JsonNode v = user.get(field);
        if (v == null || !v.isArray()) {
            throw new InvalidIdentityException(input, at + "." + field, "an array of strings is required");
        }
        List<String> out = new ArrayList<>();
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw new InvalidIdentityException(input, at + "." + field + "[" + i + "]", "a string is required");
            }
            out.add(v.get(i).textValue());
        }
        return out;
    }

    private static byte[] render(Map<String, User> users, Map<String, Instant> added) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", VERSION);
        ArrayNode list = root.putArray("users");
        for (User u : users.values()) {
            ObjectNode n = list.addObject();
            n.put("name", u.name());
            n.put("nationality", u.nationality());
            ArrayNode clearances = n.putArray("clearances");
            u.clearances().forEach(clearances::add);
            ArrayNode cois = n.putArray("cois");
            u.cois().forEach(cois::add);
            ArrayNode roles = n.putArray("roles");
            u.roles().forEach(r -> roles.add(r.id()));
            Instant at = added.get(u.name());
            if (at != null) n.put("added", at.toString());
        }
        try {
            return JSON.writeValueAsBytes(root);
        } catch (JacksonException e) {
            throw new IllegalStateException("cannot render the users file", e);
        }
    }

    /** Writes the file atomically and durably, then publishes the new snapshot. */
    private void write(Map<String, User> next, Map<String, Instant> nextAdded) {
        byte[] bytes = render(next, nextAdded);
        Path tmp = null;
        try {
            tmp = Files.createTempFile(home, FILE_NAME + ".", ".tmp"); // owner-only on POSIX
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                ByteBuffer buf = ByteBuffer.wrap(bytes);
                while (buf.hasRemaining()) {
                    ch.write(buf);
                }
                ch.force(true);
            }
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            tmp = null;
        } catch (IOException e) {
            deleteQuietly(tmp);
            throw new UncheckedIOException("cannot write the users file " + file, e);
        }
        users = Collections.unmodifiableMap(next);
        added = Collections.unmodifiableMap(nextAdded);
        try (FileChannel dir = FileChannel.open(home, StandardOpenOption.READ)) {
            dir.force(true); // makes the rename durable
        } catch (IOException e) {
            // The change is made (the rename is atomic, and the node reads it at its next request): not
            // a failure to report as one, or a retry would meet "already exists". Some file systems
            // cannot force a directory.
            log.warn("the users file {} is written but its directory could not be "
                    + "synced ({}); the change may not survive a power loss", file, e.toString());
        }
    }

    private static void removeLeftoverTemporaryFiles(Path home) throws IOException {
        try (DirectoryStream<Path> leftovers = Files.newDirectoryStream(home, FILE_NAME + ".*.tmp")) {
            for (Path p : leftovers) {
                Files.deleteIfExists(p); // a write that a crash interrupted before its rename
            }
        }
    }

    private static void deleteQuietly(Path p) {
        if (p == null) return;
        try {
            Files.deleteIfExists(p);
        } catch (IOException ignored) {
            // the next open removes it
        }
    }
}
