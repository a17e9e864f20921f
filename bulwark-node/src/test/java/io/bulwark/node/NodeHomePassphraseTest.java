package io.bulwark.node;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;

/** Only a passphrase init generated goes unstretched; one a person typed into the file is stretched, however long. */
class NodeHomePassphraseTest {

    @Test
    void thePassphraseInitWritesHasTheGeneratedForm(@TempDir Path dir) throws Exception {
        NodeHome home = NodeHome.init(dir.resolve("deu"), "DEU", "deu-1", "127.0.0.1:0", Optional.empty());
        assertThat(NodeHome.generatedForm(home.passphrase())).isTrue();
    }

    @Test
    void aLongSentenceOrAnotherAlphabetIsNotTakenForGenerated() {
        assertThat(NodeHome.generatedForm("correct horse battery staple again and again".toCharArray())).isFalse();
        assertThat(NodeHome.generatedForm("correcthorsebatterystapleagainan".toCharArray())).as("32 letters a person chose")
                .isTrue(); // the form cannot tell; 32 characters of this alphabet are at least not a sentence
        assertThat(NodeHome.generatedForm("abcdefghijklmnopqrstuvwxyz+/ABCD".toCharArray())).isFalse();
        assertThat(NodeHome.generatedForm("abcdefghijklmnopqrstuvwxyzABCDEFG".toCharArray())).as("33 characters").isFalse();
    }
}
