package dev.lowbit.server;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Reading JSON bodies within a size limit and writing JSON answers and errors. */
final class Exchanges {
    static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(32).maxNumberLength(64).build())
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private Exchanges() {}

    /** The body as JSON; 413 past {@code maxBytes}, 400 when it is not JSON. */
    static JsonNode readJson(HttpExchange ex, int maxBytes) throws IOException {
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            long declared;
            try {
                declared = Long.parseLong(length.strip());
            } catch (NumberFormatException e) {
                throw ApiException.badRequest("Content-Length is not a number");
            }
            if (declared > maxBytes) throw tooLarge(ex, maxBytes);
        }
        byte[] body;
        try (InputStream in = ex.getRequestBody()) {
            body = in.readNBytes(maxBytes + 1);
        }
        if (body.length > maxBytes) throw tooLarge(ex, maxBytes);
        return parseJson(body);
    }

    /**
     * A body as JSON: UTF-8 text (as RFC 8259 wants on the wire; given bytes, Jackson would guess UTF-16 or UTF-32 and
     * fail with an I/O error rather than a parse error), then parsed; a 400 otherwise.
     */
    static JsonNode parseJson(byte[] body) {
        if (body.length == 0) throw ApiException.badRequest("the request has no body; a JSON object is expected");
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(body)).toString();
        } catch (CharacterCodingException e) {
            throw ApiException.badRequest("the body is not UTF-8 text");
        }
        try {
            return JSON.readTree(text);
        } catch (JsonProcessingException e) {
            throw ApiException.badRequest("the body is not valid JSON: " + e.getOriginalMessage());
        }
    }

    /**
     * 413. The rest of the body is read and dropped first (up to 64 MiB), since a client that is still sending does
     * not read the answer before it has sent all: closing on it would leave it a reset connection, not a status.
     */
    private static ApiException tooLarge(HttpExchange ex, int maxBytes) throws IOException {
        try (InputStream in = ex.getRequestBody()) {
            long dropped = 0;
            byte[] sink = new byte[1 << 16];
            for (int n; dropped < (64L << 20) && (n = in.read(sink)) > 0; ) dropped += n;
        }
        return new ApiException(413, "invalid_request_error", "the request body exceeds " + maxBytes + " bytes");
    }

    static void sendJson(HttpExchange ex, int status, JsonNode body) throws IOException {
        send(ex, status, "application/json", JSON.writeValueAsBytes(body));
    }

    static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    static ObjectNode error(String type, String message) {
        ObjectNode e = JSON.createObjectNode();
        e.putObject("error").put("message", message).put("type", type).putNull("param").putNull("code");
        return e;
    }

    static void sendError(HttpExchange ex, ApiException e) throws IOException {
        sendJson(ex, e.status(), error(e.type(), e.getMessage()));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
