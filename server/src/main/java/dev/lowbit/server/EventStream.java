package dev.lowbit.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;

/** A server-sent-events answer: {@code data: JSON} events, flushed one by one, ended by {@code data: [DONE]}. */
final class EventStream implements AutoCloseable {
    private final OutputStream out;

    EventStream(HttpExchange ex) throws IOException {
        ex.getResponseHeaders().set("Content-Type", "text/event-stream");
        ex.getResponseHeaders().set("Cache-Control", "no-cache");
        ex.sendResponseHeaders(200, 0); // chunked
        out = ex.getResponseBody();
    }

    /** Sends one event; false when the client has gone. */
    boolean send(JsonNode event) {
        return write("data: " + event + "\n\n"); // a JsonNode prints as compact JSON
    }

    boolean done() {
        return write("data: [DONE]\n\n");
    }

    private boolean write(String s) {
        try {
            out.write(Exchanges.utf8(s));
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    @Override
    public void close() {
        try {
            out.close();
        } catch (IOException ignored) {
            // the client has gone
        }
    }
}
