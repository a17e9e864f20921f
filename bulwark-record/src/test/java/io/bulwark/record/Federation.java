package io.bulwark.record;

import io.bulwark.crypto.HybridPublicSigningKey;
import io.bulwark.crypto.KemKeyset;
import io.bulwark.crypto.SigningKeyset;
import io.bulwark.label.PolicySet;

import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Test fixture: one origin (DEU/deu-1) and a node with keys for each of the given nations. */
final class Federation {

    static final PolicySet POLICIES = PolicySet.defaults();

    final SigningKeyset originSigner = SigningKeyset.generate();
    final Map<String, KemKeyset> kem = new HashMap<>();
    final EpochKeyring epochs;
    final RecordSealer sealer;
    final OriginKeys pinned;

    Federation(List<String> nations) {
        for (String n : nations) kem.put(n, KemKeyset.generate());
        epochs = new EpochKeyring(originSigner, "DEU", "deu-1",
                n -> Optional.ofNullable(kem.get(n)).map(KemKeyset::primary), Duration.ofHours(1), Clock.systemUTC());
        sealer = new RecordSealer(POLICIES, originSigner, epochs, "DEU", "deu-1", Clock.systemUTC());
        List<HybridPublicSigningKey> keys = originSigner.publicKeys();
        pinned = (nation, node) -> nation.equals("DEU") && node.equals("deu-1") ? keys : List.of();
    }

    /** An opener for a nation that has accepted every statement addressed to it. */
    RecordOpener opener(String nation) {
        RecordOpener o = new RecordOpener(POLICIES, nation, kem.get(nation), pinned);
        for (EpochKeyStatement s : epochs.statements()) {
            if (s.recipientNation().equals(nation)) o.accept(s);
        }
        return o;
    }
}
