package io.bulwark.federation;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.KeyStore;
import java.security.SecureRandom;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;

/**
 * A node TLS identity as NodeHome writes it (EC P-256, self-signed, PKCS12, alias "node"), but without
 * a subject alternative name: a test that connects to 127.0.0.1 then also proves no hostname check runs.
 */
record TestIdentity(Path pkcs12, char[] passphrase, X509Certificate certificate) {

    String fingerprint() {
        return PeerPins.fingerprint(certificate);
    }

    static TestIdentity create(Path dir, String name) throws Exception {
        Instant now = Instant.now();
        return create(dir, name, now.minus(Duration.ofMinutes(5)), now.plus(Duration.ofDays(1)));
    }

    static TestIdentity create(Path dir, String name, Instant notBefore, Instant notAfter) throws Exception {
        KeyPairGenerator kpg = KeyPairGenerator.getInstance("EC");
        kpg.initialize(new ECGenParameterSpec("secp256r1"));
        KeyPair kp = kpg.generateKeyPair();
        X500Name subject = new X500Name("CN=" + name + ",O=Bulwark test");
        X509Certificate cert = new JcaX509CertificateConverter().getCertificate(new JcaX509v3CertificateBuilder(subject,
                new BigInteger(64, new SecureRandom()), Date.from(notBefore), Date.from(notAfter), subject, kp.getPublic())
                .build(new JcaContentSignerBuilder("SHA256withECDSA").build(kp.getPrivate())));
        char[] passphrase = ("pass-" + name).toCharArray();
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setKeyEntry("node", kp.getPrivate(), passphrase, new Certificate[] {cert});
        Path file = dir.resolve(name + ".p12");
        try (OutputStream out = Files.newOutputStream(file)) {
            ks.store(out, passphrase);
        }
        return new TestIdentity(file, passphrase, cert);
    }
}
