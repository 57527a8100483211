package dev.lowbit.engine.format;

import dev.lowbit.engine.json.JsonException;
import dev.lowbit.engine.json.JsonObject;
import dev.lowbit.engine.tokenizer.SentencePieceBpe;
import dev.lowbit.engine.tokenizer.Tokenizer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** A tokenizer as it is stored in a {@code .lowbit} header. */
final class TokenizerJson {
    private TokenizerJson() {}

    static Map<String, Object> write(Tokenizer tokenizer) {
        SentencePieceBpe t = LowbitFile.requireSentencePiece(tokenizer);
        List<Object> pieces = new ArrayList<>(t.vocabSize());
        float[] scores = new float[t.vocabSize()];
        List<Object> control = new ArrayList<>();
        for (int i = 0; i < t.vocabSize(); i++) {
            pieces.add(t.piece(i));
            scores[i] = t.score(i);
            if (t.isControl(i)) control.add(i);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("type", "sentencepiece-bpe");
        m.put("space", t.space());
        m.put("bos", t.bos());
        m.put("eos", t.eos());
        m.put("unk", t.unk());
        m.put("control", control);
        m.put("pieces", pieces);
        m.put("scores", scores);
        return m;
    }

    static Tokenizer read(JsonObject m) {
        if (!m.string("type").equals("sentencepiece-bpe")) throw new JsonException("unknown tokenizer type " + m.string("type"));
        List<Object> list = m.list("pieces");
        if (list.isEmpty() || list.size() > 1 << 22) throw new JsonException("tokenizer has " + list.size() + " pieces");
        String[] pieces = new String[list.size()];
        for (int i = 0; i < pieces.length; i++) {
            if (!(list.get(i) instanceof String s)) throw new JsonException("tokenizer piece " + i + " is not a string");
            pieces[i] = s;
        }
        float[] scores = m.floats("scores");
        if (scores.length != pieces.length) throw new JsonException("tokenizer has " + pieces.length + " pieces but " + scores.length + " scores");
        boolean[] control = new boolean[pieces.length];
        for (long id : m.longs("control")) {
            if (id < 0 || id >= pieces.length) throw new JsonException("control token id " + id + " out of range");
            control[(int) id] = true;
        }
        int n = pieces.length;
        return new SentencePieceBpe(pieces, scores, control, m.integer("bos", -1, n - 1), m.integer("eos", -1, n - 1),
                m.integer("unk", -1, n - 1), m.string("space"));
    }
}
