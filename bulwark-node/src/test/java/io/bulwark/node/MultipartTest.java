package io.bulwark.node;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MultipartTest {

    static byte[] body(String s) {
        return s.replace("\n", "\r\n").getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void readsTheLabelAndThePayloadParts() {
        byte[] b = body("""
                --XyZ
                Content-Disposition: form-data; name="label"
                Content-Type: application/xml

                <originatorConfidentialityLabel/>
                --XyZ
                Content-Disposition: form-data; name="payload"; filename="r.txt"
                Content-Type: text/plain

                two
                lines
                --XyZ--
                """);
        var parts = Multipart.parse(b, Multipart.boundary("multipart/form-data; boundary=XyZ").orElseThrow());
        assertThat(new String(parts.get("label").body(), StandardCharsets.UTF_8)).isEqualTo("<originatorConfidentialityLabel/>");
        assertThat(new String(parts.get("payload").body(), StandardCharsets.UTF_8)).isEqualTo("two\r\nlines");
        assertThat(parts.get("payload").contentType()).contains("text/plain");
    }

    /** A long quoted name overflowed the regex's stack (a 500); the headers are bounded and what an error quotes is short. */
    @Test
    void longPartHeadersAreRefusedAndQuotedShort() {
        String huge = "a".repeat(1 << 20);
        assertThatThrownBy(() -> Multipart.parse(body("--B\nContent-Disposition: form-data; name=\"" + huge + "\"\n\nx\n--B--\n"), "B"))
                .hasMessage("multipart: a part's headers (byte 5) exceed 8192 bytes");
        // Within the bound, a name of escapes still reads; an unknown disposition is quoted shortened.
        String escapes = "\\a".repeat(3000);
        var parts = Multipart.parse(body("--B\nContent-Disposition: form-data; name=\"" + escapes + "\"\n\nx\n--B--\n"), "B");
        assertThat(parts.keySet()).containsExactly("a".repeat(3000));
        assertThatThrownBy(() -> Multipart.parse(body("--B\nContent-Disposition: attachment" + "x".repeat(5000) + "\n\nx\n--B--\n"), "B"))
                .hasMessageStartingWith("multipart: Content-Disposition 'attachment" + "x".repeat(90) + "…': a part is form-data");
    }

    @Test
    void otherContentTypesAreNotMultipart() {
        assertThat(Multipart.boundary("text/plain")).isEmpty();
        assertThat(Multipart.boundary(null)).isEmpty();
    }

    @Test
    void malformedBodiesAreRefusedPrecisely() {
        assertThatThrownBy(() -> Multipart.boundary("multipart/form-data")).hasMessageContaining("boundary");
        assertThatThrownBy(() -> Multipart.parse(body("no boundary here"), "B")).hasMessageContaining("no boundary line");
        assertThatThrownBy(() -> Multipart.parse(body("--B\nContent-Disposition: form-data; name=\"payload\"\n\nx"), "B"))
                .hasMessageContaining("not closed");
        assertThatThrownBy(() -> Multipart.parse(body("--B\nContent-Type: text/plain\n\nx\n--B--\n"), "B"))
                .hasMessageContaining("no Content-Disposition name");
        assertThatThrownBy(() -> Multipart.parse(body("--B\nContent-Disposition: form-data; name=\"a\"\n\nx\n"
                + "--B\nContent-Disposition: form-data; name=\"a\"\n\ny\n--B--\n"), "B")).hasMessageContaining("twice");
    }

    @Test
    void aPartsNameIsReadAsAQuotedStringOrToken() {
        var quoted = Multipart.parse(body("--B\nContent-Disposition: form-data; name=\"pay;load\"\n\nx\n--B--\n"), "B");
        assertThat(quoted.keySet()).containsExactly("pay;load");
        var token = Multipart.parse(body("--B\nContent-Disposition: form-data; filename=\"a;b.txt\"; name=payload\n\nx\n--B--\n"), "B");
        assertThat(token.keySet()).containsExactly("payload");
        assertThatThrownBy(() -> Multipart.parse(body("--B\nContent-Disposition: form-data; name=\"open\n\nx\n--B--\n"), "B"))
                .hasMessageContaining("Content-Disposition").hasMessageContaining("offset 9");
        assertThatThrownBy(() -> Multipart.parse(body("--B\nContent-Disposition: attachment; name=x\n\nx\n--B--\n"), "B"))
                .hasMessageContaining("form-data");
    }
}
