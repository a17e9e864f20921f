package io.bulwark.node;

import io.bulwark.crypto.Keystore;
import io.bulwark.label.PolicySet;
import io.bulwark.label.SecurityPolicy;
import io.bulwark.node.identity.LocalTokens;
import io.bulwark.store.sqlite.SqliteMetadataStore;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.HexFormat;
import java.util.List;

/**
 * A node's home directory:
 * <pre>
 *   bulwark.yaml              configuration
 *   keystore.bwks             signing and KEM keys, encrypted (passphrase: BULWARK_KEYSTORE_PASSPHRASE,
 *                             else secrets/keystore.pass written by init)
 *   secrets/token.key         the key that signs local users' tokens
 *   tls/node.p12              the node's TLS certificate and key
 *   users.json                local users
 *   peers.json                peers: nation, federation URL, pinned TLS certificate fingerprint
 *   data/metadata.db          metadata and change log (SQLite, WAL)
 *   data/epochs.log           epoch key statements this node made or received
 *   data/rotations.log        this node's key rotation statements, oldest first (docs/federation.md, "Key rotation")
 *   data/node.lock            locked by the running node ({@link HomeLock})
 *   data/federation.db        pinned peer identities, acknowledgements, cursors (SQLite)
 *   data/audit.db             the tamper-evident audit log (SQLite, WAL; docs/audit.md)
 *   data/peers-status.json    the peers' state as the running node last saw it
 *   data/approvals.json       requests for sensitive operations and their signed approvals (docs/approvals.md)
 *   secrets/cursor.key        seals the cursors this node hands its peers and clients
 *   sites/default/            the default filesystem site: sealed records
 * </pre>
 */
public record NodeHome(Path dir) {

    public Path config() { return dir.resolve("bulwark.yaml"); }
    public Path keystore() { return dir.resolve("keystore.bwks"); }
    Path passphraseFile() { return dir.resolve("secrets/keystore.pass"); }
    Path tokenKey() { return dir.resolve("secrets/token.key"); }
    public Path tlsKeystore() { return dir.resolve("tls/node.p12"); }
    public Path database() { return dir.resolve("data/metadata.db"); }
    public Path epochLog() { return dir.resolve("data/epochs.log"); }
    public Path rotations() { return dir.resolve("data/rotations.log"); }
    Path lockFile() { return dir.resolve("data/node.lock"); }
    public Path defaultSite() { return dir.resolve("sites/default"); }
    Path placements() { return dir.resolve("data/placements.db"); }
    Path evacuations() { return dir.resolve("data/evacuation.db"); }
    Path storageLock() { return dir.resolve("data/storage.lock"); }
    public Path peers() { return dir.resolve("peers.json"); }
    public Path federationState() { return dir.resolve("data/federation.db"); }
    public Path auditLog() { return dir.resolve("data/audit.db"); }
    public Path peersStatus() { return dir.resolve("data/peers-status.json"); }
    public Path approvals() { return dir.resolve("data/approvals.json"); }
    Path cursorKey() { return dir.resolve("secrets/cursor.key"); }

    /**
     * Creates a node: keys, TLS certificate, configuration, an empty database and the default site.
     * Refuses to touch a directory that already holds a node.
     */
    public static NodeHome init(Path dir, String nation, String node, String listen) throws IOException, GeneralSecurityException {
        return init(dir, nation, node, listen, java.util.Optional.empty());
    }

