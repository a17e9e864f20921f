package io.bulwark.node;

/**
 * An RFC 9457 problem: the HTTP status, a short title and a detail that names the input and the
 * rule. Thrown by the node's services and written as {@code application/problem+json}.
 */
public final class Problem extends RuntimeException {

    private final int status;
    private final String title;

    public Problem(int status, String title, String detail) {
        super(detail, null, false, false);
        this.status = status;
        this.title = title;
    }

    public int status() { return status; }
    public String title() { return title; }
    public String detail() { return getMessage(); }

    static Problem badRequest(String detail) { return new Problem(400, "Bad request", detail); }
    static Problem notFound() { return new Problem(404, "Not found", "no record with this id is visible to you"); }
    static Problem unauthorized(String detail) { return new Problem(401, "Unauthorized", detail); }
    static Problem forbidden(String detail) { return new Problem(403, "Forbidden", detail); }
    static Problem unprocessable(String title, String detail) { return new Problem(422, title, detail); }
}
