package io.bulwark.node;

import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Errors Jetty answers before a request reaches the API — header fields too large, a URI it cannot
 * parse, a malformed request line — as {@code application/problem+json}, like every other error of
 * the API, instead of Jetty's HTML page.
 */
final class ProblemErrors extends ErrorHandler {

    private final int maxHeaderBytes;

    ProblemErrors(int maxHeaderBytes) {
        this.maxHeaderBytes = maxHeaderBytes;
    }

    @Override
    protected void generateResponse(Request request, Response response, int code, String message, Throwable cause, Callback callback) {
        HttpApi.problem(response, callback, problem(code, message));
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        Problem p = problem(status, reason);
        fields.put(HttpHeader.CONTENT_TYPE, "application/problem+json");
        String body = "{\"type\":\"about:blank\",\"title\":" + quote(p.title()) + ",\"status\":" + p.status() + ",\"detail\":" + quote(p.detail()) + "}";
        return ByteBuffer.wrap(body.getBytes(StandardCharsets.UTF_8));
    }

    private Problem problem(int code, String message) {
        String title = HttpStatus.getMessage(code);
        String detail = switch (code) {
            case 431 -> "the request's header fields exceed the limit of " + maxHeaderBytes + " bytes";
            case 414 -> "the request's URI exceeds the limit of " + maxHeaderBytes + " bytes";
            case 400 -> "not a valid HTTP request" + (message == null || message.isBlank() || message.equals(title) ? "" : ": " + message);
            default -> message == null || message.isBlank() ? title : message;
        };
        return new Problem(code, title, detail);
    }

    /** A value quoted for a message: quotes and backslashes escaped, control characters as {@code \\uXXXX}. */
    static String quote(String s) {
        StringBuilder b = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