    /**
     * As above, with the federation API listening at {@code federationListen} (HOST:PORT) if given.
     * All or nothing: a file init would write that exists already is refused before anything is
     * written, and on any failure init removes what it created (and only that: never a directory or
     * file that was there before).
     */
    public static NodeHome init(Path dir, String nation, String node, String listen, java.util.Optional<String> federationListen)
            throws IOException, GeneralSecurityException {
        NodeHome home = new NodeHome(dir.toAbsolutePath().normalize());
        NodeConfig config = new NodeConfig(nation, node, listen, false, List.of(), null, List.of(), "",
                federationListen.map(f -> new NodeConfig.Federation(f, true)).orElse(null));
        config.validate("init");
        if (Files.exists(home.config(), LinkOption.NOFOLLOW_LINKS)) {
            throw new InvalidConfigException(home.dir() + " already holds a node (bulwark.yaml exists); it is never overwritten");
        }
        if (Files.exists(home.keystore(), LinkOption.NOFOLLOW_LINKS)) {
            throw keysWithoutConfig(home, "init never overwrites keys: restore bulwark.yaml, or, if this node never ran, remove what "
                    + "init makes (keystore.bwks, secrets/, tls/, data/, sites/), or choose another directory");
        }
        char[] passphrase = passphraseFromEnvironment();
        List<Path> directories = List.of(home.dir(), home.dir().resolve("secrets"), home.dir().resolve("tls"),
                home.dir().resolve("data"), home.dir().resolve("sites"), home.defaultSite());
        for (Path d : directories) {
            if (Files.exists(d, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(d)) throw notADirectory(d);
        }
        List<Path> files = new ArrayList<>(List.of(home.tokenKey(), home.tlsKeystore(), home.database()));
        if (passphrase == null) files.add(home.passphraseFile());
        for (Path f : files) {
            if (Files.exists(f, LinkOption.NOFOLLOW_LINKS)) {
                throw new InvalidConfigException(f + " already exists; init never overwrites it (remove it, or choose another directory)");
            }
        }
        List<Path> created = new ArrayList<>(); // in the order made; undone in reverse
        // Ctrl-C or SIGTERM while init runs (stretching a passphrase takes a second or more) would end the
        // process between two files, leaving a home init refuses and start cannot use. The JVM runs its
        // shutdown hooks while this thread goes on: this one waits for init to end, whole or undone.
        java.util.concurrent.locks.ReentrantLock running = new java.util.concurrent.locks.ReentrantLock();
        running.lock();
        Thread awaitInit = new Thread(() -> {
            running.lock();
            running.unlock();
        }, "bulwark-init-finish");
        Runtime.getRuntime().addShutdownHook(awaitInit);
        try {
            for (Path d : directories) createDirectory(d, created);
            if (passphrase == null) {
                byte[] random = new byte[24];
                new SecureRandom().nextBytes(random);
                passphrase = Base64.getUrlEncoder().withoutPadding().encodeToString(random).toCharArray();
                writeSecret(home.passphraseFile(), new String(passphrase).getBytes(java.nio.charset.StandardCharsets.UTF_8), created);
            }
            home.writeKeystore(Keystore.generate()); // whole or not at all
            created.add(home.keystore());
            writeSecret(home.tokenKey(), LocalTokens.generateSecret(), created);
            writeTlsCertificate(home.tlsKeystore(), node, nation, passphrase, created);
            for (String suffix : List.of("", "-wal", "-shm", "-journal")) {
                Path p = home.database().resolveSibling(home.database().getFileName() + suffix);
                if (!Files.exists(p, LinkOption.NOFOLLOW_LINKS)) created.add(p);
            }
            try (var store = new SqliteMetadataStore(home.database())) {
                store.lastSeq(); // creates the schema
            }
            Path configTmp = home.config().resolveSibling(home.config().getFileName() + ".tmp");
            if (!Files.exists(configTmp, LinkOption.NOFOLLOW_LINKS)) created.add(configTmp);
            config.save(home.config()); // last, whole or not at all: a home with bulwark.yaml is a node
            return home;
        } catch (Throwable e) {
            undo(created, e);
            throw e;
        } finally {
            running.unlock();
            try {
                Runtime.getRuntime().removeShutdownHook(awaitInit);
            } catch (IllegalStateException e) {
                // shutting down already: the hook finds init ended and returns
            }
        }
    }

    private static InvalidConfigException notADirectory(Path path) {
        return new InvalidConfigException(path + " exists and is not a directory; init makes a node in a new directory, "
                + "or in an existing one that holds no node");
    }

    /** Creates {@code dir} and any missing parents, adding each one it creates to {@code created}. */
    private static void createDirectory(Path dir, List<Path> created) throws IOException {
        if (Files.isDirectory(dir)) return;
        if (Files.exists(dir, LinkOption.NOFOLLOW_LINKS)) throw notADirectory(dir);
        Path parent = dir.getParent();
        if (parent != null) createDirectory(parent, created);
        Files.createDirectory(dir);
        created.add(dir);
    }

    /**
     * Removes what a failed init created, newest first: a file it wrote, or a directory it made with
     * everything in it (nothing else can have been there). What cannot be removed is added to
     * {@code failure} as suppressed.
     */
    private static void undo(List<Path> created, Throwable failure) {
        for (Path p : created.reversed()) {
            try {
                if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
                    try (var walk = Files.walk(p)) {
                        for (Path q : walk.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(q);
                    }
                } else {
                    Files.deleteIfExists(p);
                }
            } catch (IOException | RuntimeException e) {
                failure.addSuppressed(e);
            }
        }
    }

    private static char[] passphraseFromEnvironment() {
        String p = System.getenv(Keystore.PASSPHRASE_VARIABLE);
        return p == null || p.isEmpty() ? null : p.toCharArray();
    }

    /**
     * Writes the keystore under {@link #passphrase()}: stretched if a person chose it (the environment
     * variable, or one put in the file by hand), not if init generated it: 192 random bits as exactly
     * 32 characters of the base64url alphabet in {@code secrets/keystore.pass}. The form is checked,
     * not only the length: a long sentence a person typed there is stretched.
     */
    void writeKeystore(Keystore keystore) throws IOException {
        char[] passphrase = passphrase();
        if (passphraseFromEnvironment() == null && generatedForm(passphrase)) {
            keystore.writeUnderGeneratedPassphrase(keystore(), passphrase);
        } else {
            keystore.write(keystore(), passphrase);
        }
    }

    /** Whether the passphrase has the form init generates (24 random bytes in unpadded base64url). */
    static boolean generatedForm(char[] passphrase) {
        if (passphrase.length != Keystore.MIN_GENERATED_PASSPHRASE_CHARS) return false;
        for (char c : passphrase) {
            if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_')) return false;
        }
        return true;
    }

    /** The keystore passphrase: the environment variable, else the file init wrote. */
    char[] passphrase() throws IOException {
        char[] env = passphraseFromEnvironment();
        if (env != null) return env;
        if (!Files.exists(passphraseFile())) {
            throw new InvalidConfigException("no keystore passphrase: set " + Keystore.PASSPHRASE_VARIABLE);
        }
        return Files.readString(passphraseFile()).strip().toCharArray();
    }

    public static NodeHome open(Path dir) {
        NodeHome home = new NodeHome(dir.toAbsolutePath().normalize());
        if (!Files.isRegularFile(home.config())) {
            if (Files.exists(home.keystore(), LinkOption.NOFOLLOW_LINKS)) {
                throw keysWithoutConfig(home, "restore bulwark.yaml, or, if this node never ran, remove what init makes "
                        + "(keystore.bwks, secrets/, tls/, data/, sites/) and run bulwark init again");
            }
            throw new InvalidConfigException(home.dir() + " is not a node home (no bulwark.yaml); create one with bulwark init");
        }
        return home;
    }

    public NodeConfig loadConfig() {
        return NodeConfig.load(config());
    }

    public Keystore openKeystore() throws IOException {
        try {
            return Keystore.open(keystore(), passphrase());
        } catch (GeneralSecurityException e) {
            throw new InvalidConfigException(keystore() + ": " + e.getMessage());
        }
    }

    /**
     * The key that signs local users' tokens ({@code secrets/token.key}).
     *
     * @throws InvalidConfigException naming the file, if it is missing or cannot be read
     */
    public byte[] tokenSecret() {
        try {
            return Files.readAllBytes(tokenKey());
        } catch (NoSuchFileException e) {
            throw new InvalidConfigException(tokenKey() + ": no such file; a node home keeps the key that signs its local "
                    + "users' tokens there (bulwark init writes it)");
        } catch (IOException e) {
            throw new InvalidConfigException(tokenKey() + ": cannot be read (" + e.getMessage() + "); it holds the key that "
                    + "signs the node's local users' tokens");
        }
    }

    /**
     * The policies {@code config} names (SPIF files, relative to the home), or the bundled ones.
     *
     * @throws InvalidConfigException naming the configuration key and the file, if one is missing or cannot be read
     */
    public PolicySet policies(NodeConfig config) {
        if (config.policies().isEmpty()) return PolicySet.defaults();
        List<SecurityPolicy> list = new ArrayList<>();
        for (int i = 0; i < config.policies().size(); i++) {
            Path file = dir.resolve(config.policies().get(i));
            byte[] spif;
            try {
                spif = Files.readAllBytes(file);
            } catch (NoSuchFileException e) {
                throw new InvalidConfigException(config() + ": policies[" + i + "]: " + file
                        + ": no such file; each entry names an Open XML SPIF file, relative to the node's home");
            } catch (IOException e) {
                throw new InvalidConfigException(config() + ": policies[" + i + "]: " + file + ": cannot be read ("
                        + e.getMessage() + "); each entry names an Open XML SPIF file, relative to the node's home");
            }
            list.add(SecurityPolicy.fromSpif(spif, file.toString()));
        }
        return PolicySet.of(list);
    }

    /** SHA-256 of the TLS certificate, hex: what a peer pins. */
    public String tlsFingerprint() throws IOException, GeneralSecurityException {
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (var in = Files.newInputStream(tlsKeystore())) {
            ks.load(in, passphrase());
        } catch (IOException e) {
            if (!(e.getCause() instanceof java.security.UnrecoverableKeyException)) throw e;
            throw new InvalidConfigException(tlsKeystore() + ": the keystore passphrase does not open it (the passphrase from "
                    + (passphraseFromEnvironment() != null ? Keystore.PASSPHRASE_VARIABLE : passphraseFile().toString()) + ")");
        }
        Certificate cert = ks.getCertificate("node");
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
    }

    private static void writeSecret(Path file, byte[] secret, List<Path> created) throws IOException {
        createOwnerOnly(file, created);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(secret);
        }
    }

