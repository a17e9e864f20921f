package io.bulwark.federation;

import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * A strict parser for the first handshake message of a TLS 1.3 byte stream (RFC 8446 §4.1.2–4.1.3,
 * §4.2.8): plaintext handshake records, then a ClientHello or ServerHello. Every length must be
 * consistent; anything else throws.
 */
record TlsHello(int handshakeType, boolean helloRetryRequest, int cipherSuite, List<Integer> extensions, List<Integer> supportedGroups,
                List<KeyShare> keyShares) {

    static final int CLIENT_HELLO = 1;
    static final int SERVER_HELLO = 2;
    static final int SUPPORTED_GROUPS = 10;
    static final int SUPPORTED_VERSIONS = 43;
    static final int KEY_SHARE = 51;
    private static final byte[] HRR_RANDOM = HexFormat.of().parseHex(
            "cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c");

    /** One key_share entry; a HelloRetryRequest's entry names a group and has no key exchange (-1). */
    record KeyShare(int group, int keyExchangeLength) {}

    static TlsHello parseFirst(byte[] stream) {
        Reader records = new Reader(stream, 0, stream.length);
        ByteArrayOutputStream handshake = new ByteArrayOutputStream();
        // Concatenate handshake records until the first message is complete (it may span records).
        while (handshake.size() < 4 || handshake.size() < 4 + length24(handshake.toByteArray())) {
            int type = records.u8();
            int version = records.u16();
            int length = records.u16();
            check(type == 22, "record type " + type + " is not handshake (22)");
            check(version == 0x0301 || version == 0x0303, "record version " + Integer.toHexString(version));
            check(length > 0 && length <= 1 << 14, "record length " + length);
            handshake.writeBytes(records.bytes(length));
        }
        byte[] h = handshake.toByteArray();
        Reader message = new Reader(h, 0, h.length);
        int type = message.u8();
        Reader body = message.vector(3);
        TlsHello hello = switch (type) {
            case CLIENT_HELLO -> clientHello(body);
            case SERVER_HELLO -> serverHello(body);
            default -> throw new IllegalArgumentException("first handshake message is type " + type);
        };
        body.end();
        return hello;
    }

    private static TlsHello clientHello(Reader r) {
        check(r.u16() == 0x0303, "ClientHello legacy_version");
        r.bytes(32);
        check(r.vector(1).remaining() <= 32, "legacy_session_id too long");
        Reader suites = r.vector(2);
        check(suites.remaining() >= 2 && suites.remaining() % 2 == 0, "cipher_suites length");
        check(r.vector(1).remaining() >= 1, "legacy_compression_methods empty");
        List<Integer> types = new ArrayList<>();
        List<Integer> groups = new ArrayList<>();
        List<KeyShare> shares = new ArrayList<>();
        extensions(r.vector(2), types, (type, data) -> {
            if (type == SUPPORTED_GROUPS) {
                Reader list = data.vector(2);
                while (list.remaining() > 0) groups.add(list.u16());
                data.end();
            }
            if (type != KEY_SHARE) return;
            Reader list = data.vector(2);
            while (list.remaining() > 0) {
                int group = list.u16();
                int length = list.vector(2).remaining();
                check(length > 0, "empty key_exchange");
                shares.add(new KeyShare(group, length));
            }
            data.end();
        });
        return new TlsHello(CLIENT_HELLO, false, -1, types, groups, shares);
    }

    private static TlsHello serverHello(Reader r) {
        check(r.u16() == 0x0303, "ServerHello legacy_version");
        boolean retry = java.util.Arrays.equals(r.bytes(32), HRR_RANDOM);
        check(r.vector(1).remaining() <= 32, "legacy_session_id_echo too long");
        int cipherSuite = r.u16();
        check(r.u8() == 0, "legacy_compression_method");
        List<Integer> types = new ArrayList<>();
        List<KeyShare> shares = new ArrayList<>();
        extensions(r.vector(2), types, (type, data) -> {
            switch (type) {
                case SUPPORTED_VERSIONS -> check(data.u16() == 0x0304, "supported_versions selects TLS 1.3");
                case KEY_SHARE -> shares.add(new KeyShare(data.u16(), retry ? -1 : data.vector(2).remaining()));
                default -> data.bytes(data.remaining()); // e.g. a HelloRetryRequest's cookie
            }
            data.end();
        });
        return new TlsHello(SERVER_HELLO, retry, cipherSuite, types, List.of(), shares);
    }

    private interface ExtensionVisitor {
        void visit(int type, Reader data);
    }

    private static void extensions(Reader r, List<Integer> types, ExtensionVisitor visitor) {
        Set<Integer> seen = new HashSet<>();
        while (r.remaining() > 0) {
            int type = r.u16();
            check(seen.add(type), "duplicate extension " + type);
            types.add(type);
            visitor.visit(type, r.vector(2));
        }
    }

    private static int length24(byte[] h) {
        return (h[1] & 0xff) << 16 | (h[2] & 0xff) << 8 | h[3] & 0xff;
    }

    private static void check(boolean ok, String rule) {
        if (!ok) throw new IllegalArgumentException("malformed TLS: " + rule);
    }

    /** Bounds-checked big-endian reads over b[pos, end). */
    private static final class Reader {
        private final byte[] b;
        private int pos;
        private final int end;

        Reader(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        int remaining() {
            return end - pos;
        }

        byte[] bytes(int n) {
            check(n >= 0 && n <= remaining(), "need " + n + " bytes at " + pos + ", have " + remaining());
            byte[] out = java.util.Arrays.copyOfRange(b, pos, pos + n);
            pos += n;
            return out;
        }

        int u8() {
            return bytes(1)[0] & 0xff;
        }

        int u16() {
            byte[] x = bytes(2);
            return (x[0] & 0xff) << 8 | x[1] & 0xff;
        }

        /** A length-prefixed vector (prefix of {@code width} bytes) as its own reader. */
        Reader vector(int width) {
            byte[] x = bytes(width);
            int n = 0;
            for (byte v : x) n = n << 8 | v & 0xff;
            check(n <= remaining(), "vector of " + n + " bytes overruns (" + remaining() + " left)");
            Reader sub = new Reader(b, pos, pos + n);
            pos += n;
            return sub;
        }

        void end() {
            check(pos == end, (end - pos) + " trailing bytes");
        }
    }
}
