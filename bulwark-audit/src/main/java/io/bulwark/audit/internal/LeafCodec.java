package io.bulwark.audit.internal;

import com.fasterxml.jackson.core.JsonEncoding;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.bulwark.audit.AuditEvent;
import io.bulwark.audit.InvalidAuditEventException;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The leaf encoding of docs/formats/audit-log.md: an entry's index and its event as one JSON object,
 * keys in sorted order, no white space, UTF-8. Deterministic, so the leaf hash is a function of the
 * entry alone; decoding accepts only that exact form (it re-encodes and compares), so two different
 * byte strings never decode to the same entry.
 */
public final class LeafCodec {

    /** The format version carried in every leaf as {@code "v"}. */
    public static final int VERSION = 1;

    private static final JsonFactory JSON = JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final Set<String> FIELDS = Set.of("actor", "details", "index", "outcome", "subject", "time", "type", "v");

    /** An entry as stored: its position in the log and its event. */
    public record Leaf(long index, AuditEvent event) {}

    private LeafCodec() {}

    public static byte[] encode(long index, AuditEvent e) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(160);
        try (JsonGenerator g = JSON.createGenerator(out, JsonEncoding.UTF8)) {
            // Keys in code-point order, written by hand so the order never depends on a mapper's settings.
            g.writeStartObject();
            g.writeStringField("actor", e.actor());
            g.writeObjectFieldStart("details");
            for (Map.Entry<String, String> d : e.details().entrySet()) { // sorted by the event
                g.writeStringField(d.getKey(), d.getValue());
            }
            g.writeEndObject();
            g.writeNumberField("index", index);
            g.writeStringField("outcome", e.outcome().wireName());
            if (e.subject().isPresent()) {
                g.writeStringField("subject", e.subject().get());
            }
            g.writeNumberField("time", e.time().toEpochMilli());
            g.writeStringField("type", e.type().wireName());
            g.writeNumberField("v", VERSION);
            g.writeEndObject();
        } catch (IOException ex) {
            throw new UncheckedIOException(ex); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    /**
     * Decodes a leaf made by {@link #encode}.
     *
     * @throws InvalidAuditEventException naming the field and rule, if the bytes are not exactly the
     *                                    canonical encoding of a valid entry
     */
    public static Leaf decode(byte[] leaf) {
        Map<String, Object> fields = new LinkedHashMap<>();
        try (JsonParser p = JSON.createParser(leaf)) {
            expect(p.nextToken() == JsonToken.START_OBJECT, "leaf", "must be a JSON object");
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                expect(FIELDS.contains(name), "leaf", "unknown field \"" + name + "\"");
                JsonToken t = p.nextToken();
                switch (name) {
                    case "details" -> fields.put(name, details(p, t));
                    case "index", "time", "v" -> {
                        expect(t == JsonToken.VALUE_NUMBER_INT, name, "must be an integer");
                        fields.put(name, p.getLongValue());
                    }
                    default -> {
                        expect(t == JsonToken.VALUE_STRING, name, "must be a string");
                        fields.put(name, p.getText());
                    }
                }
            }
            expect(p.nextToken() == null, "leaf", "has bytes after the JSON object");
        } catch (JsonProcessingException ex) {
            throw new InvalidAuditEventException("leaf", "is not valid JSON: " + ex.getOriginalMessage());
        } catch (IOException ex) {
            throw new UncheckedIOException(ex); // parsing a byte array does no I/O
        }
        expect(Long.valueOf(VERSION).equals(fields.get("v")), "v", "must be " + VERSION);
        for (String required : new String[] {"actor", "details", "index", "outcome", "time", "type"}) {
            expect(fields.containsKey(required), required, "is required");
        }
        long index = (Long) fields.get("index");
        expect(index >= 0, "index", "must not be negative");
        String type = (String) fields.get("type");
        String outcome = (String) fields.get("outcome");
        @SuppressWarnings("unchecked")
        AuditEvent event = new AuditEvent(
                AuditEvent.Type.fromWireName(type).orElseThrow(() -> new InvalidAuditEventException("type", "unknown type \"" + type + "\"")),
                Instant.ofEpochMilli((Long) fields.get("time")),
                (String) fields.get("actor"),
                Optional.ofNullable((String) fields.get("subject")),
                AuditEvent.Outcome.fromWireName(outcome).orElseThrow(() -> new InvalidAuditEventException("outcome", "unknown outcome \"" + outcome + "\"")),
                (Map<String, String>) fields.get("details"));
        expect(Arrays.equals(encode(index, event), leaf), "leaf", "is not in canonical form (sorted keys, no white space, minimal escapes)");
        return new Leaf(index, event);
    }

    private static Map<String, String> details(JsonParser p, JsonToken t) throws IOException {
        expect(t == JsonToken.START_OBJECT, "details", "must be an object");
        Map<String, String> details = new LinkedHashMap<>();
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String key = p.currentName();
            expect(p.nextToken() == JsonToken.VALUE_STRING, "details[\"" + key + "\"]", "must be a string");
            details.put(key, p.getText());
        }
        return details;
    }

    private static void expect(boolean ok, String field, String rule) {
        if (!ok) {
            throw new InvalidAuditEventException(field, rule);
        }
    }
}