    /** Creates the file readable by its owner only (where the file system has POSIX permissions); never over an existing one. */
    private static void createOwnerOnly(Path file, List<Path> created) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (FileAlreadyExistsException e) {
            throw new InvalidConfigException(file + " already exists; it is never overwritten");
        } catch (UnsupportedOperationException e) {
            Files.createFile(file);
        }
        created.add(file);
    }

    private static void writeTlsCertificate(Path file, String node, String nation, char[] passphrase, List<Path> created)
            throws IOException, GeneralSecurityException {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = kpg.generateKeyPair();
        X500Name name = new X500Name("CN=" + node + ",O=Bulwark " + nation);
        Instant now = Instant.now();
        try {
            JcaX509v3CertificateBuilder b = new JcaX509v3CertificateBuilder(name, new BigInteger(64, new SecureRandom()),
                    Date.from(now.minus(Duration.ofMinutes(5))), Date.from(now.plus(Duration.ofDays(825))), name, kp.getPublic());
            b.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(new GeneralName[] {
                    new GeneralName(GeneralName.dNSName, "localhost"), new GeneralName(GeneralName.iPAddress, "127.0.0.1")}));
            X509Certificate cert = new JcaX509CertificateConverter()
                    .getCertificate(b.build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("node", kp.getPrivate(), passphrase, new Certificate[] {cert});
            createOwnerOnly(file, created); // it holds the TLS private key
            try (OutputStream out = Files.newOutputStream(file)) {
                ks.store(out, passphrase);
            }
        } catch (org.bouncycastle.operator.OperatorCreationException | org.bouncycastle.cert.CertIOException e) {
            throw new GeneralSecurityException("cannot make the TLS certificate", e);
        }
    }

    /** bulwark.yaml is written last: keys without it are an init killed (-9) before it finished, or a removed bulwark.yaml. */
    private static InvalidConfigException keysWithoutConfig(NodeHome home, String remedy) {
        return new InvalidConfigException(home.dir() + " holds keys (keystore.bwks) but no bulwark.yaml: an init killed before it "
                + "finished, or a node whose bulwark.yaml was removed; " + remedy);
    }
}
